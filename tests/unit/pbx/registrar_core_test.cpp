// The registrar's pure rules: RFC 3261 §10.3 steps 6–8, RFC 5626 §6 instance/reg-id
// matching, RFC 3327 Path, expiry, limits. REGISTERs are real parsed messages.

#include "pbx/registrar_core.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "sip/headers.hpp"
#include "sip/message.hpp"

namespace cohort::pbx {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::string_view kAor = "sip:100@pbx.example.com";

// A parsed REGISTER and the RegisterRequest viewing into it.
struct Register {
  std::unique_ptr<sip::Message> msg;
  RegisterRequest req;
};

struct RegisterSpec {
  std::vector<std::string> contacts;  // one Contact header each
  std::optional<std::string> expires;
  std::string call_id = "call-1@phone";
  std::uint32_t cseq = 1;
  std::vector<std::string> path;
  std::string source = "192.0.2.10:5062";
};

Register make(const RegisterSpec& spec) {
  std::string text =
      "REGISTER sip:pbx.example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-1\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:100@pbx.example.com>;tag=f1\r\n"
      "To: <sip:100@pbx.example.com>\r\n"
      "Call-ID: " +
      spec.call_id + "\r\nCSeq: " + std::to_string(spec.cseq) + " REGISTER\r\n";
  for (const auto& c : spec.contacts) {
    text += "Contact: " + c + "\r\n";
  }
  if (spec.expires) {
    text += "Expires: " + *spec.expires + "\r\n";
  }
  for (const auto& p : spec.path) {
    text += "Path: " + p + "\r\n";
  }
  text += "User-Agent: TestPhone/1.0\r\nContent-Length: 0\r\n\r\n";
  auto parsed = sip::parse(std::move(text));
  EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().reason);
  Register r;
  r.msg = std::make_unique<sip::Message>(std::move(*parsed));
  auto contacts = sip::parse_contacts(*r.msg);
  EXPECT_TRUE(contacts) << (contacts ? "" : contacts.error().reason);
  r.req.user = 7;
  r.req.aor = kAor;
  r.req.contacts = std::move(*contacts);
  r.req.expires = r.msg->header(sip::HeaderId::kExpires);
  r.req.call_id = r.msg->call_id();
  r.req.cseq = r.msg->cseq();
  r.req.source = spec.source;
  r.req.transport = "udp";
  r.req.local = "192.0.2.1:5060";
  r.req.user_agent = r.msg->header(sip::HeaderId::kUserAgent).value_or("");
  r.req.path = r.msg->header_values(sip::HeaderId::kPath);
  return r;
}

Expected<RegisterSuccess, RegisterError> apply(const std::vector<Binding>& current,
                                               const RegisterSpec& spec,
                                               const RegistrarLimits& limits = {},
                                               std::int64_t now = kNow) {
  Register r = make(spec);
  return apply_register(current, r.req, limits, now);
}

// The bindings after one successful REGISTER.
std::vector<Binding> registered(const std::vector<Binding>& current, const RegisterSpec& spec,
                                std::int64_t now = kNow) {
  auto r = apply(current, spec, {}, now);
  EXPECT_TRUE(r) << (r ? "" : r.error().reason);
  return r ? r->bindings : std::vector<Binding>{};
}

// ---- Fetch (§10.3 step 8) ---------------------------------------------------------------

TEST(RegistrarCore, NoContactFetchesTheBindings) {
  auto current = registered({}, {.contacts = {"<sip:100@192.0.2.10:5062>"}});
  auto r = apply(current, {.call_id = "other", .cseq = 1}, {}, kNow + 100);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->bindings, current);
  EXPECT_TRUE(r->changes.empty());
  ASSERT_EQ(r->contacts.size(), 1u);
  EXPECT_EQ(r->contacts[0], "<sip:100@192.0.2.10:5062>;expires=3500");

  auto empty = apply({}, {});
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->bindings.empty());
  EXPECT_TRUE(empty->contacts.empty());
}

// ---- Adding, with every field -----------------------------------------------------------

TEST(RegistrarCore, AddsABindingWithEveryField) {
  auto r = apply({}, {.contacts = {"\"Desk\" <sip:100@192.0.2.10:5062;transport=udp>;q=0.7"},
                      .call_id = "abc@phone",
                      .cseq = 42,
                      .path = {"<sip:edge.example.com;lr>", "<sip:p2.example.com;lr>"}});
  ASSERT_TRUE(r) << r.error().reason;
  ASSERT_EQ(r->bindings.size(), 1u);
  const Binding& b = r->bindings[0];
  EXPECT_EQ(b.user, 7);
  EXPECT_EQ(b.aor, kAor);
  EXPECT_EQ(b.contact, "sip:100@192.0.2.10:5062;transport=udp");
  EXPECT_EQ(b.q, 700);
  EXPECT_EQ(b.call_id, "abc@phone");
  EXPECT_EQ(b.cseq, 42u);
  EXPECT_EQ(b.expires_at, kNow + 3600);
  EXPECT_EQ(b.source, "192.0.2.10:5062");
  EXPECT_EQ(b.transport, "udp");
  EXPECT_EQ(b.local, "192.0.2.1:5060");
  EXPECT_EQ(b.user_agent, "TestPhone/1.0");
  EXPECT_EQ(b.path,
            (std::vector<std::string>{"<sip:edge.example.com;lr>", "<sip:p2.example.com;lr>"}));
  EXPECT_EQ(b.updated_at, kNow);
  EXPECT_TRUE(b.instance_id.empty());
  EXPECT_FALSE(b.reg_id);
  ASSERT_EQ(r->changes.size(), 1u);
  EXPECT_EQ(r->changes[0].kind, ChangeKind::kAdded);
  EXPECT_EQ(r->changes[0].binding, b);
  EXPECT_EQ(r->contacts,
            std::vector<std::string>{"<sip:100@192.0.2.10:5062;transport=udp>;expires=3600;q=0.7"});
}

// ---- Expiry (§10.3 step 7) --------------------------------------------------------------

TEST(RegistrarCore, ExpiresParamWinsOverHeaderWinsOverDefault) {
  auto r = apply(
      {}, {.contacts = {"<sip:a@192.0.2.10>;expires=120", "<sip:b@192.0.2.10>"}, .expires = "600"});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->bindings.size(), 2u);
  EXPECT_EQ(r->bindings[0].expires_at, kNow + 120);
  EXPECT_EQ(r->bindings[1].expires_at, kNow + 600);
  RegistrarLimits limits;
  limits.default_expires = 1800;
  auto d = apply({}, {.contacts = {"<sip:a@192.0.2.10>"}}, limits);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->bindings[0].expires_at, kNow + 1800);
}

TEST(RegistrarCore, LongIntervalsAreShortenedToTheMaximum) {
  auto r = apply({}, {.contacts = {"<sip:a@192.0.2.10>;expires=100000",
                                   "<sip:b@192.0.2.10>;expires=99999999999999999999"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->bindings[0].expires_at, kNow + 7200);
  EXPECT_EQ(r->bindings[1].expires_at, kNow + 7200);
  EXPECT_EQ(r->contacts[0], "<sip:a@192.0.2.10>;expires=7200");
}

TEST(RegistrarCore, TooBriefIs423WithMinExpires) {
  auto r = apply({}, {.contacts = {"<sip:a@192.0.2.10>;expires=30"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 423);
  EXPECT_EQ(r.error().reason, "Interval Too Brief");
  EXPECT_EQ(r.error().min_expires, 60);
  auto h = apply({}, {.contacts = {"<sip:a@192.0.2.10>"}, .expires = "59"});
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().status, 423);
  // One brief contact fails the whole request.
  auto mixed =
      apply({}, {.contacts = {"<sip:a@192.0.2.10>;expires=300", "<sip:b@192.0.2.10>;expires=1"}});
  ASSERT_FALSE(mixed);
  EXPECT_EQ(mixed.error().status, 423);
  EXPECT_TRUE(apply({}, {.contacts = {"<sip:a@192.0.2.10>;expires=60"}}));
}

TEST(RegistrarCore, No423AtOrAboveAnHour) {
  // §10.3 step 7: 423 only when the interval is also below one hour.
  RegistrarLimits limits;
  limits.min_expires = 7200;
  auto r = apply({}, {.contacts = {"<sip:a@192.0.2.10>;expires=3600"}}, limits);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->bindings[0].expires_at, kNow + 3600);
  auto brief = apply({}, {.contacts = {"<sip:a@192.0.2.10>;expires=3599"}}, limits);
  ASSERT_FALSE(brief);
  EXPECT_EQ(brief.error().min_expires, 7200);
}

TEST(RegistrarCore, MalformedExpiresCountAs3600) {
  // §20.10, §20.19: "Malformed values SHOULD be treated as equivalent to 3600."
  auto r = apply(
      {}, {.contacts = {"<sip:a@192.0.2.10>;expires=soon", "<sip:b@192.0.2.10>"}, .expires = "-5"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->bindings[0].expires_at, kNow + 3600);
  EXPECT_EQ(r->bindings[1].expires_at, kNow + 3600);
}

TEST(RegistrarCore, ExpiresZeroRemoves) {
  auto current = registered({}, {.contacts = {"<sip:a@192.0.2.10>", "<sip:b@192.0.2.10>"}});
  auto r = apply(current, {.contacts = {"<sip:a@192.0.2.10>;expires=0"}, .cseq = 2});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->bindings.size(), 1u);
  EXPECT_EQ(r->bindings[0].contact, "sip:b@192.0.2.10");
  ASSERT_EQ(r->changes.size(), 1u);
  EXPECT_EQ(r->changes[0].kind, ChangeKind::kRemoved);
  EXPECT_EQ(r->changes[0].binding, current[0]);
  // Through the Expires header too.
  auto h = apply(current, {.contacts = {"<sip:b@192.0.2.10>"}, .expires = "0", .cseq = 2});
  ASSERT_TRUE(h);
  ASSERT_EQ(h->bindings.size(), 1u);
  EXPECT_EQ(h->bindings[0].contact, "sip:a@192.0.2.10");
  // Removing what is not there changes nothing.
  auto none = apply(current, {.contacts = {"<sip:zzz@192.0.2.10>;expires=0"}, .cseq = 2});
  ASSERT_TRUE(none);
  EXPECT_EQ(none->bindings, current);
  EXPECT_TRUE(none->changes.empty());
}

// ---- Wildcard (§10.3 step 6) ------------------------------------------------------------

TEST(RegistrarCore, StarWithExpiresZeroRemovesAll) {
  auto current = registered({}, {.contacts = {"<sip:a@192.0.2.10>", "<sip:b@192.0.2.10>"}});
  auto r = apply(current, {.contacts = {"*"}, .expires = "0", .cseq = 2});
  ASSERT_TRUE(r) << r.error().reason;
  EXPECT_TRUE(r->bindings.empty());
  EXPECT_TRUE(r->contacts.empty());
  ASSERT_EQ(r->changes.size(), 2u);
  EXPECT_EQ(r->changes[0].kind, ChangeKind::kRemoved);
  EXPECT_EQ(r->changes[1].kind, ChangeKind::kRemoved);
  // Another Call-ID may remove them whatever its CSeq.
  EXPECT_TRUE(apply(current, {.contacts = {"*"}, .expires = "0", .call_id = "x", .cseq = 1}));
  EXPECT_TRUE(apply({}, {.contacts = {"*"}, .expires = "0"}));
}

TEST(RegistrarCore, StarNeedsExpiresZeroAndToBeAlone) {
  auto no_expires = apply({}, {.contacts = {"*"}});
  ASSERT_FALSE(no_expires);
  EXPECT_EQ(no_expires.error().status, 400);
  auto nonzero = apply({}, {.contacts = {"*"}, .expires = "3600"});
  ASSERT_FALSE(nonzero);
  EXPECT_EQ(nonzero.error().status, 400);
  // The parser already refuses "*" mixed with addresses; a hand-built list is refused too.
  Register r = make({.contacts = {"<sip:a@192.0.2.10>"}, .expires = "0"});
  r.req.contacts.star = true;
  auto mixed = apply_register({}, r.req, {}, kNow);
  ASSERT_FALSE(mixed);
  EXPECT_EQ(mixed.error().status, 400);
}

TEST(RegistrarCore, StarOutOfOrderIs500) {
  auto current = registered({}, {.contacts = {"<sip:a@192.0.2.10>"}, .cseq = 5});
  auto r = apply(current, {.contacts = {"*"}, .expires = "0", .cseq = 5});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 500);
  EXPECT_EQ(r.error().reason, "Out of order");
}

// ---- CSeq ordering (§10.3 step 7) -------------------------------------------------------

TEST(RegistrarCore, SameCallIdNeedsAHigherCSeq) {
  auto current = registered({}, {.contacts = {"<sip:a@192.0.2.10>"}, .cseq = 5});
  for (std::uint32_t cseq : {4u, 5u}) {
    auto r = apply(current, {.contacts = {"<sip:a@192.0.2.10>"}, .cseq = cseq});
    ASSERT_FALSE(r) << cseq;
    EXPECT_EQ(r.error().status, 500);
    EXPECT_EQ(r.error().reason, "Out of order");
  }
  // A removal is ordered too.
  auto removal = apply(current, {.contacts = {"<sip:a@192.0.2.10>;expires=0"}, .cseq = 5});
  ASSERT_FALSE(removal);
  auto ok = apply(current, {.contacts = {"<sip:a@192.0.2.10>"}, .cseq = 6}, {}, kNow + 50);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->bindings[0].cseq, 6u);
  EXPECT_EQ(ok->bindings[0].expires_at, kNow + 50 + 3600);
}

TEST(RegistrarCore, OtherCallIdUpdatesWhateverItsCSeq) {
  // A phone that restarted: new Call-ID, CSeq from 1 again.
  auto current = registered({}, {.contacts = {"<sip:a@192.0.2.10>"}, .cseq = 900});
  auto r = apply(current, {.contacts = {"<sip:a@192.0.2.10>"}, .call_id = "new", .cseq = 1});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->bindings.size(), 1u);
  EXPECT_EQ(r->bindings[0].call_id, "new");
  EXPECT_EQ(r->bindings[0].cseq, 1u);
}

TEST(RegistrarCore, OutOfOrderChangesNothingEvenForOtherContacts) {
  auto current = registered({}, {.contacts = {"<sip:a@192.0.2.10>"}, .cseq = 5});
  auto r = apply(current, {.contacts = {"<sip:new@192.0.2.10>", "<sip:a@192.0.2.10>"}, .cseq = 3});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 500);
}

// ---- Refresh and matching (§10.3 step 7, §19.1.4) ---------------------------------------

TEST(RegistrarCore, RefreshReportsAnUpdateWithThePreviousBinding) {
  auto current = registered({}, {.contacts = {"<sip:a@192.0.2.10>"}});
  auto r = apply(current, {.contacts = {"<sip:a@192.0.2.10>;q=0.5"}, .cseq = 2}, {}, kNow + 10);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->changes.size(), 1u);
  EXPECT_EQ(r->changes[0].kind, ChangeKind::kUpdated);
  ASSERT_TRUE(r->changes[0].previous);
  EXPECT_EQ(*r->changes[0].previous, current[0]);
  EXPECT_EQ(r->changes[0].binding.q, 500);
  EXPECT_EQ(r->changes[0].binding.updated_at, kNow + 10);
}

TEST(RegistrarCore, ContactsMatchByUriEquivalence) {
  auto current = registered({}, {.contacts = {"<sip:a@Phone.Example.com:5062;transport=tcp>"}});
  // Host case differs: the same binding.
  auto same =
      apply(current, {.contacts = {"<sip:a@phone.example.com:5062;transport=TCP>"}, .cseq = 2});
  ASSERT_TRUE(same);
  EXPECT_EQ(same->bindings.size(), 1u);
  EXPECT_EQ(same->bindings[0].contact, "sip:a@phone.example.com:5062;transport=TCP");
  // Another port, a missing transport or another user: new bindings.
  for (std::string c :
       {"<sip:a@phone.example.com:5063;transport=tcp>", "<sip:a@phone.example.com:5062>",
        "<sip:A@phone.example.com:5062;transport=tcp>"}) {
    auto other = apply(current, {.contacts = {c}, .cseq = 2});
    ASSERT_TRUE(other) << c;
    EXPECT_EQ(other->bindings.size(), 2u) << c;
  }
}

TEST(RegistrarCore, SeveralContactsInOneRegister) {
  auto current = registered({}, {.contacts = {"<sip:a@192.0.2.10>", "<sip:b@192.0.2.10>"}});
  auto r =
      apply(current, {.contacts = {"<sip:a@192.0.2.10>;expires=0", "<sip:b@192.0.2.10>;q=1.0",
                                   "<sip:c@192.0.2.10>;q=0.25, <sip:d@192.0.2.10>;expires=900"},
                      .cseq = 2});
  ASSERT_TRUE(r) << r.error().reason;
  ASSERT_EQ(r->bindings.size(), 3u);
  EXPECT_EQ(r->bindings[0].contact, "sip:b@192.0.2.10");
  EXPECT_EQ(r->bindings[1].contact, "sip:c@192.0.2.10");
  EXPECT_EQ(r->bindings[2].contact, "sip:d@192.0.2.10");
  EXPECT_EQ(r->contacts, (std::vector<std::string>{"<sip:b@192.0.2.10>;expires=3600",
                                                   "<sip:c@192.0.2.10>;expires=3600;q=0.25",
                                                   "<sip:d@192.0.2.10>;expires=900"}));
  ASSERT_EQ(r->changes.size(), 4u);
  EXPECT_EQ(r->changes[0].kind, ChangeKind::kRemoved);
  EXPECT_EQ(r->changes[0].binding.contact, "sip:a@192.0.2.10");
  EXPECT_EQ(r->changes[1].kind, ChangeKind::kUpdated);
  EXPECT_EQ(r->changes[2].kind, ChangeKind::kAdded);
  EXPECT_EQ(r->changes[3].kind, ChangeKind::kAdded);
}

TEST(RegistrarCore, TheSameContactTwiceInOneRequestIsNotOutOfOrder) {
  auto r =
      apply({}, {.contacts = {"<sip:a@192.0.2.10>;expires=100", "<sip:a@192.0.2.10>;expires=200"}});
  ASSERT_TRUE(r) << r.error().reason;
  ASSERT_EQ(r->bindings.size(), 1u);
  EXPECT_EQ(r->bindings[0].expires_at, kNow + 200);
  ASSERT_EQ(r->changes.size(), 1u);
  EXPECT_EQ(r->changes[0].kind, ChangeKind::kAdded);
  // Added then removed in the same request: no change at all.
  auto gone = apply({}, {.contacts = {"<sip:a@192.0.2.10>", "<sip:a@192.0.2.10>;expires=0"}});
  ASSERT_TRUE(gone);
  EXPECT_TRUE(gone->bindings.empty());
  EXPECT_TRUE(gone->changes.empty());
}

// ---- RFC 5626 instance-id / reg-id ------------------------------------------------------

constexpr std::string_view kInstance = "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";

std::string outbound(std::string_view uri, int reg_id) {
  return "<" + std::string(uri) + ">;+sip.instance=\"" + std::string(kInstance) +
         "\";reg-id=" + std::to_string(reg_id);
}

TEST(RegistrarCore, SameInstanceAndRegIdReplacesWhateverTheUri) {
  auto current = registered({}, {.contacts = {outbound("sip:line1@192.0.2.2;transport=tcp", 1)}});
  ASSERT_EQ(current.size(), 1u);
  EXPECT_EQ(current[0].instance_id, kInstance);
  EXPECT_EQ(current[0].reg_id, 1);
  // The phone moved: new address, new Call-ID.
  auto r = apply(current, {.contacts = {outbound("sip:line1@198.51.100.7:40000;transport=tcp", 1)},
                           .call_id = "after-move",
                           .cseq = 1});
  ASSERT_TRUE(r) << r.error().reason;
  ASSERT_EQ(r->bindings.size(), 1u);
  EXPECT_EQ(r->bindings[0].contact, "sip:line1@198.51.100.7:40000;transport=tcp");
  ASSERT_EQ(r->changes.size(), 1u);
  EXPECT_EQ(r->changes[0].kind, ChangeKind::kUpdated);
  EXPECT_EQ(r->changes[0].previous->contact, "sip:line1@192.0.2.2;transport=tcp");
  EXPECT_EQ(r->contacts[0],
            "<sip:line1@198.51.100.7:40000;transport=tcp>;expires=3600;+sip.instance=\"" +
                std::string(kInstance) + "\";reg-id=1");
}

TEST(RegistrarCore, AnotherRegIdIsAnotherFlowEvenWithTheSameUri) {
  auto current = registered({}, {.contacts = {outbound("sip:line1@192.0.2.2;transport=tcp", 1)}});
  auto r =
      apply(current, {.contacts = {outbound("sip:line1@192.0.2.2;transport=tcp", 2)}, .cseq = 2});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->bindings.size(), 2u);
  EXPECT_EQ(r->bindings[1].reg_id, 2);
  // A plain contact with the same URI does not replace a flow either.
  auto plain = apply(current, {.contacts = {"<sip:line1@192.0.2.2;transport=tcp>"}, .cseq = 2});
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->bindings.size(), 2u);
  // Removal by instance and reg-id.
  auto removed =
      apply(current, {.contacts = {outbound("sip:other@192.0.2.99", 1) + ";expires=0"}, .cseq = 2});
  ASSERT_TRUE(removed);
  EXPECT_TRUE(removed->bindings.empty());
}

TEST(RegistrarCore, RegIdWithoutInstanceIsIgnored) {
  auto current = registered({}, {.contacts = {"<sip:a@192.0.2.10>;reg-id=1"}});
  ASSERT_EQ(current.size(), 1u);
  EXPECT_FALSE(current[0].reg_id);
  auto r = apply(current, {.contacts = {"<sip:a@192.0.2.10>;reg-id=2"}, .cseq = 2});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->bindings.size(), 1u);  // matched by URI
}

TEST(RegistrarCore, InstanceWithoutRegIdMatchesByUri) {
  // RFC 5627-style instance without reg-id: plain RFC 3261 matching, instance kept.
  std::string c = "<sip:a@192.0.2.10>;+sip.instance=\"" + std::string(kInstance) + "\"";
  auto current = registered({}, {.contacts = {c}});
  EXPECT_EQ(current[0].instance_id, kInstance);
  EXPECT_FALSE(current[0].reg_id);
  auto moved = apply(
      current, {.contacts = {"<sip:a@192.0.2.11>;+sip.instance=\"" + std::string(kInstance) + "\""},
                .cseq = 2});
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->bindings.size(), 2u);
}

TEST(RegistrarCore, BadRegIdIs400) {
  for (std::string rid : {"0", "x", "2147483648", "-1"}) {
    auto r = apply({}, {.contacts = {"<sip:a@192.0.2.10>;+sip.instance=\"" +
                                     std::string(kInstance) + "\";reg-id=" + rid}});
    ASSERT_FALSE(r) << rid;
    EXPECT_EQ(r.error().status, 400);
  }
}

TEST(RegistrarCore, SameFlowCSeqOrdering) {
  auto current =
      registered({}, {.contacts = {outbound("sip:line1@192.0.2.2;transport=tcp", 1)}, .cseq = 4});
  auto r =
      apply(current, {.contacts = {outbound("sip:moved@192.0.2.3;transport=tcp", 1)}, .cseq = 4});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 500);
}

// ---- Path (RFC 3327) --------------------------------------------------------------------

TEST(RegistrarCore, PathIsStoredAndReplacedOnRefresh) {
  auto current =
      registered({}, {.contacts = {"<sip:a@192.0.2.10>"}, .path = {"<sip:p1.example.com;lr>"}});
  EXPECT_EQ(current[0].path, std::vector<std::string>{"<sip:p1.example.com;lr>"});
  auto r = apply(current, {.contacts = {"<sip:a@192.0.2.10>"}, .cseq = 2});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->bindings[0].path.empty());  // §5.3: the Path of the latest REGISTER
}

// ---- Expiry sweep -----------------------------------------------------------------------

TEST(RegistrarCore, ExpiredBindingsAreDroppedAndReported) {
  auto current = registered(
      {}, {.contacts = {"<sip:a@192.0.2.10>;expires=60", "<sip:b@192.0.2.10>;expires=600"}});
  auto r = apply(current, {.call_id = "q"}, {}, kNow + 60);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->bindings.size(), 1u);
  EXPECT_EQ(r->bindings[0].contact, "sip:b@192.0.2.10");
  ASSERT_EQ(r->changes.size(), 1u);
  EXPECT_EQ(r->changes[0].kind, ChangeKind::kRemoved);
  EXPECT_EQ(r->changes[0].binding.contact, "sip:a@192.0.2.10");
  // An expired binding with the same Call-ID does not make a request out of order.
  auto again = apply(current, {.contacts = {"<sip:a@192.0.2.10>"}, .cseq = 1}, {}, kNow + 60);
  ASSERT_TRUE(again);
}

TEST(RegistrarCore, ExpireSplits) {
  auto current = registered(
      {}, {.contacts = {"<sip:a@192.0.2.10>;expires=60", "<sip:b@192.0.2.10>;expires=600"}});
  auto e = expire(current, kNow + 59);
  EXPECT_EQ(e.kept.size(), 2u);
  EXPECT_TRUE(e.expired.empty());
  e = expire(current, kNow + 60);
  ASSERT_EQ(e.kept.size(), 1u);
  ASSERT_EQ(e.expired.size(), 1u);
  EXPECT_EQ(e.expired[0].contact, "sip:a@192.0.2.10");
  e = expire(current, kNow + 600);
  EXPECT_TRUE(e.kept.empty());
  EXPECT_EQ(e.expired.size(), 2u);
}

// ---- Limits -----------------------------------------------------------------------------

std::vector<Binding> fill(std::size_t n) {
  std::vector<Binding> current;
  for (std::size_t i = 0; i < n; ++i) {
    current = registered(current,
                         {.contacts = {"<sip:c" + std::to_string(i) + "@192.0.2.10>"},
                          .call_id = "call-" + std::to_string(i)},
                         kNow + static_cast<std::int64_t>(i));
  }
  return current;
}

TEST(RegistrarCore, OverMaxContactsEvictsTheOldest) {
  auto current = fill(10);
  ASSERT_EQ(current.size(), 10u);
  auto r = apply(current, {.contacts = {"<sip:new@192.0.2.10>"}, .call_id = "n"}, {}, kNow + 20);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->bindings.size(), 10u);
  EXPECT_EQ(r->bindings[0].contact, "sip:c1@192.0.2.10");
  EXPECT_EQ(r->bindings.back().contact, "sip:new@192.0.2.10");
  ASSERT_EQ(r->changes.size(), 2u);
  EXPECT_EQ(r->changes[0].kind, ChangeKind::kRemoved);
  EXPECT_EQ(r->changes[0].binding.contact, "sip:c0@192.0.2.10");
  EXPECT_EQ(r->changes[1].kind, ChangeKind::kAdded);
  // Refreshing an existing binding at the limit is fine.
  auto refresh =
      apply(current, {.contacts = {"<sip:c0@192.0.2.10>"}, .call_id = "call-0", .cseq = 2}, {},
            kNow + 20);
  ASSERT_TRUE(refresh);
  EXPECT_EQ(refresh->bindings.size(), 10u);
}

TEST(RegistrarCore, OverMaxContactsRejectsWhenConfigured) {
  RegistrarLimits limits;
  limits.max_contacts = 2;
  limits.on_full = RegistrarLimits::OnFull::kReject;
  auto current = registered({}, {.contacts = {"<sip:a@192.0.2.10>", "<sip:b@192.0.2.10>"}});
  auto r = apply(current, {.contacts = {"<sip:c@192.0.2.10>"}, .cseq = 2}, limits);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 403);
  // Replacing one within the limit is fine.
  auto swap = apply(current,
                    {.contacts = {"<sip:a@192.0.2.10>;expires=0", "<sip:c@192.0.2.10>"}, .cseq = 2},
                    limits);
  ASSERT_TRUE(swap);
  EXPECT_EQ(swap->bindings.size(), 2u);
}

TEST(RegistrarCore, OneRegisterOverTheLimitIs403) {
  RegistrarLimits limits;
  limits.max_contacts = 2;
  auto r = apply(
      {}, {.contacts = {"<sip:a@192.0.2.10>", "<sip:b@192.0.2.10>", "<sip:c@192.0.2.10>"}}, limits);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 403);
}

// ---- Contact validation -----------------------------------------------------------------

TEST(RegistrarCore, BadQOrTelContactIs400) {
  for (std::string c :
       {"<sip:a@192.0.2.10>;q=2", "<sip:a@192.0.2.10>;q=0.1234", "<sip:a@192.0.2.10>;q=1.5",
        "<sip:a@192.0.2.10>;q=high", "<tel:+15551234567>"}) {
    auto r = apply({}, {.contacts = {c}});
    ASSERT_FALSE(r) << c;
    EXPECT_EQ(r.error().status, 400) << c;
  }
}

TEST(RegistrarCore, QValues) {
  struct Case {
    std::string_view text;
    std::optional<int> q;
  };
  for (auto [text, q] : std::vector<Case>{{"0", 0},
                                          {"1", 1000},
                                          {"1.", 1000},
                                          {"1.000", 1000},
                                          {"0.5", 500},
                                          {"0.05", 50},
                                          {"0.125", 125},
                                          {"0.", 0},
                                          {"0.999", 999},
                                          {"1.001", std::nullopt},
                                          {"0.1234", std::nullopt},
                                          {"2", std::nullopt},
                                          {".5", std::nullopt},
                                          {"", std::nullopt},
                                          {"0,5", std::nullopt}}) {
    EXPECT_EQ(parse_q(text), q) << text;
  }
  EXPECT_EQ(format_q(1000), "1");
  EXPECT_EQ(format_q(0), "0");
  EXPECT_EQ(format_q(500), "0.5");
  EXPECT_EQ(format_q(50), "0.05");
  EXPECT_EQ(format_q(125), "0.125");
  EXPECT_EQ(format_q(7), "0.007");
}

TEST(RegistrarCore, ContactValue) {
  Binding b;
  b.contact = "sip:a@192.0.2.10";
  b.expires_at = kNow + 30;
  EXPECT_EQ(contact_value(b, kNow), "<sip:a@192.0.2.10>;expires=30");
  b.q = 0;
  EXPECT_EQ(contact_value(b, kNow + 40), "<sip:a@192.0.2.10>;expires=0;q=0");
}

}  // namespace
}  // namespace cohort::pbx
