#pragma once
// SipServer::Impl, shared by the files that implement it (sip_server.cpp: shards, dispatch,
// timers and the public API; sip_core.cpp: what the call controller uses; sip_handlers.cpp:
// the request handlers). Internal to src/pbx/.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <malloc.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <future>
#include <mutex>
#include <queue>
#include <shared_mutex>
#include <unordered_map>

#include "common/crypto.hpp"
#include "common/log.hpp"
#include "common/text.hpp"
#include "net/route.hpp"
#include "pbx/authenticator.hpp"
#include "pbx/auto_pause_writer.hpp"
#include "pbx/call_records.hpp"
#include "pbx/interrupted_calls.hpp"
#include "pbx/missed_calls.hpp"
#include "pbx/mwi.hpp"
#include "pbx/registrar.hpp"
#include "pbx/resolver.hpp"
#include "pbx/sip_server.hpp"
#include "pbx/source_guard.hpp"
#include "pbx/trunk_registrations.hpp"
#include "pbx/trunk_slots.hpp"
#include "pbx/voicemail_access.hpp"
#include "sip/digest.hpp"
#include "sip/headers.hpp"
#include "sip/sdp.hpp"
#include "sip/txn/branch.hpp"
#include "sip/txn/table.hpp"

namespace cohort::pbx {
namespace sip_server_detail {

namespace digest = sip::digest;
using sip::HeaderId;
using sip::Method;
using sip::txn::TimePoint;
using sip::txn::TxnId;
using Steady = std::chrono::steady_clock;

// What Cohort answers for itself (RFC 3261 §11.2).
constexpr std::string_view kAllow =
    "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, UPDATE, INFO, REFER, NOTIFY, SUBSCRIBE";
constexpr std::string_view kAccept = "application/sdp";
// RFC 3327 Path. Not "outbound": RFC 5626 flow tokens and 439 are not implemented (its
// instance-id/reg-id are kept, and CRLF keep-alives are answered by the transport).
// RFC 4028 "timer": session timers on every call leg (src/pbx/call_session.cpp).
constexpr std::string_view kSupported = "path, timer";
/// How far back start-up looks for calls cut by a crash whose phones may still send a
/// request (sip_server.cpp).
constexpr std::chrono::hours kInterruptedLookback{4};
constexpr std::string_view kUserAgent = "Cohort/0.1";

inline std::int64_t steady_ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

/// What the request handlers answer: a status and the wire form of the response. Status 0:
/// the handler has answered (or will answer) through the transaction itself.
struct Reply {
  int status = 500;
  std::string bytes;
  bool authenticated = false;  ///< the request carried valid credentials
};

/// Where a request is being handled: its shard, its server transaction.
struct Here {
  std::size_t shard = 0;
  TxnId txn = 0;
  TimePoint now{};
  const net::Outbound* reply_route = nullptr;
};

inline RegistrarLimits registrar_limits(const SipServerOptions& o) {
  RegistrarLimits limits;
  limits.default_expires = o.default_expires;
  limits.min_expires = o.min_expires;
  limits.max_expires = o.max_expires;
  limits.max_contacts = static_cast<std::size_t>(o.max_contacts);
  return limits;
}

/// The host part of our AORs and URIs: the configured domain, else the realm.
inline std::string aor_host(const SipServerOptions& o) {
  return o.domain.empty() ? o.realm : o.domain;
}

}  // namespace sip_server_detail

using sip_server_detail::aor_host;
using sip_server_detail::HeaderId;
using sip_server_detail::Here;
using sip_server_detail::kAccept;
using sip_server_detail::kAllow;
using sip_server_detail::kInterruptedLookback;
using sip_server_detail::kSupported;
using sip_server_detail::kUserAgent;
using sip_server_detail::Method;
using sip_server_detail::registrar_limits;
using sip_server_detail::Reply;
using sip_server_detail::Steady;
using sip_server_detail::steady_ms;
using sip_server_detail::TimePoint;
using sip_server_detail::TxnId;
namespace digest = sip::digest;

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
        auto_pauses(s),
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
    co.session_timer = opts.session_timer;
    co.user_agent = std::string(kUserAgent);
    co.domain = opts.domain;
    if (opts.media) {
      media_legs = std::make_unique<MediaLegs>(*opts.media);
      voicemail = std::make_unique<VoicemailWriter>(opts.voicemail_dir);
      co.media = media_legs.get();
      co.save_voicemail = [w = voicemail.get()](VoicemailMessage m) { w->save(std::move(m)); };
      co.voicemail_recording = opts.voicemail_recording;
      co.audio = opts.audio;
      co.phone_media = opts.phone_media;
      // Issue 13: the message index and the per-mailbox summary (quotas, MWI).
      mailboxes =
          std::make_unique<Mailboxes>(s.voicemails(), opts.voicemail_dir, opts.mailbox_quota);
      voicemail->on_written(
          [m = mailboxes.get()](const VoicemailMessage& msg, const std::string& path) {
            (void)m->index(msg, path);
          });
      co.mailbox_full = [m = mailboxes.get()](const model::DestVoicemail& box) {
        return m->full({box.box, box.id});
      };
      voicemail_access = std::make_unique<VoicemailAccess>(*mailboxes, opts.audio);
      co.voicemail_access = voicemail_access.get();
    }
    mwi = std::make_unique<Mwi>(
        MwiOptions{aor_host(opts), opts.mwi_unsolicited, 60, 3600, std::string(kUserAgent)},
        Mwi::Hooks{
            [this](std::size_t shard, std::function<void(TimePoint)> fn) {
              if (serving) {
                on_shard(shard, std::move(fn));
              }
            },
            [this](std::size_t shard, sip::Message request, const net::Outbound& route,
                   TimePoint now) { return start_client(shard, std::move(request), route, now); },
            [this](net::Protocol p) { return via_address(p); },
            [this](std::size_t shard) { return mint_branch(shard); },
            [this](std::size_t shard) { return mint_call_id(shard); },
            [this](std::string_view call_id) { return shard_index(call_id); },
            [this](model::UserId user) { return targets_of(user); },
            [this](model::UserId user) {
              return mailboxes ? mailboxes->summary({model::DestVoicemail::Box::kUser, user})
                               : MailboxSummary{};
            },
            [this](model::UserId user) {
              const model::User* u = store.snapshot()->user(user);
              return u != nullptr ? u->extension : std::string();
            },
            [this] { return now_s(); }});
    if (mailboxes) {
      mailboxes->on_change([this](const store::MailboxKey& box, const MailboxSummary& summary) {
        mwi->mailbox_changed(box, summary);
      });
    }
    calls = std::make_unique<CallController>(co, *this, shards.size());
    interrupted = std::make_unique<InterruptedCalls>(
        *this, shards.size(), [this](std::string_view call_id) { return shard_index(call_id); });
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
  SourceGuard guard;            ///< trusted networks, rate limits, failures, bans
  Authenticator auth;           ///< digest verification and challenges
  Registrar registrar;          ///< bindings, committed by a group-commit writer
  CallRecords records;          ///< CDRs and cursors, committed by a group-commit writer
  AutoPauseWriter auto_pauses;  ///< pauses of members who miss calls, written off the shards
  Resolver resolver;            ///< trunk host names, off the SIP threads
  TrunkRegistrations trunks;    ///< our REGISTERs to providers
  TrunkSlots trunk_slots;       ///< calls in progress per trunk (max_concurrent_calls)

  // ---- counters ----
  std::atomic<std::uint64_t> n_requests{0}, n_responses{0}, n_parse_errors{0}, n_dropped{0},
      n_challenges{0}, n_auth_failures{0}, n_registrations{0};
  /// Authentication failures by AuthFailure (index), for /metrics.
  std::array<std::atomic<std::uint64_t>, 4> n_auth_failures_by{};
  /// Unanswerable messages by reason, in the order of kDropReasons.
  static constexpr std::array<std::string_view, 4> kDropReasons = {
      sip::kDropNoVia, sip::kDropNoStartLine, sip::kDropResponse, sip::kDropAck};
  std::array<std::atomic<std::uint64_t>, kDropReasons.size()> n_dropped_by{};

  // ---- media (issue 13): declared before the calls, so destroyed after them ----
  std::unique_ptr<MediaLegs> media_legs;       ///< null without SipServerOptions::media
  std::unique_ptr<VoicemailWriter> voicemail;  ///< messages to disk, off the SIP threads
  std::unique_ptr<Mailboxes> mailboxes;
  std::unique_ptr<VoicemailAccess> voicemail_access;  ///< *97's disk work (issue 13)        ///<
                                                      ///< the message index and summary (issue 13)
  std::unique_ptr<Mwi> mwi;                           ///< message-waiting indication (RFC 3842)

  // ---- calls ----
  std::unique_ptr<CallController> calls;
  /// Answered calls a crash cut, ended on both legs by their next request (issue 11).
  std::unique_ptr<InterruptedCalls> interrupted;
  std::mutex outbound_mu;
  std::shared_ptr<const routing::OutboundTable> outbound;
  std::shared_ptr<const routing::InboundTable> inbound;  ///< under outbound_mu
  AgentBoard agent_board;
  RingingCalls ringing_calls;
  MissedCalls missed_calls;  ///< auto-pause: consecutive misses per member and group
  /// Trunk sources (inbound_sources) of the snapshot version `sources_version`.
  std::mutex sources_mu;
  std::uint64_t sources_version = ~0ull;
  std::vector<std::pair<TrustedNetworks, model::TrunkId>> sources;
  /// Call-IDs whose leg moved to a call of another shard (an attended transfer across
  /// shards): their messages go there, not to the shard they hash to. Read by the threads
  /// that dispatch what they read, only while not empty (`n_relocated`, most of the time 0).
  mutable std::shared_mutex relocated_mu;
  std::unordered_map<std::string, std::size_t> relocated;
  std::atomic<std::size_t> n_relocated{0};

  // ------------------------------------------------------------------------------------
  std::int64_t now_s() const { return unix_seconds(clock.now()); }

  std::size_t shard_index(std::string_view call_id) const;
  /// A call pickup's INVITE (`*8`, `**EXT`), or the ACK of a failure answered to one: the
  /// shard of the call it would take, where its call must be handled (RingingCalls);
  /// nullopt for any other request.
  std::optional<std::size_t> pickup_shard(const sip::Message& msg) const;

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
  std::atomic<bool> serving{false};   ///< the shards' threads run (between start and stop)
  std::atomic<bool> draining{false};  ///< a graceful stop began: new calls get 503

  /// Queues a due time on shard `index` (its thread) and makes sure the shard wakes for it.
  void schedule(std::size_t index, Timer t);

  /// The shard's wake-up (its thread): runs what is due, then asks to wake for the next.
  void on_wake(std::size_t index);

  /// Publishes the shard's counters for other threads (after each event on it).
  void published(std::size_t index);

  void send(net::Outbound out);

  /// Carries out a transaction's actions. On the shard's thread.
  void execute(Shard& shard, std::size_t index, TxnId id, sip::txn::Actions& actions);

  void client_failed(Shard& shard, std::size_t index, TxnId id, int status);

  // ---- the transport handler ----------------------------------------------------------

  void on_inbound(net::Inbound&& in);

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
                  bool is_trusted);

  /// A response from the transport: to its client transaction (§17.1.3), then to the
  /// trunk registration or the call that sent the request.
  void on_response(std::size_t index, const sip::Message& msg, TimePoint now);

  // ---- SipCore: what the call controller uses (on the shard's thread) -------------------

  TxnId start_client(std::size_t index, sip::Message request, const net::Outbound& route,
                     TimePoint now) override;

  void respond(std::size_t index, TxnId txn, int status, std::string bytes, TimePoint now) override;

  void send_direct(net::Outbound out) override { send(std::move(out)); }

  void arm(std::size_t index, std::uint64_t call, TimePoint at) override;

  std::string mint_call_id(std::size_t index) override;

  std::string mint_branch(std::size_t index) override;

  std::string via_address(net::Protocol protocol) const override;

  net::Endpoint local_endpoint(net::Protocol protocol) const override;
  std::vector<net::ListenAddress> bound_cache;  ///< set once after the transports start

  std::vector<CallTarget> targets_of(model::UserId user) const override;

  std::optional<net::Endpoint> trunk_address(const model::Trunk& trunk) override;

  bool acquire_trunk(const model::Trunk& trunk) override { return trunk_slots.acquire(trunk); }

  void release_trunk(model::TrunkId trunk) override { trunk_slots.release(trunk); }

  std::shared_ptr<const routing::OutboundTable> outbound_table(
      const model::SnapshotPtr& snapshot) override;

  std::shared_ptr<const routing::InboundTable> inbound_table(
      const model::SnapshotPtr& snapshot) override;

  AgentBoard& agents() override { return agent_board; }

  RingingCalls& ringing() override { return ringing_calls; }

  void save_cursor(model::GroupId group, model::UserId user) override;

  bool has_binding(model::UserId user) const override;

  void member_offer_ended(const model::Group& group, model::UserId user,
                          model::AttemptResult result, std::uint64_t call) override;

  void write_cdr(store::CdrRecord record) override { records.write(std::move(record)); }

  void write_cdr_durable(std::size_t index, store::CdrRecord record, std::uint64_t call) override;

  void respond_durable(std::size_t index, TxnId txn, int status, std::string bytes) override;

  std::int64_t now_ms() const override;

  std::size_t shard_of(std::string_view call_id) const override { return shard_index(call_id); }

  void post(std::size_t index, std::function<void(TimePoint)> fn) override {
    on_shard(index, std::move(fn));
  }

  void relocate(const std::string& call_id, std::optional<std::size_t> shard) override;

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
  void send_register(RegisterSend send);

  /// RFC 3261 §21.4 / RFC 4475: answer what can be answered, drop the rest.
  void on_unparseable(const net::Inbound& in, const sip::ParseError& err);
  /// Whether an INVITE's Contact and body can be acted on: the 400/415 to send, if not.
  static std::optional<sip::ParseError> check_invite(const sip::Message& req);

  static std::string new_tag() { return crypto::random_hex(6); }

  // ---- request handlers (the TU) ------------------------------------------------------

  Reply reply(const sip::Message& req, std::string_view top_via, int status,
              std::string_view reason = {},
              const std::function<void(sip::MessageBuilder&)>& extra = {});

  Reply handle(const sip::Message& req, const net::Inbound& in, std::string_view top_via,
               std::int64_t now_ms, bool is_trusted, const Here& here);

  /// Either the authenticated user, or the reply to send instead (a 401 challenge).
  struct Auth {
    const model::User* user = nullptr;
    std::optional<Reply> reply;
  };

  Reply challenge(const sip::Message& req, std::string_view top_via, bool stale);

  Auth authenticate(const sip::Message& req, const net::Inbound& in, std::string_view top_via,
                    const model::Snapshot& snap, std::int64_t now_ms, bool is_trusted);

  Reply on_options(const sip::Message& req, const net::Inbound& in, std::string_view top_via,
                   std::int64_t now_ms, bool is_trusted);

  /// The trunk whose inbound_sources contain `ip`, if any.
  std::optional<model::TrunkId> trunk_source(const model::Snapshot& snap, const std::string& ip);

  /// A new INVITE: from a trunk source (no authentication: the source address is the
  /// trunk's credential), or from a local user after a digest challenge.
  Reply on_invite(const sip::Message& req, const net::Inbound& in, std::string_view top_via,
                  std::int64_t now_ms, bool is_trusted, const Here& here);

  bool own_address(std::string_view host, std::uint16_t port) const;

  /// INVITE, MESSAGE, SUBSCRIBE…: authenticate first, then 404 for a target that does not
  /// exist, and 501 until the feature exists — in that order, so that unauthenticated
  /// callers learn nothing about which extensions exist.
  Reply on_to_user(const sip::Message& req, const net::Inbound& in, std::string_view top_via,
                   std::int64_t now_ms, bool is_trusted);

  /// SUBSCRIBE outside a dialog: authenticated like the user's other requests, then MWI
  /// (mwi.hpp) for `message-summary`, 489 for any other event package.
  Reply on_subscribe(const sip::Message& req, const net::Inbound& in, std::string_view top_via,
                     std::int64_t now_ms, bool is_trusted, const Here& here);

  Reply on_register(const sip::Message& req, const net::Inbound& in, std::string_view top_via,
                    std::int64_t now_ms, bool is_trusted, const Here& here);

  /// §10.3 steps 2–8 for an authenticated user.
  Reply register_user(const sip::Message& req, const net::Inbound& in, std::string_view top_via,
                      const model::User& user, const Here& here);

  // ---- timers and sweeps ----------------------------------------------------------------

  /// Once a second on each shard: its calls past their deadlines. Shard 0 also drops the
  /// expired bindings (memory and store), drives the trunk registrations and forgets idle
  /// security entries.
  void sweep(std::size_t index, TimePoint now);
  /// The most transactions the shards held together since the heap was last trimmed.
  std::size_t transactions_peak = 0;
};

}  // namespace cohort::pbx
