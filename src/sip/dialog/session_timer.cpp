#include "sip/dialog/session_timer.hpp"

#include <algorithm>
#include <cassert>
#include <limits>

#include "sip/grammar.hpp"

namespace cohort::sip::dialog {

namespace {

using detail::iequals;
using detail::with_what;

struct DeltaAndParams {
  std::uint32_t seconds = 0;
  std::string_view params;  ///< validated "*(SEMI generic-param)", possibly empty
};

// Both headers share "delta-seconds *(SEMI generic-param)" (RFC 4028 §4, §5); LWS around
// SEMI and EQUAL as RFC 3261 §25.1 allows. The parameters are validated here, with the same
// scanner as every other header's generic-params, so callers only interpret them.
Expected<DeltaAndParams, ParseError> scan_delta(std::string_view value, std::string_view what) {
  value = detail::trim_lws(value);
  std::size_t digits = 0;
  while (digits < value.size() && value[digits] >= '0' && value[digits] <= '9') {
    ++digits;
  }
  if (digits == 0) {
    return detail::malformed(with_what(what, "delta-seconds expected"));
  }
  auto seconds =
      detail::parse_decimal(value.substr(0, digits), std::numeric_limits<std::uint32_t>::max());
  if (!seconds) {
    return detail::malformed(with_what(what, "delta-seconds out of range"));
  }
  std::string_view params = value.substr(digits);
  if (auto problem = detail::check_generic_params(params)) {
    return detail::malformed(with_what(what, *problem));
  }
  return DeltaAndParams{static_cast<std::uint32_t>(*seconds), params};
}

// Session-Expires, its compact form x and Min-SE have no HeaderId (the eager index names only
// the headers the core reads on every message), so they are found by name. Each may appear
// once: two values are as malformed as a bad one, since nothing says which one counts.
struct Single {
  std::optional<std::string_view> value;
  bool repeated = false;
};
Single find_single(const Message& m, std::string_view name, std::string_view compact) {
  Single out;
  for (const Header& h : m.headers()) {
    if (h.id != HeaderId::kOther) {
      continue;
    }
    if (iequals(h.name, name) || (!compact.empty() && iequals(h.name, compact))) {
      out.repeated = out.repeated || out.value.has_value();
      out.value = h.value;
    }
  }
  return out;
}

bool supports_timer(const Message& m) {
  // Option tags compare case-insensitively here: being lenient costs nothing, and a UAC that
  // writes "Timer" does support the extension.
  for (std::string_view tag : m.header_values(HeaderId::kSupported)) {
    if (iequals(detail::trim_lws(tag), "timer")) {
      return true;
    }
  }
  return false;
}

UasAnswer reject_400(std::string reason) {
  UasAnswer out;
  out.reject_status = 400;
  out.reject_reason = std::move(reason);
  return out;
}

}  // namespace

std::string_view to_string(Refresher r) {
  return r == Refresher::kUac ? "uac" : "uas";
}

Expected<SessionExpires, ParseError> parse_session_expires(std::string_view value) {
  constexpr std::string_view kWhat = "Session-Expires";
  auto scanned = scan_delta(value, kWhat);
  if (!scanned) {
    return Unexpected<ParseError>(std::move(scanned).error());
  }
  SessionExpires se{scanned->seconds, std::nullopt};
  std::optional<std::string_view> problem;
  detail::for_each_param(scanned->params, [&](std::string_view name, std::string_view v, bool) {
    if (problem || !iequals(name, "refresher")) {
      return;
    }
    if (se.refresher) {
      problem = "refresher given twice";
    } else if (iequals(v, "uac")) {
      se.refresher = Refresher::kUac;
    } else if (iequals(v, "uas")) {
      se.refresher = Refresher::kUas;
    } else {
      problem = "refresher must be uac or uas";
    }
  });
  if (problem) {
    return detail::malformed(with_what(kWhat, *problem));
  }
  return se;
}

Expected<std::uint32_t, ParseError> parse_min_se(std::string_view value) {
  auto scanned = scan_delta(value, "Min-SE");
  if (!scanned) {
    return Unexpected<ParseError>(std::move(scanned).error());
  }
  return scanned->seconds;
}

std::string format_session_expires(const SessionExpires& se) {
  std::string out = std::to_string(se.seconds);
  if (se.refresher) {
    out += ";refresher=";
    out += to_string(*se.refresher);
  }
  return out;
}

std::uint32_t effective_min_se(const SessionTimerConfig& config) {
  // RFC 4028 §5: a Min-SE below 90 s MUST NOT be sent; a lower setting would make our 422s
  // invalid, so it is raised rather than trusted.
  return std::max(config.min_se, kMinSessionInterval);
}

UasAnswer uas_answer(const Message& request, const SessionTimerConfig& config) {
  const Single se_header = find_single(request, "Session-Expires", "x");
  const Single min_se_header = find_single(request, "Min-SE", {});
  if (se_header.repeated) {
    return reject_400(with_what("Session-Expires", "more than one"));
  }
  if (min_se_header.repeated) {
    return reject_400(with_what("Min-SE", "more than one"));
  }
  std::optional<SessionExpires> asked;
  if (se_header.value) {
    auto parsed = parse_session_expires(*se_header.value);
    if (!parsed) {
      return reject_400(parsed.error().reason);
    }
    asked = *parsed;
  }
  std::uint32_t their_min = 0;
  if (min_se_header.value) {
    auto parsed = parse_min_se(*min_se_header.value);
    if (!parsed) {
      return reject_400(parsed.error().reason);
    }
    their_min = *parsed;
  }

  const std::uint32_t our_min = effective_min_se(config);
  const std::uint32_t our_interval = std::max(config.session_expires, our_min);
  const bool uac_supports = supports_timer(request);
  std::uint32_t interval = 0;
  Refresher refresher = Refresher::kUas;
  if (!asked) {
    // §9: the UAC asked for no timer; we may still ask for one in the 2xx, not below the
    // request's Min-SE.
    interval = std::max(our_interval, their_min);
    refresher = uac_supports ? Refresher::kUac : Refresher::kUas;
  } else if (asked->seconds < our_min) {
    if (uac_supports) {
      // §9: reject, saying our minimum; the UAC retries with it (§7.3).
      UasAnswer out;
      out.reject_status = 422;
      out.min_se = our_min;
      return out;
    }
    // A UAC without the extension would not understand a 422 and the call would fail:
    // raise the interval instead (erratum 1687, the UAS counterpart of §8.1), and refresh
    // ourselves since that UAC cannot.
    interval = std::max(our_min, their_min);
    refresher = Refresher::kUas;
  } else {
    // §9: the UAS MAY lower the interval but not below the request's Min-SE, and MUST NOT
    // raise it: ours when smaller, bounded below by their Min-SE and above by their value.
    interval = asked->seconds;
    if (interval > our_interval) {
      interval = std::min(interval, std::max(our_interval, their_min));
    }
    // §9 table: without "timer" the UAC cannot refresh whatever a proxy wrote; with it, its
    // choice stands, and when it made none the refreshes are the UAC's.
    refresher = uac_supports ? asked->refresher.value_or(Refresher::kUac) : Refresher::kUas;
  }

  UasAnswer out;
  out.session_expires = SessionExpires{interval, refresher};
  // §9: refresher=uac MUST come with Require: timer, so the UAC knows it has the duty.
  out.require_timer = refresher == Refresher::kUac;
  out.negotiated = Negotiated{interval, refresher, refresher == Refresher::kUas};
  return out;
}

UacOffer uac_offer(const SessionTimerConfig& config) {
  const std::uint32_t our_min = effective_min_se(config);
  // §7.1: Session-Expires MUST NOT be below the Min-SE sent with it.
  return UacOffer{SessionExpires{std::max(config.session_expires, our_min), std::nullopt}, our_min};
}

std::optional<UacOffer> uac_offer_after_422(const UacOffer& sent, const Message& response_422) {
  assert(response_422.status() == 422);
  const Single min_se_header = find_single(response_422, "Min-SE", {});
  if (!min_se_header.value || min_se_header.repeated) {
    return std::nullopt;
  }
  auto asked = parse_min_se(*min_se_header.value);
  if (!asked || *asked <= sent.session_expires.seconds || *asked > kMaxRetryInterval) {
    return std::nullopt;
  }
  // §7.3: the new Session-Expires is the 422's Min-SE and the new Min-SE the largest seen
  // in any 422 for this call, so a later hop cannot talk it back down.
  UacOffer next = sent;
  next.session_expires.seconds = *asked;
  next.min_se = std::max(sent.min_se, *asked);
  return next;
}

std::optional<Negotiated> uac_result(const Message& response_2xx, const UacOffer& sent,
                                     bool keep_if_absent) {
  const Single se_header = find_single(response_2xx, "Session-Expires", "x");
  std::optional<SessionExpires> given;
  if (se_header.value && !se_header.repeated) {
    auto parsed = parse_session_expires(*se_header.value);
    if (parsed && parsed->seconds >= kMinSessionInterval) {
      given = *parsed;
    }
  }
  if (!given) {
    if (!keep_if_absent) {
      return std::nullopt;
    }
    // §7.2: the UAS does not do timers; we may still refresh on our own, at our interval.
    return Negotiated{sent.session_expires.seconds, Refresher::kUac, true};
  }
  const Refresher refresher = given->refresher.value_or(Refresher::kUac);
  return Negotiated{given->seconds, refresher, refresher == Refresher::kUac};
}

bool allows_update(const Message& m) {
  for (std::string_view method : m.header_values(HeaderId::kAllow)) {
    if (detail::trim_lws(method) == "UPDATE") {  // methods are case-sensitive (§7.1)
      return true;
    }
  }
  return false;
}

std::string_view to_string(RefreshStep s) {
  switch (s) {
    case RefreshStep::kRestart:
      return "restart";
    case RefreshStep::kRaiseInterval:
      return "raise_interval";
    case RefreshStep::kRetryLater:
      return "retry_later";
    case RefreshStep::kUseReInvite:
      return "use_reinvite";
    case RefreshStep::kEndSession:
      return "end_session";
    case RefreshStep::kKeepInterval:
      return "keep_interval";
  }
  return "?";
}

RefreshStep refresh_step(bool update, int status) {
  assert(status >= 200);
  if (status < 300) {
    return RefreshStep::kRestart;
  }
  switch (status) {
    case 422:
      return RefreshStep::kRaiseInterval;
    case 491:
      return RefreshStep::kRetryLater;
    case 481:
    case 408:
      return RefreshStep::kEndSession;
    case 405:
    case 501:
      // An Allow that listed UPDATE was wrong; a re-INVITE refused so is not a refresh
      // problem but a broken peer that is still answering: keep the interval.
      return update ? RefreshStep::kUseReInvite : RefreshStep::kKeepInterval;
    default:
      return RefreshStep::kKeepInterval;
  }
}

void SessionTimer::start(const Negotiated& n, TimePoint now) {
  using std::chrono::milliseconds;
  negotiated_ = n;
  running_ = true;
  refresh_sent_ = false;
  const auto interval = milliseconds(std::int64_t{n.interval} * 1000);
  // §7.2, §9: the refresher sends its refresh once half the interval has passed.
  refresh_at_ = now + interval / 2;
  // §10: the session is over min(32 s, interval/3) before the interval ends, which leaves
  // the refresher's last attempt time to arrive; the same point bounds our own refresh.
  expires_at_ = now + interval - std::min<milliseconds>(milliseconds(32'000), interval / 3);
}

std::optional<TimePoint> SessionTimer::next() const {
  if (!running_) {
    return std::nullopt;
  }
  if (negotiated_.we_refresh && !refresh_sent_) {
    return refresh_at_;
  }
  return expires_at_;
}

SessionTimer::Due SessionTimer::on_timer(TimePoint now) {
  if (!running_) {
    return Due::kNothing;
  }
  if (now >= expires_at_) {
    running_ = false;
    return Due::kExpired;
  }
  if (negotiated_.we_refresh && !refresh_sent_ && now >= refresh_at_) {
    refresh_sent_ = true;
    return Due::kRefresh;
  }
  return Due::kNothing;
}

}  // namespace cohort::sip::dialog
