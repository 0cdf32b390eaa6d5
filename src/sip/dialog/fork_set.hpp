#pragma once
// The UAC side of one INVITE that a proxy may fork (RFC 3261 §13.2.2.4): each To tag in a
// provisional response is an early dialog, the first 2xx confirms its dialog and wins, a
// 2xx of the winner again means our ACK was lost (ACK again), and a 2xx of another fork
// after the winner is ACKed and then ended with a BYE on its own dialog. A final non-2xx
// ends every early dialog. Pure: it classifies responses and keeps the dialogs.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sip/dialog/dialog.hpp"
#include "sip/message.hpp"

namespace cohort::sip::dialog {

class ForkSet {
 public:
  enum class Outcome : std::uint8_t {
    kIgnored,        ///< 100, or a provisional response without a To tag
    kEarly,          ///< a provisional response that created a new early dialog
    kEarlyAgain,     ///< a provisional response in an early dialog already known
    kAnswered,       ///< the first 2xx: its dialog is confirmed and is the winner
    kAnsweredAgain,  ///< the winner's 2xx again: our ACK was lost, send it again
    kLateAnswer,     ///< another fork's 2xx after the winner: ACK it, then BYE it
    kLateAgain,      ///< a 2xx of a fork already ACKed and ended: ACK it again
    kFailed,         ///< a final non-2xx: every early dialog has ended
    kMalformed,      ///< a 2xx that creates no usable dialog (no To): nothing to do
  };
  struct Result {
    Outcome outcome = Outcome::kIgnored;
    /// The dialog the response belongs to (kEarly … kLateAgain); valid until the next call.
    Dialog* dialog = nullptr;
  };

  explicit ForkSet(SentRequest invite) : invite_(std::move(invite)) {}

  Result on_response(const Message& response);

  const SentRequest& invite() const { return invite_; }
  /// The winning dialog once a 2xx arrived; nullptr before.
  Dialog* winner() { return winner_ < 0 ? nullptr : &dialogs_[static_cast<std::size_t>(winner_)]; }
  const Dialog* winner() const {
    return winner_ < 0 ? nullptr : &dialogs_[static_cast<std::size_t>(winner_)];
  }
  /// Every dialog the responses created, early or confirmed (forks included).
  const std::vector<Dialog>& dialogs() const { return dialogs_; }
  /// The dialog with remote tag `tag`; nullptr when none.
  Dialog* find(std::string_view tag);

 private:
  SentRequest invite_;
  std::vector<Dialog> dialogs_;
  int winner_ = -1;
};

}  // namespace cohort::sip::dialog
