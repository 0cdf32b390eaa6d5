#pragma once
// The call controller: a back-to-back user agent. Each call has an A leg (the caller's
// dialog, where Cohort is the UAS) and one or more B legs (Cohort is the UAC: one per
// binding of the called user, or one per trunk attempt), each with its own Call-ID, tags and
// CSeq space. Requests and responses are re-built as new messages on the other leg, never
// forwarded as text. SDP is passed through unchanged (media flows between the endpoints);
// `relay_body()` is the seam where a media anchor will rewrite it.
//
// Threading: the SipServer owns one CallController per process and calls it on the thread
// of the shard that owns the call (STYLE.md practice 8): every Call-ID the controller mints
// for a B leg hashes to the same shard as its A leg (SipCore::mint_call_id), so a call's
// state is only ever touched by one thread, without a lock. The controller never blocks.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "media/recorder.hpp"
#include "model/call_record.hpp"
#include "model/snapshot.hpp"
#include "net/endpoint.hpp"
#include "pbx/agents.hpp"
#include "pbx/media_legs.hpp"
#include "pbx/ringing_calls.hpp"
#include "pbx/security.hpp"
#include "pbx/voicemail_writer.hpp"
#include "routing/inbound.hpp"
#include "routing/ivr.hpp"
#include "routing/outbound.hpp"
#include "sip/dialog/session_timer.hpp"
#include "sip/message.hpp"
#include "sip/txn/table.hpp"
#include "store/repository.hpp"

namespace cohort::pbx {

using sip::txn::TimePoint;
using sip::txn::TxnId;

/// A registered contact of a user, as the call controller needs it to ring it.
struct CallTarget {
  std::string contact;            ///< the Contact URI: the Request-URI of the B leg
  net::Outbound route;            ///< where to send (the binding's source, over its transport)
  std::vector<std::string> path;  ///< RFC 3327 Path → Route headers
  /// The Contact names another address than the REGISTER's source: behind NAT.
  bool behind_nat = false;
  /// Its media is relayed (PhoneMediaPolicy::relays).
  bool relay_media = false;
};

/// Whether a phone whose request (or REGISTER) came from `source_address` is behind NAT: its
/// Contact `contact_uri` names another host (or does not parse). call_anchor.cpp.
bool contact_behind_nat(std::string_view contact_uri, std::string_view source_address);

/// Which phones' media Cohort relays (docs/media.md "Media anchoring", call_anchor.cpp): a
/// phone whose address is in `relay` always; else one in `direct` never; else one behind
/// NAT (contact_behind_nat). Trunks have their own `media` setting.
struct PhoneMediaPolicy {
  TrustedNetworks relay;   ///< `[media] relay_networks`
  TrustedNetworks direct;  ///< `[media] direct_networks`
  bool relays(std::string_view contact_uri, std::string_view source_address) const;
};

/// What the controller needs from the server around it. Every method is called on the
/// thread of shard `shard`.
class SipCore {
 public:
  virtual ~SipCore() = default;
  /// Sends `request` (not ACK), the value as it was built, through a new client
  /// transaction. Responses come back through CallController::on_response.
  virtual TxnId start_client(std::size_t shard, sip::Message request, const net::Outbound& route,
                             TimePoint now) = 0;
  /// Sends a response through server transaction `txn`.
  virtual void respond(std::size_t shard, TxnId txn, int status, std::string bytes,
                       TimePoint now) = 0;
  /// Sends outside any transaction (ACK for 2xx, 2xx retransmissions).
  virtual void send_direct(net::Outbound out) = 0;
  /// Calls CallController::on_timer(shard, call, now) at `at`.
  virtual void arm(std::size_t shard, std::uint64_t call, TimePoint at) = 0;
  /// A fresh Call-ID that hashes to `shard`.
  virtual std::string mint_call_id(std::size_t shard) = 0;
  virtual std::string mint_branch(std::size_t shard) = 0;
  /// Our address for Via and Contact on `protocol` ("host:port") and the local endpoint to
  /// send from.
  virtual std::string via_address(net::Protocol protocol) const = 0;
  virtual net::Endpoint local_endpoint(net::Protocol protocol) const = 0;
  /// The current bindings of `user`, best q first.
  virtual std::vector<CallTarget> targets_of(model::UserId user) const = 0;
  /// Whether `user` has at least one current binding (cheaper than targets_of).
  virtual bool has_binding(model::UserId user) const = 0;
  /// The resolved address of trunk `trunk`; nullopt when its host does not resolve.
  virtual std::optional<net::Endpoint> trunk_address(const model::Trunk& trunk) = 0;
  /// Takes one of the trunk's call slots; false when it is at max_concurrent_calls.
  virtual bool acquire_trunk(const model::Trunk& trunk) = 0;
  virtual void release_trunk(model::TrunkId trunk) = 0;
  /// The outbound rules of `snapshot` (the call's: one snapshot decides the whole call),
  /// compiled once per snapshot version.
  virtual std::shared_ptr<const routing::OutboundTable> outbound_table(
      const model::SnapshotPtr& snapshot) = 0;
  /// The inbound routes of `snapshot`, compiled once per snapshot version.
  virtual std::shared_ptr<const routing::InboundTable> inbound_table(
      const model::SnapshotPtr& snapshot) = 0;
  /// Who is ringing, busy, when each member's last group call ended; round-robin cursors.
  virtual AgentBoard& agents() = 0;
  /// The calls ringing now, on every shard (call pickup finds its shard there).
  virtual RingingCalls& ringing() = 0;
  /// Queues a round-robin cursor write (batched off the SIP threads, with the CDRs).
  virtual void save_cursor(model::GroupId group, model::UserId user) = 0;
  /// An offer of call `call` (its key) of `group` (the call's snapshot's) to member `user`
  /// ended with `result`: counted for auto-pause, and a pause that is due is queued for a
  /// writer off the SIP threads (docs/routing.md "Auto-pause").
  virtual void member_offer_ended(const model::Group& group, model::UserId user,
                                  model::AttemptResult result, std::uint64_t call) = 0;
  /// Queues a CDR write (batched off the SIP threads).
  virtual void write_cdr(store::CdrRecord record) = 0;
  /// Queues a CDR write and, once it is committed, calls
  /// CallController::on_record_durable(shard, call, ok, now) on `shard`: what the record
  /// acknowledges (the 200 OK of an answer) waits for it.
  virtual void write_cdr_durable(std::size_t shard, store::CdrRecord record,
                                 std::uint64_t call) = 0;
  /// Sends a response through server transaction `txn` once every CDR queued before it is
  /// committed (the 200 OK to a BYE acknowledges the end of the call).
  virtual void respond_durable(std::size_t shard, TxnId txn, int status, std::string bytes) = 0;
  /// Wall clock, unix milliseconds.
  virtual std::int64_t now_ms() const = 0;
  /// The shard whose thread owns Call-ID `call_id`: where its requests and responses go.
  virtual std::size_t shard_of(std::string_view call_id) const = 0;
  /// Runs `fn(now)` on shard `shard`'s thread: the one way call state crosses shards (an
  /// attended transfer whose consultation call lives on another shard).
  virtual void post(std::size_t shard, std::function<void(TimePoint)> fn) = 0;
  /// From now on the messages of Call-ID `call_id` go to `shard` (a leg that moved to a call
  /// of another shard), or again to the shard the Call-ID hashes to (nullopt).
  virtual void relocate(const std::string& call_id, std::optional<std::size_t> shard) = 0;
};

/// Feature codes (docs/life-of-a-call.md §4c): take the oldest call a group of yours offers;
/// take the call ringing a colleague's phones (`**` + extension).
inline constexpr std::string_view kGroupPickup = "*8";
inline constexpr std::string_view kDirectedPickup = "**";
/// The voicemail menu (call_voicemail_menu.cpp): a user's own and its groups' mailboxes.
inline constexpr std::string_view kVoicemailAccess = "*97";
bool is_pickup_code(std::string_view dialled);

/// A new INVITE (no To tag) that passed authentication (or came from a trunk source).
struct NewCall {
  std::size_t shard = 0;
  TxnId txn = 0;  ///< its server transaction
  const sip::Message* invite = nullptr;
  net::Outbound reply_route;  ///< where responses and requests to the caller go
  std::string top_via;        ///< stamped (received/rport)
  model::SnapshotPtr snapshot;
  const model::User* caller = nullptr;       ///< authenticated local user, or nullptr
  std::optional<model::TrunkId> from_trunk;  ///< set for a call from a trunk source
};

/// Call counters for /metrics.
struct CallStats {
  std::uint64_t active = 0;  ///< a gauge
  std::uint64_t attempted = 0;
  std::uint64_t answered = 0;
  /// Group calls (issue 5): distributed to a group.
  std::uint64_t group_calls = 0;
  /// Calls that ended, by CDR disposition (indexed by model::Disposition). Answered calls
  /// count here when they end, in `answered` when they are answered.
  std::array<std::uint64_t, model::kDispositionCount> ended{};
  std::uint64_t ended_as(model::Disposition d) const { return ended[static_cast<std::size_t>(d)]; }
  /// Unanswered calls by the final status the caller got (486, 404, 503 …).
  std::vector<std::pair<int, std::uint64_t>> by_status;
};

/// An active call, for GET /calls.
struct CallInfo {
  std::string id;
  model::CallDirection direction = model::CallDirection::kInternal;
  std::string state;
  std::optional<model::UserId> caller_user;
  std::string caller;
  std::string dialled;
  std::optional<model::TrunkId> trunk;
  std::optional<model::GroupId> group;  ///< the group distributing it now (or last)
  std::optional<model::UserId> answered_by;
  std::int64_t since_ms = 0;
  std::int64_t answered_ms = 0;
  struct Leg {
    std::string role, call_id, peer, state;
  };
  std::vector<Leg> legs;
};

class MediaLegs;
class VoicemailAccess;

}  // namespace cohort::pbx

namespace cohort::audio {
class AudioCatalog;
}  // namespace cohort::audio

namespace cohort::pbx {

struct CallOptions {
  std::chrono::milliseconds t1{500};
  std::chrono::milliseconds t2{4000};
  /// An unanswered call is given up (408 to the caller, CANCEL to the callees) after this.
  std::chrono::seconds ring_timeout{120};
  /// RFC 4028 session timers, run on both legs of every answered call: a call whose BYE was
  /// lost for good ends when a leg's session expires or its refresh fails, so no call, trunk
  /// slot or memory is kept forever. (This replaced a blunt maximum duration.)
  sip::dialog::SessionTimerConfig session_timer;
  /// Fallback destinations followed by one call at most (A → B → C … counts each hop).
  int max_fallback_hops = 8;
  /// After every member of a group was offered the call without an answer, the next round
  /// starts this much later (until max_wait_s).
  std::chrono::milliseconds hunt_retry{2000};
  std::string user_agent = "Cohort/0.1";
  /// The legs Cohort answers itself (a voicemail destination, call_voicemail.cpp); null:
  /// such a destination ends the call with 480 and disposition voicemail_unavailable.
  MediaLegs* media = nullptr;
  /// Where a message left in a mailbox goes (VoicemailWriter::save); called on a media
  /// thread, must not block.
  std::function<void(VoicemailMessage)> save_voicemail;
  /// How a message is recorded: its longest and shortest length, the silence that ends it.
  media::RecordOptions voicemail_recording;
  /// What a mailbox's greeting plays (issue 13: the upload, else the default naming the
  /// box); null = the built-in greetings. resolve() reads memory only (on the shard).
  const audio::AudioCatalog* audio = nullptr;
  /// Whether a mailbox holds its quota already (Mailboxes::full): the caller hears the
  /// refusal prompt and Cohort hangs up. Any thread; null = no quota.
  std::function<bool(const model::DestVoicemail&)> mailbox_full;
  /// The *97 voicemail menu's disk work (listing, marking, deleting, greetings); null: *97
  /// gets 480.
  VoicemailAccess* voicemail_access = nullptr;
  /// Which phones' media is relayed (a caller's; the callees' come with their CallTarget).
  PhoneMediaPolicy phone_media;
  /// Host part of the From and To of calls to phones. Empty (no `[sip] domain`): the
  /// address the phone registered to (our Via address), so that it can call back.
  std::string domain;
};

class CallController {
 public:
  CallController(CallOptions options, SipCore& core, std::size_t shards);
  ~CallController();
  CallController(const CallController&) = delete;
  CallController& operator=(const CallController&) = delete;

  /// A new INVITE: routes it and answers (100, then the final response or the B legs).
  void on_invite(const NewCall& call, TimePoint now);
  /// An INVITE that is a retransmission of a call's INVITE arriving after our 2xx ended its
  /// server transaction (RFC 3261 §13.3.1.4; no RFC 6026 Accepted state): answers `txn`
  /// with the same 2xx and returns true. Checked before authentication, so that the
  /// retransmitted credentials are not taken for a replay. False for a new call.
  bool absorb_retransmission(std::size_t shard, TxnId txn, const sip::Message& invite,
                             TimePoint now);
  /// Graceful stop: ends every call of `shard` (answered: BYE on both legs, cause
  /// `shutdown`; ringing: 503 to the caller, its legs cancelled). Returns how many.
  std::size_t end_all(std::size_t shard, TimePoint now);
  /// The calls `shard` still holds, ended ones waiting for their legs' last answers included.
  std::size_t held(std::size_t shard) const;
  /// Whether a call owns the INVITE server transaction `invite_txn` (a CANCEL for it is
  /// answered 200, not 481).
  bool owns_invite(std::size_t shard, TxnId invite_txn) const;
  /// CANCEL for the INVITE server transaction `invite_txn` (already answered 200 by the
  /// caller). False when no call owns that transaction.
  bool on_cancel(std::size_t shard, TxnId invite_txn, TimePoint now);
  /// A request inside a dialog (To tag present), with its server transaction (0 for an ACK).
  /// False when it matches no dialog of ours (the caller answers 481).
  bool on_in_dialog(std::size_t shard, TxnId txn, const sip::Message& request,
                    const net::Outbound& reply_route, TimePoint now);
  /// A response delivered by client transaction `txn`; false when it is not ours.
  bool on_response(std::size_t shard, TxnId txn, const sip::Message& response, TimePoint now);
  /// Client transaction `txn` timed out (408) or failed to send (503).
  void on_client_failure(std::size_t shard, TxnId txn, int status, TimePoint now);
  /// A 2xx retransmission that no transaction matched (our ACK got lost).
  void on_stray_response(std::size_t shard, const sip::Message& response, TimePoint now);
  /// The record queued by SipCore::write_cdr_durable for `call` was committed (`durable`)
  /// or failed to be: sends what waited for it.
  void on_record_durable(std::size_t shard, std::uint64_t call, bool durable, TimePoint now);
  /// A timer armed through SipCore::arm fired.
  void on_timer(std::size_t shard, std::uint64_t call, TimePoint now);
  /// About once a second: ends the calls of `shard` past their ring timeout, and runs the
  /// session timers of answered calls (refresh or expiry) that are due (those deadlines are
  /// swept, not armed one heap entry per call).
  void sweep(std::size_t shard, TimePoint now);

  /// On shard `shard`'s thread (the server asks it for the API).
  std::vector<CallInfo> calls(std::size_t shard) const;
  CallStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cohort::pbx
