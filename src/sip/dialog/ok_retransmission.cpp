#include "sip/dialog/ok_retransmission.hpp"

#include <algorithm>

namespace cohort::sip::dialog {

void OkRetransmission::start(TimePoint now) {
  started_ = true;
  interval_ = t1_;
  next_ = now + interval_;
  deadline_ = now + 64 * t1_;
}

std::optional<OkRetransmission::TimePoint> OkRetransmission::next() const {
  if (!started_ || acked_ || gave_up_) {
    return std::nullopt;
  }
  // Over TCP the 2xx is sent once (the transport is reliable), but the wait for the ACK is
  // still bounded by 64*T1.
  return reliable_ ? deadline_ : std::min(next_, deadline_);
}

OkRetransmission::Step OkRetransmission::on_timer(TimePoint now) {
  if (!started_ || acked_ || gave_up_) {
    return Step::kNothing;
  }
  if (now >= deadline_) {
    gave_up_ = true;
    return Step::kGiveUp;
  }
  if (reliable_ || now < next_) {
    return Step::kNothing;
  }
  interval_ = std::min(interval_ * 2, t2_);
  next_ = now + interval_;
  return Step::kResend;
}

}  // namespace cohort::sip::dialog
