#include "model/call_record.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace cohort::model {
namespace {

// The words are the store's and the API's (docs/api.md "Call records"): spelt out here, not
// read back from the tables under test, so that a renamed word fails.
template <class E>
using Words = std::vector<std::pair<E, std::string>>;

template <class E, class Parse>
void expect_words(const Words<E>& words, std::span<const E> all, Parse parse) {
  ASSERT_EQ(all.size(), words.size()) << "every enumerator has its word, in this order";
  for (std::size_t i = 0; i < words.size(); ++i) {
    const auto& [value, word] = words[i];
    SCOPED_TRACE(word);
    EXPECT_EQ(all[i], value);
    EXPECT_EQ(to_string(value), word);
    auto parsed = parse(word);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, value);
  }
  for (const E value : all) {
    auto parsed = parse(to_string(value));
    ASSERT_TRUE(parsed.has_value()) << to_string(value);
    EXPECT_EQ(*parsed, value);
  }
}

TEST(CallRecordWords, CallDirectionRoundTrips) {
  expect_words<CallDirection>({{CallDirection::kInternal, "internal"},
                               {CallDirection::kOutbound, "outbound"},
                               {CallDirection::kInbound, "inbound"}},
                              call_directions(), parse_call_direction);
}

TEST(CallRecordWords, DispositionRoundTrips) {
  expect_words<Disposition>({{Disposition::kAnswered, "answered"},
                             {Disposition::kBusy, "busy"},
                             {Disposition::kNoAnswer, "no_answer"},
                             {Disposition::kFailed, "failed"},
                             {Disposition::kCancelled, "cancelled"},
                             {Disposition::kInterrupted, "interrupted"},
                             {Disposition::kAbandoned, "abandoned"},
                             {Disposition::kClosed, "closed"},
                             {Disposition::kNoAgents, "no_agents"},
                             {Disposition::kFallback, "fallback"},
                             {Disposition::kRoutingGap, "routing_gap"},
                             {Disposition::kVoicemailUnavailable, "voicemail_unavailable"},
                             {Disposition::kVoicemail, "voicemail"},
                             {Disposition::kVoicemailFull, "voicemail_full"},
                             {Disposition::kIvr, "ivr"}},
                            dispositions(), parse_disposition);
  EXPECT_EQ(dispositions().size(), kDispositionCount);
  for (std::size_t i = 0; i < dispositions().size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(dispositions()[i]), i) << "values index the counters";
  }
}

TEST(CallRecordWords, FallbackReasonRoundTrips) {
  expect_words<FallbackReason>({{FallbackReason::kNoAnswer, "no_answer"},
                                {FallbackReason::kNoAgents, "no_agents"},
                                {FallbackReason::kClosed, "closed"}},
                               fallback_reasons(), parse_fallback_reason);
}

TEST(CallRecordWords, AttemptResultRoundTrips) {
  expect_words<AttemptResult>({{AttemptResult::kAnswered, "answered"},
                               {AttemptResult::kNoAnswer, "no_answer"},
                               {AttemptResult::kBusy, "busy"},
                               {AttemptResult::kDeclined, "declined"},
                               {AttemptResult::kCancelled, "cancelled"},
                               {AttemptResult::kFailed, "failed"},
                               {AttemptResult::kUnreachable, "unreachable"}},
                              attempt_results(), parse_attempt_result);
}

TEST(CallRecordWords, UnknownWordsAreNotParsed) {
  for (std::string_view w : {"", "ANSWERED", "Answered", "answered ", " busy", "sideways",
                             "no-answer", "noanswer", "unknown"}) {
    SCOPED_TRACE(w);
    EXPECT_FALSE(parse_call_direction(w).has_value());
    EXPECT_FALSE(parse_disposition(w).has_value());
    EXPECT_FALSE(parse_fallback_reason(w).has_value());
    EXPECT_FALSE(parse_attempt_result(w).has_value());
  }
  EXPECT_FALSE(parse_call_direction("answered").has_value());
  EXPECT_FALSE(parse_disposition("inbound").has_value());
  EXPECT_FALSE(parse_fallback_reason("busy").has_value());
  EXPECT_FALSE(parse_attempt_result("abandoned").has_value());
}

TEST(CallRecordWords, AGroupLeftForAReasonEndsWithThatDisposition) {
  EXPECT_EQ(disposition_of(FallbackReason::kNoAnswer), Disposition::kNoAnswer);
  EXPECT_EQ(disposition_of(FallbackReason::kNoAgents), Disposition::kNoAgents);
  EXPECT_EQ(disposition_of(FallbackReason::kClosed), Disposition::kClosed);
  for (FallbackReason r : fallback_reasons()) {
    EXPECT_EQ(to_string(disposition_of(r)), to_string(r)) << "the same word";
  }
}

}  // namespace
}  // namespace cohort::model
