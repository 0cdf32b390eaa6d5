#include "model/validate.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "unit/model/builders.hpp"

namespace cohort::model {
namespace {

using testing::make_group;
using testing::make_route;
using testing::make_rule;
using testing::make_schedule;
using testing::make_trunk;
using testing::make_user;
using testing::with;
using testing::with_routes;
using testing::with_rules;
using testing::with_schedules;

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
      {"host",
       check_host,
       {"sip.callcentric.net", "localhost", "a", "a-b.example", "203.0.113.7", "0.0.0.0",
        "255.255.255.255", "x1.example.com", "1example.com", std::string(63, 'a') + ".com"},
       {"", "-sip.example", "sip-.example", "sip..example", ".example", "example.", "sip_x.net",
        "sip example", "10.0.0.256", "010.0.0.1", "1.2.3", "1.2.3.4.5", "192.168.1.1:5060", "::1",
        std::string(64, 'a') + ".com", "üñí.example", "sip.example.123"}},
      {"inbound_sources",
       check_ipv4_source,
       {"203.0.113.7", "203.0.113.0/24", "0.0.0.0/0", "10.0.0.1/32", "198.51.100.128/25"},
       {"", "/24", "203.0.113.0/", "203.0.113.0/33", "203.0.113.0/024", "203.0.113.7/24",
        "203.0.113.0/x", "sip.example.com", "203.0.113.0/24/1", "203.0.113.0 /24", "::1/128"}},
      {"password",
       check_password,
       {"12345678", "correct horse battery staple", std::string(128, 'x'), "p@ss w0rd!~"},
       {"", "1234567", std::string(129, 'x'), "pass\tword", "passwörd1", "password\n"}},
      // Console passwords count characters (UTF-8 code points), not bytes: 11 é are 22
      // bytes and still too short; 256 of them (512 bytes) still fit.
      {"console password",
       check_console_password,
       {"twelve chars", "correct horse battery staple", std::string(256, 'x'),
        [] {
          std::string s;
          for (int i = 0; i < 12; ++i)
            s += "\xc3\xa9";
          return s;
        }(),
        [] {
          std::string s;
          for (int i = 0; i < 256; ++i)
            s += "\xc3\xa9";
          return s;
        }(),
        "пароль-пароль", "p@ss w0rd! ~ ok"},
       {"", "eleven char", std::string(257, 'x'),
        [] {
          std::string s;
          for (int i = 0; i < 11; ++i)
            s += "\xc3\xa9";
          return s;
        }(),
        "twelve chars\n", "tab\tinside pw", "del\x7f in it long"}},
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

// ---- call forwarding ------------------------------------------------------------------

TEST_F(ValidateUser, ForwardingToUsersGroupsAndNumbersIsAccepted) {
  User u = *s.user(1);
  u.forward_always = DestGroup{10};
  u.forward_busy = DestNumber{"+4930123"};
  u.forward_no_answer_s = kMinForwardNoAnswerS;
  EXPECT_TRUE(validate_forwarding(u, s).has_value());
  u.forward_no_answer_s = kMaxForwardNoAnswerS;
  EXPECT_TRUE(validate_forwarding(u, s).has_value());
  // An IVR menu carries the call on too ("when I do not answer, the main menu"), once it
  // exists.
  u.forward_no_answer = DestIvr{30};
  auto missing = validate_forwarding(u, s);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().field, "no_answer.id");
  EXPECT_EQ(missing.error().message, "no IVR menu with id 30");
  EXPECT_TRUE(
      validate_forwarding(u, testing::with_menus(s, {testing::make_menu(30, "Main")})).has_value());
}

TEST_F(ValidateUser, ForwardingErrorsNameTheField) {
  struct Case {
    std::optional<Destination> User::*member;
    Destination dest;
    std::string field;
  };
  const Case cases[] = {
      {&User::forward_always, DestUser{1}, "always.id"},  // itself
      {&User::forward_busy, DestUser{99}, "busy.id"},
      {&User::forward_no_answer, DestGroup{99}, "no_answer.id"},
      {&User::forward_busy, DestVoicemail{DestVoicemail::Box::kUser, 1}, "busy.type"},
      {&User::forward_always, DestHangup{}, "always.type"},
      {&User::forward_no_answer, DestNumber{"12a"}, "no_answer.number"},
  };
  for (const Case& c : cases) {
    User u = *s.user(1);
    u.*c.member = c.dest;
    auto r = validate_forwarding(u, s);
    ASSERT_FALSE(r.has_value()) << c.field;
    EXPECT_EQ(r.error().field, c.field);
    EXPECT_EQ(r.error().code, Errc::kInvalid);
  }
  User slow = *s.user(1);
  slow.forward_no_answer_s = kMinForwardNoAnswerS - 1;
  ASSERT_FALSE(validate_forwarding(slow, s).has_value());
  EXPECT_EQ(validate_forwarding(slow, s).error().field, "no_answer_s");
}

TEST_F(ValidateUser, ForwardingAlreadyStoredIsNotCheckedForExistenceAgain) {
  User stored = *s.user(1);
  stored.forward_busy = DestUser{99};  // a gap left by a forced delete
  User edited = stored;
  edited.forward_always = DestGroup{10};
  EXPECT_TRUE(validate_forwarding(edited, s, &stored).has_value());
  EXPECT_FALSE(validate_forwarding(edited, s).has_value());
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

TEST(Check, HostBitsMessageNamesTheBlock) {
  auto r = check_ipv4_source("inbound_sources[1]", "203.0.113.7/24");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "inbound_sources[1]");
  EXPECT_NE(r.error().message.find("203.0.113.0/24"), std::string::npos) << r.error().message;
}

Trunk full_trunk(TrunkId id, std::string name) {
  Trunk t = make_trunk(id, std::move(name));
  t.host = "sip.callcentric.net";
  t.port = 5060;
  t.username = "17775551234";
  t.password = "demo-trunk-secret!#$%&()*+,-./:;<=>?@[]^_`{|}~";
  t.auth_realm = "callcentric.com realm";
  t.register_enabled = true;
  t.register_expires_s = 3600;
  t.from_domain = "callcentric.net";
  t.max_concurrent_calls = 4;
  t.inbound_sources = {"204.11.192.0/22", "66.193.176.35"};
  return t;
}

TEST(ValidateTrunk, AcceptsEveryFieldAndTheDefaults) {
  Snapshot s = with(Snapshot{}, {}, {}, {make_trunk(1, "Carrier A")});
  EXPECT_TRUE(validate_trunk(full_trunk(0, "CallCentric"), s).has_value());
  // A name-only trunk (the previous release's) stays valid.
  EXPECT_TRUE(validate_trunk(make_trunk(0, "Bare"), s).has_value());
  Trunk bounds = full_trunk(0, "Bounds");
  bounds.port = 65535;
  bounds.register_expires_s = 60;
  bounds.max_concurrent_calls = 0;
  bounds.username = std::string(kMaxCredentialLength, 'u');
  bounds.password.clear();
  bounds.auth_realm.reset();
  bounds.host = "198.51.100.1";
  EXPECT_TRUE(validate_trunk(bounds, s).has_value());
  bounds.port = 1;
  bounds.register_expires_s = 86400;
  EXPECT_TRUE(validate_trunk(bounds, s).has_value());
}

TEST(ValidateTrunk, FormatAndRangeErrorsNameTheField) {
  struct Case {
    std::function<void(Trunk&)> edit;
    const char* field;
  };
  const std::vector<Case> cases = {
      {[](Trunk& t) { t.host = "sip provider"; }, "host"},
      {[](Trunk& t) { t.host = "1.2.3.4:5060"; }, "host"},
      {[](Trunk& t) { t.port = 0; }, "port"},
      {[](Trunk& t) { t.port = 65536; }, "port"},
      {[](Trunk& t) { t.username = "user name"; }, "username"},
      {[](Trunk& t) { t.username = "user\"x"; }, "username"},
      {[](Trunk& t) { t.username = std::string(kMaxCredentialLength + 1, 'u'); }, "username"},
      {[](Trunk& t) { t.password = "pass word"; }, "password"},
      {[](Trunk& t) { t.password = "it's"; }, "password"},
      {[](Trunk& t) { t.password = "back\\slash"; }, "password"},
      {[](Trunk& t) { t.password = "tab\there"; }, "password"},
      {[](Trunk& t) { t.password = "pässword"; }, "password"},
      {[](Trunk& t) { t.auth_realm = ""; }, "auth_realm"},
      {[](Trunk& t) { t.auth_realm = "a\"b"; }, "auth_realm"},
      {[](Trunk& t) { t.register_expires_s = 59; }, "register_expires_s"},
      {[](Trunk& t) { t.register_expires_s = 86401; }, "register_expires_s"},
      {[](Trunk& t) { t.from_domain = "bad domain"; }, "from_domain"},
      {[](Trunk& t) { t.max_concurrent_calls = -1; }, "max_concurrent_calls"},
      {[](Trunk& t) {
         t.inbound_sources = {"10.0.0.1", "10.0.0.0/8", "10.0.0.300"};
       },
       "inbound_sources[2]"},
      {[](Trunk& t) { t.inbound_sources = {"10.0.0.1/8"}; }, "inbound_sources[0]"},
      {[](Trunk& t) { t.host.clear(); }, "register"},
      {[](Trunk& t) { t.username.clear(); }, "register"},
  };
  Snapshot s = with(Snapshot{}, {}, {}, {make_trunk(1, "Carrier A")});
  for (std::size_t i = 0; i < cases.size(); ++i) {
    Trunk t = full_trunk(0, "CallCentric");
    cases[i].edit(t);
    auto r = validate_trunk(t, s);
    ASSERT_FALSE(r.has_value()) << "case " << i;
    EXPECT_EQ(r.error().code, Errc::kInvalid) << "case " << i;
    EXPECT_EQ(r.error().field, cases[i].field) << "case " << i << ": " << r.error().message;
    EXPECT_EQ(r.error().message.find("demo-trunk-secret"), std::string::npos);
  }
  // Without registration, host and username may be empty.
  Trunk off = full_trunk(0, "Off");
  off.register_enabled = false;
  off.host.clear();
  off.username.clear();
  EXPECT_TRUE(validate_trunk(off, s).has_value());
}

TEST(ValidateTrunk, FormatErrorsComeBeforeTheNameConflict) {
  Snapshot s = with(Snapshot{}, {}, {}, {make_trunk(1, "Carrier A")});
  Trunk t = full_trunk(0, "carrier a");
  t.port = 0;
  auto r = validate_trunk(t, s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().field, "port");
}

// ---- outbound rules ---------------------------------------------------------------------

class ValidateRule : public ::testing::Test {
 protected:
  ValidateRule() {
    s = with(Snapshot{}, {make_user(1), make_user(2)},
             {make_group(1, "Sales"), make_group(2, "Support")},
             {make_trunk(5, "Carrier"), make_trunk(6, "Backup")});
    s = with_rules(s, {make_rule(10, "Local", {5}), make_rule(11, "Emergency", {5}, {"911"})});
  }
  OutboundRule valid() const {
    OutboundRule r = make_rule(0, "Sales out", {6, 5}, {"_9NXXXXXX", "_0[1-5]X!", "+15551234"});
    r.caller_groups = {1, 2};
    r.caller_users = {2};
    r.strip = 1;
    r.prepend = "+1";
    r.caller_id = CallerIdSetting{CallerIdPolicy::kGroup, ""};
    return r;
  }
  Snapshot s;
};

TEST_F(ValidateRule, AcceptsAValidRule) {
  EXPECT_TRUE(validate_outbound_rule(valid(), s).has_value());
  OutboundRule fixed = valid();
  fixed.caller_id = CallerIdSetting{CallerIdPolicy::kFixed, "+4930123"};
  fixed.strip = kMaxStrip;
  fixed.prepend = "*#0";
  EXPECT_TRUE(validate_outbound_rule(fixed, s).has_value());
  OutboundRule plain = make_rule(0, "Plain", {5});
  EXPECT_TRUE(validate_outbound_rule(plain, s).has_value());
  plain.caller_id = CallerIdSetting{CallerIdPolicy::kUser, ""};
  EXPECT_TRUE(validate_outbound_rule(plain, s).has_value());
  // Saving a stored rule unchanged, or renamed to a case variant of its own name.
  OutboundRule local = *s.outbound_rule(10);
  local.name = "LOCAL";
  EXPECT_TRUE(validate_outbound_rule(local, s).has_value());
}

TEST_F(ValidateRule, ErrorsNameTheField) {
  struct Case {
    std::function<void(OutboundRule&)> edit;
    const char* field;
  };
  const std::vector<Case> cases = {
      {[](OutboundRule& r) { r.name = " "; }, "name"},
      {[](OutboundRule& r) { r.patterns.clear(); }, "patterns"},
      {[](OutboundRule& r) {
         r.patterns = {"_X.", "_9[12", "_X."};
       },
       "patterns[1]"},
      {[](OutboundRule& r) {
         r.patterns = {"_X.", "1", ""};
       },
       "patterns[2]"},
      {[](OutboundRule& r) { r.patterns = {"_X.X"}; }, "patterns[0]"},
      {[](OutboundRule& r) {
         r.patterns = {"_X.", std::string(kMaxDialLength + 1, '9')};
       },
       "patterns[1]"},
      {[](OutboundRule& r) {
         r.caller_groups = {1, 99};
       },
       "caller_groups[1]"},
      {[](OutboundRule& r) {
         r.caller_groups = {1, 1};
       },
       "caller_groups[1]"},
      {[](OutboundRule& r) { r.caller_users = {3}; }, "caller_users[0]"},
      {[](OutboundRule& r) { r.strip = -1; }, "strip"},
      {[](OutboundRule& r) { r.strip = kMaxStrip + 1; }, "strip"},
      {[](OutboundRule& r) { r.prepend = "9-"; }, "prepend"},
      {[](OutboundRule& r) { r.prepend = "1+"; }, "prepend"},
      {[](OutboundRule& r) { r.prepend = std::string(kMaxPrependLength + 1, '1'); }, "prepend"},
      {[](OutboundRule& r) { r.trunks.clear(); }, "trunks"},
      {[](OutboundRule& r) {
         r.trunks = {5, 7};
       },
       "trunks[1]"},
      {[](OutboundRule& r) {
         r.trunks = {5, 6, 5};
       },
       "trunks[2]"},
      {[](OutboundRule& r) {
         r.caller_id = CallerIdSetting{CallerIdPolicy::kFixed, ""};
       },
       "caller_id.value"},
      {[](OutboundRule& r) {
         r.caller_id = CallerIdSetting{CallerIdPolicy::kFixed, "555-1234"};
       },
       "caller_id.value"},
      {[](OutboundRule& r) {
         r.caller_id = CallerIdSetting{CallerIdPolicy::kUser, "123"};
       },
       "caller_id.value"},
      {[](OutboundRule& r) {
         r.caller_id = CallerIdSetting{CallerIdPolicy::kGroup, "123"};
       },
       "caller_id.value"},
      {[](OutboundRule& r) { r.caller_groups.clear(); }, "caller_id.policy"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    OutboundRule r = valid();
    cases[i].edit(r);
    auto result = validate_outbound_rule(r, s);
    ASSERT_FALSE(result.has_value()) << "case " << i;
    EXPECT_EQ(result.error().code, Errc::kInvalid) << "case " << i;
    EXPECT_EQ(result.error().field, cases[i].field)
        << "case " << i << ": " << result.error().message;
  }
}

TEST_F(ValidateRule, PatternErrorCarriesTheCompileMessage) {
  OutboundRule r = valid();
  r.patterns = {"_X.", "_9[12"};
  auto result = validate_outbound_rule(r, s);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message, "patterns[1]: unclosed '['");
  r.patterns = {"_X.", "1", "_"};
  result = validate_outbound_rule(r, s);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message, "patterns[2]: empty pattern");
}

TEST_F(ValidateRule, NameMustBeUniqueCaseInsensitively) {
  OutboundRule r = valid();
  r.name = "local";
  auto result = validate_outbound_rule(r, s);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::kConflict);
  EXPECT_EQ(result.error().field, "name");
  // A format error is reported before the conflict.
  r.strip = -1;
  result = validate_outbound_rule(r, s);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().field, "strip");
}

TEST_F(ValidateRule, ReferencesTheStoredRuleAlreadyHeldAreNotRechecked) {
  // Group 7, user 8 and trunk 9 were deleted with force after the rule named them.
  OutboundRule stored = valid();
  stored.id = 12;
  stored.caller_groups = {1, 7};
  stored.caller_users = {8};
  stored.trunks = {9, 5};
  OutboundRule renamed = stored;
  renamed.name = "Renamed";
  EXPECT_TRUE(validate_outbound_rule(renamed, s, &stored).has_value());
  auto without = validate_outbound_rule(renamed, s);
  ASSERT_FALSE(without);
  EXPECT_EQ(without.error().field, "caller_groups[1]");
  // A newly added dangling id is still refused.
  renamed.trunks = {9, 5, 4};
  auto added = validate_outbound_rule(renamed, s, &stored);
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().field, "trunks[2]");
}

// ---- group hours, closed destinations, pause reasons -------------------------------------

TEST_F(ValidateGroup, ScheduleAndClosedDestinationMustExist) {
  s = with_schedules(s, {make_schedule(7, "Office")});
  Group g = make_group(0, "Overflow");
  g.schedule = 7;
  g.closed_destination = DestGroup{2};
  g.ring_in_use = true;
  g.skip_unregistered = false;
  EXPECT_TRUE(validate_group(g, s).has_value());
  g.closed_destination = DestVoicemail{DestVoicemail::Box::kUser, 1};
  EXPECT_TRUE(validate_group(g, s).has_value());

  const std::vector<std::pair<std::function<void(Group&)>, const char*>> cases = {
      {[](Group& x) { x.schedule = 8; }, "schedule"},
      {[](Group& x) { x.closed_destination = DestUser{99}; }, "closed_destination.id"},
      {[](Group& x) { x.closed_destination = DestGroup{99}; }, "closed_destination.id"},
      {[](Group& x) {
         x.closed_destination = DestVoicemail{DestVoicemail::Box::kGroup, 99};
       },
       "closed_destination.id"},
      {[](Group& x) { x.closed_destination = DestNumber{"abc"}; }, "closed_destination.number"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    Group bad = g;
    cases[i].first(bad);
    auto r = validate_group(bad, s);
    ASSERT_FALSE(r.has_value()) << "case " << i;
    EXPECT_EQ(r.error().code, Errc::kInvalid) << "case " << i;
    EXPECT_EQ(r.error().field, cases[i].second) << "case " << i;
  }
  auto missing = validate_group(
      [&] {
        Group x = g;
        x.schedule = 8;
        return x;
      }(),
      s);
  EXPECT_EQ(missing.error().message, "no schedule with id 8");
}

TEST_F(ValidateGroup, ClosedDestinationToItselfOrClosingACycleIsRefused) {
  Group billing = *s.group(3);
  billing.closed_destination = DestGroup{3};
  auto self = validate_group(billing, s);
  ASSERT_FALSE(self.has_value());
  EXPECT_EQ(self.error().field, "closed_destination");

  // Support(2) falls back to Billing(3); Billing closed to Support closes the loop.
  billing.closed_destination = DestGroup{2};
  auto r = validate_group(billing, s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kInvalid);
  EXPECT_EQ(r.error().field, "closed_destination");
  EXPECT_EQ(r.error().message, "closed_destination cycle: Billing(3) → Support(2) → Billing(3)");

  // Sales(1) closed to Billing; Billing falling back to Sales is a loop through Sales's
  // closed destination: the fallback is refused.
  Group sales = *s.group(1);
  sales.closed_destination = DestGroup{3};
  s = with(s, {}, {sales});
  Group b2 = *s.group(3);
  b2.fallback = DestGroup{1};
  auto via_closed = validate_group(b2, s);
  ASSERT_FALSE(via_closed.has_value());
  EXPECT_EQ(via_closed.error().field, "fallback");
  EXPECT_EQ(via_closed.error().message, "fallback cycle: Billing(3) → Sales(1) → Billing(3)");
  // The group's own voicemail is terminal.
  b2.fallback.reset();
  b2.closed_destination = DestVoicemail{DestVoicemail::Box::kGroup, 3};
  EXPECT_TRUE(validate_group(b2, s).has_value());
}

TEST(Check, PauseReason) {
  EXPECT_TRUE(check_pause_reason("reason", ""));
  EXPECT_TRUE(check_pause_reason("reason", "lunch break"));
  EXPECT_TRUE(check_pause_reason("reason", std::string(kMaxPauseReasonLength, 'r')));
  auto long_reason = check_pause_reason("reason", std::string(kMaxPauseReasonLength + 1, 'r'));
  ASSERT_FALSE(long_reason);
  EXPECT_EQ(long_reason.error().field, "reason");
  EXPECT_FALSE(check_pause_reason("pause_reason", "tab\there"));
}

TEST(Check, CalendarDates) {
  for (int good : {20261225, 20240229, 20000229, 19000101, 99991231, 20260131, 20260430}) {
    EXPECT_TRUE(is_calendar_date(good)) << good;
  }
  for (int bad : {20250229, 19000229, 21000229, 20261301, 20260001, 20260100, 20260431, 20260132,
                  18991231, 0, 100000101}) {
    EXPECT_FALSE(is_calendar_date(bad)) << bad;
  }
}

// ---- inbound routes --------------------------------------------------------------------

class ValidateRoute : public ::testing::Test {
 protected:
  ValidateRoute() {
    s = with(Snapshot{}, {make_user(1)}, {make_group(1, "Sales")}, {make_trunk(5, "Carrier")});
    s = with_routes(s, {make_route(10, "Main", "15550100", DestGroup{1})});
  }
  InboundRoute valid() const {
    InboundRoute r = make_route(0, "Sales line", "_1555010XXXX", DestGroup{1});
    r.caller = "_+49X.";
    r.trunk = 5;
    return r;
  }
  Snapshot s;
};

TEST_F(ValidateRoute, AcceptsEveryDestinationKind) {
  EXPECT_TRUE(validate_inbound_route(valid(), s).has_value());
  for (Destination d : {Destination{DestUser{1}}, Destination{DestGroup{1}},
                        Destination{DestVoicemail{DestVoicemail::Box::kUser, 1}},
                        Destination{DestVoicemail{DestVoicemail::Box::kGroup, 1}},
                        Destination{DestNumber{"+15551234"}}, Destination{DestHangup{}}}) {
    InboundRoute r = valid();
    r.destination = d;
    EXPECT_TRUE(validate_inbound_route(r, s).has_value()) << destination_to_json(d).dump();
  }
  InboundRoute plain = make_route(0, "Literal", "911", DestHangup{});
  EXPECT_TRUE(validate_inbound_route(plain, s).has_value());
  // Saving a stored route as it is, or renamed to a case variant of its own name.
  InboundRoute main = *s.inbound_route(10);
  main.name = "MAIN";
  EXPECT_TRUE(validate_inbound_route(main, s).has_value());
}

TEST_F(ValidateRoute, ErrorsNameTheField) {
  const std::vector<std::pair<std::function<void(InboundRoute&)>, const char*>> cases = {
      {[](InboundRoute& r) { r.name = " "; }, "name"},
      {[](InboundRoute& r) { r.name = std::string(kMaxNameLength + 1, 'n'); }, "name"},
      {[](InboundRoute& r) { r.did = ""; }, "did"},
      {[](InboundRoute& r) { r.did = "_1[23"; }, "did"},
      {[](InboundRoute& r) { r.did = "_X.X"; }, "did"},
      {[](InboundRoute& r) { r.caller = "_[9"; }, "caller"},
      {[](InboundRoute& r) { r.caller = ""; }, "caller"},
      {[](InboundRoute& r) { r.did = std::string(kMaxDialLength + 1, '9'); }, "did"},
      {[](InboundRoute& r) { r.caller = "_" + std::string(kMaxDialLength, 'X'); }, "caller"},
      {[](InboundRoute& r) { r.trunk = 6; }, "trunk"},
      {[](InboundRoute& r) { r.destination = DestUser{2}; }, "destination.id"},
      {[](InboundRoute& r) { r.destination = DestGroup{2}; }, "destination.id"},
      {[](InboundRoute& r) {
         r.destination = DestVoicemail{DestVoicemail::Box::kGroup, 2};
       },
       "destination.id"},
      {[](InboundRoute& r) { r.destination = DestNumber{"12-34"}; }, "destination.number"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    InboundRoute r = valid();
    cases[i].first(r);
    auto result = validate_inbound_route(r, s);
    ASSERT_FALSE(result.has_value()) << "case " << i;
    EXPECT_EQ(result.error().code, Errc::kInvalid) << "case " << i;
    EXPECT_EQ(result.error().field, cases[i].second) << "case " << i;
  }
  InboundRoute bad = valid();
  bad.did = "_1[23";
  EXPECT_EQ(validate_inbound_route(bad, s).error().message.rfind("did: ", 0), 0u);
}

TEST_F(ValidateRoute, NameMustBeUniqueAfterTheFormatChecks) {
  InboundRoute r = valid();
  r.name = "main";
  auto conflict = validate_inbound_route(r, s);
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code, Errc::kConflict);
  EXPECT_EQ(conflict.error().field, "name");
  r.did = "_[";
  EXPECT_EQ(validate_inbound_route(r, s).error().code, Errc::kInvalid);
}

TEST_F(ValidateRoute, TrunkAndDestinationAlreadyHeldAreNotRechecked) {
  // Trunk 9 and group 7 were deleted with force after the route named them.
  InboundRoute stored = valid();
  stored.id = 11;
  stored.trunk = 9;
  stored.destination = DestGroup{7};
  InboundRoute renamed = stored;
  renamed.name = "Renamed";
  EXPECT_TRUE(validate_inbound_route(renamed, s, &stored).has_value());
  EXPECT_EQ(validate_inbound_route(renamed, s).error().field, "trunk");
  renamed.destination = DestUser{8};
  EXPECT_EQ(validate_inbound_route(renamed, s, &stored).error().field, "destination.id");
}

// ---- schedules -------------------------------------------------------------------------

bool fake_tz(std::string_view iana) {
  return iana == "UTC" || iana == "Europe/Berlin" || iana == "America/New_York";
}

class ValidateSchedule : public ::testing::Test {
 protected:
  ValidateSchedule() { s = with_schedules(Snapshot{}, {make_schedule(3, "Office")}); }
  Schedule valid() const {
    Schedule sc = make_schedule(0, "Support hours", "Europe/Berlin");
    sc.weekly = {{kMon | kTue | kWed | kThu | kFri, 9 * 60, 17 * 60},
                 {kSat, 22 * 60, 6 * 60},  // overnight
                 {kSun, 0, 0},             // the whole day
                 {kFri, 18 * 60, 0}};      // until midnight ("24:00")
    sc.holidays = {{"Christmas", 20261225, 20261225, true},
                   {"Summer", 20260803, 20260814, false},
                   {"Year end", 20261224, 20260102, true},  // yearly ranges may wrap
                   {"", 20260501, 20260501, false}};
    sc.override_mode = ScheduleOverride::kClosed;
    return sc;
  }
  Snapshot s;
};

TEST_F(ValidateSchedule, AcceptsIntervalsHolidaysAndOverrides) {
  EXPECT_TRUE(validate_schedule(valid(), s, fake_tz).has_value());
  Schedule empty = make_schedule(0, "Never");
  EXPECT_TRUE(validate_schedule(empty, s, fake_tz).has_value());
  Schedule office = *s.schedule(3);
  office.name = "OFFICE";
  EXPECT_TRUE(validate_schedule(office, s, fake_tz).has_value());
}

TEST(Check, DialPatternsHaveALengthLimit) {
  EXPECT_TRUE(check_dial_pattern("did", std::string(kMaxDialLength, '9')).has_value());
  EXPECT_TRUE(
      check_dial_pattern("did", "_" + std::string(kMaxDialLength - 2, 'X') + ".").has_value());
  const auto long_number = check_dial_pattern("did", std::string(100'000, '9'));
  ASSERT_FALSE(long_number);
  EXPECT_EQ(long_number.error().field, "did");
  EXPECT_EQ(long_number.error().message, "did must be at most 64 characters");
}

TEST_F(ValidateSchedule, ALongTimeZoneIsNotQuotedBack) {
  Schedule sc = valid();
  sc.timezone = std::string(100'000, 'A');
  const auto r = validate_schedule(sc, s, fake_tz);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "timezone");
  EXPECT_LT(r.error().message.size(), 100u);
}

TEST_F(ValidateSchedule, ErrorsNameTheField) {
  const std::vector<std::pair<std::function<void(Schedule&)>, const char*>> cases = {
      {[](Schedule& x) { x.name = ""; }, "name"},
      {[](Schedule& x) { x.timezone = ""; }, "timezone"},
      {[](Schedule& x) { x.timezone = "Mars/Olympus"; }, "timezone"},
      {[](Schedule& x) { x.timezone = std::string(100'000, 'A'); }, "timezone"},
      {[](Schedule& x) { x.weekly[1].days = 0; }, "weekly[1].days"},
      {[](Schedule& x) { x.weekly[0].days = 0x80; }, "weekly[0].days"},
      {[](Schedule& x) { x.weekly[2].from_min = 24 * 60; }, "weekly[2].from"},
      {[](Schedule& x) { x.weekly[2].from_min = -1; }, "weekly[2].from"},
      {[](Schedule& x) { x.weekly[3].to_min = 24 * 60; }, "weekly[3].to"},
      {[](Schedule& x) { x.holidays[1].from = 20260230; }, "holidays[1].from"},
      {[](Schedule& x) { x.holidays[1].to = 20261301; }, "holidays[1].to"},
      {[](Schedule& x) { x.holidays[1].to = 20260802; }, "holidays[1].to"},
      {[](Schedule& x) { x.holidays[0].name = "bad\nname"; }, "holidays[0].name"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    Schedule sc = valid();
    cases[i].first(sc);
    auto r = validate_schedule(sc, s, fake_tz);
    ASSERT_FALSE(r.has_value()) << "case " << i;
    EXPECT_EQ(r.error().code, Errc::kInvalid) << "case " << i;
    EXPECT_EQ(r.error().field, cases[i].second) << "case " << i;
  }
}

TEST_F(ValidateSchedule, NameMustBeUniqueAfterTheFormatChecks) {
  Schedule sc = valid();
  sc.name = "office";
  auto conflict = validate_schedule(sc, s, fake_tz);
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code, Errc::kConflict);
  EXPECT_EQ(conflict.error().field, "name");
  sc.timezone = "Nowhere/Else";
  EXPECT_EQ(validate_schedule(sc, s, fake_tz).error().field, "timezone");
}

}  // namespace
}  // namespace cohort::model
