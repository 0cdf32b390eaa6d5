#include "pbx/sip_server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <queue>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "common/crypto.hpp"
#include "common/text.hpp"
#include "net/route.hpp"
#include "pbx/registrar_core.hpp"
#include "pbx/security.hpp"
#include "sip/digest.hpp"
#include "sip/headers.hpp"
#include "sip/txn/table.hpp"

namespace cohort::pbx {
namespace {

namespace digest = sip::digest;
using sip::HeaderId;
using sip::Method;
using sip::txn::TimePoint;
using sip::txn::TxnId;
using Steady = std::chrono::steady_clock;

// What Cohort answers for itself (RFC 3261 §11.2). Calls (INVITE) arrive with the B2BUA.
constexpr std::string_view kAllow = "REGISTER, OPTIONS, ACK, CANCEL, BYE";
constexpr std::string_view kAccept = "application/sdp";
// RFC 3327 Path. Not "outbound": RFC 5626 flow tokens and 439 are not implemented (its
// instance-id/reg-id are kept, and CRLF keep-alives are answered by the transport).
constexpr std::string_view kSupported = "path";
constexpr std::string_view kUserAgent = "Cohort/0.1";

std::int64_t steady_ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

store::BindingRecord to_record(const Binding& b) {
  store::BindingRecord r;
  r.user = b.user;
  r.contact = b.contact;
  r.instance_id = b.instance_id;
  r.reg_id = b.reg_id.value_or(-1);
  r.q_milli = b.q;
  r.call_id = b.call_id;
  r.cseq = b.cseq;
  r.expires_at = b.expires_at;
  r.source = b.source;
  r.transport = b.transport;
  r.local = b.local;
  r.user_agent = b.user_agent;
  r.path = b.path;
  r.updated_at = b.updated_at;
  return r;
}

Binding from_record(const store::BindingRecord& r, const std::string& aor) {
  Binding b;
  b.user = r.user;
  b.aor = aor;
  b.contact = r.contact;
  b.instance_id = r.instance_id;
  if (r.reg_id >= 0) {
    b.reg_id = r.reg_id;
  }
  b.q = r.q_milli;
  b.call_id = r.call_id;
  b.cseq = r.cseq;
  b.expires_at = r.expires_at;
  b.source = r.source;
  b.transport = r.transport;
  b.local = r.local;
  b.user_agent = r.user_agent;
  b.path = r.path;
  b.updated_at = r.updated_at;
  return b;
}

/// Binding changes are written at least this often, in one transaction per batch.
constexpr std::chrono::milliseconds kPersistInterval{50};
constexpr std::size_t kPersistBatch = 2000;

/// What the request handlers answer: a status and the wire form of the response.
struct Reply {
  int status = 500;
  std::string bytes;
  bool authenticated = false;  ///< the request carried valid credentials
};

}  // namespace

struct SipServer::Impl {
  Impl(SipServerOptions o, store::Store& s, const Clock& c)
      : opts(std::move(o)),
        store(s),
        clock(c),
        secret(opts.nonce_secret.empty() ? crypto::random_hex(32) : opts.nonce_secret),
        bans(),
        failures(AuthFailurePolicy{opts.ban_after_failures, opts.ban_window_s * 1000,
                                   opts.ban_duration_s * 1000}),
        limiter(RateLimitPolicy{static_cast<double>(opts.rate_per_second),
                                static_cast<double>(opts.rate_burst)}) {
    limits.default_expires = opts.default_expires;
    limits.min_expires = opts.min_expires;
    limits.max_expires = opts.max_expires;
    limits.max_contacts = static_cast<std::size_t>(opts.max_contacts);
    for (int i = 0; i < std::max(1, opts.threads); ++i) {
      shards.push_back(std::make_unique<Shard>(opts.timers));
    }
  }

  // ---- configuration and collaborators ----
  SipServerOptions opts;
  store::Store& store;
  const Clock& clock;
  const std::string secret;  ///< nonce HMAC key (random per process when none is configured)
  std::vector<digest::Algorithm> algorithms;
  RegistrarLimits limits;
  std::unique_ptr<net::Transports> transports;

  // ---- transactions: one table per shard, chosen by Call-ID ----
  struct Shard {
    explicit Shard(const sip::txn::TimerConfig& t) : table(t) {}
    std::mutex mu;
    sip::txn::TransactionTable table;
    std::unordered_map<TxnId, net::Outbound> routes;  ///< where each transaction sends
  };
  std::vector<std::unique_ptr<Shard>> shards;

  // ---- timers: one thread, a heap of due times ----
  struct Timer {
    TimePoint at;
    std::size_t shard = 0;
    TxnId id = 0;
    sip::txn::TimerFired fired;
    bool operator>(const Timer& o) const { return at > o.at; }
  };
  std::mutex timer_mu;
  std::condition_variable timer_cv;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers;
  bool stopping = false;
  std::thread timer_thread;

  // ---- security ----
  mutable std::mutex security_mu;
  BanList bans;
  AuthFailureTracker failures;
  RateLimiter limiter;
  TrustedNetworks trusted;
  std::mutex nonce_mu;
  digest::NonceCounts counts;

  // ---- registrar: bindings per user, persisted by a writer thread ----
  mutable std::mutex reg_mu;
  std::unordered_map<model::UserId, std::vector<Binding>> bindings;
  std::mutex persist_mu;
  std::condition_variable persist_cv;
  /// The latest state of every binding changed since the last write, per key: a record to
  /// upsert, or nullopt to delete. Last write wins, so a batch needs no ordering.
  std::map<std::tuple<model::UserId, std::string, std::string, int>,
           std::optional<store::BindingRecord>>
      pending;
  bool persist_stopping = false;
  std::thread persist_thread;

  // ---- counters ----
  std::atomic<std::uint64_t> n_requests{0}, n_responses{0}, n_parse_errors{0}, n_dropped{0},
      n_challenges{0}, n_auth_failures{0}, n_bans{0}, n_banned_drops{0}, n_rate_limited{0},
      n_registrations{0};

  // ------------------------------------------------------------------------------------
  std::int64_t now_s() const { return unix_seconds(clock.now()); }

  Shard& shard_of(std::string_view call_id, std::size_t* index) {
    *index = std::hash<std::string_view>{}(call_id) % shards.size();
    return *shards[*index];
  }

  void send(net::Outbound out) {
    ++n_responses;
    transports->send(std::move(out));
  }

  /// Carries out a transaction's actions. Caller holds `shard.mu`.
  void execute(Shard& shard, std::size_t index, TxnId id, sip::txn::Actions& actions) {
    for (sip::txn::Action& a : actions) {
      if (auto* s = std::get_if<sip::txn::Send>(&a)) {
        auto it = shard.routes.find(id);
        if (it != shard.routes.end()) {
          net::Outbound out = it->second;
          out.bytes = std::move(s->bytes);
          send(std::move(out));
        }
      } else if (auto* t = std::get_if<sip::txn::StartTimer>(&a)) {
        std::lock_guard lock(timer_mu);
        // Wake the timer thread only when this timer is due before everything it waits for:
        // most timers (J, 32 s) are not, and a wake-up per response costs a context switch.
        const bool earliest = timers.empty() || t->at < timers.top().at;
        timers.push(Timer{t->at, index, id, sip::txn::TimerFired{t->timer, t->generation}});
        if (earliest) {
          timer_cv.notify_one();
        }
      } else if (std::holds_alternative<sip::txn::Terminated>(a)) {
        shard.routes.erase(id);
      }
    }
  }

  // ---- the transport handler ----------------------------------------------------------

  void on_inbound(net::Inbound&& in) {
    const TimePoint now = Steady::now();
    const std::int64_t now_ms = steady_ms(now);
    const std::string& ip = in.source.address;
    const bool is_trusted = trusted.contains(ip);
    if (!is_trusted) {
      std::lock_guard lock(security_mu);
      if (bans.is_banned(ip, now_ms)) {
        ++n_banned_drops;
        return;
      }
    }
    auto parsed = sip::parse(std::move(in.bytes), opts.limits);
    if (!parsed) {
      on_unparseable(in, parsed.error());
      return;
    }
    sip::Message& msg = *parsed;
    if (!msg.is_request()) {
      return;  // no client transactions yet: a stray response is dropped (§18.1.2)
    }
    ++n_requests;
    // Unauthenticated traffic is rate limited per source: a source whose bucket is empty is
    // dropped here, and every request that does not end up authenticated pays a token after
    // handling (below). Carrying an Authorization header buys nothing by itself.
    if (!is_trusted) {
      std::lock_guard lock(security_mu);
      if (limiter.tokens(ip, now_ms) < 1.0) {
        ++n_rate_limited;
        return;
      }
    }
    bool authenticated = false;
    const std::string top_via = sip::stamp_via(msg.top_via(), ip, in.source.port);
    auto via = sip::parse_via(top_via);
    if (!via) {
      return;  // cannot route a response; parse() already vetted the Via
    }
    std::size_t index = 0;
    Shard& shard = shard_of(msg.call_id(), &index);
    std::lock_guard lock(shard.mu);
    const bool reliable = in.protocol == net::Protocol::kTcp;
    sip::txn::Dispatch d = shard.table.on_request(msg, reliable, now, top_via);
    switch (d.disposition) {
      case sip::txn::Disposition::kNew: {
        shard.routes[d.id] = net::response_route(in, *via, {});
        bool deliver = false;
        for (const auto& a : d.actions) {
          deliver = deliver || std::holds_alternative<sip::txn::DeliverToTu>(a);
        }
        execute(shard, index, d.id, d.actions);
        if (deliver) {
          Reply reply = handle(msg, in, top_via, now_ms, is_trusted);
          authenticated = reply.authenticated;
          sip::txn::Actions out =
              shard.table.respond(d.id, reply.status, std::move(reply.bytes), now);
          execute(shard, index, d.id, out);
        }
        break;
      }
      case sip::txn::Disposition::kMatched:
        execute(shard, index, d.id, d.actions);
        break;
      case sip::txn::Disposition::kMerged: {
        shard.routes[d.id] = net::response_route(in, *via, {});
        // RFC 3261 §8.2.2.2: the same request arrived by two paths.
        std::string bytes = sip::make_response(msg, 482, "Loop Detected", new_tag(), top_via)
                                .header(HeaderId::kServer, kUserAgent)
                                .str();
        sip::txn::Actions out = shard.table.respond(d.id, 482, std::move(bytes), now);
        execute(shard, index, d.id, out);
        break;
      }
      case sip::txn::Disposition::kUnmatched:
        break;  // an ACK for a 2xx we never sent, or a stray: nothing to do
    }
    if (!is_trusted && !authenticated) {
      std::lock_guard security_lock(security_mu);
      limiter.allow(ip, now_ms);
    }
  }

  /// RFC 3261 §21.4 / RFC 4475: answer what can be answered, drop the rest.
  void on_unparseable(const net::Inbound& in, const sip::ParseError& err) {
    ++n_parse_errors;
    if (!err.can_respond || err.response.empty()) {
      ++n_dropped;
      return;
    }
    // Route by the Via the error response copied from the request.
    auto response = sip::parse(err.response);
    if (!response) {
      ++n_dropped;
      return;
    }
    auto via = sip::parse_via(response->top_via());
    if (!via) {
      ++n_dropped;
      return;
    }
    send(net::response_route(in, *via, err.response));
  }

  static std::string new_tag() { return crypto::random_hex(6); }

  // ---- request handlers (the TU) ------------------------------------------------------

  Reply reply(const sip::Message& req, std::string_view top_via, int status,
              std::string_view reason = {},
              const std::function<void(sip::MessageBuilder&)>& extra = {}) {
    sip::MessageBuilder b =
        sip::make_response(req, status, reason.empty() ? sip::default_reason(status) : reason,
                           status > 100 ? new_tag() : std::string(), top_via);
    b.header(HeaderId::kServer, kUserAgent);
    if (extra) {
      extra(b);
    }
    return Reply{status, b.str()};
  }

  Reply handle(const sip::Message& req, const net::Inbound& in, std::string_view top_via,
               std::int64_t now_ms, bool is_trusted) {
    // RFC 3261 §8.2.2.3: extensions the request requires and we lack → 420.
    if (req.method() != Method::kCancel && req.method() != Method::kAck) {
      std::string unsupported;
      for (std::string_view option : req.header_values(HeaderId::kRequire)) {
        std::string o = text::ascii_lower(text::trim(option));
        if (o != "path") {
          unsupported += unsupported.empty() ? "" : ", ";
          unsupported += std::string(text::trim(option));
        }
      }
      if (!unsupported.empty()) {
        return reply(req, top_via, 420, "Bad Extension", [&](sip::MessageBuilder& b) {
          b.header(HeaderId::kUnsupported, unsupported);
        });
      }
    }
    switch (req.method()) {
      case Method::kRegister:
        return on_register(req, in, top_via, now_ms, is_trusted);
      case Method::kOptions:
        return on_options(req, in, top_via, now_ms, is_trusted);
      case Method::kCancel:
      case Method::kBye:
        // No INVITE is ever pending and no dialog exists yet (§9.2, §15.1.2).
        return reply(req, top_via, 481);
      case Method::kUnknown:
        return reply(req, top_via, 501, {},
                     [](sip::MessageBuilder& b) { b.header(HeaderId::kAllow, kAllow); });
      default:
        return on_to_user(req, in, top_via, now_ms, is_trusted);
    }
  }

  /// Either the authenticated user, or the reply to send instead (a 401 challenge).
  struct Auth {
    const model::User* user = nullptr;
    std::optional<Reply> reply;
  };

  Reply challenge(const sip::Message& req, std::string_view top_via, bool stale) {
    ++n_challenges;
    const std::string nonce = digest::make_nonce(secret, opts.realm, now_s());
    // The same status and header set whatever went wrong (unknown user, wrong password,
    // no credentials): nothing tells an attacker which extensions exist.
    return reply(req, top_via, 401, {}, [&](sip::MessageBuilder& b) {
      for (digest::Algorithm a : algorithms) {
        b.header(HeaderId::kWwwAuthenticate,
                 digest::challenge_value(digest::Challenge{opts.realm, nonce, {}, a, stale}));
      }
    });
  }

  Auth authenticate(const sip::Message& req, const net::Inbound& in, std::string_view top_via,
                    const model::Snapshot& snap, std::int64_t now_ms, bool is_trusted) {
    auto found = digest::find_credentials(req.headers(), HeaderId::kAuthorization, opts.realm);
    if (!found || !*found) {
      return Auth{nullptr, challenge(req, top_via, false)};
    }
    const digest::Credentials& creds = **found;
    const model::User* user = snap.user_by_extension(creds.username);
    if (user != nullptr && !user->active) {
      user = nullptr;  // an inactive user looks exactly like an unknown one
    }
    digest::StoredHa1 stored;
    const digest::StoredHa1* stored_ptr = nullptr;
    if (user != nullptr && !user->digest.empty()) {
      stored = {user->digest.realm, user->digest.ha1_md5, user->digest.ha1_sha256};
      stored_ptr = &stored;
    }
    digest::VerifyOptions vo;
    vo.realm = opts.realm;
    vo.secret = secret;
    vo.nonce_ttl = opts.nonce_ttl_s;
    // Hash outside any lock; the replay check below is the only shared state.
    digest::Verdict v = digest::verify(creds, req.method_token(), stored_ptr, vo, now_s());
    switch (v.outcome) {
      case digest::Outcome::kOk: {
        auto nc = digest::parse_nonce_count(creds.nc.value_or(""));
        std::lock_guard lock(nonce_mu);
        if (!nc || !counts.accept(creds.nonce, *nc)) {
          return Auth{nullptr, challenge(req, top_via, false)};  // a replay
        }
        return Auth{user, std::nullopt};
      }
      case digest::Outcome::kStale:
        return Auth{nullptr, challenge(req, top_via, true)};
      case digest::Outcome::kBadCredentials:
        record_failure(in, creds.username, now_ms, is_trusted);
        return Auth{nullptr, challenge(req, top_via, false)};
      default:
        return Auth{nullptr, challenge(req, top_via, false)};
    }
  }

  void record_failure(const net::Inbound& in, std::string_view username, std::int64_t now_ms,
                      bool is_trusted) {
    ++n_auth_failures;
    if (is_trusted) {
      return;  // never banned; the failure is still counted
    }
    bool banned = false;
    {
      std::lock_guard lock(security_mu);
      banned = failures.record_failure(in.source.address, now_ms, bans);
    }
    if (banned) {
      ++n_bans;
      spdlog::warn("security event=ban source={} last_username={} failures={} window_s={} ban_s={}",
                   in.source.address, username, opts.ban_after_failures, opts.ban_window_s,
                   opts.ban_duration_s);
    }
  }

  Reply on_options(const sip::Message& req, const net::Inbound& in, std::string_view top_via,
                   std::int64_t now_ms, bool is_trusted) {
    auto ruri = sip::parse_uri(req.request_uri());
    auto capabilities = [](sip::MessageBuilder& b) {
      b.header(HeaderId::kAllow, kAllow);
      b.header(HeaderId::kAccept, kAccept);
      b.header(HeaderId::kSupported, kSupported);
    };
    if (!ruri || ruri->user.empty()) {
      return reply(req, top_via, 200, {}, capabilities);  // OPTIONS to Cohort itself
    }
    model::SnapshotPtr snap = store.snapshot();
    Auth auth = authenticate(req, in, top_via, *snap, now_ms, is_trusted);
    if (auth.reply) {
      return std::move(*auth.reply);
    }
    auto user = sip::unescape(ruri->user);
    Reply r = (!user || !snap->extension_owner(*user)) ? reply(req, top_via, 404)
                                                       : reply(req, top_via, 200, {}, capabilities);
    r.authenticated = true;
    return r;
  }

  /// INVITE, MESSAGE, SUBSCRIBE…: authenticate first, then 404 for a target that does not
  /// exist, and 501 until the feature exists — in that order, so that unauthenticated
  /// callers learn nothing about which extensions exist.
  Reply on_to_user(const sip::Message& req, const net::Inbound& in, std::string_view top_via,
                   std::int64_t now_ms, bool is_trusted) {
    model::SnapshotPtr snap = store.snapshot();
    Auth auth = authenticate(req, in, top_via, *snap, now_ms, is_trusted);
    if (auth.reply) {
      return std::move(*auth.reply);
    }
    auto ruri = sip::parse_uri(req.request_uri());
    if (ruri && !ruri->user.empty()) {
      auto user = sip::unescape(ruri->user);
      if (!user || !snap->extension_owner(*user)) {
        return reply(req, top_via, 404);
      }
    }
    return reply(req, top_via, 501, {},
                 [](sip::MessageBuilder& b) { b.header(HeaderId::kAllow, kAllow); });
  }

  Reply on_register(const sip::Message& req, const net::Inbound& in, std::string_view top_via,
                    std::int64_t now_ms, bool is_trusted) {
    model::SnapshotPtr snap = store.snapshot();
    Auth auth = authenticate(req, in, top_via, *snap, now_ms, is_trusted);
    if (auth.reply) {
      return std::move(*auth.reply);
    }
    Reply r = register_user(req, in, top_via, *auth.user);
    r.authenticated = true;
    return r;
  }

  /// §10.3 steps 2–8 for an authenticated user.
  Reply register_user(const sip::Message& req, const net::Inbound& in, std::string_view top_via,
                      const model::User& user) {
    // §10.3 steps 2–3: the AOR in To must be the authenticated user's (no third-party
    // registrations yet) and in our domain.
    auto to = sip::parse_name_addr(*req.header(HeaderId::kTo));
    if (!to) {
      return reply(req, top_via, 400, "Bad To header");
    }
    auto to_user = sip::unescape(to->uri.user);
    if (!to_user || *to_user != user.extension) {
      return reply(req, top_via, 403, "Forbidden: To is not the authenticated user");
    }
    if (!opts.domain.empty() && text::ascii_lower(to->uri.host) != text::ascii_lower(opts.domain)) {
      return reply(req, top_via, 404, "Not Found: unknown domain");
    }
    auto contacts = sip::parse_contacts(req);
    if (!contacts) {
      return reply(req, top_via, 400, contacts.error().reason);
    }
    const std::string aor =
        fmt::format("sip:{}@{}", user.extension, opts.domain.empty() ? opts.realm : opts.domain);
    const std::string source = net::to_string(in.source);
    const std::string local = net::to_string(in.local);
    RegisterRequest rr;
    rr.user = user.id;
    rr.aor = aor;
    rr.contacts = std::move(*contacts);
    rr.expires = req.header(HeaderId::kExpires);
    rr.call_id = req.call_id();
    rr.cseq = req.cseq();
    rr.source = source;
    rr.transport = net::to_string(in.protocol);
    rr.local = local;
    rr.user_agent = req.header(HeaderId::kUserAgent).value_or("");
    std::vector<std::string_view> path_values = req.header_values(HeaderId::kPath);
    rr.path.assign(path_values.begin(), path_values.end());

    const std::int64_t now = now_s();
    std::unique_lock lock(reg_mu);
    std::vector<Binding>& current = bindings[user.id];
    auto result = apply_register(current, rr, limits, now);
    if (!result) {
      const RegisterError& e = result.error();
      return reply(req, top_via, e.status, e.reason, [&](sip::MessageBuilder& b) {
        if (e.status == 423) {
          b.header(HeaderId::kMinExpires, std::to_string(e.min_expires));
        }
      });
    }
    current = result->bindings;
    if (current.empty()) {
      bindings.erase(user.id);
    }
    lock.unlock();
    persist(result->changes);
    ++n_registrations;
    return reply(req, top_via, 200, {}, [&](sip::MessageBuilder& b) {
      for (const std::string& c : result->contacts) {
        b.header(HeaderId::kContact, c);
      }
      // RFC 3327 §5.3: the registrar echoes the Path it stored.
      for (std::string_view p : rr.path) {
        b.header(HeaderId::kPath, p);
      }
      b.header(HeaderId::kSupported, kSupported);
    });
  }

  // ---- persistence of bindings ----------------------------------------------------------

  void persist(const std::vector<BindingChange>& changes) {
    if (changes.empty()) {
      return;
    }
    auto tuple_of = [](const Binding& b) {
      return std::tuple(b.user, b.contact, b.instance_id, b.reg_id.value_or(-1));
    };
    std::lock_guard lock(persist_mu);
    for (const BindingChange& c : changes) {
      if (c.kind == ChangeKind::kRemoved) {
        pending[tuple_of(c.binding)] = std::nullopt;
        continue;
      }
      if (c.previous && tuple_of(*c.previous) != tuple_of(c.binding)) {
        pending[tuple_of(*c.previous)] = std::nullopt;
      }
      pending[tuple_of(c.binding)] = to_record(c.binding);
    }
    // The writer wakes by itself every kPersistInterval; a wake-up per REGISTER would cost a
    // context switch each. Only a large backlog calls it early.
    if (pending.size() >= kPersistBatch) {
      persist_cv.notify_one();
    }
  }

  /// Writes queued binding changes in batches, one transaction each, off the SIP threads.
  void persist_loop() {
    std::unique_lock lock(persist_mu);
    for (;;) {
      persist_cv.wait_for(lock, kPersistInterval,
                          [&] { return persist_stopping || pending.size() >= kPersistBatch; });
      if (pending.empty() && !persist_stopping) {
        continue;
      }
      if (pending.empty() && persist_stopping) {
        return;
      }
      auto batch = std::move(pending);
      pending.clear();
      lock.unlock();
      std::vector<store::BindingRecord> put;
      std::vector<store::BindingKey> removed;
      for (auto& [key, record] : batch) {
        if (record) {
          put.push_back(std::move(*record));
        } else {
          removed.push_back(store::BindingKey{std::get<0>(key), std::get<1>(key), std::get<2>(key),
                                              std::get<3>(key)});
        }
      }
      if (auto saved = store.bindings().save_bindings(put, removed); !saved) {
        spdlog::error("registrar event=persist_failed error=\"{}\" bindings={}",
                      saved.error().message, put.size() + removed.size());
      }
      lock.lock();
    }
  }

  // ---- timers and sweeps ----------------------------------------------------------------

  void timer_loop() {
    auto next_sweep = Steady::now();
    std::unique_lock lock(timer_mu);
    while (!stopping) {
      const auto now = Steady::now();
      if (now >= next_sweep) {
        lock.unlock();
        sweep();
        lock.lock();
        next_sweep = now + std::chrono::seconds(1);
        continue;
      }
      if (timers.empty() || timers.top().at > now) {
        auto until = timers.empty() ? next_sweep : std::min(next_sweep, timers.top().at);
        timer_cv.wait_until(lock, until);
        continue;
      }
      Timer t = timers.top();
      timers.pop();
      lock.unlock();
      {
        Shard& shard = *shards[t.shard];
        std::lock_guard shard_lock(shard.mu);
        sip::txn::Actions actions = shard.table.on_timer(t.id, t.fired, Steady::now());
        execute(shard, t.shard, t.id, actions);
      }
      lock.lock();
    }
  }

  /// Once a second: expired bindings go (and are deleted from the store), idle security
  /// entries are forgotten.
  void sweep() {
    const std::int64_t now = now_s();
    std::vector<BindingChange> removed;
    {
      std::lock_guard lock(reg_mu);
      for (auto it = bindings.begin(); it != bindings.end();) {
        ExpireResult r = expire(it->second, now);
        for (Binding& b : r.expired) {
          removed.push_back(BindingChange{ChangeKind::kRemoved, std::move(b), std::nullopt});
        }
        if (r.kept.empty()) {
          it = bindings.erase(it);
        } else {
          it->second = std::move(r.kept);
          ++it;
        }
      }
    }
    persist(removed);
    const std::int64_t now_ms = steady_ms(Steady::now());
    {
      std::lock_guard lock(security_mu);
      bans.prune(now_ms);
      failures.prune(now_ms);
      limiter.prune(now_ms);
    }
    // A burst of REGISTERs leaves ~32 s of transactions (Timer J) behind; once they are gone,
    // give the freed heap back to the system instead of keeping the peak resident.
    if (++sweeps % 10 == 0) {
      ::malloc_trim(0);
    }
  }
  std::uint64_t sweeps = 0;

  Result<void> load_bindings() {
    COHORT_TRY_ASSIGN(auto stored, store.bindings().load_bindings());
    const std::int64_t now = now_s();
    model::SnapshotPtr snap = store.snapshot();
    std::vector<BindingChange> expired;
    std::size_t loaded = 0;
    for (const store::BindingRecord& r : stored) {
      const model::User* u = snap->user(r.user);
      std::string aor = fmt::format("sip:{}@{}", u ? u->extension : "",
                                    opts.domain.empty() ? opts.realm : opts.domain);
      Binding b = from_record(r, aor);
      if (u == nullptr || r.expires_at <= now) {
        expired.push_back(BindingChange{ChangeKind::kRemoved, std::move(b), std::nullopt});
        continue;
      }
      bindings[r.user].push_back(std::move(b));
      ++loaded;
    }
    persist(expired);
    spdlog::info("registrar bindings_loaded={} expired_dropped={}", loaded, expired.size());
    return {};
  }
};

SipServer::SipServer(SipServerOptions options, store::Store& store, const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), store, clock)) {}

SipServer::~SipServer() {
  stop();
}

Result<void> SipServer::start() {
  Impl& s = *impl_;
  for (const std::string& name : s.opts.digest_algorithms) {
    auto a = sip::digest::parse_algorithm(name);
    if (!a) {
      return fail(Error::invalid("sip.digest_algorithms",
                                 fmt::format("unsupported digest algorithm '{}'", name)));
    }
    s.algorithms.push_back(*a);
  }
  if (s.algorithms.empty()) {
    return fail(Error::invalid("sip.digest_algorithms", "at least one digest algorithm"));
  }
  COHORT_TRY_ASSIGN(s.trusted, TrustedNetworks::parse(s.opts.trusted_networks));
  COHORT_TRY(s.load_bindings());

  net::TransportOptions t;
  t.listen = s.opts.listen;
  t.threads = s.opts.threads;
  t.limits = s.opts.limits;
  t.tcp_idle_timeout = s.opts.tcp_idle_timeout;
  t.max_tcp_connections_per_source = s.opts.tcp_connections_per_source;
  s.transports = std::make_unique<net::Transports>(
      t, [&s](net::Inbound&& in) { s.on_inbound(std::move(in)); });
  s.persist_thread = std::thread([&s] { s.persist_loop(); });
  s.timer_thread = std::thread([&s] { s.timer_loop(); });
  if (auto started = s.transports->start(); !started) {
    stop();
    return started;
  }
  return {};
}

void SipServer::stop() {
  Impl& s = *impl_;
  if (s.transports) {
    s.transports->stop();
  }
  {
    std::lock_guard lock(s.timer_mu);
    s.stopping = true;
    s.timer_cv.notify_all();
  }
  if (s.timer_thread.joinable()) {
    s.timer_thread.join();
  }
  {
    std::lock_guard lock(s.persist_mu);
    s.persist_stopping = true;
    s.persist_cv.notify_all();
  }
  if (s.persist_thread.joinable()) {
    s.persist_thread.join();  // writes what is still queued
  }
}

std::vector<net::ListenAddress> SipServer::bound() const {
  return impl_->transports ? impl_->transports->bound() : std::vector<net::ListenAddress>{};
}

std::vector<RegistrationInfo> SipServer::registrations(std::optional<model::UserId> user) const {
  const Impl& s = *impl_;
  const std::int64_t now = s.now_s();
  std::vector<RegistrationInfo> out;
  std::lock_guard lock(s.reg_mu);
  for (const auto& [id, list] : s.bindings) {
    if (user && id != *user) {
      continue;
    }
    for (const Binding& b : list) {
      if (b.expires_at > now) {
        out.push_back(RegistrationInfo{id, to_record(b)});
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const RegistrationInfo& a, const RegistrationInfo& b) {
    return std::tie(a.user, a.binding.contact) < std::tie(b.user, b.binding.contact);
  });
  return out;
}

std::vector<BanInfo> SipServer::bans() const {
  const Impl& s = *impl_;
  const std::int64_t now_ms = steady_ms(Steady::now());
  const std::int64_t wall_ms = unix_seconds(s.clock.now()) * 1000;
  std::vector<BanInfo> out;
  std::lock_guard lock(s.security_mu);
  for (const Ban& b : s.bans.list(now_ms)) {
    // Bans are kept on the steady clock; shown in wall-clock time.
    out.push_back(BanInfo{b.ip, (wall_ms - (now_ms - b.since_ms)) / 1000,
                          (wall_ms + (b.until_ms - now_ms)) / 1000,
                          b.reason.empty() ? "too many failed authentications" : b.reason});
  }
  return out;
}

bool SipServer::lift_ban(const std::string& address) {
  Impl& s = *impl_;
  std::lock_guard lock(s.security_mu);
  s.failures.forget(address);
  bool lifted = s.bans.lift(address);
  if (lifted) {
    spdlog::warn("security event=ban_lifted source={}", address);
  }
  return lifted;
}

SipStats SipServer::stats() const {
  const Impl& s = *impl_;
  SipStats st;
  st.requests = s.n_requests;
  st.responses_sent = s.n_responses;
  st.parse_errors = s.n_parse_errors;
  st.dropped_unparseable = s.n_dropped;
  st.auth_challenges = s.n_challenges;
  st.auth_failures = s.n_auth_failures;
  st.bans = s.n_bans;
  st.banned_drops = s.n_banned_drops;
  st.rate_limited = s.n_rate_limited;
  st.registrations = s.n_registrations;
  {
    std::lock_guard lock(s.reg_mu);
    for (const auto& [id, list] : s.bindings) {
      st.bindings += list.size();
    }
  }
  for (const auto& shard : s.shards) {
    std::lock_guard lock(shard->mu);
    st.transactions += shard->table.size();
  }
  return st;
}

net::Transports::Stats SipServer::transport_stats() const {
  return impl_->transports ? impl_->transports->stats() : net::Transports::Stats{};
}

}  // namespace cohort::pbx
