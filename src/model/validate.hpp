#pragma once
// Validation of domain values: formats and ranges, then the rules that need the model
// (uniqueness, references, fallback cycles) checked against a snapshot. Errors name the
// API field. The store's constraints back the uniqueness rules up under concurrency.

#include <cstddef>
#include <string_view>

#include "common/errc.hpp"
#include "model/snapshot.hpp"

namespace cohort::model {

inline constexpr std::size_t kMaxNameLength = 200;
inline constexpr std::size_t kMaxDescriptionLength = 2000;
inline constexpr std::size_t kMinPasswordLength = 8;
inline constexpr std::size_t kMaxPasswordLength = 128;
/// Trunk usernames, passwords and realms.
inline constexpr std::size_t kMaxCredentialLength = 128;
/// Digits an outbound rule may strip, and the length of what it may prepend.
inline constexpr int kMaxStrip = 32;
inline constexpr std::size_t kMaxPrependLength = 32;
/// Why an agent paused: shown to supervisors, so a short line.
inline constexpr std::size_t kMaxPauseReasonLength = 200;
/// Dial patterns and dialled numbers: E.164 numbers have at most 15 digits; prefixes, access
/// codes and pattern syntax fit with room to spare.
inline constexpr std::size_t kMaxDialLength = 64;

/// 2–10 ASCII digits.
Result<void> check_extension(std::string_view field, std::string_view value);
/// Digits with an optional leading '+', 1–32 digits: valid as the user part of a SIP URI.
Result<void> check_caller_id(std::string_view field, std::string_view value);
/// A plausible address: one '@', non-empty local part and a dotted domain, no spaces, ≤254.
Result<void> check_email(std::string_view field, std::string_view value);
/// A dial pattern or literal number (model/dial_pattern.hpp) of at most kMaxDialLength
/// bytes. The message quotes no byte of the value that is not printable ASCII.
Result<void> check_dial_pattern(std::string_view field, std::string_view value);
/// Non-empty after trimming, at most `max` bytes, no control characters.
Result<void> check_name(std::string_view field, std::string_view value, std::size_t max);
/// Printable ASCII, kMinPasswordLength..kMaxPasswordLength.
Result<void> check_password(std::string_view field, std::string_view value);
/// A console password: 12–256 characters (code points of the UTF-8 text), no control
/// characters. The message never echoes the value.
inline constexpr std::size_t kMinConsolePasswordLength = 12;
inline constexpr std::size_t kMaxConsolePasswordLength = 256;
Result<void> check_console_password(std::string_view field, std::string_view value);

/// That the object `d` points at exists (a user, a group, an IVR menu; a voicemail box's
/// owner) and that a number is dialable. Errors name `<field>.id` or `<field>.number`.
Result<void> check_destination(std::string_view field, const Destination& d, const Snapshot& s);

/// Formats, ranges and uniqueness of a user about to be saved (`u.id` 0 = new).
Result<void> validate_user(const User& u, const Snapshot& s);
/// A user's call forwarding (docs/routing.md "Call forwarding"): each destination a user,
/// a group, an IVR menu or a dialable number (voicemail and hangup are refused: nothing would
/// carry the call on), whose target exists and is not the user itself; `forward_no_answer_s` within
/// kMinForwardNoAnswerS..kMaxForwardNoAnswerS. Errors name the API fields ("busy.id",
/// "no_answer.number", "no_answer_s"). Destinations already held by `stored` are not
/// re-checked for existence, as for outbound rules.
Result<void> validate_forwarding(const User& u, const Snapshot& s, const User* stored = nullptr);
/// Formats, ranges, uniqueness, that `trunk`, `schedule` and the targets of `fallback` and
/// `closed_destination` exist, and that neither exit closes a cycle of group exits
/// (`g.id` 0 = new).
Result<void> validate_group(const Group& g, const Snapshot& s);
/// At most kMaxPauseReasonLength bytes, no control characters (may be empty).
Result<void> check_pause_reason(std::string_view field, std::string_view value);
/// Whether `yyyymmdd` is a real calendar date in the years 1900–9999.
bool is_calendar_date(int yyyymmdd);
/// A host name (RFC 1123 labels) or a dotted-quad IPv4 address; never empty.
Result<void> check_host(std::string_view field, std::string_view value);
/// An IPv4 address, or an IPv4 CIDR block "a.b.c.d/n" without host bits set.
Result<void> check_ipv4_source(std::string_view field, std::string_view value);

/// Formats, ranges and name uniqueness of a trunk (`t.id` 0 = new).
Result<void> validate_trunk(const Trunk& t, const Snapshot& s);
/// Formats, ranges, that the named groups, users and trunks exist, and name uniqueness
/// (`r.id` 0 = new). References already held by `stored` (the rule before a PATCH) are not
/// re-checked for existence: a routing gap left by a forced delete must not block unrelated
/// edits of the rule.
Result<void> validate_outbound_rule(const OutboundRule& r, const Snapshot& s,
                                    const OutboundRule* stored = nullptr);

/// Formats, that `did` and `caller` compile as dial patterns, that the trunk and the
/// destination's target exist, and name uniqueness (`r.id` 0 = new). The trunk and the
/// destination already held by `stored` (the route before a PATCH) are not re-checked, as
/// for outbound rules.
Result<void> validate_inbound_route(const InboundRoute& r, const Snapshot& s,
                                    const InboundRoute* stored = nullptr);

/// Formats and ranges of a schedule's intervals and holidays, that `known_timezone` knows
/// its time zone (the tz database lives above the model: routing::known_timezone), and name
/// uniqueness (`sc.id` 0 = new). Fields are named as in the API: "weekly[1].days",
/// "holidays[0].to".
Result<void> validate_schedule(const Schedule& sc, const Snapshot& s,
                               bool (*known_timezone)(std::string_view));

/// An IVR menu about to be saved (`m.id` 0 = new; model/validate_ivr.cpp): the name (409 when
/// another menu has it), keys in kIvrKeys and each at most once, timeout_s and repeat in
/// range, that every destination's target exists, that neither the timeout nor the invalid
/// destination is the menu itself or closes a cycle of automatic exits (model/cycles.hpp).
/// Options may lead anywhere, this menu included (the caller chose). Fields are named as in
/// the API: "options.7.id", "timeout.type", "repeat". Destinations already held by `stored`
/// (the menu before an update) are not re-checked for existence, as for inbound routes.
Result<void> validate_ivr_menu(const IvrMenu& m, const Snapshot& s,
                               const IvrMenu* stored = nullptr);

}  // namespace cohort::model
