// Message-waiting indication: RFC 3842 over RFC 6665 (mwi.hpp).

#include "pbx/mwi.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/crypto.hpp"
#include "common/log.hpp"
#include "net/route.hpp"
#include "sip/grammar.hpp"
#include "sip/headers.hpp"

namespace cohort::pbx {

namespace {

using sip::HeaderId;
namespace g = sip::detail;

/// Every value of the header named `long_name` or its compact form `compact` (RFC 6665 §8.4:
/// Event is "o", Allow-Events "u"); HeaderId has no id for them.
std::vector<std::string_view> values_named(const sip::Message& m, std::string_view long_name,
                                           std::string_view compact) {
  std::vector<std::string_view> out;
  for (const sip::Header& h : m.headers()) {
    if (g::iequals(h.name, long_name) || g::iequals(h.name, compact)) {
      out.push_back(h.value);
    }
  }
  return out;
}

/// The Expires of a SUBSCRIBE (RFC 6665 §4.1.2.1): absent → the package default (RFC 3842
/// §4: 3600); read as RFC 3261 §20.19 reads a malformed one (3600); then clamped.
int expires_of(const sip::Message& req, int min, int max) {
  int value = 3600;
  if (auto e = req.header(HeaderId::kExpires)) {
    if (auto n = g::parse_decimal(g::trim_lws(*e), 0xFFFFFFFFull)) {
      value = static_cast<int>(std::min<std::uint64_t>(*n, 0x7FFFFFFF));
    }
  }
  if (value == 0) {
    return 0;
  }
  return std::clamp(value, min, max);
}

/// Whether the request's Accept (if any) admits the message-summary body (RFC 3842 §3.3;
/// RFC 6665 §4.1.2: a SUBSCRIBE's Accept lists the bodies the subscriber understands).
bool accepts_summary(const sip::Message& req) {
  std::vector<std::string_view> accept = req.header_values(HeaderId::kAccept);
  if (accept.empty()) {
    return true;
  }
  for (std::string_view v : accept) {
    std::string_view type = g::trim_lws(v.substr(0, v.find(';')));
    if (g::iequals(type, kSimpleMessageSummary) || g::iequals(type, "application/*") ||
        type == "*/*") {
      return true;
    }
  }
  return false;
}

}  // namespace

std::optional<EventHeader> parse_event(std::string_view value) {
  std::string_view rest = g::trim_lws(value);
  const std::size_t semi = rest.find(';');
  const std::string_view type = g::trim_lws(rest.substr(0, semi));
  // event-type = event-package *( "." event-template ); each a token-nodot.
  if (type.empty()) {
    return std::nullopt;
  }
  std::size_t from = 0;
  for (;;) {
    const std::size_t dot = type.find('.', from);
    const std::string_view part = type.substr(from, dot - from);
    if (!g::is_token(part) || part.find('.') != std::string_view::npos) {
      return std::nullopt;
    }
    if (dot == std::string_view::npos) {
      break;
    }
    from = dot + 1;
  }
  EventHeader out;
  out.package = std::string(type);
  if (semi == std::string_view::npos) {
    return out;
  }
  // The parameters, split at the semicolons outside quoted strings.
  std::vector<std::string_view> params;
  rest = rest.substr(semi + 1);
  bool quoted = false;
  std::size_t begin = 0;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (quoted) {
      if (rest[i] == '\\') {
        ++i;
      } else if (rest[i] == '"') {
        quoted = false;
      }
    } else if (rest[i] == '"') {
      quoted = true;
    } else if (rest[i] == ';') {
      params.push_back(rest.substr(begin, i - begin));
      begin = i + 1;
    }
  }
  if (quoted) {
    return std::nullopt;
  }
  params.push_back(rest.substr(begin));
  bool seen_id = false;
  for (std::string_view p : params) {
    // generic-param = token [ EQUAL gen-value ]; gen-value = token / host / quoted-string.
    const std::size_t eq = p.find('=');
    const std::string_view name = g::trim_lws(p.substr(0, eq));
    const std::string_view val =
        eq == std::string_view::npos ? std::string_view{} : g::trim_lws(p.substr(eq + 1));
    if (!g::is_token(name)) {
      return std::nullopt;
    }
    if (eq != std::string_view::npos) {
      const bool is_quoted = val.size() >= 2 && val.front() == '"' && val.back() == '"';
      if (!is_quoted && !g::is_token(val) && !g::all_of(val, g::kHost | g::kToken, false)) {
        return std::nullopt;
      }
    }
    if (g::iequals(name, "id")) {
      if (seen_id || !g::is_token(val)) {  // "id" EQUAL token, once
        return std::nullopt;
      }
      seen_id = true;
      out.id = std::string(val);
    }
  }
  return out;
}

std::string message_summary_body(const MailboxSummary& s, std::string_view account) {
  const std::int64_t fresh = s.unheard;
  const std::int64_t old = s.total - s.unheard;
  return fmt::format(
      "Messages-Waiting: {}\r\nMessage-Account: {}\r\nVoice-Message: {}/{} (0/0)\r\n",
      fresh > 0 ? "yes" : "no", account, fresh, old);
}

Mwi::Mwi(MwiOptions options, Hooks hooks) : opts_(std::move(options)), hooks_(std::move(hooks)) {}

std::string Mwi::account_of(std::string_view extension) const {
  return fmt::format("sip:{}@{}", extension, opts_.aor_host);
}

std::string Mwi::ok(const sip::Message& req, std::string_view top_via, std::string_view tag,
                    int expires) const {
  sip::MessageBuilder b = sip::make_response(req, 200, "OK", tag, top_via);
  b.header(HeaderId::kServer, opts_.user_agent);
  b.header(HeaderId::kExpires, std::to_string(expires));
  b.header(HeaderId::kContact, fmt::format("<sip:{}>", hooks_.via_address(net::Protocol::kUdp)));
  return b.str();
}

std::pair<int, std::string> Mwi::subscribe(std::size_t shard, const sip::Message& req,
                                           std::string_view top_via, const model::User& user,
                                           const net::Outbound& route) {
  auto refuse = [&](int status, std::string_view reason,
                    const std::function<void(sip::MessageBuilder&)>& extra = {}) {
    sip::MessageBuilder b = sip::make_response(req, status, reason, crypto::random_hex(6), top_via);
    b.header(HeaderId::kServer, opts_.user_agent);
    if (extra) {
      extra(b);
    }
    return std::pair<int, std::string>{status, b.str()};
  };
  const auto allow_events = [](sip::MessageBuilder& b) {
    b.header("Allow-Events", kMessageSummary);
  };
  std::vector<std::string_view> events = values_named(req, "Event", "o");
  if (events.empty()) {
    return refuse(400, "Missing Event header");
  }
  if (events.size() > 1) {
    return refuse(400, "Bad Event: more than one");
  }
  auto event = parse_event(events.front());
  if (!event) {
    return refuse(400, "Bad Event: not an event-type with parameters");
  }
  if (event->package != kMessageSummary) {
    return refuse(489, "Bad Event", allow_events);  // RFC 6665 §8.3.2
  }
  if (!accepts_summary(req)) {
    return refuse(406, "Not Acceptable", [](sip::MessageBuilder& b) {
      b.header(HeaderId::kAccept, kSimpleMessageSummary);
    });
  }
  // The AOR subscribed to: the user's own (RFC 3842 §3.2: the Request-URI names the account).
  auto ruri = sip::parse_uri(req.request_uri());
  auto target = ruri ? sip::unescape(ruri->user) : std::nullopt;
  if (!target || *target != user.extension) {
    return refuse(403, "Forbidden: only your own mailbox");
  }
  const int expires = expires_of(req, opts_.min_expires, opts_.max_expires);
  const std::string tag = crypto::random_hex(6);
  auto dialog = sip::dialog::uas_dialog(req, tag, false, sip::dialog::DialogState::kConfirmed);
  if (!dialog) {
    return refuse(400, dialog.error().reason);
  }
  // The first NOTIFY, also for Expires 0 (RFC 6665 §4.2.1.4: a fetch), follows the 200.
  Key key{dialog->call_id, tag};
  {
    std::lock_guard lock(mu_);
    Subscription& s = subs_[key];
    s.dialog = std::move(*dialog);
    s.user = user.id;
    s.extension = user.extension;
    s.event_id = event->id;
    s.route = route;
    s.route.bytes.clear();
    s.shard = shard;
    s.expires_at = hooks_.now_s() + expires;
    s.terminated = expires == 0;
  }
  spdlog::info("mwi event=subscribed user={} expires={}", user.id, expires);
  hooks_.post(shard, [this, shard, key](sip::txn::TimePoint now) { notify(shard, key, now); });
  return {200, ok(req, top_via, tag, expires)};
}

std::pair<int, std::string> Mwi::resubscribe(std::size_t shard, const sip::Message& req,
                                             std::string_view top_via) {
  const auto answer = [&](int status, std::string_view reason) {
    sip::MessageBuilder b = sip::make_response(req, status, reason, {}, top_via);
    b.header(HeaderId::kServer, opts_.user_agent);
    return std::pair<int, std::string>{status, b.str()};
  };
  Key key{std::string(req.call_id()), std::string(req.to_tag())};
  std::vector<std::string_view> events = values_named(req, "Event", "o");
  auto event = events.size() == 1 ? parse_event(events.front()) : std::nullopt;
  int expires = 0;
  {
    std::lock_guard lock(mu_);
    auto it = subs_.find(key);
    if (it == subs_.end() || it->second.terminated) {
      return answer(481, "Subscription Does Not Exist");
    }
    Subscription& s = it->second;
    if (!event || event->package != kMessageSummary || event->id != s.event_id) {
      return answer(489, "Bad Event");  // another event in this dialog is another subscription
    }
    const sip::dialog::Verdict v = sip::dialog::check_request(&s.dialog, req);
    if (v != sip::dialog::Verdict::kAccept) {
      return answer(sip::dialog::status_of(v), sip::dialog::reason_of(v));
    }
    if (auto contact = sip::parse_contacts(req); contact && contact->contacts.size() == 1) {
      s.dialog.remote_target =
          std::string(contact->contacts.front().uri_text);  // RFC 6665 §4.1.2.1
    }
    expires = expires_of(req, opts_.min_expires, opts_.max_expires);
    s.expires_at = hooks_.now_s() + expires;
    s.terminated = expires == 0;
    s.dirty = s.pending;
  }
  hooks_.post(shard, [this, shard, key](sip::txn::TimePoint now) { notify(shard, key, now); });
  sip::MessageBuilder b = sip::make_response(req, 200, "OK", {}, top_via);
  b.header(HeaderId::kServer, opts_.user_agent);
  b.header(HeaderId::kExpires, std::to_string(expires));
  b.header(HeaderId::kContact, fmt::format("<sip:{}>", hooks_.via_address(net::Protocol::kUdp)));
  return {200, b.str()};
}

void Mwi::notify(std::size_t shard, const Key& key, sip::txn::TimePoint now) {
  sip::Message request = [&]() -> sip::Message {
    std::lock_guard lock(mu_);
    auto it = subs_.find(key);
    if (it == subs_.end()) {
      return sip::MessageBuilder::request(sip::Method::kNotify, "sip:x").message();
    }
    Subscription& s = it->second;
    if (s.pending) {
      s.dirty = true;  // RFC 6665 §4.2.2: one NOTIFY at a time per subscription
      return sip::MessageBuilder::request(sip::Method::kNotify, "sip:x").message();
    }
    const std::int64_t left = std::max<std::int64_t>(0, s.expires_at - hooks_.now_s());
    const std::string state = s.terminated || left == 0 ? std::string("terminated;reason=timeout")
                                                        : fmt::format("active;expires={}", left);
    s.terminated = s.terminated || left == 0;
    const std::string via = net::via_value(s.route.protocol, hooks_.via_address(s.route.protocol),
                                           hooks_.mint_branch(shard));
    sip::MessageBuilder b = sip::dialog::build_request(s.dialog, sip::Method::kNotify, via);
    b.header(HeaderId::kContact, fmt::format("<sip:{}>", hooks_.via_address(s.route.protocol)));
    b.header("Event", s.event_id.empty() ? std::string(kMessageSummary)
                                         : fmt::format("{};id={}", kMessageSummary, s.event_id));
    b.header("Subscription-State", state);
    b.header(HeaderId::kUserAgent, opts_.user_agent);
    b.body(kSimpleMessageSummary,
           message_summary_body(hooks_.summary_of(s.user), account_of(s.extension)));
    s.pending = true;
    s.dirty = false;
    return std::move(b).message();
  }();
  if (request.call_id().empty()) {
    return;  // nothing to send now
  }
  net::Outbound route;
  {
    std::lock_guard lock(mu_);
    route = subs_.at(key).route;
  }
  const sip::txn::TxnId txn = hooks_.start_client(shard, std::move(request), route, now);
  std::lock_guard lock(mu_);
  sent_[{shard, txn}] = key;
}

bool Mwi::on_response(std::size_t shard, sip::txn::TxnId txn, int status, sip::txn::TimePoint now) {
  std::optional<Key> key;
  {
    std::lock_guard lock(mu_);
    auto it = sent_.find({shard, txn});
    if (it == sent_.end()) {
      return false;
    }
    if (status < 200) {
      return true;
    }
    key = it->second;
    sent_.erase(it);
    if (!key) {
      return true;  // an unsolicited NOTIFY: nothing follows from its answer
    }
    auto sub = subs_.find(*key);
    if (sub == subs_.end()) {
      return true;
    }
    Subscription& s = sub->second;
    s.pending = false;
    // RFC 6665 §4.2.2: a NOTIFY answered 481, or not at all, ends the subscription; so does
    // any other failure (the subscriber refused what we sent), and a terminated state sent.
    if (status >= 300 || s.terminated) {
      if (status >= 300) {
        spdlog::info("mwi event=subscription_ended user={} status={}", s.user, status);
      }
      subs_.erase(sub);
      return true;
    }
    if (!s.dirty) {
      return true;
    }
  }
  notify(shard, *key, now);
  return true;
}

void Mwi::mailbox_changed(const store::MailboxKey& box, const MailboxSummary& s) {
  if (box.box != model::DestVoicemail::Box::kUser) {
    return;
  }
  std::vector<std::pair<std::size_t, Key>> to_notify;
  std::string extension;
  {
    std::lock_guard lock(mu_);
    for (auto& [key, sub] : subs_) {
      if (sub.user == box.id && !sub.terminated) {
        to_notify.emplace_back(sub.shard, key);
        extension = sub.extension;
      }
    }
  }
  for (const auto& [shard, key] : to_notify) {
    hooks_.post(shard, [this, shard, key](sip::txn::TimePoint now) { notify(shard, key, now); });
  }
  if (to_notify.empty() && opts_.unsolicited) {
    hooks_.post(
        0, [this, user = box.id, s](sip::txn::TimePoint now) { notify_unsolicited(user, s, now); });
  }
}

void Mwi::notify_unsolicited(model::UserId user, const MailboxSummary& s, sip::txn::TimePoint now) {
  std::vector<CallTarget> targets = hooks_.targets_of(user);
  const std::string extension = hooks_.extension_of(user);
  if (targets.empty() || extension.empty()) {
    return;
  }
  const std::string aor = account_of(extension);
  for (const CallTarget& t : targets) {
    const std::size_t shard = 0;
    const std::string call_id = hooks_.mint_call_id(shard);
    sip::MessageBuilder b = sip::MessageBuilder::request(sip::Method::kNotify, t.contact);
    b.header(HeaderId::kVia, net::via_value(t.route.protocol, hooks_.via_address(t.route.protocol),
                                            hooks_.mint_branch(shard)));
    b.header(HeaderId::kMaxForwards, "70");
    for (const std::string& p : t.path) {
      b.header(HeaderId::kRoute, p);  // RFC 3327 §5.3
    }
    b.header(HeaderId::kFrom, fmt::format("<{}>;tag={}", aor, crypto::random_hex(6)));
    b.header(HeaderId::kTo, fmt::format("<{}>", aor));
    b.header(HeaderId::kCallId, call_id);
    b.header(HeaderId::kCSeq, "1 NOTIFY");
    b.header(HeaderId::kContact, fmt::format("<sip:{}>", hooks_.via_address(t.route.protocol)));
    b.header("Event", kMessageSummary);
    // Not part of a subscription (RFC 3842 §3.2 leaves unsolicited NOTIFY to local policy);
    // phones that accept it (Asterisk-style MWI) read it as an active one.
    b.header("Subscription-State", "active");
    b.header(HeaderId::kUserAgent, opts_.user_agent);
    b.body(kSimpleMessageSummary, message_summary_body(s, aor));
    const sip::txn::TxnId txn = hooks_.start_client(shard, std::move(b).message(), t.route, now);
    std::lock_guard lock(mu_);
    sent_[{shard, txn}] = std::nullopt;
  }
}

void Mwi::sweep() {
  std::vector<std::pair<std::size_t, Key>> expired;
  const std::int64_t now_s = hooks_.now_s();
  {
    std::lock_guard lock(mu_);
    for (auto& [key, sub] : subs_) {
      if (!sub.terminated && sub.expires_at <= now_s) {
        expired.emplace_back(sub.shard, key);
      }
    }
  }
  for (const auto& [shard, key] : expired) {
    hooks_.post(shard, [this, shard, key](sip::txn::TimePoint now) { notify(shard, key, now); });
  }
}

std::size_t Mwi::subscriptions() const {
  std::lock_guard lock(mu_);
  return subs_.size();
}

}  // namespace cohort::pbx
