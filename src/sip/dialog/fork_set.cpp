#include "sip/dialog/fork_set.hpp"

namespace cohort::sip::dialog {

Dialog* ForkSet::find(std::string_view tag) {
  for (Dialog& d : dialogs_) {
    if (d.remote_tag == tag) {
      return &d;
    }
  }
  return nullptr;
}

ForkSet::Result ForkSet::on_response(const Message& r) {
  const int status = r.status();
  if (status >= 300) {
    for (Dialog& d : dialogs_) {
      if (d.state == DialogState::kEarly) {
        d.state = DialogState::kTerminated;
      }
    }
    return {Outcome::kFailed, nullptr};
  }
  Dialog* known = find(r.to_tag());
  if (status < 200) {
    if (status == 100 || r.to_tag().empty()) {
      return {Outcome::kIgnored, nullptr};
    }
    if (known != nullptr) {
      // §12.1.2: only the remote target may change in an early dialog.
      if (auto target = parse_contacts(r); target && !target->contacts.empty()) {
        known->remote_target = std::string(target->contacts.front().uri_text);
      }
      return {Outcome::kEarlyAgain, known};
    }
    if (winner_ >= 0) {
      return {Outcome::kIgnored, nullptr};  // a fork that is still ringing after the answer
    }
    auto d = uac_dialog(invite_, r);
    if (!d) {
      return {Outcome::kIgnored, nullptr};
    }
    dialogs_.push_back(std::move(*d));
    return {Outcome::kEarly, &dialogs_.back()};
  }
  // A 2xx.
  if (known != nullptr && winner_ >= 0 && known == &dialogs_[static_cast<std::size_t>(winner_)]) {
    return {Outcome::kAnsweredAgain, known};
  }
  if (known != nullptr && known->state != DialogState::kEarly) {
    return {Outcome::kLateAgain, known};  // a losing fork's 2xx retransmitted
  }
  if (known != nullptr) {
    if (!confirm(*known, r)) {
      return {Outcome::kMalformed, nullptr};
    }
  } else {
    auto d = uac_dialog(invite_, r);
    if (!d) {
      return {Outcome::kMalformed, nullptr};
    }
    dialogs_.push_back(std::move(*d));
    known = &dialogs_.back();
  }
  if (winner_ >= 0) {
    return {Outcome::kLateAnswer, known};
  }
  winner_ = static_cast<int>(known - dialogs_.data());
  return {Outcome::kAnswered, known};
}

}  // namespace cohort::sip::dialog
