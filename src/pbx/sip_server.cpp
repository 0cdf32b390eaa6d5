#include "pbx/sip_server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <future>
#include <mutex>
#include <queue>
#include <unordered_map>

#include "common/crypto.hpp"
#include "common/text.hpp"
#include "net/route.hpp"
#include "pbx/authenticator.hpp"
#include "pbx/call_records.hpp"
#include "pbx/registrar.hpp"
#include "pbx/resolver.hpp"
#include "pbx/source_guard.hpp"
#include "pbx/trunk_registrations.hpp"
#include "pbx/trunk_slots.hpp"
#include "sip/digest.hpp"
#include "sip/headers.hpp"
#include "sip/txn/branch.hpp"
#include "sip/txn/table.hpp"

namespace cohort::pbx {
namespace {

namespace digest = sip::digest;
using sip::HeaderId;
using sip::Method;
using sip::txn::TimePoint;
using sip::txn::TxnId;
using Steady = std::chrono::steady_clock;

// What Cohort answers for itself (RFC 3261 §11.2).
constexpr std::string_view kAllow = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, UPDATE, INFO";
constexpr std::string_view kAccept = "application/sdp";
// RFC 3327 Path. Not "outbound": RFC 5626 flow tokens and 439 are not implemented (its
// instance-id/reg-id are kept, and CRLF keep-alives are answered by the transport).
constexpr std::string_view kSupported = "path";
constexpr std::string_view kUserAgent = "Cohort/0.1";

std::int64_t steady_ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

/// What the request handlers answer: a status and the wire form of the response. Status 0:
/// the handler has answered (or will answer) through the transaction itself.
struct Reply {
  int status = 500;
  std::string bytes;
  bool authenticated = false;  ///< the request carried valid credentials
};

/// Where a request is being handled: its shard (locked), its server transaction.
struct Here {
  std::size_t shard = 0;
  TxnId txn = 0;
  TimePoint now{};
  const net::Outbound* reply_route = nullptr;
};

RegistrarLimits registrar_limits(const SipServerOptions& o) {
  RegistrarLimits limits;
  limits.default_expires = o.default_expires;
  limits.min_expires = o.min_expires;
  limits.max_expires = o.max_expires;
  limits.max_contacts = static_cast<std::size_t>(o.max_contacts);
  return limits;
}

/// The host part of our AORs and URIs: the configured domain, else the realm.
std::string aor_host(const SipServerOptions& o) {
  return o.domain.empty() ? o.realm : o.domain;
}

}  // namespace

struct SipServer::Impl final : SipCore {
  Impl(SipServerOptions o, store::Store& s, const Clock& c)
      : opts(std::move(o)),
        store(s),
        clock(c),
        guard(SourceGuardOptions{opts.ban_after_failures, opts.ban_window_s, opts.ban_duration_s,
                                 opts.rate_per_second, opts.rate_burst, opts.trusted_networks}),
        auth(AuthenticatorOptions{opts.realm, opts.nonce_secret, opts.nonce_ttl_s,
                                  opts.digest_algorithms}),
        registrar(registrar_limits(opts), s.bindings(), aor_host(opts)),
        records(s.cdrs(), s.hunt()),
        trunks(resolver,
               TrunkRegistrations::Addressing{
                   [this](net::Protocol p) { return via_address(p); },
                   [this](net::Protocol p) { return local_endpoint(p); },
                   [this](std::size_t shard) { return mint_branch(shard); },
                   [this](std::string_view call_id) { return shard_index(call_id); },
                   [this] { return now_s(); }},
               std::string(kUserAgent)) {
    for (int i = 0; i < std::max(1, opts.threads); ++i) {
      shards.push_back(std::make_unique<Shard>(opts.timers));
    }
    CallOptions co;
    co.t1 = opts.timers.t1;
    co.t2 = opts.timers.t2;
    co.ring_timeout = opts.ring_timeout;
    co.user_agent = std::string(kUserAgent);
    co.domain = opts.domain.empty() ? opts.realm : opts.domain;
    calls = std::make_unique<CallController>(co, *this, shards.size());
  }

  // ---- configuration and collaborators ----
  SipServerOptions opts;
  store::Store& store;
  const Clock& clock;
  std::unique_ptr<net::Transports> transports;

  // ---- shards: transactions, calls and timers, each owned by one transport thread ----
  /// A due time on a shard: a transaction's timer, a call's timer, or the shard's sweep.
  struct Timer {
    TimePoint at;
    TxnId id = 0;
    sip::txn::TimerFired fired;
    std::uint64_t call = 0;  ///< non-zero: a call timer (CallController::on_timer)
    bool sweep = false;      ///< the once-a-second sweep of this shard
    bool operator>(const Timer& o) const { return at > o.at; }
  };
  /// Everything here is touched only on the shard's thread (STYLE.md practice 8): requests
  /// and responses are posted to the shard their Call-ID hashes to, and the shard's timers
  /// fire on it (Transports::wake_at). No lock.
  struct Shard {
    explicit Shard(const sip::txn::TimerConfig& t) : table(t) {}
    sip::txn::TransactionTable table;
    std::unordered_map<TxnId, net::Outbound> routes;          ///< where each transaction sends
    std::unordered_map<TxnId, model::TrunkId> registrations;  ///< our REGISTERs to trunks
    std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers;
    std::atomic<std::size_t> transactions{0};  ///< table.size(), published for /metrics
  };
  std::vector<std::unique_ptr<Shard>> shards;

  // ---- components shared by the shards, each behind its own small API ----
  SourceGuard guard;          ///< trusted networks, rate limits, failures, bans
  Authenticator auth;         ///< digest verification and challenges
  Registrar registrar;        ///< bindings, committed by a group-commit writer
  CallRecords records;        ///< CDRs and cursors, committed by a group-commit writer
  Resolver resolver;          ///< trunk host names, off the SIP threads
  TrunkRegistrations trunks;  ///< our REGISTERs to providers
  TrunkSlots trunk_slots;     ///< calls in progress per trunk (max_concurrent_calls)

  // ---- counters ----
  std::atomic<std::uint64_t> n_requests{0}, n_responses{0}, n_parse_errors{0}, n_dropped{0},
      n_challenges{0}, n_auth_failures{0}, n_registrations{0};

  // ---- calls ----
  std::unique_ptr<CallController> calls;
  std::mutex outbound_mu;
  std::shared_ptr<const routing::OutboundTable> outbound;
  std::shared_ptr<const routing::InboundTable> inbound;  ///< under outbound_mu
  AgentBoard agent_board;
  /// Trunk sources (inbound_sources) of the snapshot version `sources_version`.
  std::mutex sources_mu;
  std::uint64_t sources_version = ~0ull;
  std::vector<std::pair<TrustedNetworks, model::TrunkId>> sources;

  // ------------------------------------------------------------------------------------
  std::int64_t now_s() const { return unix_seconds(clock.now()); }

  std::size_t shard_index(std::string_view call_id) const {
    return std::hash<std::string_view>{}(call_id) % shards.size();
  }

  /// Runs `fn` on shard `index`'s thread: inline when already there, else posted.
  template <class Fn>
  void run_on(std::size_t index, Fn&& fn) {
    if (transports->current_shard() == index) {
      std::forward<Fn>(fn)();
    } else {
      transports->post(index, std::forward<Fn>(fn));
    }
  }

  /// Runs `fn()` on shard `index` and waits for its result: another thread (the API) asking
  /// a shard about its state. The empty result when the shards are not running (before
  /// start, once stop began) or do not answer within 2 s.
  template <class Fn>
  auto ask(std::size_t index, Fn fn) -> decltype(fn()) {
    using R = decltype(fn());
    if (!serving) {
      return R{};
    }
    auto promise = std::make_shared<std::promise<R>>();
    std::future<R> answer = promise->get_future();
    transports->post(index, [promise, fn] { promise->set_value(fn()); });
    try {
      if (answer.wait_for(std::chrono::seconds(2)) == std::future_status::ready) {
        return answer.get();
      }
    } catch (const std::future_error&) {
      // the task was dropped: the transports are stopping
    }
    return R{};
  }
  std::atomic<bool> serving{false};  ///< the shards' threads run (between start and stop)

  /// Queues a due time on shard `index` (its thread) and makes sure the shard wakes for it.
  void schedule(std::size_t index, Timer t) {
    Shard& shard = *shards[index];
    shard.timers.push(t);
    transports->wake_at(t.at);  // ignored when an earlier wake-up is pending
  }

  /// The shard's wake-up (its thread): runs what is due, then asks to wake for the next.
  void on_wake(std::size_t index) {
    Shard& shard = *shards[index];
    TimePoint now = Steady::now();
    while (!shard.timers.empty() && shard.timers.top().at <= now) {
      Timer t = shard.timers.top();
      shard.timers.pop();
      if (t.sweep) {
        sweep(index, now);
        t.at = now + std::chrono::seconds(1);
        shard.timers.push(t);
      } else if (t.call != 0) {
        calls->on_timer(index, t.call, now);
      } else {
        sip::txn::Actions actions = shard.table.on_timer(t.id, t.fired, now);
        execute(shard, index, t.id, actions);
      }
      now = Steady::now();
    }
    published(index);
    if (!shard.timers.empty()) {
      transports->wake_at(shard.timers.top().at);
    }
  }

  /// Publishes the shard's counters for other threads (after each event on it).
  void published(std::size_t index) {
    Shard& shard = *shards[index];
    shard.transactions.store(shard.table.size(), std::memory_order_relaxed);
  }

  void send(net::Outbound out) {
    ++n_responses;
    transports->send(std::move(out));
  }

  /// Carries out a transaction's actions. On the shard's thread.
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
        schedule(index, Timer{t->at, id, sip::txn::TimerFired{t->timer, t->generation}});
      } else if (std::holds_alternative<sip::txn::TransactionTimeout>(a)) {
        client_failed(shard, index, id, 408);
      } else if (std::holds_alternative<sip::txn::TransportError>(a)) {
        client_failed(shard, index, id, 503);
      } else if (std::holds_alternative<sip::txn::Terminated>(a)) {
        shard.routes.erase(id);
        shard.registrations.erase(id);
      }
    }
  }

  void client_failed(Shard& shard, std::size_t index, TxnId id, int status) {
    if (auto it = shard.registrations.find(id); it != shard.registrations.end()) {
      const model::TrunkId trunk = it->second;
      shard.registrations.erase(it);
      trunks.on_failure(trunk, id, status, status == 408 ? "timeout" : "transport error",
                        Steady::now());
      return;
    }
    calls->on_client_failure(index, id, status, Steady::now());
  }

  // ---- the transport handler ----------------------------------------------------------

  void on_inbound(net::Inbound&& in) {
    const TimePoint now = Steady::now();
    const std::int64_t now_ms = steady_ms(now);
    const std::string& ip = in.source.address;
    const bool is_trusted = guard.trusted(ip);
    if (!is_trusted && !guard.admit(ip, now_ms)) {
      return;  // banned
    }
    auto parsed = sip::parse(std::move(in.bytes), opts.limits);
    if (!parsed) {
      on_unparseable(in, parsed.error());
      return;
    }
    sip::Message& msg = *parsed;
    const std::size_t index = shard_index(msg.call_id());
    if (!msg.is_request()) {
      // To the shard that owns the Call-ID (every id we mint hashes to its call's shard).
      hop(index, std::move(in), std::move(msg), is_trusted,
          [this](std::size_t i, const net::Inbound&, const sip::Message& m, bool) {
            on_response(i, m, Steady::now());
          });
      return;
    }
    ++n_requests;
    // Unauthenticated traffic is rate limited per source: every request from an untrusted
    // source takes a token here (a source whose bucket is empty is dropped), and gets it
    // back once it turned out to be authenticated (on_request). Carrying an Authorization
    // header buys nothing by itself. Taken before the hop to the owning shard, so a burst
    // is limited even while its requests wait in the shard's queue.
    if (!is_trusted && !guard.take_token(ip, now_ms)) {
      return;
    }
    hop(index, std::move(in), std::move(msg), is_trusted,
        [this](std::size_t i, const net::Inbound& inbound, const sip::Message& m, bool trust) {
          on_request(i, inbound, m, trust);
        });
  }

  /// Runs `handler(index, in, msg, trusted)` on shard `index`: inline when this transport
  /// thread is that shard (no copy, no hop), else posted with the message moved along.
  template <class Handler>
  void hop(std::size_t index, net::Inbound&& in, sip::Message&& msg, bool trusted,
           Handler handler) {
    if (transports->current_shard() == index) {
      handler(index, in, msg, trusted);
      published(index);
      return;
    }
    struct Arrival {
      net::Inbound in;
      sip::Message msg;
    };
    auto arrival = std::make_shared<Arrival>(Arrival{std::move(in), std::move(msg)});
    transports->post(index, [this, index, arrival, trusted, handler] {
      handler(index, arrival->in, arrival->msg, trusted);
      published(index);
    });
  }

  /// A request on the shard that owns its Call-ID: to its server transaction (§17.2.3),
  /// then, when new, to the handlers (the TU).
  void on_request(std::size_t index, const net::Inbound& in, const sip::Message& msg,
                  bool is_trusted) {
    const TimePoint now = Steady::now();
    const std::int64_t now_ms = steady_ms(now);
    const std::string& ip = in.source.address;
    Shard& shard = *shards[index];
    bool authenticated = false;
    const std::string top_via = sip::stamp_via(msg.top_via(), ip, in.source.port);
    auto via = sip::parse_via(top_via);
    if (!via) {
      return;  // cannot route a response; parse() already vetted the Via
    }
    const bool reliable = in.protocol == net::Protocol::kTcp;
    sip::txn::Dispatch d = shard.table.on_request(msg, reliable, now, top_via);
    switch (d.disposition) {
      case sip::txn::Disposition::kNew: {
        const net::Outbound route = net::response_route(in, *via, {});
        shard.routes[d.id] = route;
        bool deliver = false;
        for (const auto& a : d.actions) {
          deliver = deliver || std::holds_alternative<sip::txn::DeliverToTu>(a);
        }
        execute(shard, index, d.id, d.actions);
        if (deliver) {
          Here here{index, d.id, now, &route};
          Reply reply = handle(msg, in, top_via, now_ms, is_trusted, here);
          authenticated = reply.authenticated;
          if (reply.status != 0) {
            sip::txn::Actions out =
                shard.table.respond(d.id, reply.status, std::move(reply.bytes), now);
            execute(shard, index, d.id, out);
          }
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
        // The ACK for a 2xx: its own transaction, the dialog takes it (RFC 3261 §13.3.1.4).
        if (msg.method() == Method::kAck && !msg.to_tag().empty()) {
          const net::Outbound route = net::response_route(in, *via, {});
          authenticated = calls->on_in_dialog(index, 0, msg, route, now);
        }
        break;
    }
    if (!is_trusted && authenticated) {
      guard.refund(ip);
    }
  }

  /// A response from the transport: to its client transaction (§17.1.3), then to the
  /// trunk registration or the call that sent the request.
  void on_response(std::size_t index, const sip::Message& msg, TimePoint now) {
    Shard& shard = *shards[index];
    sip::txn::Dispatch d = shard.table.on_response(msg, now);
    if (d.disposition == sip::txn::Disposition::kUnmatched) {
      calls->on_stray_response(index, msg, now);
      return;
    }
    bool deliver = false;
    for (const auto& a : d.actions) {
      deliver = deliver || std::holds_alternative<sip::txn::DeliverToTu>(a);
    }
    // Look the owner up before execute(): a final response terminates the transaction.
    std::optional<model::TrunkId> reg;
    if (auto it = shard.registrations.find(d.id); it != shard.registrations.end()) {
      reg = it->second;
    }
    execute(shard, index, d.id, d.actions);
    if (!deliver) {
      return;
    }
    if (reg) {
      if (msg.status() >= 200) {
        shard.registrations.erase(d.id);
        if (auto resend = trunks.on_response(*reg, d.id, msg, Steady::now())) {
          send_register(std::move(*resend));
        }
      }
      return;
    }
    calls->on_response(index, d.id, msg, now);
  }

  // ---- SipCore: what the call controller uses (on the shard's thread) -------------------

  TxnId start_client(std::size_t index, std::string bytes, const net::Outbound& route,
                     TimePoint now) override {
    auto msg = sip::parse(std::move(bytes), opts.limits);
    if (!msg) {
      spdlog::error("sip event=bad_own_request reason=\"{}\"", msg.error().reason);
      return 0;
    }
    Shard& shard = *shards[index];
    sip::txn::Started started =
        shard.table.start_client(*msg, route.protocol == net::Protocol::kTcp, now);
    net::Outbound r = route;
    r.bytes.clear();
    shard.routes[started.id] = std::move(r);
    execute(shard, index, started.id, started.actions);
    return started.id;
  }

  void respond(std::size_t index, TxnId txn, int status, std::string bytes,
               TimePoint now) override {
    Shard& shard = *shards[index];
    sip::txn::Actions out = shard.table.respond(txn, status, std::move(bytes), now);
    execute(shard, index, txn, out);
  }

  void send_direct(net::Outbound out) override { send(std::move(out)); }

  void arm(std::size_t index, std::uint64_t call, TimePoint at) override {
    schedule(index, Timer{at, 0, {}, call});
  }

  std::string mint_call_id(std::size_t index) override {
    // STYLE.md practice 8: a B leg's Call-ID hashes to its A leg's shard, so the whole call
    // lives on one thread. With n shards a random id lands right 1 time in n.
    for (;;) {
      std::string id = crypto::random_hex(16) + "@cohort";
      if (shard_index(id) == index) {
        return id;
      }
    }
  }

  std::string mint_branch(std::size_t index) override {
    std::uint64_t r = 0;
    const std::string hex = crypto::random_hex(8);
    for (char c : hex) {
      r = (r << 4) | static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    return sip::txn::make_branch(static_cast<std::uint32_t>(index), r);
  }

  std::string via_address(net::Protocol protocol) const override {
    if (!opts.advertised_address.empty()) {
      return opts.advertised_address;
    }
    const net::Endpoint e = local_endpoint(protocol);
    return net::to_string(e);
  }

  net::Endpoint local_endpoint(net::Protocol protocol) const override {
    for (const net::ListenAddress& l : bound_cache) {
      if (l.protocol == protocol) {
        return l.endpoint;
      }
    }
    return {};
  }
  std::vector<net::ListenAddress> bound_cache;  ///< set once after the transports start

  std::vector<CallTarget> targets_of(model::UserId user) const override {
    std::vector<CallTarget> out;
    for (const Binding& b : registrar.bindings_of(user, now_s())) {
      CallTarget t;
      t.contact = b.contact;
      t.path = b.path;
      // Send where the REGISTER came from (NAT-friendly, RFC 5626 spirit): the binding's
      // source over its transport.
      t.route.protocol = b.transport == "tcp" ? net::Protocol::kTcp : net::Protocol::kUdp;
      const std::size_t colon = b.source.rfind(':');
      if (colon == std::string::npos) {
        continue;
      }
      std::string host = b.source.substr(0, colon);
      if (host.size() > 2 && host.front() == '[') {
        host = host.substr(1, host.size() - 2);
      }
      t.route.destination = net::Endpoint{host, static_cast<std::uint16_t>(std::strtoul(
                                                    b.source.c_str() + colon + 1, nullptr, 10))};
      // Over UDP, a Contact on the address the REGISTER came from is reachable as it says
      // (a phone whose registering and listening ports differ); a Contact naming another
      // address is behind NAT, and only the source reaches it (Kamailio's nat_uac_test).
      if (t.route.protocol == net::Protocol::kUdp) {
        if (auto uri = sip::parse_uri(b.contact); uri && uri->host == host) {
          t.route.destination.port = uri->port.value_or(5060);
        }
      }
      out.push_back(std::move(t));
    }
    return out;
  }

  std::optional<net::Endpoint> trunk_address(const model::Trunk& trunk) override {
    auto address = resolver.address(trunk.host);
    if (!address) {
      return std::nullopt;  // resolved off the SIP threads; this call fails over meanwhile
    }
    return net::Endpoint{std::move(*address), static_cast<std::uint16_t>(trunk.port)};
  }

  bool acquire_trunk(const model::Trunk& trunk) override { return trunk_slots.acquire(trunk); }

  void release_trunk(model::TrunkId trunk) override { trunk_slots.release(trunk); }

  std::shared_ptr<const routing::OutboundTable> outbound_table() override {
    model::SnapshotPtr snap = store.snapshot();
    std::lock_guard lock(outbound_mu);
    if (!outbound || outbound->version() != snap->version()) {
      outbound = std::make_shared<const routing::OutboundTable>(snap);
    }
    return outbound;
  }

  std::shared_ptr<const routing::InboundTable> inbound_table() override {
    model::SnapshotPtr snap = store.snapshot();
    std::lock_guard lock(outbound_mu);
    if (!inbound || inbound->version() != snap->version()) {
      inbound = std::make_shared<const routing::InboundTable>(snap);
    }
    return inbound;
  }

  AgentBoard& agents() override { return agent_board; }

  void save_cursor(model::GroupId group, model::UserId user) override {
    records.save_cursor(group, user);
  }

  bool has_binding(model::UserId user) const override {
    return registrar.has_binding(user, now_s());
  }

  void write_cdr(store::CdrRecord record) override { records.write(std::move(record)); }

  void write_cdr_durable(std::size_t index, store::CdrRecord record, std::uint64_t call) override {
    records.write(std::move(record), [this, index, call](bool durable) {
      on_shard(index, [this, index, call, durable](TimePoint now) {
        calls->on_record_durable(index, call, durable, now);
      });
    });
  }

  void respond_durable(std::size_t index, TxnId txn, int status, std::string bytes) override {
    records.after_queued([this, index, txn, status, bytes = std::move(bytes)](bool) mutable {
      // The BYE is answered either way: a failed write is logged, and the call is over.
      on_shard(index, [this, index, txn, status, bytes = std::move(bytes)](TimePoint now) mutable {
        respond(index, txn, status, std::move(bytes), now);
      });
    });
  }

  std::int64_t now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch())
        .count();
  }

  /// Posts `fn(now)` to shard `index` (the writers' continuations, off the shards).
  template <class Fn>
  void on_shard(std::size_t index, Fn&& fn) {
    transports->post(index, [this, index, fn = std::forward<Fn>(fn)]() mutable {
      fn(Steady::now());
      published(index);
    });
  }

  // ---- trunk registrations ------------------------------------------------------------

  /// Starts the client transaction of a REGISTER to a provider on the shard its Call-ID
  /// hashes to.
  void send_register(RegisterSend send) {
    const std::size_t index = send.shard;
    run_on(index, [this, index, send = std::move(send)]() mutable {
      const TxnId txn = start_client(index, std::move(send.bytes), send.route, Steady::now());
      if (txn != 0) {
        shards[index]->registrations[txn] = send.trunk;
      }
      trunks.sent(send.trunk, txn, Steady::now());
    });
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
               std::int64_t now_ms, bool is_trusted, const Here& here) {
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
    // A request inside a dialog goes to the call that owns it (§12.2.2): no new
    // authentication, the dialog identifiers are the proof.
    if (!req.to_tag().empty() && req.method() != Method::kCancel &&
        req.method() != Method::kRegister) {
      if (calls->on_in_dialog(here.shard, here.txn, req, *here.reply_route, here.now)) {
        return Reply{0, {}, true};
      }
      return reply(req, top_via, 481);
    }
    switch (req.method()) {
      case Method::kRegister:
        return on_register(req, in, top_via, now_ms, is_trusted, here);
      case Method::kOptions:
        return on_options(req, in, top_via, now_ms, is_trusted);
      case Method::kInvite:
        return on_invite(req, in, top_via, now_ms, is_trusted, here);
      case Method::kCancel: {
        // §9.2: a CANCEL matching a pending INVITE is answered 200 and the INVITE 487.
        std::optional<TxnId> target = shards[here.shard]->table.find_cancel_target(req);
        if (target && calls->on_cancel(here.shard, *target, here.now)) {
          Reply r = reply(req, top_via, 200);
          r.authenticated = true;
          return r;
        }
        return reply(req, top_via, 481);
      }
      case Method::kBye:
        return reply(req, top_via, 481);  // §15.1.2: BYE outside any dialog
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
    // The same status and header set whatever went wrong (unknown user, wrong password,
    // no credentials): nothing tells an attacker which extensions exist.
    return reply(req, top_via, 401, {}, [&](sip::MessageBuilder& b) {
      for (const std::string& value : auth.challenges(stale, now_s())) {
        b.header(HeaderId::kWwwAuthenticate, value);
      }
    });
  }

  Auth authenticate(const sip::Message& req, const net::Inbound& in, std::string_view top_via,
                    const model::Snapshot& snap, std::int64_t now_ms, bool is_trusted) {
    AuthVerdict v = auth.verify(req, snap, now_s());
    switch (v.outcome) {
      case AuthOutcome::kAuthenticated:
        return Auth{v.user, std::nullopt};
      case AuthOutcome::kStale:
        return Auth{nullptr, challenge(req, top_via, true)};
      case AuthOutcome::kFailed:
        ++n_auth_failures;
        if (!is_trusted) {  // never banned; the failure is still counted
          guard.record_failure(in.source.address, v.username, now_ms);
        }
        return Auth{nullptr, challenge(req, top_via, false)};
      case AuthOutcome::kChallenge:
        break;
    }
    return Auth{nullptr, challenge(req, top_via, false)};
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

  /// The trunk whose inbound_sources contain `ip`, if any.
  std::optional<model::TrunkId> trunk_source(const model::Snapshot& snap, const std::string& ip) {
    std::lock_guard lock(sources_mu);
    if (sources_version != snap.version()) {
      sources.clear();
      for (model::TrunkId id : snap.trunk_ids()) {
        const model::Trunk* t = snap.trunk(id);
        if (t == nullptr || t->inbound_sources.empty()) {
          continue;
        }
        auto nets = TrustedNetworks::parse(t->inbound_sources);
        if (nets) {
          sources.emplace_back(std::move(*nets), id);
        }
      }
      sources_version = snap.version();
    }
    for (const auto& [nets, id] : sources) {
      if (nets.contains(ip)) {
        return id;
      }
    }
    return std::nullopt;
  }

  /// A new INVITE: from a trunk source (no authentication: the source address is the
  /// trunk's credential), or from a local user after a digest challenge.
  Reply on_invite(const sip::Message& req, const net::Inbound& in, std::string_view top_via,
                  std::int64_t now_ms, bool is_trusted, const Here& here) {
    if (calls->absorb_retransmission(here.shard, here.txn, req, here.now)) {
      return Reply{0, {}, true};
    }
    model::SnapshotPtr snap = store.snapshot();
    NewCall call;
    call.shard = here.shard;
    call.txn = here.txn;
    call.invite = &req;
    call.reply_route = *here.reply_route;
    call.reply_route.bytes.clear();
    call.top_via = std::string(top_via);
    call.snapshot = snap;
    call.from_trunk = trunk_source(*snap, in.source.address);
    bool authenticated = call.from_trunk.has_value();
    if (!call.from_trunk) {
      Auth auth = authenticate(req, in, top_via, *snap, now_ms, is_trusted);
      if (auth.reply) {
        return std::move(*auth.reply);
      }
      call.caller = auth.user;
      authenticated = true;
    }
    // A request that left Cohort and came back (a trunk pointing at ourselves) is a loop.
    for (std::string_view v : req.header_values(HeaderId::kVia)) {
      auto via = sip::parse_via(v);
      if (via && sip::txn::shard_of_branch(via->branch()) &&
          own_address(via->host, via->port.value_or(5060))) {
        Reply r = reply(req, top_via, 482, "Loop Detected");
        r.authenticated = authenticated;
        return r;
      }
    }
    calls->on_invite(call, here.now);
    return Reply{0, {}, true};
  }

  bool own_address(std::string_view host, std::uint16_t port) const {
    for (const net::ListenAddress& l : transports->bound()) {
      if (l.endpoint.port == port && l.endpoint.address == host) {
        return true;
      }
    }
    return !opts.advertised_address.empty() &&
           opts.advertised_address == fmt::format("{}:{}", host, port);
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
                    std::int64_t now_ms, bool is_trusted, const Here& here) {
    model::SnapshotPtr snap = store.snapshot();
    Auth auth = authenticate(req, in, top_via, *snap, now_ms, is_trusted);
    if (auth.reply) {
      return std::move(*auth.reply);
    }
    Reply r = register_user(req, in, top_via, *auth.user, here);
    r.authenticated = true;
    return r;
  }

  /// §10.3 steps 2–8 for an authenticated user.
  Reply register_user(const sip::Message& req, const net::Inbound& in, std::string_view top_via,
                      const model::User& user, const Here& here) {
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

    auto ok = [&](const RegisterSuccess& result) {
      return reply(req, top_via, 200, {}, [&](sip::MessageBuilder& b) {
        for (const std::string& c : result.contacts) {
          b.header(HeaderId::kContact, c);
        }
        // RFC 3327 §5.3: the registrar echoes the Path it stored.
        for (std::string_view p : rr.path) {
          b.header(HeaderId::kPath, p);
        }
        b.header(HeaderId::kSupported, kSupported);
      });
    };
    // §10.3 step 7: the 200 OK leaves once the changes are committed; a store failure gets a
    // 500 (the phone retries) instead of an acknowledgement that a restart would forget.
    bool queued = false;
    auto acknowledge = [&](const RegisterSuccess& result) -> Registrar::Done {
      queued = true;
      Reply done = ok(result);
      Reply failed = reply(req, top_via, 500, "Server Internal Error: bindings not stored",
                           [](sip::MessageBuilder& b) { b.header("Retry-After", "5"); });
      return [this, index = here.shard, txn = here.txn, done = std::move(done),
              failed = std::move(failed)](bool durable) mutable {
        Reply& r = durable ? done : failed;
        on_shard(index, [this, index, txn, status = r.status,
                         bytes = std::move(r.bytes)](TimePoint now) mutable {
          respond(index, txn, status, std::move(bytes), now);
        });
      };
    };
    auto result = registrar.apply(rr, now_s(), acknowledge);
    if (!result) {
      const RegisterError& e = result.error();
      return reply(req, top_via, e.status, e.reason, [&](sip::MessageBuilder& b) {
        if (e.status == 423) {
          b.header(HeaderId::kMinExpires, std::to_string(e.min_expires));
        }
      });
    }
    ++n_registrations;
    if (queued) {
      return Reply{0, {}, true};  // answered by the acknowledgement
    }
    return ok(*result);
  }

  // ---- timers and sweeps ----------------------------------------------------------------

  /// Once a second on each shard: its calls past their deadlines. Shard 0 also drops the
  /// expired bindings (memory and store), drives the trunk registrations and forgets idle
  /// security entries.
  void sweep(std::size_t index, TimePoint now) {
    calls->sweep(index, now);
    if (index != 0) {
      return;
    }
    registrar.expire(now_s());
    for (RegisterSend& send : trunks.tick(*store.snapshot(), now)) {
      send_register(std::move(send));
    }
    guard.prune(steady_ms(now));
    // A burst of REGISTERs leaves ~32 s of transactions (Timer J) behind; once they are gone,
    // give the freed heap back to the system instead of keeping the peak resident.
    if (++sweeps % 10 == 0) {
      ::malloc_trim(0);
    }
  }
  std::uint64_t sweeps = 0;
};

SipServer::SipServer(SipServerOptions options, store::Store& store, const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), store, clock)) {}

SipServer::~SipServer() {
  stop();
}

Result<void> SipServer::start() {
  Impl& s = *impl_;
  COHORT_TRY(s.auth.start());
  COHORT_TRY(s.guard.start());
  COHORT_TRY(s.registrar.start(*s.store.snapshot(), s.now_s()));

  net::TransportOptions t;
  t.listen = s.opts.listen;
  t.threads = s.opts.threads;
  t.limits = s.opts.limits;
  t.tcp_idle_timeout = s.opts.tcp_idle_timeout;
  t.max_tcp_connections_per_source = s.opts.tcp_connections_per_source;
  s.transports = std::make_unique<net::Transports>(
      t, [&s](net::Inbound&& in) { s.on_inbound(std::move(in)); });
  s.transports->set_wake_handler([&s](std::size_t shard) { s.on_wake(shard); });
  if (auto closed = s.store.cdrs().close_interrupted(s.now_ms()); !closed) {
    return fail(closed.error());
  } else if (*closed > 0) {
    spdlog::warn("cdr event=interrupted_calls_closed count={}", *closed);
  }
  {
    // Distribution picks up where it left off: round-robin cursors, and the call history
    // that least_recent, wrap-up and fewest_calls order by.
    COHORT_TRY_ASSIGN(auto cursors, s.store.hunt().load_cursors());
    COHORT_TRY_ASSIGN(auto last_calls, s.store.hunt().last_calls());
    COHORT_TRY_ASSIGN(auto answers,
                      s.store.hunt().answered_since(s.now_ms() - AgentBoard::kAnswerMemoryMs));
    s.agent_board.load(cursors, last_calls, answers);
  }
  s.records.start();
  s.resolver.start();
  if (auto started = s.transports->start(); !started) {
    stop();
    return started;
  }
  s.bound_cache = s.transports->bound();
  s.serving = true;
  for (std::size_t i = 0; i < s.shards.size(); ++i) {
    // Each shard's once-a-second sweep, armed on its own thread.
    s.transports->post(i, [&s, i] {
      Impl::Timer sweep;
      sweep.at = Steady::now();
      sweep.sweep = true;
      s.schedule(i, sweep);
    });
  }
  return {};
}

void SipServer::stop() {
  Impl& s = *impl_;
  if (s.transports) {
    s.serving = false;
    s.transports->stop();  // joins the shards' threads: no shard runs after this line
  }
  s.registrar.stop();  // commits what is still queued
  s.records.stop();
  s.resolver.stop();
}

std::vector<net::ListenAddress> SipServer::bound() const {
  return impl_->transports ? impl_->transports->bound() : std::vector<net::ListenAddress>{};
}

std::vector<RegistrationInfo> SipServer::registrations(std::optional<model::UserId> user) const {
  const Impl& s = *impl_;
  std::vector<RegistrationInfo> out;
  for (auto& [id, record] : s.registrar.list(user, s.now_s())) {
    out.push_back(RegistrationInfo{id, std::move(record)});
  }
  return out;
}

std::vector<BanInfo> SipServer::bans() const {
  const Impl& s = *impl_;
  const std::int64_t now_ms = steady_ms(Steady::now());
  const std::int64_t wall_ms = unix_seconds(s.clock.now()) * 1000;
  std::vector<BanInfo> out;
  for (const Ban& b : s.guard.bans(now_ms)) {
    // Bans are kept on the steady clock; shown in wall-clock time.
    out.push_back(BanInfo{b.ip, (wall_ms - (now_ms - b.since_ms)) / 1000,
                          (wall_ms + (b.until_ms - now_ms)) / 1000,
                          b.reason.empty() ? "too many failed authentications" : b.reason});
  }
  return out;
}

bool SipServer::lift_ban(const std::string& address) {
  return impl_->guard.lift_ban(address);
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
  st.bans = s.guard.bans_started();
  st.banned_drops = s.guard.banned_drops();
  st.rate_limited = s.guard.rate_limited();
  st.registrations = s.n_registrations;
  st.bindings = s.registrar.count();
  for (const auto& shard : s.shards) {
    st.transactions += shard->transactions.load(std::memory_order_relaxed);
  }
  return st;
}

AgentBoard::Live SipServer::agent(model::UserId user) const {
  return impl_->agent_board.live(user);
}

CallStats SipServer::call_stats() const {
  return impl_->calls->stats();
}

std::vector<CallInfo> SipServer::calls() const {
  const Impl& s = *impl_;
  std::vector<CallInfo> out;
  for (std::size_t i = 0; i < s.shards.size(); ++i) {
    std::vector<CallInfo> part = const_cast<Impl&>(s).ask(i, [&s, i] { return s.calls->calls(i); });
    std::move(part.begin(), part.end(), std::back_inserter(out));
  }
  std::sort(out.begin(), out.end(),
            [](const CallInfo& a, const CallInfo& b) { return a.since_ms < b.since_ms; });
  return out;
}

std::optional<TrunkStatus> SipServer::trunk_status(model::TrunkId id) const {
  const Impl& s = *impl_;
  model::SnapshotPtr snap = s.store.snapshot();
  const model::Trunk* t = snap->trunk(id);
  if (t == nullptr) {
    return std::nullopt;
  }
  TrunkStatus st = s.trunks.status(*t);
  st.active_calls = s.trunk_slots.active(id);
  return st;
}

net::Transports::Stats SipServer::transport_stats() const {
  return impl_->transports ? impl_->transports->stats() : net::Transports::Stats{};
}

}  // namespace cohort::pbx
