#include "sip/dialog/reinvite.hpp"

namespace cohort::sip::dialog {

std::optional<ReInvites::Refusal> ReInvites::on_incoming(std::uint32_t random) {
  if (outgoing_) {
    return Refusal{491, std::nullopt};  // §14.2: both sides re-INVITE at once
  }
  if (incoming_) {
    // §14.2: a second INVITE before the final response to the first: 500 and a Retry-After
    // "between 0 and 10 seconds".
    return Refusal{500, random % 11};
  }
  incoming_ = true;
  return std::nullopt;
}

std::chrono::milliseconds glare_retry_delay(bool owns_call_id, std::uint32_t random) {
  // §14.1: "a randomly chosen value of time between 2.1 and 4 seconds in units of 10 ms"
  // for the owner of the Call-ID, "between 0 and 2 seconds in units of 10 ms" otherwise.
  if (owns_call_id) {
    return std::chrono::milliseconds(2100 + 10 * (random % 191));
  }
  return std::chrono::milliseconds(10 * (random % 201));
}

}  // namespace cohort::sip::dialog
