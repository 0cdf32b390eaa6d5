// RFC 4028 session timers: the Session-Expires and Min-SE grammar (§4, §5), the UAS answer
// (§9), the UAC offer, 422 retry and 2xx result (§7), and the timer (§7.2, §10) on a
// simulated clock. Each table row names the behaviour it pins down.
#include "sip/dialog/session_timer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace cohort::sip::dialog {

// Readable failure messages (found by gtest through ADL, so in the types' namespace).
void PrintTo(Refresher r, std::ostream* os) {
  *os << to_string(r);
}
void PrintTo(const SessionExpires& se, std::ostream* os) {
  *os << "Session-Expires: " << format_session_expires(se);
}
void PrintTo(const Negotiated& n, std::ostream* os) {
  *os << "{interval " << n.interval << ", refresher " << to_string(n.refresher)
      << (n.we_refresh ? ", we refresh}" : ", peer refreshes}");
}
void PrintTo(const UacOffer& o, std::ostream* os) {
  *os << "{Session-Expires: " << format_session_expires(o.session_expires)
      << ", Min-SE: " << o.min_se << "}";
}

namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

constexpr Refresher kUac = Refresher::kUac;
constexpr Refresher kUas = Refresher::kUas;

std::string lines(const std::vector<std::string_view>& headers) {
  std::string out;
  for (std::string_view h : headers) {
    out += h;
    out += "\r\n";
  }
  return out;
}

Message invite(const std::vector<std::string_view>& headers) {
  std::string text =
      "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8\r\n"
      "Max-Forwards: 70\r\n"
      "To: Bob <sip:bob@biloxi.example.com>\r\n"
      "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
      "Call-ID: a84b4c76e66710\r\n"
      "CSeq: 314159 INVITE\r\n"
      "Contact: <sip:alice@pc33.atlanta.example.com>\r\n" +
      lines(headers) + "Content-Length: 0\r\n\r\n";
  auto m = parse(std::move(text));
  EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().reason);
  return std::move(m).value();
}

Message response(int status, std::string_view reason,
                 const std::vector<std::string_view>& headers) {
  std::string text = "SIP/2.0 " + std::to_string(status) + " " + std::string(reason) +
                     "\r\n"
                     "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8\r\n"
                     "To: Bob <sip:bob@biloxi.example.com>;tag=314159\r\n"
                     "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
                     "Call-ID: a84b4c76e66710\r\n"
                     "CSeq: 314159 INVITE\r\n" +
                     lines(headers) + "Content-Length: 0\r\n\r\n";
  auto m = parse(std::move(text));
  EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().reason);
  return std::move(m).value();
}

// --- grammar (§4, §5) ----------------------------------------------------------------------

TEST(SessionExpiresGrammar, Table) {
  struct Case {
    std::string_view name;
    std::string_view value;
    std::optional<SessionExpires> want;  ///< nullopt: malformed (400)
  };
  const std::vector<Case> cases = {
      {"bare delta-seconds", "1800", SessionExpires{1800, std::nullopt}},
      {"refresher uac", "1800;refresher=uac", SessionExpires{1800, kUac}},
      {"refresher uas", "1800;refresher=uas", SessionExpires{1800, kUas}},
      {"name and value are case-insensitive", "1800;Refresher=UAC", SessionExpires{1800, kUac}},
      {"LWS around SEMI and EQUAL", "1800 ;\trefresher = uas", SessionExpires{1800, kUas}},
      {"LWS around the whole value", "  4000  ", SessionExpires{4000, std::nullopt}},
      {"generic params around refresher are ignored", "1800;foo=bar;refresher=uas;flag;x-y=1.2",
       SessionExpires{1800, kUas}},
      {"a quoted-string param may hold ';' and '='", "1800;note=\"a;b=c\";refresher=uac",
       SessionExpires{1800, kUac}},
      {"a host param value", "1800;via=[2001:db8::1]", SessionExpires{1800, std::nullopt}},
      {"leading zeros", "0090", SessionExpires{90, std::nullopt}},
      {"zero is syntactically valid", "0", SessionExpires{0, std::nullopt}},
      {"2^32-1 is the largest", "4294967295", SessionExpires{4294967295u, std::nullopt}},
      {"2^32 overflows", "4294967296", std::nullopt},
      {"far beyond 32 bits", "99999999999", std::nullopt},
      {"not a number", "abc", std::nullopt},
      {"empty", "", std::nullopt},
      {"only LWS", "   ", std::nullopt},
      {"sign", "+1800", std::nullopt},
      {"negative", "-1800", std::nullopt},
      {"digits then junk", "1800abc", std::nullopt},
      {"two numbers", "1800 900", std::nullopt},
      {"a list is not allowed", "1800, 900", std::nullopt},
      {"trailing semicolon", "1800;", std::nullopt},
      {"empty parameter between semicolons", "1800;;refresher=uac", std::nullopt},
      {"parameter without a name", "1800;=uac", std::nullopt},
      {"parameter name not a token", "1800;ref@resher=uac", std::nullopt},
      {"parameter with '=' but no value", "1800;foo=", std::nullopt},
      {"unterminated quoted-string", "1800;foo=\"bar", std::nullopt},
      {"duplicate refresher, conflicting", "1800;refresher=uac;refresher=uas", std::nullopt},
      {"duplicate refresher, same value", "1800;refresher=uac;refresher=uac", std::nullopt},
      {"refresher neither uac nor uas", "1800;refresher=both", std::nullopt},
      {"refresher without a value", "1800;refresher", std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto got = parse_session_expires(c.value);
    if (c.want) {
      ASSERT_TRUE(got.has_value()) << got.error().reason;
      EXPECT_EQ(*got, *c.want);
    } else {
      ASSERT_FALSE(got.has_value()) << "parsed as " << format_session_expires(*got);
      EXPECT_EQ(got.error().kind, ParseError::Kind::kMalformed);
      EXPECT_EQ(got.error().status, 400);
      EXPECT_EQ(got.error().reason.rfind("Bad Session-Expires: ", 0), 0u) << got.error().reason;
    }
  }
}

TEST(MinSeGrammar, Table) {
  struct Case {
    std::string_view name;
    std::string_view value;
    std::optional<std::uint32_t> want;  ///< nullopt: malformed (400)
  };
  const std::vector<Case> cases = {
      {"bare delta-seconds", "90", 90},
      {"generic params", "3600;foo=bar;flag", 3600},
      {"LWS and a quoted-string param", " 3600 ; Note = \"x;y\" ", 3600},
      {"refresher is just a generic param here", "3600;refresher=whatever", 3600},
      {"2^32-1 is the largest", "4294967295", 4294967295u},
      {"overflow", "99999999999", std::nullopt},
      {"not a number", "abc", std::nullopt},
      {"empty", "", std::nullopt},
      {"trailing semicolon", "90;", std::nullopt},
      {"digits then junk", "90s", std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto got = parse_min_se(c.value);
    if (c.want) {
      ASSERT_TRUE(got.has_value()) << got.error().reason;
      EXPECT_EQ(*got, *c.want);
    } else {
      ASSERT_FALSE(got.has_value()) << "parsed as " << *got;
      EXPECT_EQ(got.error().status, 400);
      EXPECT_EQ(got.error().reason.rfind("Bad Min-SE: ", 0), 0u) << got.error().reason;
    }
  }
}

TEST(SessionExpiresFormat, TableRoundTrips) {
  struct Case {
    SessionExpires se;
    std::string_view want;
  };
  const std::vector<Case> cases = {
      {{1800, std::nullopt}, "1800"},
      {{1800, kUac}, "1800;refresher=uac"},
      {{90, kUas}, "90;refresher=uas"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(format_session_expires(c.se), c.want);
    auto back = parse_session_expires(format_session_expires(c.se));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, c.se);
  }
  EXPECT_EQ(to_string(kUac), "uac");
  EXPECT_EQ(to_string(kUas), "uas");
}

// --- UAS (§9) --------------------------------------------------------------------------------

TEST(UasAnswer, Table) {
  struct Case {
    std::string_view name;
    std::vector<std::string_view> headers;  ///< added to the INVITE
    SessionTimerConfig config;
    int reject_status = 0;
    std::string_view reason_starts;  ///< for 400
    std::uint32_t min_se = 0;        ///< for 422
    std::optional<SessionExpires> session_expires;
    bool require_timer = false;
    std::optional<Negotiated> negotiated;
  };
  const SessionTimerConfig kDefault{};  // 1800 s, Min-SE 90
  const std::vector<Case> cases = {
      // No Session-Expires in the request: we still ask for ours.
      {.name = "no timer support, no Session-Expires: ours, we refresh, no Require",
       .headers = {},
       .config = kDefault,
       .session_expires = SessionExpires{1800, kUas},
       .negotiated = Negotiated{1800, kUas, true}},
      {.name = "timer support, no Session-Expires: ours, the UAC refreshes, Require",
       .headers = {"Supported: timer"},
       .config = kDefault,
       .session_expires = SessionExpires{1800, kUac},
       .require_timer = true,
       .negotiated = Negotiated{1800, kUac, false}},
      {.name = "no Session-Expires: not below the request's Min-SE",
       .headers = {"Supported: timer", "Min-SE: 3600"},
       .config = kDefault,
       .session_expires = SessionExpires{3600, kUac},
       .require_timer = true,
       .negotiated = Negotiated{3600, kUac, false}},
      {.name = "no Session-Expires, no timer support: Min-SE still raises ours",
       .headers = {"Min-SE: 2000"},
       .config = kDefault,
       .session_expires = SessionExpires{2000, kUas},
       .negotiated = Negotiated{2000, kUas, true}},
      {.name = "our interval comes from the config",
       .headers = {"Supported: timer"},
       .config = {.session_expires = 600, .min_se = 90},
       .session_expires = SessionExpires{600, kUac},
       .require_timer = true,
       .negotiated = Negotiated{600, kUac, false}},
      // The request asks for an interval.
      {.name = "the request's interval is kept, not raised to ours",
       .headers = {"Supported: timer", "Session-Expires: 1200"},
       .config = kDefault,
       .session_expires = SessionExpires{1200, kUac},
       .require_timer = true,
       .negotiated = Negotiated{1200, kUac, false}},
      {.name = "the request's refresher=uas is honoured: we refresh, no Require",
       .headers = {"Supported: timer", "Session-Expires: 1200;refresher=uas"},
       .config = kDefault,
       .session_expires = SessionExpires{1200, kUas},
       .negotiated = Negotiated{1200, kUas, true}},
      {.name = "the request's refresher=uac is honoured",
       .headers = {"Supported: timer", "Session-Expires: 1200;refresher=uac"},
       .config = kDefault,
       .session_expires = SessionExpires{1200, kUac},
       .require_timer = true,
       .negotiated = Negotiated{1200, kUac, false}},
      {.name = "a larger interval is lowered to ours",
       .headers = {"Supported: timer", "Session-Expires: 7200"},
       .config = kDefault,
       .session_expires = SessionExpires{1800, kUac},
       .require_timer = true,
       .negotiated = Negotiated{1800, kUac, false}},
      {.name = "lowering stops at the request's Min-SE",
       .headers = {"Supported: timer", "Session-Expires: 7200", "Min-SE: 2400"},
       .config = kDefault,
       .session_expires = SessionExpires{2400, kUac},
       .require_timer = true,
       .negotiated = Negotiated{2400, kUac, false}},
      {.name = "exactly our Min-SE is accepted",
       .headers = {"Supported: timer", "Session-Expires: 90"},
       .config = kDefault,
       .session_expires = SessionExpires{90, kUac},
       .require_timer = true,
       .negotiated = Negotiated{90, kUac, false}},
      {.name = "compact form x",
       .headers = {"Supported: timer", "x: 1200;refresher=uas"},
       .config = kDefault,
       .session_expires = SessionExpires{1200, kUas},
       .negotiated = Negotiated{1200, kUas, true}},
      {.name = "header names are case-insensitive",
       .headers = {"Supported: timer", "session-expires: 1200;refresher=uas", "MIN-SE: 1000"},
       .config = kDefault,
       .session_expires = SessionExpires{1200, kUas},
       .negotiated = Negotiated{1200, kUas, true}},
      {.name = "Supported in compact form k, in a list, any case",
       .headers = {"k: 100rel, Timer", "Session-Expires: 1200"},
       .config = kDefault,
       .session_expires = SessionExpires{1200, kUac},
       .require_timer = true,
       .negotiated = Negotiated{1200, kUac, false}},
      {.name = "\"timers\" is not \"timer\": the UAC cannot refresh",
       .headers = {"Supported: timers", "Session-Expires: 1200"},
       .config = kDefault,
       .session_expires = SessionExpires{1200, kUas},
       .negotiated = Negotiated{1200, kUas, true}},
      {.name = "without timer support a refresher=uac (from a proxy) still makes us refresh",
       .headers = {"Session-Expires: 1200;refresher=uac"},
       .config = kDefault,
       .session_expires = SessionExpires{1200, kUas},
       .negotiated = Negotiated{1200, kUas, true}},
      // Too small.
      {.name = "below our Min-SE with timer support: 422 with our Min-SE",
       .headers = {"Supported: timer", "Session-Expires: 60"},
       .config = kDefault,
       .reject_status = 422,
       .min_se = 90},
      {.name = "422 says the configured Min-SE",
       .headers = {"Supported: timer", "Session-Expires: 100"},
       .config = {.session_expires = 1800, .min_se = 120},
       .reject_status = 422,
       .min_se = 120},
      {.name = "a configured Min-SE below 90 is raised to 90",
       .headers = {"Supported: timer", "Session-Expires: 60"},
       .config = {.session_expires = 1800, .min_se = 30},
       .reject_status = 422,
       .min_se = 90},
      {.name = "too small without timer support: raised to our Min-SE, not rejected",
       .headers = {"Session-Expires: 60"},
       .config = {.session_expires = 1800, .min_se = 120},
       .session_expires = SessionExpires{120, kUas},
       .negotiated = Negotiated{120, kUas, true}},
      {.name = "too small without timer support: raised to the larger Min-SE",
       .headers = {"Session-Expires: 60", "Min-SE: 150"},
       .config = {.session_expires = 1800, .min_se = 120},
       .session_expires = SessionExpires{150, kUas},
       .negotiated = Negotiated{150, kUas, true}},
      // Malformed.
      {.name = "malformed Session-Expires: 400 naming it",
       .headers = {"Supported: timer", "Session-Expires: abc"},
       .config = kDefault,
       .reject_status = 400,
       .reason_starts = "Bad Session-Expires: "},
      {.name = "malformed x: 400 naming Session-Expires",
       .headers = {"Supported: timer", "x: 1800;refresher=me"},
       .config = kDefault,
       .reject_status = 400,
       .reason_starts = "Bad Session-Expires: "},
      {.name = "malformed Min-SE: 400 naming it",
       .headers = {"Supported: timer", "Session-Expires: 1800", "Min-SE: 9o"},
       .config = kDefault,
       .reject_status = 400,
       .reason_starts = "Bad Min-SE: "},
      {.name = "malformed Min-SE without Session-Expires: 400 too",
       .headers = {"Supported: timer", "Min-SE: "},
       .config = kDefault,
       .reject_status = 400,
       .reason_starts = "Bad Min-SE: "},
      {.name = "Session-Expires and x both present: 400",
       .headers = {"Supported: timer", "Session-Expires: 1800", "x: 1200"},
       .config = kDefault,
       .reject_status = 400,
       .reason_starts = "Bad Session-Expires: "},
      {.name = "two Min-SE: 400",
       .headers = {"Supported: timer", "Min-SE: 90", "Min-SE: 120"},
       .config = kDefault,
       .reject_status = 400,
       .reason_starts = "Bad Min-SE: "},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Message req = invite(c.headers);
    const UasAnswer got = uas_answer(req, c.config);
    EXPECT_EQ(got.reject_status, c.reject_status);
    if (c.reject_status == 400) {
      EXPECT_EQ(got.reject_reason.rfind(c.reason_starts, 0), 0u) << got.reject_reason;
    }
    EXPECT_EQ(got.min_se, c.min_se);
    EXPECT_EQ(got.session_expires, c.session_expires);
    EXPECT_EQ(got.require_timer, c.require_timer);
    EXPECT_EQ(got.negotiated, c.negotiated);
  }
}

// --- UAC (§7) --------------------------------------------------------------------------------

TEST(UacOffer, Table) {
  struct Case {
    std::string_view name;
    SessionTimerConfig config;
    UacOffer want;
  };
  const std::vector<Case> cases = {
      {"the configured interval and Min-SE, no refresher", {}, {{1800, std::nullopt}, 90}},
      {"Min-SE never below 90",
       {.session_expires = 1800, .min_se = 30},
       {{1800, std::nullopt}, 90}},
      {"the interval never below our Min-SE",
       {.session_expires = 60, .min_se = 120},
       {{120, std::nullopt}, 120}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(uac_offer(c.config), c.want);
  }
}

TEST(UacOfferAfter422, Table) {
  struct Case {
    std::string_view name;
    UacOffer sent;
    std::vector<std::string_view> headers;  ///< of the 422
    std::optional<UacOffer> want;
  };
  const UacOffer first{{1800, std::nullopt}, 90};
  const std::vector<Case> cases = {
      {"the interval and Min-SE rise to the 422's Min-SE",
       first,
       {"Min-SE: 3600"},
       UacOffer{{3600, std::nullopt}, 3600}},
      {"Min-SE found by any case, with params",
       first,
       {"min-se: 3600;foo=bar"},
       UacOffer{{3600, std::nullopt}, 3600}},
      {"a second 422 raises it again",
       UacOffer{{3600, std::nullopt}, 3600},
       {"Min-SE: 4000"},
       UacOffer{{4000, std::nullopt}, 4000}},
      {"24 hours is still retried",
       first,
       {"Min-SE: 86400"},
       UacOffer{{86400, std::nullopt}, 86400}},
      {"more than 24 hours is not", first, {"Min-SE: 86401"}, std::nullopt},
      {"no Min-SE: nothing to retry with", first, {}, std::nullopt},
      {"malformed Min-SE", first, {"Min-SE: soon"}, std::nullopt},
      {"two Min-SE", first, {"Min-SE: 3600", "Min-SE: 4000"}, std::nullopt},
      {"a Min-SE that does not raise the interval would loop",
       first,
       {"Min-SE: 1800"},
       std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Message r = response(422, "Session Interval Too Small", c.headers);
    EXPECT_EQ(uac_offer_after_422(c.sent, r), c.want);
  }
}

TEST(UacResult, Table) {
  struct Case {
    std::string_view name;
    std::vector<std::string_view> headers;  ///< of the 2xx
    bool keep_if_absent;
    std::optional<Negotiated> want;
  };
  const UacOffer sent{{1800, std::nullopt}, 90};
  const Negotiated ours{1800, kUac, true};
  const std::vector<Case> cases = {
      {"no Session-Expires: no timer", {}, false, std::nullopt},
      {"no Session-Expires, keep: we refresh at our interval", {}, true, ours},
      {"refresher=uac: we refresh",
       {"Session-Expires: 1200;refresher=uac"},
       false,
       Negotiated{1200, kUac, true}},
      {"refresher=uas: the peer refreshes",
       {"Session-Expires: 1200;refresher=uas"},
       false,
       Negotiated{1200, kUas, false}},
      {"no refresher: the UAC, us", {"Session-Expires: 1200"}, false, Negotiated{1200, kUac, true}},
      {"compact form x", {"x: 1200;refresher=uas"}, true, Negotiated{1200, kUas, false}},
      {"90 is accepted", {"Session-Expires: 90;refresher=uas"}, false, Negotiated{90, kUas, false}},
      {"below 90 counts as absent", {"Session-Expires: 89;refresher=uas"}, false, std::nullopt},
      {"below 90 counts as absent, keep", {"Session-Expires: 89;refresher=uas"}, true, ours},
      {"malformed counts as absent", {"Session-Expires: later"}, false, std::nullopt},
      {"malformed counts as absent, keep", {"Session-Expires: later"}, true, ours},
      {"two values count as absent, keep", {"Session-Expires: 1200", "x: 600"}, true, ours},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Message r = response(200, "OK", c.headers);
    EXPECT_EQ(uac_result(r, sent, c.keep_if_absent), c.want);
  }
}

// --- the timer (§7.2, §10) -------------------------------------------------------------------

TEST(SessionTimer, TableOnASimulatedClock) {
  using Due = SessionTimer::Due;
  const TimePoint t0 = TimePoint{} + 1000s;  // any origin: nothing reads a real clock
  struct Step {
    enum class Op { kFire, kStart, kStop };
    Op op = Op::kFire;
    milliseconds at{};                 ///< since t0
    Due want = Due::kNothing;          ///< kFire: what on_timer returns
    std::optional<milliseconds> next;  ///< next() afterwards, since t0; nullopt: stopped
    Negotiated with{};                 ///< kStart: the new negotiation
  };
  auto fire = [](milliseconds at, Due want, std::optional<milliseconds> next) {
    return Step{Step::Op::kFire, at, want, next, {}};
  };
  auto restart = [](milliseconds at, Negotiated with, std::optional<milliseconds> next) {
    return Step{Step::Op::kStart, at, Due::kNothing, next, with};
  };
  auto stop = [](milliseconds at) { return Step{Step::Op::kStop, at, Due::kNothing, {}, {}}; };
  struct Case {
    std::string_view name;
    Negotiated start;  ///< started at t0
    std::vector<Step> steps;
  };
  const Negotiated we_1800{1800, kUac, true};
  const std::vector<Case> cases = {
      {"we refresh: once at half, then expire 32 s before the end without a new start()",
       we_1800,
       {fire(0s, Due::kNothing, 900s), fire(899s, Due::kNothing, 900s),
        fire(900s, Due::kRefresh, 1768s), fire(900s, Due::kNothing, 1768s),
        fire(1767s, Due::kNothing, 1768s), fire(1768s, Due::kExpired, std::nullopt),
        fire(1768s, Due::kNothing, std::nullopt), fire(5000s, Due::kNothing, std::nullopt)}},
      {"the peer refreshes: no refresh of ours, expire 32 s before the end",
       {1800, kUas, false},
       {fire(0s, Due::kNothing, 1768s), fire(900s, Due::kNothing, 1768s),
        fire(1767s, Due::kNothing, 1768s), fire(1768s, Due::kExpired, std::nullopt),
        fire(1768s, Due::kNothing, std::nullopt)}},
      {"a short interval expires a third before the end, not 32 s",
       {90, kUas, false},
       {fire(59s, Due::kNothing, 60s), fire(60s, Due::kExpired, std::nullopt)}},
      {"120 s: a third (40 s) is more than 32 s, so 32 s",
       {120, kUac, false},
       {fire(87999ms, Due::kNothing, 88s), fire(88s, Due::kExpired, std::nullopt)}},
      {"an odd interval refreshes at the half second",
       {91, kUas, true},
       {fire(45s, Due::kNothing, 45500ms), fire(45500ms, Due::kRefresh, 60667ms),
        fire(60667ms, Due::kExpired, std::nullopt)}},
      {"a successful refresh (start again) moves both moments",
       we_1800,
       {fire(900s, Due::kRefresh, 1768s), restart(905s, we_1800, 1805s),
        fire(1768s, Due::kNothing, 1805s), fire(1805s, Due::kRefresh, 2673s),
        fire(2673s, Due::kExpired, std::nullopt)}},
      {"a refresh may hand the duty to the peer",
       we_1800,
       {fire(900s, Due::kRefresh, 1768s), restart(900s, {1800, kUas, false}, 2668s),
        fire(1800s, Due::kNothing, 2668s), fire(2668s, Due::kExpired, std::nullopt)}},
      {"woken past the expiry point: expired, not a refresh too late to help",
       we_1800,
       {fire(1800s, Due::kExpired, std::nullopt), fire(1800s, Due::kNothing, std::nullopt)}},
      {"stop() silences it",
       we_1800,
       {stop(0s), fire(900s, Due::kNothing, std::nullopt),
        fire(1768s, Due::kNothing, std::nullopt)}},
      {"start() after expiry runs it again",
       {90, kUas, false},
       {fire(60s, Due::kExpired, std::nullopt), restart(100s, {90, kUas, false}, 160s),
        fire(160s, Due::kExpired, std::nullopt)}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    SessionTimer timer;
    EXPECT_FALSE(timer.running());
    EXPECT_EQ(timer.next(), std::nullopt);
    timer.start(c.start, t0);
    EXPECT_TRUE(timer.running());
    EXPECT_EQ(timer.negotiated(), c.start);
    for (std::size_t i = 0; i < c.steps.size(); ++i) {
      const Step& s = c.steps[i];
      SCOPED_TRACE("step " + std::to_string(i));
      switch (s.op) {
        case Step::Op::kFire:
          EXPECT_EQ(timer.on_timer(t0 + s.at), s.want);
          break;
        case Step::Op::kStart:
          timer.start(s.with, t0 + s.at);
          EXPECT_EQ(timer.negotiated(), s.with);
          break;
        case Step::Op::kStop:
          timer.stop();
          break;
      }
      std::optional<TimePoint> want_next;
      if (s.next) {
        want_next = t0 + *s.next;
      }
      EXPECT_EQ(timer.next(), want_next);
      EXPECT_EQ(timer.running(), s.next.has_value());
    }
  }
}

// --- refreshes Cohort sends (§7.4, RFC 3311 §5.1, RFC 5057 §5.1) ------------------------------

TEST(AllowsUpdate, Table) {
  struct Case {
    std::string_view name;
    std::vector<std::string_view> headers;
    bool want;
  };
  const std::vector<Case> cases = {
      {"no Allow", {}, false},
      {"Allow without UPDATE", {"Allow: INVITE, ACK, BYE"}, false},
      {"Allow with UPDATE", {"Allow: INVITE, ACK, BYE, UPDATE, INFO"}, true},
      {"UPDATE in a second Allow header", {"Allow: INVITE", "Allow: UPDATE"}, true},
      {"methods are case-sensitive", {"Allow: INVITE, update"}, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(allows_update(response(200, "OK", c.headers)), c.want);
    EXPECT_EQ(allows_update(invite(c.headers)), c.want);
  }
}

TEST(RefreshStep, Table) {
  struct Case {
    std::string_view name;
    bool update;
    int status;
    RefreshStep want;
  };
  const std::vector<Case> cases = {
      {"200 to an UPDATE refreshes", true, 200, RefreshStep::kRestart},
      {"2xx to a re-INVITE refreshes", false, 202, RefreshStep::kRestart},
      {"422: raise the interval and send again", false, 422, RefreshStep::kRaiseInterval},
      {"422 to an UPDATE too", true, 422, RefreshStep::kRaiseInterval},
      {"491: glare, later", false, 491, RefreshStep::kRetryLater},
      {"481: the dialog is gone", true, 481, RefreshStep::kEndSession},
      {"408: nobody answers", false, 408, RefreshStep::kEndSession},
      {"405 to an UPDATE: re-INVITE instead", true, 405, RefreshStep::kUseReInvite},
      {"501 to an UPDATE: re-INVITE instead", true, 501, RefreshStep::kUseReInvite},
      {"501 to a re-INVITE: still alive", false, 501, RefreshStep::kKeepInterval},
      {"488 to a re-INVITE: still alive", false, 488, RefreshStep::kKeepInterval},
      {"500 to an UPDATE: still alive", true, 500, RefreshStep::kKeepInterval},
      {"603: still alive", false, 603, RefreshStep::kKeepInterval},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(to_string(refresh_step(c.update, c.status)), to_string(c.want));
  }
}

}  // namespace
}  // namespace cohort::sip::dialog
