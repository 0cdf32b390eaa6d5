#include "sip/txn/types.hpp"

namespace cohort::sip::txn {

std::string_view to_string(TimerName t) {
  switch (t) {
    case TimerName::kA:
      return "A";
    case TimerName::kB:
      return "B";
    case TimerName::kD:
      return "D";
    case TimerName::kE:
      return "E";
    case TimerName::kF:
      return "F";
    case TimerName::kK:
      return "K";
    case TimerName::kG:
      return "G";
    case TimerName::kH:
      return "H";
    case TimerName::kI:
      return "I";
    case TimerName::kJ:
      return "J";
    case TimerName::kL:
      return "L";
    case TimerName::kM:
      return "M";
    case TimerName::kTrying:
      return "Trying";
  }
  return "?";
}

std::string_view to_string(State s) {
  switch (s) {
    case State::kCalling:
      return "Calling";
    case State::kTrying:
      return "Trying";
    case State::kProceeding:
      return "Proceeding";
    case State::kCompleted:
      return "Completed";
    case State::kConfirmed:
      return "Confirmed";
    case State::kAccepted:
      return "Accepted";
    case State::kTerminated:
      return "Terminated";
  }
  return "?";
}

}  // namespace cohort::sip::txn
