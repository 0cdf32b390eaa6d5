#pragma once
// Session timers (RFC 4028): the negotiation of Session-Expires / Min-SE on an INVITE or
// UPDATE and its 2xx, and the per-dialog timer that says when to refresh and when the
// session has expired. Pure: no clock reads; `now` is an input (STYLE practice 1).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/expected.hpp"
#include "sip/message.hpp"

namespace cohort::sip::dialog {

using TimePoint = std::chrono::steady_clock::time_point;

/// Who sends the refreshes (RFC 4028 §4 "refresher" parameter): the UAC or the UAS of the
/// transaction that negotiated the interval.
enum class Refresher : std::uint8_t { kUac, kUas };
std::string_view to_string(Refresher r);

/// The smallest session interval anyone may ask for or impose (RFC 4028 §4, §5: "MUST NOT
/// be less than 90 seconds").
inline constexpr std::uint32_t kMinSessionInterval = 90;
/// The largest Min-SE of a 422 that uac_offer_after_422 retries with: a peer demanding more
/// than a day is not refreshing sessions, it is refusing the call.
inline constexpr std::uint32_t kMaxRetryInterval = 24 * 60 * 60;

/// Session-Expires = delta-seconds *(SEMI se-params); se-params = refresher-param /
/// generic-param; refresher-param = "refresher" EQUAL ("uas" / "uac") (RFC 4028 §4).
/// Compact form "x". delta-seconds is 1*DIGIT; values above 2^32-1 are malformed. Parameter
/// names and the refresher value are case-insensitive; other parameters must be valid
/// generic-params and are ignored. A refresher without "uac"/"uas", or given twice, is
/// malformed: the two ends must not disagree about who refreshes.
struct SessionExpires {
  std::uint32_t seconds = 0;
  std::optional<Refresher> refresher;
  bool operator==(const SessionExpires&) const = default;
};
/// A 400-kind ParseError naming the problem ("Bad Session-Expires: …").
Expected<SessionExpires, ParseError> parse_session_expires(std::string_view value);
/// Min-SE = delta-seconds *(SEMI generic-param) (RFC 4028 §5).
Expected<std::uint32_t, ParseError> parse_min_se(std::string_view value);
/// The header value: "1800;refresher=uac" (no refresher parameter when nullopt).
std::string format_session_expires(const SessionExpires& se);

/// What this side asks for and accepts.
struct SessionTimerConfig {
  std::uint32_t session_expires = 1800;  ///< the interval asked for (RFC 4028 recommends 1800)
  std::uint32_t min_se = 90;             ///< the smallest accepted; never below 90 (§5)
};
/// The Min-SE this side uses: config.min_se, raised to kMinSessionInterval when set lower.
std::uint32_t effective_min_se(const SessionTimerConfig& config);

/// The outcome of negotiating one session-refresh transaction.
struct Negotiated {
  std::uint32_t interval = 0;  ///< seconds
  Refresher refresher = Refresher::kUac;
  bool we_refresh = false;  ///< this side sends the refreshes
  bool operator==(const Negotiated&) const = default;
};

/// The UAS side (§9): Cohort receives an INVITE / UPDATE. Either reject with 422 (the
/// request's Session-Expires is below our Min-SE and the UAC supports "timer": send 422 with
/// `Min-SE: min_se`), or answer with the headers below in the 2xx. The request's headers
/// are read with the Message's own accessors (Session-Expires, its compact form x, Min-SE,
/// Supported: timer); a malformed Session-Expires or Min-SE (or more than one of either) is a
/// 400 naming the header.
///
/// Interval: ours (config.session_expires, at least our Min-SE and the request's) when the
/// request asks for none; else the request's, lowered to ours when larger but never below the
/// request's Min-SE (§9: the UAS MAY lower it, MUST NOT raise it). Too small for our Min-SE:
/// 422 when the UAC supports "timer"; when it does not it could not retry, so the interval
/// is raised to our Min-SE instead (RFC 4028 erratum 1687, as §8.1 has proxies do).
/// Refresher (§9 table): uas when the UAC lacks "timer"; else the request's, or uac when it
/// named none. Require: timer exactly when the refresher is the UAC.
struct UasAnswer {
  int reject_status = 0;      ///< 0, 400 (malformed header) or 422 (interval too small)
  std::string reject_reason;  ///< for 400: names the header and the problem
  std::uint32_t min_se = 0;   ///< for 422: the Min-SE header value to send
  std::optional<SessionExpires> session_expires;  ///< put in the 2xx (always with refresher)
  bool require_timer = false;            ///< add "Require: timer" to the 2xx (refresher is the UAC)
  std::optional<Negotiated> negotiated;  ///< nullopt: no session timer on this dialog
};
UasAnswer uas_answer(const Message& request, const SessionTimerConfig& config);

/// The UAC side (§7): the headers Cohort adds to an INVITE / UPDATE it sends
/// ("Supported: timer" is added by the caller), and the result read from the 2xx.
struct UacOffer {
  SessionExpires session_expires;  ///< no refresher parameter: the UAS chooses
  std::uint32_t min_se = 90;
  bool operator==(const UacOffer&) const = default;
};
/// Session-Expires: config.session_expires (at least our Min-SE); Min-SE: ours.
UacOffer uac_offer(const SessionTimerConfig& config);
/// After a 422: the same offer with the interval raised to the 422's Min-SE, and Min-SE the
/// largest one seen (§7.3); nullopt when the 422 carries no usable Min-SE, one that would not
/// raise the interval (retrying would loop), or one above kMaxRetryInterval.
/// Precondition: response_422.status() == 422.
std::optional<UacOffer> uac_offer_after_422(const UacOffer& sent, const Message& response_422);
/// The 2xx to our INVITE/UPDATE: nullopt when it carries no Session-Expires (no timer,
/// §7.2: the UAC may still run one itself: then Negotiated{interval, kUac, true}, which is
/// what this returns when `keep_if_absent`); with one, its interval and refresher (the
/// refresher defaults to the UAC when absent). A Session-Expires that is malformed, repeated
/// or below kMinSessionInterval counts as absent: a UAS that cannot state a valid interval
/// has not agreed to one.
std::optional<Negotiated> uac_result(const Message& response_2xx, const UacOffer& sent,
                                     bool keep_if_absent);

/// Whether a request or 2xx lists UPDATE in its Allow (RFC 3311 §5.1): the refresher may then
/// refresh with an UPDATE without a body (§7.4: preferred, it needs no offer/answer).
bool allows_update(const Message& m);

/// What the refresher does once its refresh (re-INVITE or UPDATE) got its final response.
/// Which failures end the dialog follows RFC 5057 §5.1 (481 and 408 end it, RFC 3261
/// §12.2.1.2); any other failure is an answer from inside the dialog, so the peer is alive.
enum class RefreshStep : std::uint8_t {
  kRestart,        ///< 2xx: restart the timer from the response (uac_result)
  kRaiseInterval,  ///< 422: send again with uac_offer_after_422 (§7.3)
  kRetryLater,     ///< 491: glare; send again after glare_retry_delay (RFC 3261 §14.1)
  kUseReInvite,    ///< 405/501 to an UPDATE: the peer does not do UPDATE after all
  kEndSession,     ///< 481, 408 (also: no response at all): the dialog is gone; BYE
  kKeepInterval,   ///< any other failure: restart the timer with the interval in force
};
std::string_view to_string(RefreshStep s);
/// Precondition: status >= 200; `update` says whether the refresh was an UPDATE.
RefreshStep refresh_step(bool update, int status);

/// One dialog's session timer after a negotiation: when to refresh (when we refresh: half
/// the interval, §7.2 and §9) and when the session has expired (when the peer refreshes: the
/// interval minus the lesser of 32 s and a third of it, §10). Every successful refresh
/// restarts it. Both moments are kept to the millisecond (an odd interval refreshes at
/// n.5 s). When both are due at once (on_timer was late), kExpired wins: a refresh sent after
/// the expiry point is too late to keep the session.
class SessionTimer {
 public:
  enum class Due : std::uint8_t { kNothing, kRefresh, kExpired };

  void start(const Negotiated& n, TimePoint now);
  void stop() { running_ = false; }
  bool running() const { return running_; }
  const Negotiated& negotiated() const { return negotiated_; }
  /// The next moment on_timer() has something to do; nullopt when stopped.
  std::optional<TimePoint> next() const;
  /// kRefresh once per interval when we refresh (the caller then sends the refresh and
  /// calls start() again with its outcome); kExpired when the peer should have refreshed
  /// and did not (the caller sends BYE, §10), after which the timer stops.
  Due on_timer(TimePoint now);

 private:
  Negotiated negotiated_;
  bool running_ = false;
  bool refresh_sent_ = false;
  TimePoint refresh_at_{};
  TimePoint expires_at_{};
};

}  // namespace cohort::sip::dialog
