// SipServer: the shards (one per transport thread, each owning its transactions, calls and
// timers), the dispatch of what the transports read to the shard that owns it, and the
// public API. The request handlers are in sip_handlers.cpp, the call controller's SipCore
// in sip_core.cpp, the shared declarations in sip_server_impl.hpp.
#include "pbx/sip_server_impl.hpp"

#include <thread>

namespace cohort::pbx {

std::size_t SipServer::Impl::shard_index(std::string_view call_id) const {
  if (n_relocated.load(std::memory_order_acquire) != 0) {
    std::shared_lock lock(relocated_mu);
    if (auto it = relocated.find(std::string(call_id)); it != relocated.end()) {
      return it->second;
    }
  }
  return std::hash<std::string_view>{}(call_id) % shards.size();
}

std::optional<std::size_t> SipServer::Impl::pickup_shard(const sip::Message& msg) const {
  // A pickup INVITE, and the ACK of a non-2xx final answer to it, which must reach the
  // INVITE's server transaction (RFC 3261 §17.2.1) and carries the INVITE's Request-URI
  // (§17.1.1.3); the ACK of our 2xx is addressed to our Contact, which has no feature code.
  const bool ack = msg.method() == sip::Method::kAck;
  if (!(ack || (msg.method() == sip::Method::kInvite && msg.to_tag().empty()))) {
    return std::nullopt;
  }
  const std::string_view ruri = msg.request_uri();
  const std::size_t colon = ruri.find(':');
  if (colon == std::string_view::npos || colon + 1 >= ruri.size() ||
      (ruri[colon + 1] != '*' && ruri[colon + 1] != '%')) {
    return std::nullopt;  // the common case: no feature code, nothing parsed
  }
  auto uri = sip::parse_uri(ruri);
  auto dialled = uri ? sip::unescape(uri->user) : std::nullopt;
  if (!dialled || !is_pickup_code(*dialled)) {
    return std::nullopt;
  }
  model::SnapshotPtr snap = store.snapshot();
  if (*dialled != kGroupPickup) {
    auto owner = snap->extension_owner(std::string_view(*dialled).substr(kDirectedPickup.size()));
    if (!owner || owner->kind != model::ExtensionOwner::Kind::kUser) {
      return std::nullopt;
    }
    return ringing_calls.shard_ringing(owner->id);
  }
  // The picker is not authenticated yet: its From only chooses the shard, where the
  // picker is authenticated and its groups checked again.
  auto from = sip::parse_name_addr(msg.header(HeaderId::kFrom).value_or(""));
  auto user = from ? sip::unescape(from->uri.user) : std::nullopt;
  auto picker = user ? snap->extension_owner(*user) : std::nullopt;
  if (!picker || picker->kind != model::ExtensionOwner::Kind::kUser) {
    return std::nullopt;
  }
  std::vector<model::GroupId> groups;
  for (const model::UserMembership& m : snap->groups_of(picker->id)) {
    groups.push_back(m.group);
  }
  return ringing_calls.shard_offered_by(groups);
}

void SipServer::Impl::relocate(const std::string& call_id, std::optional<std::size_t> shard) {
  std::unique_lock lock(relocated_mu);
  if (shard) {
    relocated[call_id] = *shard;
  } else {
    relocated.erase(call_id);
  }
  n_relocated.store(relocated.size(), std::memory_order_release);
}

namespace {

/// Wake-ups fall on ticks of this length: the timers due within one tick run together, so a
/// shard under load wakes (a timerfd re-arm, an epoll round, often a context switch) at most
/// once per tick for its timers instead of once per timer. SIP's timers are multiples of
/// T1 (500 ms); a timer may run up to one tick late, never early.
constexpr auto kTimerTick = std::chrono::milliseconds(10);

TimePoint tick_after(TimePoint at) {
  const auto since = at.time_since_epoch();
  const auto ticks = (since + kTimerTick - TimePoint::duration(1)) / kTimerTick;
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(ticks * kTimerTick));
}

}  // namespace

void SipServer::Impl::schedule(std::size_t index, Timer t) {
  Shard& shard = *shards[index];
  shard.timers.push(t);
  transports->wake_at(tick_after(t.at));  // ignored when an earlier wake-up is pending
}

void SipServer::Impl::on_wake(std::size_t index) {
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
    transports->wake_at(tick_after(shard.timers.top().at));
  }
}

void SipServer::Impl::published(std::size_t index) {
  Shard& shard = *shards[index];
  shard.transactions.store(shard.table.size(), std::memory_order_relaxed);
}

void SipServer::Impl::send(net::Outbound out) {
  ++n_responses;
  transports->send(std::move(out));
}

void SipServer::Impl::execute(Shard& shard, std::size_t index, TxnId id,
                              sip::txn::Actions& actions) {
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

void SipServer::Impl::client_failed(Shard& shard, std::size_t index, TxnId id, int status) {
  if (mwi->on_response(index, id, status, Steady::now())) {
    return;  // a NOTIFY nobody answered ends its subscription (mwi.cpp)
  }
  if (auto it = shard.registrations.find(id); it != shard.registrations.end()) {
    const model::TrunkId trunk = it->second;
    shard.registrations.erase(it);
    trunks.on_failure(trunk, id, status, status == 408 ? "timeout" : "transport error",
                      Steady::now());
    return;
  }
  calls->on_client_failure(index, id, status, Steady::now());
}

void SipServer::Impl::on_inbound(net::Inbound&& in) {
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
  std::size_t index = shard_index(msg.call_id());
  if (!msg.is_request()) {
    // To the shard that owns the Call-ID (every id we mint hashes to its call's shard).
    hop(index, std::move(in), std::move(msg), is_trusted,
        [this](std::size_t i, const net::Inbound&, const sip::Message& m, bool) {
          on_response(i, m, Steady::now());
        });
    return;
  }
  ++n_requests;
  // A REGISTER touches no call: its server transaction lives on the shard that read it, so
  // it needs no hop. Retransmissions come from the same source and reach the same socket
  // (SO_REUSEPORT hashes the source) or connection, hence the same shard and transaction.
  std::size_t owner = index;
  if (msg.method() == sip::Method::kRegister) {
    owner = transports->current_shard().value_or(index);
  } else if (auto pick = pickup_shard(msg)) {
    owner = *pick;  // handled beside the call it takes (call_pickup.cpp)
  }
  // Unauthenticated traffic is rate limited per source: every request from an untrusted
  // source takes a token here (a source whose bucket is empty is dropped), and gets it
  // back once it turned out to be authenticated (on_request). Carrying an Authorization
  // header buys nothing by itself, and a dropped request that carries one counts towards a
  // ban as a failed authentication would (a brute force faster than the limit is no
  // cheaper). Taken before the hop to the owning shard, so a burst
  // is limited even while its requests wait in the shard's queue.
  if (!is_trusted &&
      !guard.take_token(ip, now_ms,
                        msg.header(sip::HeaderId::kAuthorization).has_value() ||
                            msg.header(sip::HeaderId::kProxyAuthorization).has_value())) {
    return;
  }
  hop(owner, std::move(in), std::move(msg), is_trusted,
      [this](std::size_t i, const net::Inbound& inbound, const sip::Message& m, bool trust) {
        on_request(i, inbound, m, trust);
      });
}

void SipServer::Impl::on_request(std::size_t index, const net::Inbound& in, const sip::Message& msg,
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
    case sip::txn::Disposition::kMatched: {
      const bool deliver =
          std::any_of(d.actions.begin(), d.actions.end(), [](const sip::txn::Action& a) {
            return std::holds_alternative<sip::txn::DeliverToTu>(a);
          });
      execute(shard, index, d.id, d.actions);
      if (deliver && msg.method() == Method::kAck) {
        // RFC 6026 §7.1: an ACK for our 2xx that reused the INVITE's branch (RFC 2543) and
        // so matched the Accepted transaction: the dialog takes it like any 2xx ACK.
        const net::Outbound route = net::response_route(in, *via, {});
        authenticated = calls->on_in_dialog(index, 0, msg, route, now);
      }
      break;
    }
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

void SipServer::Impl::on_response(std::size_t index, const sip::Message& msg, TimePoint now) {
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
  if (mwi->on_response(index, d.id, msg.status(), now)) {
    return;  // the answer to one of our NOTIFYs
  }
  if (!calls->on_response(index, d.id, msg, now)) {
    // A 2xx passed up by an INVITE transaction in Accepted (RFC 6026 §7.2) after the call
    // took its first one: a retransmission (our ACK was lost) or another fork's answer.
    calls->on_stray_response(index, msg, now);
  }
}

void SipServer::Impl::send_register(RegisterSend send) {
  const std::size_t index = send.shard;
  // Shared: a posted task must be copyable, and the request is a move-only value.
  auto held = std::make_shared<RegisterSend>(std::move(send));
  run_on(index, [this, index, held] {
    const TxnId txn = start_client(index, std::move(held->request), held->route, Steady::now());
    if (txn != 0) {
      shards[index]->registrations[txn] = held->trunk;
    }
    trunks.sent(held->trunk, txn, Steady::now());
  });
}

void SipServer::Impl::sweep(std::size_t index, TimePoint now) {
  calls->sweep(index, now);
  if (index != 0) {
    return;
  }
  registrar.expire(now_s());
  mwi->sweep();
  for (RegisterSend& send : trunks.tick(*store.snapshot(), now)) {
    send_register(std::move(send));
  }
  guard.prune(steady_ms(now));
  // A burst of REGISTERs or calls leaves ~32 s of transactions (Timer J) behind; once most
  // of them are gone, give the freed heap back to the system instead of keeping the peak
  // resident. Not under a steady load: the heap would only grow back, page by page.
  std::size_t transactions = 0;
  for (const auto& shard : shards) {
    transactions += shard->transactions.load(std::memory_order_relaxed);
  }
  transactions_peak = std::max(transactions_peak, transactions);
  if (transactions_peak >= 1000 && transactions < transactions_peak / 4) {
    ::malloc_trim(0);
    transactions_peak = transactions;
  }
}

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
  if (s.media_legs) {
    s.voicemail->start();
    // The index and the files agree before the first message is written (mailboxes.hpp).
    COHORT_TRY_ASSIGN(Reconciled r, s.mailboxes->start());
    if (r.indexed + r.dropped + r.unreadable > 0) {
      spdlog::warn("voicemail event=reconciled indexed={} dropped={} unreadable={}", r.indexed,
                   r.dropped, r.unreadable);
    }
    COHORT_TRY(s.media_legs->start());
    s.voicemail_access->start();
  }

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
    // A phone still in a call that a crash cut ends it with its next request (a BYE, a
    // session refresh): the other leg is then sent a BYE. A phone that refreshes does so
    // within half its session interval (30 min by default); records of crashes older than
    // kInterruptedLookback are past caring about.
    const std::int64_t since = s.now_ms() - std::chrono::milliseconds(kInterruptedLookback).count();
    COHORT_TRY_ASSIGN(auto interrupted, s.store.cdrs().interrupted_dialogs(since));
    if (!interrupted.empty()) {
      spdlog::warn("cdr event=interrupted_calls_to_end count={}", interrupted.size());
    }
    s.interrupted->load(std::move(interrupted));
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
  s.auto_pauses.start();
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

std::size_t SipServer::drain(std::chrono::milliseconds grace) {
  Impl& s = *impl_;
  if (!s.transports || !s.serving) {
    return 0;
  }
  s.draining = true;
  const auto active = [&] { return s.calls->stats().active; };
  const auto until = [&](std::chrono::milliseconds limit, auto&& done) {
    const auto deadline = Steady::now() + limit;
    while (!done() && Steady::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  };
  if (active() > 0) {
    spdlog::info("sip event=draining calls={} grace_ms={}", active(), grace.count());
  }
  until(grace, [&] { return active() == 0; });
  std::size_t ended = 0;
  for (std::size_t i = 0; i < s.shards.size(); ++i) {
    ended += s.ask(i, [&s, i] {
      const std::size_t n = s.calls->end_all(i, Steady::now());
      s.published(i);
      return n;
    });
  }
  if (ended > 0) {
    spdlog::warn("sip event=drained calls_ended={}", ended);
    // The BYEs and CANCELs just sent: a call is forgotten once no leg needs it any more.
    until(std::chrono::seconds(2), [&] {
      std::size_t held = 0;
      for (std::size_t i = 0; i < s.shards.size(); ++i) {
        held += s.ask(i, [&s, i] { return s.calls->held(i); });
      }
      return held == 0;
    });
  }
  return ended;
}

void SipServer::stop() {
  Impl& s = *impl_;
  if (s.transports) {
    s.serving = false;
    s.transports->stop();  // joins the shards' threads: no shard runs after this line
  }
  if (s.media_legs) {
    s.media_legs->stop();        // runs what the calls' ends asked of it (a last recording) first
    s.voicemail->stop();         // then writes the messages still queued
    s.voicemail_access->stop();  // what *97 asked (a delete, a greeting) is done
  }
  s.registrar.stop();  // commits what is still queued
  s.records.stop();
  s.auto_pauses.stop();
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
  for (std::size_t i = 0; i < Impl::kDropReasons.size(); ++i) {
    st.dropped_by_reason.emplace_back(Impl::kDropReasons[i], s.n_dropped_by[i].load());
  }
  st.auth_challenges = s.n_challenges;
  st.auth_failures = s.n_auth_failures;
  st.auth_failures_unknown_user = s.n_auth_failures_by[static_cast<int>(AuthFailure::kUnknownUser)];
  st.auth_failures_inactive_user =
      s.n_auth_failures_by[static_cast<int>(AuthFailure::kInactiveUser)];
  st.auth_failures_wrong_password =
      s.n_auth_failures_by[static_cast<int>(AuthFailure::kWrongPassword)];
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

void SipServer::reset_missed_calls(model::UserId user, std::optional<model::GroupId> group) {
  impl_->missed_calls.reset(user, group);
}

std::uint64_t SipServer::auto_pauses(routing::PauseCause cause) const {
  return impl_->auto_pauses.applied(cause);
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

void SipServer::mailbox_changed(const store::MailboxKey& box) {
  if (impl_->mailboxes) {
    impl_->mailboxes->refresh(box);  // the listeners (MWI) hear of a change
  }
}

std::size_t SipServer::mwi_subscriptions() const {
  return impl_->mwi->subscriptions();
}

net::Transports::Stats SipServer::transport_stats() const {
  return impl_->transports ? impl_->transports->stats() : net::Transports::Stats{};
}

}  // namespace cohort::pbx
