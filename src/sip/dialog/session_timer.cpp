#include "sip/dialog/session_timer.hpp"

namespace cohort::sip::dialog {

std::string_view to_string(Refresher r) {
  return r == Refresher::kUac ? "uac" : "uas";
}

}  // namespace cohort::sip::dialog
