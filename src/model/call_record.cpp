#include "model/call_record.hpp"

#include "model/enum_table.hpp"

namespace cohort::model {
namespace {

constexpr EnumTable<CallDirection, 3> kDirections{{
    {CallDirection::kInternal, "internal"},
    {CallDirection::kOutbound, "outbound"},
    {CallDirection::kInbound, "inbound"},
}};

constexpr EnumTable<Disposition, kDispositionCount> kDispositions{{
    {Disposition::kAnswered, "answered"},
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
    {Disposition::kIvr, "ivr"},
}};

constexpr EnumTable<FallbackReason, 3> kFallbackReasons{{
    {FallbackReason::kNoAnswer, "no_answer"},
    {FallbackReason::kNoAgents, "no_agents"},
    {FallbackReason::kClosed, "closed"},
}};

constexpr EnumTable<AttemptResult, 7> kAttemptResults{{
    {AttemptResult::kAnswered, "answered"},
    {AttemptResult::kNoAnswer, "no_answer"},
    {AttemptResult::kBusy, "busy"},
    {AttemptResult::kDeclined, "declined"},
    {AttemptResult::kCancelled, "cancelled"},
    {AttemptResult::kFailed, "failed"},
    {AttemptResult::kUnreachable, "unreachable"},
}};

constexpr EnumTable<ForwardReason, 5> kForwardReasons{{
    {ForwardReason::kAlways, "always"},
    {ForwardReason::kBusy, "busy"},
    {ForwardReason::kDnd, "dnd"},
    {ForwardReason::kNoAnswer, "no_answer"},
    {ForwardReason::kUnavailable, "unavailable"},
}};

// Every table lists its enum in declaration order; counters are indexed by a disposition
// (pbx::CallStats::ended).
static_assert(dense(kDirections) && dense(kDispositions) && dense(kFallbackReasons) &&
              dense(kAttemptResults) && dense(kForwardReasons));

constexpr auto kDirectionValues = values_of(kDirections);
constexpr auto kDispositionValues = values_of(kDispositions);
constexpr auto kFallbackReasonValues = values_of(kFallbackReasons);
constexpr auto kAttemptResultValues = values_of(kAttemptResults);
constexpr auto kForwardReasonValues = values_of(kForwardReasons);

}  // namespace

std::string_view to_string(CallDirection d) {
  return name_of(kDirections, d);
}

std::string_view to_string(Disposition d) {
  return name_of(kDispositions, d);
}

std::string_view to_string(FallbackReason r) {
  return name_of(kFallbackReasons, r);
}

std::string_view to_string(AttemptResult r) {
  return name_of(kAttemptResults, r);
}

std::string_view to_string(ForwardReason r) {
  return name_of(kForwardReasons, r);
}

std::optional<CallDirection> parse_call_direction(std::string_view s) {
  return value_of(kDirections, s);
}

std::optional<Disposition> parse_disposition(std::string_view s) {
  return value_of(kDispositions, s);
}

std::optional<FallbackReason> parse_fallback_reason(std::string_view s) {
  return value_of(kFallbackReasons, s);
}

std::optional<AttemptResult> parse_attempt_result(std::string_view s) {
  return value_of(kAttemptResults, s);
}

std::optional<ForwardReason> parse_forward_reason(std::string_view s) {
  return value_of(kForwardReasons, s);
}

std::span<const CallDirection> call_directions() {
  return kDirectionValues;
}

std::span<const Disposition> dispositions() {
  return kDispositionValues;
}

std::span<const FallbackReason> fallback_reasons() {
  return kFallbackReasonValues;
}

std::span<const AttemptResult> attempt_results() {
  return kAttemptResultValues;
}

std::span<const ForwardReason> forward_reasons() {
  return kForwardReasonValues;
}

Disposition disposition_of(FallbackReason reason) {
  switch (reason) {
    case FallbackReason::kNoAnswer:
      return Disposition::kNoAnswer;
    case FallbackReason::kNoAgents:
      return Disposition::kNoAgents;
    case FallbackReason::kClosed:
      return Disposition::kClosed;
  }
  return Disposition::kFailed;
}

}  // namespace cohort::model
