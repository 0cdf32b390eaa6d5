#include "model/destination.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace cohort::model {
namespace {

using nlohmann::json;

TEST(Destination, RoundTripsEveryVariant) {
  const std::vector<std::pair<Destination, json>> cases = {
      {DestUser{7}, json{{"type", "user"}, {"id", 7}}},
      {DestGroup{3}, json{{"type", "group"}, {"id", 3}}},
      {DestVoicemail{DestVoicemail::Box::kUser, 9},
       json{{"type", "voicemail"}, {"box", "user"}, {"id", 9}}},
      {DestVoicemail{DestVoicemail::Box::kGroup, 4},
       json{{"type", "voicemail"}, {"box", "group"}, {"id", 4}}},
      {DestNumber{"+15551234"}, json{{"type", "number"}, {"number", "+15551234"}}},
      {DestNumber{"112"}, json{{"type", "number"}, {"number", "112"}}},
      {DestHangup{}, json{{"type", "hangup"}}},
      {DestIvr{4}, json{{"type", "ivr"}, {"id", 4}}},
  };
  for (const auto& [dest, j] : cases) {
    EXPECT_EQ(destination_to_json(dest), j);
    auto parsed = destination_from_json(j, "fallback");
    ASSERT_TRUE(parsed.has_value()) << j.dump() << ": " << parsed.error().message;
    EXPECT_EQ(*parsed, dest) << j.dump();
    EXPECT_EQ(destination_from_json(destination_to_json(dest), "x").value(), dest);
  }
}

TEST(Destination, AcceptsLargeIds) {
  auto parsed =
      destination_from_json(json::parse(R"({"type":"user","id":9223372036854775807})"), "fallback");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(std::get<DestUser>(*parsed).id, 9223372036854775807LL);
}

struct BadCase {
  const char* json_text;
  const char* field;         ///< expected Error::field
  const char* message_part;  ///< expected to occur in Error::message
};

TEST(Destination, ErrorsNameTheField) {
  const BadCase cases[] = {
      // not an object
      BadCase{"null", "fallback", "object"},
      BadCase{"[]", "fallback", "object"},
      BadCase{R"("user")", "fallback", "object"},
      BadCase{"7", "fallback", "object"},
      // type
      BadCase{"{}", "fallback.type", "required"},
      BadCase{R"({"id":1})", "fallback.type", "required"},
      BadCase{R"({"type":1})", "fallback.type", "string"},
      BadCase{R"({"type":null})", "fallback.type", "string"},
      BadCase{R"({"type":"queue","id":1})", "fallback.type", "one of"},
      BadCase{R"({"type":"User","id":1})", "fallback.type", "one of"},
      BadCase{R"({"type":"ivr"})", "fallback.id", "required"},
      BadCase{R"({"type":"ivr","id":0})", "fallback.id", "positive"},
      BadCase{R"({"type":"ivr","id":"4"})", "fallback.id", "integer"},
      BadCase{R"({"type":"ivr","id":4,"box":"group"})", "fallback.box", "unknown key"},
      // user / group ids
      BadCase{R"({"type":"user"})", "fallback.id", "required"},
      BadCase{R"({"type":"group"})", "fallback.id", "required"},
      BadCase{R"({"type":"user","id":"7"})", "fallback.id", "integer"},
      BadCase{R"({"type":"user","id":7.0})", "fallback.id", "integer"},
      BadCase{R"({"type":"user","id":7.5})", "fallback.id", "integer"},
      BadCase{R"({"type":"user","id":true})", "fallback.id", "integer"},
      BadCase{R"({"type":"user","id":null})", "fallback.id", "integer"},
      BadCase{R"({"type":"group","id":0})", "fallback.id", "positive"},
      BadCase{R"({"type":"group","id":-3})", "fallback.id", "positive"},
      BadCase{R"({"type":"group","id":9223372036854775808})", "fallback.id", "range"},
      BadCase{R"({"type":"user","id":1,"name":"x"})", "fallback.name", "unknown key"},
      BadCase{R"({"type":"user","ID":1})", "fallback.ID", "unknown key"},
      BadCase{R"({"type":"group","id":1,"box":"group"})", "fallback.box", "unknown key"},
      // voicemail
      BadCase{R"({"type":"voicemail","id":1})", "fallback.box", "required"},
      BadCase{R"({"type":"voicemail","box":"queue","id":1})", "fallback.box", "\"user\""},
      BadCase{R"({"type":"voicemail","box":1,"id":1})", "fallback.box", "string"},
      BadCase{R"({"type":"voicemail","box":"user"})", "fallback.id", "required"},
      BadCase{R"({"type":"voicemail","box":"user","id":0})", "fallback.id", "positive"},
      BadCase{R"({"type":"voicemail","box":"user","id":1,"x":1})", "fallback.x", "unknown"},
      // number
      BadCase{R"({"type":"number"})", "fallback.number", "required"},
      BadCase{R"({"type":"number","number":15551234})", "fallback.number", "string"},
      BadCase{R"({"type":"number","number":""})", "fallback.number", "digits"},
      BadCase{R"({"type":"number","number":"+"})", "fallback.number", "digits"},
      BadCase{R"({"type":"number","number":"555-1234"})", "fallback.number", "digits"},
      BadCase{R"({"type":"number","number":"1+555"})", "fallback.number", "digits"},
      BadCase{R"({"type":"number","number":"123456789012345678901234567890123"})",
              "fallback.number", "digits"},
      BadCase{R"({"type":"number","number":"1","id":1})", "fallback.id", "unknown key"},
      // hangup
      BadCase{R"({"type":"hangup","id":1})", "fallback.id", "unknown key"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.json_text);
    auto r = destination_from_json(json::parse(c.json_text), "fallback");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::kInvalid);
    EXPECT_EQ(r.error().field, c.field);
    EXPECT_NE(r.error().message.find(c.message_part), std::string::npos) << r.error().message;
  }
}

TEST(Destination, UsesTheGivenFieldPrefix) {
  auto r = destination_from_json(json{{"type", "user"}}, "routes[2].destination");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().field, "routes[2].destination.id");
}

TEST(Destination, TargetOf) {
  using K = Target::Kind;
  EXPECT_EQ(target_of(DestUser{7}), (Target{K::kUser, 7}));
  EXPECT_EQ(target_of(DestGroup{3}), (Target{K::kGroup, 3}));
  EXPECT_EQ(target_of(DestVoicemail{DestVoicemail::Box::kUser, 5}), (Target{K::kUser, 5}));
  EXPECT_EQ(target_of(DestVoicemail{DestVoicemail::Box::kGroup, 6}), (Target{K::kGroup, 6}));
  EXPECT_EQ(target_of(DestNumber{"+1555"}), std::nullopt);
  EXPECT_EQ(target_of(DestHangup{}), std::nullopt);
  EXPECT_EQ(target_of(DestIvr{4}), (Target{K::kIvr, 4}));
}

}  // namespace
}  // namespace cohort::model
