#pragma once
// The words of a call record (store::CdrRecord) and of an active call, as enums: which way
// the call went, how it ended, why it left a group, how each offer to a member ended. The
// text of each value is fixed — the store keeps it, the API shows it and filters by it
// (docs/api.md "Call records") — and appears only at those edges, through to_string and
// parse_*.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace cohort::model {

/// "internal" (user to user or group), "outbound" (to a number: a trunk, or refused),
/// "inbound" (from a trunk).
enum class CallDirection : std::uint8_t { kInternal, kOutbound, kInbound };

/// How a call ended. A record has none while an answered call is still up.
enum class Disposition : std::uint8_t {
  kAnswered,
  kBusy,
  kNoAnswer,
  kFailed,
  kCancelled,             ///< the caller hung up before an answer
  kInterrupted,           ///< answered, and the server stopped before its end was recorded
  kAbandoned,             ///< the caller hung up while waiting for a group
  kClosed,                ///< a group closed, with nowhere to go
  kNoAgents,              ///< a group with nobody to offer it to, with no fallback
  kFallback,              ///< carried on by a user or number fallback destination
  kRoutingGap,            ///< a destination that no longer exists
  kVoicemailUnavailable,  ///< voicemail was the destination, but Cohort could not answer
  kVoicemail,             ///< answered by a mailbox: its greeting, then the caller's message
  kVoicemailFull,         ///< answered by a mailbox over its quota: the refusal prompt, no message
  kIvr,                   ///< ended in an IVR menu: the caller hung up there, or the menu did
};
inline constexpr std::size_t kDispositionCount = 15;

/// Why a call left a group for its fallback or closed destination.
enum class FallbackReason : std::uint8_t { kNoAnswer, kNoAgents, kClosed };

/// Why a call for a user was forwarded (docs/routing.md "Call forwarding"): its
/// forward_always; its forward_busy because every phone was busy or it was on a call; its
/// forward_busy because it was on do-not-disturb; its forward_no_answer after ringing
/// forward_no_answer_s; its forward_no_answer (else forward_busy) because no phone could be
/// reached.
enum class ForwardReason : std::uint8_t { kAlways, kBusy, kDnd, kNoAnswer, kUnavailable };

/// How one offer of a call to a group member ended.
enum class AttemptResult : std::uint8_t {
  kAnswered,
  kNoAnswer,     ///< ring timeout
  kBusy,         ///< 486 or 600
  kDeclined,     ///< another 4xx-6xx
  kCancelled,    ///< another member answered, the caller left, or max_wait passed
  kFailed,       ///< no response, transport error
  kUnreachable,  ///< no binding
};

std::string_view to_string(CallDirection d);
std::string_view to_string(Disposition d);
std::string_view to_string(FallbackReason r);
std::string_view to_string(AttemptResult r);
std::string_view to_string(ForwardReason r);

/// The value spelt exactly `s`; nullopt for any other text (an empty one included).
std::optional<CallDirection> parse_call_direction(std::string_view s);
std::optional<Disposition> parse_disposition(std::string_view s);
std::optional<FallbackReason> parse_fallback_reason(std::string_view s);
std::optional<AttemptResult> parse_attempt_result(std::string_view s);
std::optional<ForwardReason> parse_forward_reason(std::string_view s);

/// Every value, in the documented order (error messages, metrics, tests).
std::span<const CallDirection> call_directions();
std::span<const Disposition> dispositions();
std::span<const FallbackReason> fallback_reasons();
std::span<const AttemptResult> attempt_results();
std::span<const ForwardReason> forward_reasons();

/// A call that left a group for `reason` and ended without reaching anyone ends with the
/// same word as its disposition ("no_answer", "no_agents", "closed").
Disposition disposition_of(FallbackReason reason);

}  // namespace cohort::model
