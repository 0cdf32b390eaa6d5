#include "sip/dialog/session_timer.hpp"

#include <gtest/gtest.h>

namespace cohort::sip::dialog {
namespace {

TEST(SessionTimer, RefresherNamesItsSide) {
  EXPECT_EQ(to_string(Refresher::kUac), "uac");
  EXPECT_EQ(to_string(Refresher::kUas), "uas");
}

}  // namespace
}  // namespace cohort::sip::dialog
