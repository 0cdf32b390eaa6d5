#include "model/validate.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "unit/model/builders.hpp"

namespace cohort::model {
namespace {

using testing::make_group;
using testing::make_trunk;
using testing::make_user;
using testing::with;

struct CheckCase {
  std::string name;  ///< for the failure message
  std::function<Result<void>(std::string_view field, std::string_view value)> check;
  std::vector<std::string> good;
  std::vector<std::string> bad;
};

std::vector<CheckCase> check_cases() {
  return {
      {"extension",
       check_extension,
       {"10", "101", "0000", "1234567890"},
       {"", "1", "12345678901", "10a", "+101", " 101", "10 1", "١٠١"}},
      {"caller_id",
       check_caller_id,
       {"1", "+1", "+15551234567", "0049301234567", std::string(32, '9'),
        "+" + std::string(32, '1')},
       {"", "+", "++1", "1+", "555-1234", "(555)1234", "+1 555", std::string(33, '9'),
        "+" + std::string(33, '1'), "abc"}},
      {"email",
       check_email,
       {"a@b.co", "alice.smith+tag@example.com", "x@mail.example.org",
        std::string(240, 'a') + "@example.com"},
       {"", "alice", "@example.com", "alice@", "alice@example", "alice@@example.com",
        "a@b@example.com", "alice smith@example.com", "alice@.example.com", "alice@example.com.",
        "alice@example..com", "alice@exa\tmple.com", std::string(250, 'a') + "@example.com"}},
      {"password",
       check_password,
       {"12345678", "correct horse battery staple", std::string(128, 'x'), "p@ss w0rd!~"},
       {"", "1234567", std::string(129, 'x'), "pass\tword", "passwörd1", "password\n"}},
  };
}

TEST(Check, TableOfGoodAndBadValues) {
  for (const CheckCase& c : check_cases()) {
    for (const std::string& v : c.good) {
      auto r = c.check("some.field", v);
      EXPECT_TRUE(r.has_value()) << c.name << " should accept \"" << v
                                 << "\": " << (r ? "" : r.error().message);
    }
    for (const std::string& v : c.bad) {
      auto r = c.check("some.field", v);
      ASSERT_FALSE(r.has_value()) << c.name << " should reject \"" << v << "\"";
      EXPECT_EQ(r.error().code, Errc::kInvalid);
      EXPECT_EQ(r.error().field, "some.field") << c.name << " \"" << v << "\"";
      EXPECT_FALSE(r.error().message.empty());
    }
  }
}

TEST(Check, ExtensionMessageIsReadable) {
  auto r = check_extension("extension", "1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "extension must be 2–10 digits");
}

TEST(Check, PasswordMessageDoesNotEchoTheValue) {
  auto r = check_password("sip_password", "hunter\x01x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.find("hunter"), std::string::npos);
}

TEST(Check, Name) {
  for (std::string_view good : {"Sales", "a", " Support team ", "Équipe Nord", "x\x7e"}) {
    EXPECT_TRUE(check_name("name", good, 20).has_value()) << good;
  }
  EXPECT_TRUE(check_name("name", std::string(20, 'n'), 20).has_value());
  const std::vector<std::string> bad = {"",     "   ",         "\t\n",   std::string(21, 'n'),
                                        "a\tb", "line\nbreak", "bell\a", "del\x7f"};
  for (const std::string& v : bad) {
    auto r = check_name("group.name", v, 20);
    ASSERT_FALSE(r.has_value()) << v;
    EXPECT_EQ(r.error().field, "group.name");
    EXPECT_EQ(r.error().code, Errc::kInvalid);
  }
}

// ---- users ----------------------------------------------------------------------------

class ValidateUser : public ::testing::Test {
 protected:
  Snapshot s = with(Snapshot{}, {make_user(1, "Alice", "101", "Alice@Example.com")},
                    {make_group(10, "Sales", "200")});
};

TEST_F(ValidateUser, AcceptsAValidNewUser) {
  User u = make_user(0, "Bob", "102", "bob@example.com");
  u.caller_id = "+15551234";
  EXPECT_TRUE(validate_user(u, s).has_value());
}

TEST_F(ValidateUser, AcceptsSavingItselfUnchanged) {
  EXPECT_TRUE(validate_user(*s.user(1), s).has_value());
}

TEST_F(ValidateUser, FormatErrorsNameTheField) {
  struct Case {
    std::function<void(User&)> edit;
    const char* field;
  };
  const std::vector<Case> cases = {
      {[](User& u) { u.name = " "; }, "name"},
      {[](User& u) { u.name = std::string(kMaxNameLength + 1, 'n'); }, "name"},
      {[](User& u) { u.email = "bob"; }, "email"},
      {[](User& u) { u.extension = "1"; }, "extension"},
      {[](User& u) { u.extension = ""; }, "extension"},
      {[](User& u) { u.caller_id = "555 1234"; }, "caller_id"},
  };
  for (const Case& c : cases) {
    User u = make_user(0, "Bob", "102", "bob@example.com");
    c.edit(u);
    auto r = validate_user(u, s);
    ASSERT_FALSE(r.has_value()) << c.field;
    EXPECT_EQ(r.error().code, Errc::kInvalid);
    EXPECT_EQ(r.error().field, c.field);
  }
}

TEST_F(ValidateUser, EmailMustBeUniqueCaseInsensitively) {
  auto r = validate_user(make_user(0, "Bob", "102", "alice@EXAMPLE.com"), s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kConflict);
  EXPECT_EQ(r.error().field, "email");
}

TEST_F(ValidateUser, ExtensionMustBeUniqueAcrossUsersAndGroups) {
  auto r = validate_user(make_user(0, "Bob", "101", "bob@example.com"), s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kConflict);
  EXPECT_EQ(r.error().field, "extension");

  r = validate_user(make_user(0, "Bob", "200", "bob@example.com"), s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kConflict);
  EXPECT_EQ(r.error().field, "extension");
  EXPECT_NE(r.error().message.find("group 10"), std::string::npos) << r.error().message;

  // A group whose id equals the user's id still owns its extension.
  r = validate_user(make_user(10, "Bob", "200", "bob@example.com"), s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().field, "extension");
}

// ---- groups ---------------------------------------------------------------------------

class ValidateGroup : public ::testing::Test {
 protected:
  ValidateGroup() {
    Group support = make_group(2, "Support", "201");
    support.fallback = DestGroup{3};
    Group billing = make_group(3, "Billing");
    s = with(Snapshot{}, {make_user(1, "Alice", "101", "alice@example.com")},
             {make_group(1, "Sales", "200"), support, billing}, {make_trunk(5, "Carrier")});
  }
  Snapshot s;
};

TEST_F(ValidateGroup, AcceptsAValidGroup) {
  Group g = make_group(0, "Overflow", "300");
  g.description = "Takes\tcalls\nafter hours";
  g.outbound_caller_id = "+4930123456";
  g.trunk = 5;
  g.fallback = DestVoicemail{DestVoicemail::Box::kUser, 1};
  g.ring_timeout_s = 5;
  g.max_wait_s = 86400;
  g.wrap_up_s = 3600;
  EXPECT_TRUE(validate_group(g, s).has_value());
  EXPECT_TRUE(validate_group(*s.group(2), s).has_value());
}

TEST_F(ValidateGroup, FormatAndRangeErrorsNameTheField) {
  struct Case {
    std::function<void(Group&)> edit;
    const char* field;
  };
  const std::vector<Case> cases = {
      {[](Group& g) { g.name = ""; }, "name"},
      {[](Group& g) { g.name = "Sa\x01les"; }, "name"},
      {[](Group& g) { g.description = std::string(kMaxDescriptionLength + 1, 'd'); },
       "description"},
      {[](Group& g) { g.description = "bell\a"; }, "description"},
      {[](Group& g) { g.description = "cr\r"; }, "description"},
      {[](Group& g) { g.extension = "3"; }, "extension"},
      {[](Group& g) { g.outbound_caller_id = "+"; }, "outbound_caller_id"},
      {[](Group& g) { g.ring_timeout_s = 4; }, "ring_timeout_s"},
      {[](Group& g) { g.ring_timeout_s = 601; }, "ring_timeout_s"},
      {[](Group& g) { g.max_wait_s = 9; }, "max_wait_s"},
      {[](Group& g) { g.max_wait_s = 86401; }, "max_wait_s"},
      {[](Group& g) { g.wrap_up_s = -1; }, "wrap_up_s"},
      {[](Group& g) { g.wrap_up_s = 3601; }, "wrap_up_s"},
      {[](Group& g) { g.trunk = 6; }, "trunk"},
      {[](Group& g) { g.fallback = DestUser{99}; }, "fallback.id"},
      {[](Group& g) { g.fallback = DestGroup{99}; }, "fallback.id"},
      {[](Group& g) {
         g.fallback = DestVoicemail{DestVoicemail::Box::kGroup, 99};
       },
       "fallback.id"},
      {[](Group& g) { g.fallback = DestNumber{"not a number"}; }, "fallback.number"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    Group g = make_group(0, "Overflow", "300");
    cases[i].edit(g);
    auto r = validate_group(g, s);
    ASSERT_FALSE(r.has_value()) << "case " << i;
    EXPECT_EQ(r.error().code, Errc::kInvalid) << "case " << i;
    EXPECT_EQ(r.error().field, cases[i].field) << "case " << i;
  }
}

TEST_F(ValidateGroup, RangeBoundsAreInclusive) {
  Group g = make_group(0, "Overflow");
  g.ring_timeout_s = 600;
  g.max_wait_s = 10;
  g.wrap_up_s = 0;
  EXPECT_TRUE(validate_group(g, s).has_value());
}

TEST_F(ValidateGroup, MissingTrunkMessage) {
  Group g = make_group(0, "Overflow");
  g.trunk = 42;
  auto r = validate_group(g, s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "no trunk with id 42");
}

TEST_F(ValidateGroup, FallbackToItselfIsRefused) {
  Group g = *s.group(1);
  g.fallback = DestGroup{1};
  auto r = validate_group(g, s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().field, "fallback");
}

TEST_F(ValidateGroup, FallbackClosingACycleListsIt) {
  // Support(2) → Billing(3) already; Billing → Support would close the loop.
  Group billing = *s.group(3);
  billing.fallback = DestGroup{2};
  auto r = validate_group(billing, s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kInvalid);
  EXPECT_EQ(r.error().field, "fallback");
  EXPECT_EQ(r.error().message, "fallback cycle: Billing(3) → Support(2) → Billing(3)");

  // Voicemail of the same group is terminal, not a loop.
  billing.fallback = DestVoicemail{DestVoicemail::Box::kGroup, 2};
  EXPECT_TRUE(validate_group(billing, s).has_value());
}

TEST_F(ValidateGroup, NameMustBeUniqueCaseInsensitively) {
  auto r = validate_group(make_group(0, "SALES"), s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kConflict);
  EXPECT_EQ(r.error().field, "name");
  // Renaming a group to a case variant of its own name is fine.
  EXPECT_TRUE(validate_group(make_group(1, "SALES", "200"), s).has_value());
}

TEST_F(ValidateGroup, ExtensionMustBeUniqueAcrossUsersAndGroups) {
  for (const char* taken : {"101", "201"}) {
    auto r = validate_group(make_group(0, "Overflow", taken), s);
    ASSERT_FALSE(r.has_value()) << taken;
    EXPECT_EQ(r.error().code, Errc::kConflict);
    EXPECT_EQ(r.error().field, "extension");
  }
  // A user whose id equals the group's id still owns its extension.
  auto r = validate_group(make_group(1, "Sales", "101"), s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().field, "extension");
}

// ---- trunks ---------------------------------------------------------------------------

TEST(ValidateTrunk, NameFormatAndUniqueness) {
  Snapshot s = with(Snapshot{}, {}, {}, {make_trunk(1, "Carrier A")});
  EXPECT_TRUE(validate_trunk(make_trunk(0, "Carrier B"), s).has_value());
  EXPECT_TRUE(validate_trunk(make_trunk(1, "CARRIER A"), s).has_value());

  auto r = validate_trunk(make_trunk(0, "carrier a"), s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kConflict);
  EXPECT_EQ(r.error().field, "name");

  r = validate_trunk(make_trunk(0, "  "), s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kInvalid);
  EXPECT_EQ(r.error().field, "name");
}

}  // namespace
}  // namespace cohort::model
