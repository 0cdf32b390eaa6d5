#pragma once
// The call controller's insides, shared by its files (src/pbx/call*.cpp) and by nothing
// else: a call, its legs and the group hunting it, and CallController::Impl, whose member
// functions are defined one concern a file:
//
//   calls.cpp          the public methods, the entry points (responses, failures, CANCEL,
//                      timers and the sweep) and the counters
//   call_messages.cpp  building requests and responses on a leg
//   call_setup.cpp     a new INVITE: the call, its routing, ringing a user
//   call_hunting.cpp   carrying out routing:: steps: groups, attempts, fallbacks
//   call_trunks.cpp    dialling a number over the trunks, failover, credentials, slots
//   call_legs.cpp      B legs: INVITE, CANCEL, BYE, ACK, their responses, the answer
//   call_dialog.cpp    requests inside an established dialog, relayed to the other leg
//   call_session.cpp   RFC 4028 session timers on each leg: negotiation, refresh, expiry
//   call_transfer.cpp  REFER: the call to the transfer target, the NOTIFYs, the hand-over
//   call_pickup.cpp    *8 and **EXT: a ringing call taken by another phone
//   call_ending.cpp    ending a call: its record, its counters, forgetting it
//   call_forwarding.cpp  a user's call forwarding: busy, no answer, unreachable (issue 12)
//
// Threading: as CallController (calls.hpp): a call's state is touched only on its shard.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/call_record.hpp"
#include "pbx/calls.hpp"
#include "pbx/media_legs.hpp"
#include "pbx/queue_board.hpp"
#include "routing/distribution.hpp"
#include "routing/flow.hpp"
#include "routing/ivr.hpp"
#include "routing/voicemail_menu.hpp"
#include "sip/dialog/dialog.hpp"
#include "sip/dialog/ok_retransmission.hpp"
#include "sip/dialog/reinvite.hpp"
#include "sip/dialog/session_timer.hpp"
#include "sip/headers.hpp"
#include "sip/refer.hpp"
#include "store/repository.hpp"

namespace cohort::pbx {

using model::AttemptResult;
using model::CallDirection;
using model::Disposition;
using model::FallbackReason;
using sip::HeaderId;
using sip::Method;

enum class LegState : std::uint8_t { kTrying, kEarly, kConfirmed, kTerminated };
enum class CallState : std::uint8_t { kTrying, kRinging, kAnswered, kEnding };

inline std::string_view to_string(LegState s) {
  switch (s) {
    case LegState::kTrying:
      return "trying";
    case LegState::kEarly:
      return "early";
    case LegState::kConfirmed:
      return "confirmed";
    case LegState::kTerminated:
      return "terminated";
  }
  return "?";
}

inline std::string_view to_string(CallState s) {
  switch (s) {
    case CallState::kTrying:
      return "trying";
    case CallState::kRinging:
      return "ringing";
    case CallState::kAnswered:
      return "answered";
    case CallState::kEnding:
      return "ending";
  }
  return "?";
}

/// The methods a call's legs accept (Allow of our INVITEs, 2xx and refreshes).
inline constexpr std::string_view kCallAllow =
    "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, REFER, NOTIFY";

/// Headers copied from a request into every response to it (RFC 3261 §8.2.6.2), with the
/// To value still without our tag.
using ResponseHeaders = std::vector<std::pair<HeaderId, std::string>>;

ResponseHeaders response_headers(const sip::Message& req, std::string_view top_via);

/// The URI inside a name-addr or addr-spec header value ("<sip:a@b>;tag=x" → "sip:a@b").
std::string uri_of(std::string_view value);

/// A header value without its tag parameter (To of a request to a new dialog).
std::string without_tag(std::string_view value);

/// A quoted-string for a display name (RFC 3261 §25.1).
std::string display_quoted(std::string_view s);

/// A leg's RFC 4028 session timer and the refreshes Cohort sends on it (call_session.cpp).
/// Cohort is a UA on each leg: the UAS of the caller's INVITE, the UAC of each B leg's.
struct LegSession {
  sip::dialog::SessionTimer timer;  ///< running once the leg is answered
  /// B legs: what the leg's INVITE offered (raised by 422s); then what Cohort's last refresh
  /// on the leg offered.
  std::optional<sip::dialog::UacOffer> offer;
  int retries_422 = 0;              ///< requests re-sent after a 422 (bounded)
  bool peer_allows_update = false;  ///< refresh with UPDATE (RFC 3311), else a re-INVITE
  TxnId refresh_txn = 0;            ///< Cohort's refresh in flight on the leg
  bool refresh_is_update = false;
  std::optional<TimePoint> retry_at;  ///< send the refresh again then (after a 491)
};

struct Leg {
  std::string call_id;
  std::string local_tag;
  std::string local_hdr;   ///< our From (B) / To (A) value, with our tag
  std::string remote_hdr;  ///< the peer's, with its tag once known
  std::string remote_target;
  std::vector<std::string> route_set;
  std::uint32_t cseq = 0;                    ///< the last CSeq we sent on this leg
  std::optional<std::uint32_t> remote_cseq;  ///< the last CSeq the peer sent (§12.2.2)
  sip::dialog::ReInvites reinvites;          ///< one INVITE transaction at a time on the leg (§14)
  net::Outbound route;
  LegState state = LegState::kTrying;
  // B legs: the INVITE that created the leg
  TxnId invite_txn = 0;
  std::string request_uri;
  std::string branch;
  std::uint32_t invite_cseq = 0;
  bool provisional = false;
  bool cancel_pending = false;
  bool cancelled = false;
  int final_status = 0;
  std::string final_reason;
  bool no_response = false;  ///< the INVITE timed out (timer B) or could not be sent
  std::optional<model::TrunkId> trunk;
  bool trunk_slot = false;
  /// A phone whose media Cohort relays (PhoneMediaPolicy: behind NAT, or in one of
  /// `[media] relay_networks`; call_anchor.cpp).
  bool relay_phone = false;
  /// Its media leg when Cohort relays the call's media (MediaLegs::anchor_offer), else 0.
  std::uint64_t media_leg = 0;
  int auth_attempts = 0;
  std::string peer;  ///< for GET /calls
  /// The last ACK we sent on this leg, re-sent when its 2xx is retransmitted.
  std::string ack_bytes;
  std::uint32_t ack_cseq = 0;
  /// To tags of other forks of this leg's INVITE that answered too and were sent a BYE.
  std::vector<std::string> ended_forks;
  LegSession session;
  /// The last session description Cohort sent on this leg: a refreshing re-INVITE offers it
  /// again unchanged (RFC 4028 §7.4, RFC 3264 §8).
  std::string sdp_type, sdp;
  // Legs that ring a user (a group member, or a user called directly)
  std::optional<model::UserId> member;
  int hunt_gen = -1;  ///< the group attempt that rang it; -1 = not a group attempt
  int attempt = -1;   ///< its entry in the CDR's attempts
  /// Its Call-ID's messages were sent to this shard by SipCore::relocate (it moved here from
  /// another shard's call): sent home again when the call is forgotten.
  bool relocated = false;
  /// The dialog of a phone that picked the call up (call_pickup.cpp): answered on hold, then
  /// re-INVITEd with the caller's offer once it ACKed.
  bool pickup = false;
  /// A picker's on-hold 2xx, sent again until the picker's ACK (RFC 3261 §13.3.1.4).
  std::string pickup_ok;
  std::optional<sip::dialog::OkRetransmission> pickup_ok_resend;
};

/// A call being distributed by a group: the plan of the current round and where it is.
struct Hunt {
  model::GroupId group = 0;
  std::string group_name;
  routing::DistributionPolicy policy;
  routing::DistributionPlan plan;
  std::size_t next = 0;                ///< the next attempt of the plan
  int gen = 0;                         ///< the current attempt's number; legs carry it
  std::vector<model::UserId> claimed;  ///< members ringing for the current attempt
  TimePoint attempt_deadline{};
  TimePoint max_deadline{};
  bool retry_wait = false;  ///< between two rounds
  bool offered = false;     ///< a member has been rung during this visit of the group
};

/// An in-dialog request relayed from one leg to the other, waiting for its response.
struct Relay {
  std::uint64_t call = 0;
  TxnId server_txn = 0;
  int from_leg = -1;  ///< -1 = A, else the B leg index
  Method method = Method::kUnknown;
  std::uint32_t origin_cseq = 0;  ///< the originator's CSeq number (its ACK matches it)
  ResponseHeaders answer;         ///< headers for the response to the originator
  /// INVITE and UPDATE: a 2xx refreshes both legs (RFC 4028 §7.4, §9), each with its own
  /// negotiation: Cohort answered the originator as a UAS and offered the far leg as a UAC.
  std::optional<sip::dialog::UasAnswer> origin_session;
  std::optional<sip::dialog::UacOffer> far_offer;
  std::string body_type, body;  ///< what was relayed to the far leg
};

/// A 2xx to a re-INVITE that we relayed to its originator and whose ACK we await: the ACK
/// goes on to the far leg.
struct PendingAck {
  std::uint32_t originator_cseq = 0;
  int far_leg = -1;
  std::uint32_t far_cseq = 0;
};

enum class OwnerKind : std::uint8_t { kInvite, kRelay, kRefresh, kTransfer, kOther };
struct Owner {
  OwnerKind kind = OwnerKind::kOther;
  std::uint64_t call = 0;
  int leg = -1;
};

/// A transfer the call's REFER started (call_transfer.cpp): the call `target` rings the
/// transfer target while the transferee waits here, on hold.
struct TransferOut {
  std::uint64_t target = 0;    ///< the call to the target, on the same shard
  int referrer = -1;           ///< the leg that sent the REFER (-1 or the winner)
  std::uint32_t event_id = 0;  ///< the REFER's CSeq: the NOTIFYs' `Event: refer;id=`
  int last_notified = 0;       ///< the last status reported in a NOTIFY
  bool referrer_gone = false;  ///< the referrer hung up meanwhile (usual in a blind transfer)
};

/// The call to a transfer target (call_transfer.cpp). Until the target answers, what the
/// controller would tell a caller goes to the referrer as NOTIFY sipfrag; once it answers,
/// the transferee's leg moves here as the A leg and is re-INVITEd with the target's offer.
struct TransferIn {
  std::uint64_t from = 0;         ///< the call the REFER arrived in (0 once it is gone)
  int transferee = -1;            ///< that call's leg that moves here
  bool joined = false;            ///< the transferee is our A leg; its re-INVITE is under way
  std::uint32_t target_cseq = 0;  ///< the target's INVITE, ACKed with the transferee's answer
};

/// The digit a SIP INFO carries (`application/dtmf-relay` or `application/dtmf`), if any.
std::optional<char> info_digit(std::string_view content_type, std::string_view body);

/// A number as built-in prompts: "n0"…"n20", tens, "n100" (call_media.cpp; larger numbers
/// are said as 100).
std::vector<PromptSource> number_prompt(int n);

/// A call a mailbox answered (call_voicemail.cpp): its greeting and a beep, the caller's
/// message, then a goodbye and the BYE.
struct VoicemailCall {
  enum class Phase : std::uint8_t { kAnswering, kGreeting, kRecording, kGoodbye, kRefusing };
  std::uint64_t leg = 0;  ///< MediaLegs::LegId
  model::DestVoicemail box;
  Phase phase = Phase::kAnswering;
  /// The mailbox was over its quota when it answered: the caller hears `voicemail_full`,
  /// no message is taken, and the record's disposition is `voicemail_full`.
  bool full = false;
};

/// Cohort's own media toward the caller (call_media.cpp): the caller's offer answered by
/// MediaLegs for an IVR menu (or a mailbox reached from one), or for the music of a group's
/// queue. The callee side, once a destination rings, is offered a relay leg; the answer
/// bridges the two.
struct CallerMedia {
  std::uint64_t leg = 0;    ///< MediaLegs::LegId facing the caller
  std::string answer;       ///< our SDP answer to the caller's offer
  bool answered = false;    ///< the caller has our 200 (else our answer went in a 183)
  bool started = false;     ///< audio may play: the 183 left, or the caller ACKed our 200
  std::uint64_t relay = 0;  ///< MediaLegs::LegId facing the callee side, 0 = none yet
  std::string relay_offer;  ///< the SDP the callee side's INVITEs offer
  bool bridged = false;     ///< a callee answered: RTP passes between the two legs
};

/// A caller in an IVR menu (call_media.cpp), run by routing/ivr.hpp.
struct IvrCall {
  routing::IvrState state;
  std::optional<TimePoint> deadline;  ///< WaitForKeys: TimerFired then
  std::optional<routing::PlayPrompt> pending;
};

/// A user in the *97 voicemail menu (call_voicemail_menu.cpp), run by
/// routing/voicemail_menu.hpp.
struct VmMenuCall {
  model::UserId user = 0;
  routing::VmState state;
  std::optional<TimePoint> deadline;            ///< WaitForKey: VmTimer then
  std::vector<routing::VmAction> pending;       ///< the first prompt, played after the caller's ACK
  std::vector<store::VoicemailRecord> records;  ///< the open mailbox's messages
  /// The greeting just recorded (shared with the loader that plays it back).
  std::shared_ptr<const media::PromptAudio> recorded;
  int takes = 0;  ///< greetings recorded in this call: each plays back under a key of its own
};

struct Call {
  std::uint64_t key = 0;
  std::string id;
  CallDirection direction = CallDirection::kInternal;
  CallState state = CallState::kTrying;
  Leg a;
  TxnId a_txn = 0;
  ResponseHeaders a_answer;
  std::string a_from_tag;
  std::uint32_t a_invite_cseq = 0;
  std::string a_body;
  std::string a_content_type;
  int max_forwards = 70;
  std::vector<Leg> b;
  int winner = -1;
  // outbound routing
  std::vector<model::Trunk> trunks;
  std::size_t next_trunk = 0;
  std::string number;
  std::string caller_id;
  std::string caller_display;
  std::string caller_user_part;  ///< From user sent to the callee
  // the 2xx to A, retransmitted until A's ACK (RFC 3261 §13.3.1.4)
  std::string a_ok;
  bool a_ok_sent = false;  ///< the 2xx left (after its answer record was committed)
  std::optional<sip::dialog::OkRetransmission> a_ok_resend;  ///< from the 2xx's first send
  bool a_acked = false;
  TimePoint ring_deadline{};
  sip::dialog::UasAnswer a_session;       ///< RFC 4028: Cohort's answer to the caller's INVITE
  std::optional<PendingAck> pending_ack;  ///< re-INVITE 2xx relayed, waiting for ACK
  int pending_ack_from = -2;              ///< the originator leg of pending_ack
  bool caller_cancelled = false;
  store::CdrRecord cdr;
  // Inbound routes and group distribution
  model::SnapshotPtr snap;              ///< the configuration the call is routed with
  std::optional<Hunt> hunt;             ///< set while a group distributes the call
  std::vector<model::GroupId> visited;  ///< groups entered, for loop detection
  bool ringback_sent = false;
  int attempts_started = 0;   ///< group attempts rung so far, in every group visited
  bool via_fallback = false;  ///< carried on by a user or number fallback destination
  bool group_answer = false;  ///< a member answered a group's offer
  std::optional<model::UserId> busy_caller;  ///< the local caller, busy while it calls
  std::optional<model::UserId> busy_member;  ///< the user who answered, busy until the end
  std::optional<model::UserId> a_user;       ///< the local user on the A leg (who may transfer)
  std::optional<TransferOut> transfer_out;
  std::optional<TransferIn> transfer_in;
  bool listed_ringing = false;  ///< in SipCore::ringing() (pickup looks there)
  bool picked_up = false;       ///< a phone took it with *8 / **EXT
  // Call forwarding (call_forwarding.cpp)
  std::vector<model::UserId> users_visited;  ///< users the call was for, for forward loops
  int forwards = 0;                          ///< forwards followed: hops, like groups
  std::optional<model::UserId> rung_user;    ///< rung directly: its forwarding applies
  std::size_t rung_legs_from = 0;            ///< its legs; earlier ones were forwarded away
  std::optional<TimePoint> no_answer_at;     ///< when rung_user's no-answer forward is due
  std::optional<VoicemailCall> voicemail;    ///< a mailbox answered the call
  std::optional<CallerMedia> media;          ///< Cohort answered the caller (IVR)
  /// Media anchoring (call_anchor.cpp): the media leg facing the caller of a call whose RTP
  /// Cohort relays without answering it, 0 = none; `relay_caller`: the caller's side needs
  /// the relay (a trunk set to relay, a phone behind NAT), so every B leg is relayed.
  std::uint64_t anchor = 0;
  bool relay_caller = false;
  std::optional<IvrCall> ivr;               ///< in an IVR menu now
  std::optional<VmMenuCall> vm_menu;        ///< in the *97 voicemail menu
  std::vector<model::IvrMenuId> menus;      ///< menus entered, for routing's hop count
  std::int64_t ivr_since_ms = 0;            ///< unix ms the call entered its current menu
  std::int64_t queued_since_ms = 0;         ///< unix ms it started waiting for queued_in
  bool ended_in_ivr = false;                ///< a menu hung up (no timeout/invalid exit)
  std::optional<TimePoint> announce_at;     ///< the next position announcement in a queue
  bool announcing = false;                  ///< an announcement plays over the music
  std::optional<model::GroupId> queued_in;  ///< on QueueBoard for this group
};

/// Gives a value's memory back (clear() keeps a string's or a vector's capacity). An
/// answered call lives for minutes: what only its set-up needed is released once it is up.
template <class T>
void release(T& v) {
  T().swap(v);
}

/// A leg's dialog as the answer record keeps it (call_legs.cpp), for the next request of a
/// call a crash cut (InterruptedCalls).
store::LegDialog leg_record(const Leg& leg);

/// Leg `i` of a call: -1 is the caller's (A), 0… the B legs.
inline Leg& leg_at(Call& c, int i) {
  return i < 0 ? c.a : c.b[static_cast<std::size_t>(i)];
}

inline std::string dialog_key(std::string_view call_id, std::string_view local_tag) {
  std::string k(call_id);
  k.push_back('\x1f');
  k.append(local_tag);
  return k;
}

/// How good a final failure is to report to the caller (RFC 3261 §16.7 step 6, simplified):
/// busy beats everything, then 4xx, then 5xx.
inline int failure_rank(int status) {
  if (status == 486 || status == 600 || status == 603) {
    return 0;
  }
  if (status >= 600) {
    return 1;
  }
  if (status >= 400 && status < 500 && status != 408) {
    return 2;
  }
  if (status == 408) {
    return 3;
  }
  return 4;
}

struct CallController::Impl {
  Impl(CallOptions o, SipCore& c, std::size_t n) : opts(std::move(o)), core(c), shards(n) {}

  struct ShardState {
    std::unordered_map<std::uint64_t, std::unique_ptr<Call>> calls;
    std::unordered_map<std::string, std::pair<std::uint64_t, int>> dialogs;
    std::unordered_map<TxnId, std::uint64_t> by_server_txn;   ///< A INVITE txn → call
    std::unordered_map<std::string, std::uint64_t> by_a_key;  ///< Call-ID+From tag → call
    std::unordered_map<TxnId, Owner> owners;                  ///< client txns
    std::unordered_map<TxnId, Relay> relays;
  };

  CallOptions opts;
  SipCore& core;
  std::vector<ShardState> shards;
  std::atomic<std::uint64_t> next_key{0};
  QueueBoard queues;  ///< callers waiting for each group, across shards (call_media.cpp)
  std::atomic<std::uint64_t> n_active{0}, n_attempted{0}, n_answered{0}, n_group_calls{0};
  std::array<std::atomic<std::uint64_t>, model::kDispositionCount> n_ended{};  ///< by disposition
  std::array<std::atomic<std::uint64_t>, 700> n_status{};  ///< final status of unanswered

  // calls.cpp: lookup and the entry points
  Call* find(std::size_t shard, std::uint64_t key);
  bool on_response(std::size_t shard, TxnId txn, const sip::Message& r, TimePoint now);
  void on_client_failure(std::size_t shard, TxnId txn, int status, TimePoint now);
  void on_stray_response(std::size_t shard, const sip::Message& r, TimePoint now);
  void end_other_fork(std::size_t shard, Call& c, int i, const sip::Message& r, TimePoint now);
  bool on_cancel(std::size_t shard, TxnId invite_txn, TimePoint now);
  std::size_t end_all(std::size_t shard, TimePoint now);
  void sweep(std::size_t shard, TimePoint now);
  void on_timer(std::size_t shard, std::uint64_t key, TimePoint now);
  std::vector<CallInfo> calls(std::size_t shard) const;

  // call_messages.cpp
  std::string response_to(const ResponseHeaders& h, int status, std::string_view reason,
                          std::string_view to_tag,
                          const std::function<void(sip::MessageBuilder&)>& extra = {});
  std::string contact_of(net::Protocol p) const;
  sip::MessageBuilder request_on(const Leg& leg, std::string_view method,
                                 std::string_view request_uri, std::uint32_t cseq,
                                 std::string_view branch, int max_forwards,
                                 const std::function<void(sip::MessageBuilder&)>& extra = {});
  static std::pair<std::string, std::string> relay_body(const sip::Message& m);
  TxnId send_on(std::size_t shard, Call& call, int leg_index, sip::MessageBuilder request,
                OwnerKind kind, TimePoint now);
  void reply_a(std::size_t shard, Call& call, int status, std::string_view reason, TimePoint now,
               const std::function<void(sip::MessageBuilder&)>& extra = {});

  // call_setup.cpp: new calls
  bool absorb_retransmission(std::size_t shard, TxnId txn, const sip::Message& inv, TimePoint now);
  void on_invite(const NewCall& nc, TimePoint now);
  void route(const NewCall& nc, Call& c, const std::string& dialled, TimePoint now);
  void ring_user(std::size_t shard, Call& c, const model::User& callee, TimePoint now);
  void add_user_legs(std::size_t shard, Call& c, const model::User& user,
                     std::vector<CallTarget>& targets, const std::string& display, int hunt_gen,
                     int attempt, TimePoint now);

  // call_hunting.cpp: destinations and groups (issue 5)
  routing::FlowState flow(const Call& c) const;
  void take(std::size_t shard, Call& c, const routing::Step& step, TimePoint now);
  void send_ringback(std::size_t shard, Call& c, TimePoint now);
  void start_hunt(std::size_t shard, Call& c, model::GroupId id, const std::string& timezone,
                  TimePoint now);
  bool plan_round(Call& c, const model::Group& g, const std::string& timezone, std::int64_t now_ms);
  void next_attempt(std::size_t shard, Call& c, TimePoint now);
  void end_attempt(std::size_t shard, Call& c, AttemptResult result, TimePoint now);
  void close_member_attempt(Call& c, int index, AttemptResult result);
  void on_member_leg_failed(std::size_t shard, Call& c, int i, TimePoint now);
  static AttemptResult attempt_result(int status);
  void leave_group(std::size_t shard, Call& c, const model::Group& g, routing::LeaveReason reason,
                   TimePoint now);

  // call_trunks.cpp: outside numbers over the trunks
  void dial_number(std::size_t shard, Call& c, const std::string& number,
                   std::optional<model::GroupId> as_group, TimePoint now,
                   std::optional<model::UserId> as_user = std::nullopt);
  void try_next_trunk(std::size_t shard, Call& c, TimePoint now);
  /// RFC 3264: whether the caller's offer is one no leg can take (fails the call 488).
  bool refuse_offer(std::size_t shard, Call& c, TimePoint now);
  const model::Trunk* trunk_of(const Call& c, const Leg& leg) const;
  bool retry_with_credentials(std::size_t shard, Call& c, int i, const sip::Message& r,
                              TimePoint now);
  void release_slot(Leg& leg);
  static bool fails_over(int status);

  // call_legs.cpp: B legs and their responses
  void send_invite(std::size_t shard, Call& c, int i, const std::string& authorization,
                   TimePoint now, HeaderId auth_header = HeaderId::kAuthorization);
  /// CANCELs B leg `i` (once it had a provisional response). `elsewhere`: another leg
  /// answered, said in the CANCEL's Reason (RFC 3326) so the phone logs no missed call.
  void cancel_leg(std::size_t shard, Call& c, int i, TimePoint now, bool elsewhere = false);
  void bye_leg(std::size_t shard, Call& c, int i, TimePoint now);
  void ack_leg(std::size_t shard, Call& c, int i, std::uint32_t cseq, const std::string& ctype,
               const std::string& body);
  void on_b_response(std::size_t shard, Call& c, int i, const sip::Message& r, TimePoint now);
  void after_leg_failure(std::size_t shard, Call& c, int i, TimePoint now);
  void on_b_answer(std::size_t shard, Call& c, int i, const sip::Message& r, TimePoint now);
  void on_record_durable(std::size_t shard, std::uint64_t key, bool durable, TimePoint now);
  void send_a_ok(std::size_t shard, Call& c, TimePoint now);

  // call_dialog.cpp: in-dialog requests
  bool on_in_dialog(std::size_t shard, TxnId txn, const sip::Message& req,
                    const net::Outbound& reply_route, TimePoint now);
  void end_reinvite(Call& c, const Relay& relay, int far_leg);
  void on_relay_response(std::size_t shard, Call& c, Relay& relay, int far_leg,
                         const sip::Message& r, TimePoint now);

  // call_session.cpp: RFC 4028 session timers on each leg
  std::string session_rejection(const ResponseHeaders& h, const sip::dialog::UasAnswer& answer,
                                std::string_view to_tag);
  static void add_uas_session(sip::MessageBuilder& b, const sip::dialog::UasAnswer& answer);
  static void add_uac_session(sip::MessageBuilder& b, const sip::dialog::UacOffer& offer);
  sip::dialog::UacOffer refresh_offer(const Leg& leg) const;
  static void remember_sdp(Leg& leg, const std::string& ctype, const std::string& body);
  bool retry_after_422(std::size_t shard, Call& c, int i, const sip::Message& r, TimePoint now);
  void start_b_session(Leg& leg, const sip::Message& ok, TimePoint now);
  static bool session_due(const Call& c, TimePoint now);
  bool run_session_timers(std::size_t shard, Call& c, TimePoint now);
  void send_refresh(std::size_t shard, Call& c, int i, const sip::dialog::UacOffer& offer,
                    TimePoint now);
  void on_refresh_response(std::size_t shard, Call& c, int i, const sip::Message& r, TimePoint now);
  void on_refresh_failure(std::size_t shard, Call& c, int i, int status, TimePoint now);
  void refreshed_by_relay(Call& c, const Relay& relay, int far_leg, const sip::Message& ok,
                          TimePoint now);

  // call_transfer.cpp: REFER (RFC 3515), blind and attended
  void on_refer(std::size_t shard, TxnId txn, Call& c, int from, const sip::Message& req,
                TimePoint now);
  void notify_transfer(std::size_t shard, Call& c, int status, std::string_view reason,
                       TimePoint now);
  void transfer_progress(std::size_t shard, Call& target, int status, std::string_view reason,
                         TimePoint now);
  void join_transfer(std::size_t shard, Call& target, int i, const sip::Message& ok, TimePoint now);
  void on_transfer_reinvite(std::size_t shard, Call& c, const sip::Message& r, TimePoint now);
  void transfer_reinvite_failed(std::size_t shard, Call& c, int status, TimePoint now);
  void abandon_transfer(std::size_t shard, Call& c, TimePoint now);
  bool referrer_hangs_up(std::size_t shard, Call& c, int from);
  std::optional<model::UserId> user_on(const Call& c, int leg) const;
  struct Consultation {
    Call* call = nullptr;
    int leg = -2;
  };
  Consultation consultation_of(std::size_t shard, const sip::Replaces& r, model::UserId user,
                               std::uint64_t exclude);
  /// A leg given up by its call for an attended transfer, with what the call knew of it.
  struct Handed {
    Leg leg;
    std::optional<model::UserId> user;
    CallDirection direction = CallDirection::kInternal;
  };
  Handed hand_over(std::size_t shard, Call& k, int referrer_leg, const std::string& target_id,
                   TimePoint now);
  void attend(std::size_t shard, Call& t, Handed h, TimePoint now);
  void end_orphan_leg(std::size_t shard, Leg leg, TimePoint now);

  // call_pickup.cpp: *8 and **EXT
  Call* call_to_pick(std::size_t shard, const model::Snapshot& snap, const model::User& picker,
                     std::string_view dialled);
  void pickup(const NewCall& nc, Call& c, const std::string& dialled, TimePoint now);
  void offer_caller_to_picker(std::size_t shard, Call& k, int i, TimePoint now);
  /// Resends a picker's on-hold 2xx that is due; true when the call ended for want of its ACK.
  bool resend_pickup_ok(std::size_t shard, Call& k, TimePoint now);

  // call_forwarding.cpp: a user's call forwarding (issue 12), decided by routing::route
  // and routing::forward
  void ring_directly(std::size_t shard, Call& c, const routing::RingUser& ring, TimePoint now);
  void supersede_legs(std::size_t shard, Call& c, TimePoint now);
  bool forward_after_failure(std::size_t shard, Call& c, int i, TimePoint now);
  static bool forward_due(const Call& c, TimePoint now);
  void forward_no_answer(std::size_t shard, Call& c, TimePoint now);
  std::string diversion(const Call& c, const Leg& leg) const;

  // call_media.cpp: Cohort answers the caller (IVR menus), relays to the callee side
  /// `early`: our answer goes in a 183 (early media) and the 200 waits for a callee.
  bool answer_caller(std::size_t shard, Call& c, TimePoint now, bool early = false);
  /// Sends the 200 OK with our answer to a caller that had it in a 183.
  void confirm_caller(std::size_t shard, Call& c);
  /// What a caller waiting for a group hears: ringback or the group's music (call_media.cpp).
  void play_waiting(std::size_t shard, Call& c, TimePoint now);
  void announce_position(std::size_t shard, Call& c, TimePoint now);
  void leave_queue(Call& c);
  void caller_acked(std::size_t shard, Call& c, TimePoint now);
  void enter_ivr(std::size_t shard, Call& c, model::IvrMenuId menu, TimePoint now);
  void run_ivr(std::size_t shard, Call& c, const routing::IvrStep& step, TimePoint now);
  void on_ivr_event(std::size_t shard, Call& c, const MediaEvent& event, TimePoint now);
  bool ivr_due(const Call& c, TimePoint now) const;
  /// The offer for a B leg of a call whose caller Cohort answered (opened on first use);
  /// nullopt when no media port is free.
  std::optional<std::string> relay_offer(std::size_t shard, Call& c);
  /// A callee answered a call whose caller Cohort answered: bridge the media, ACK the leg.
  void bridge_answer(std::size_t shard, Call& c, int i, const sip::Message& r, TimePoint now);
  void close_caller_media(Call& c);

  // call_anchor.cpp: media anchoring
  /// Whether B leg `leg` of `c` is offered Cohort's relay instead of the caller's SDP.
  bool relays_media(const Call& c, const Leg& leg) const;
  /// The caller's offer as B leg `i` gets it through the relay (opened on first use);
  /// nullopt when the relay cannot be opened (the leg is offered the caller's SDP).
  std::optional<std::string> anchor_offer(std::size_t shard, Call& c, int i);
  /// Whether leg `leg` of `c` needs its media relayed on its own account (a relayed phone,
  /// a trunk set to relay), whatever the other side.
  bool needs_relay(const Call& c, const Leg& leg) const;
  /// Leg `i` of `t` made the offer in its 2xx (a transfer's target, the callee of a late
  /// offer): it is anchored, and the offer for the other side returned (nullopt: none,
  /// logged; the far offer then goes as it is). The other side's answer then passes with
  /// pass_sdp(t.anchor, leg.media_leg, …).
  std::optional<std::string> anchor_far_offer(std::size_t shard, Call& t, int i,
                                              const std::string& ctype, const std::string& offer);
  /// The SDP of a B leg's 18x or 2xx as the caller gets it: through the relay when the leg
  /// has one. Empty when it cannot pass (the leg's call is then ended by the caller).
  std::optional<std::string> anchored_answer(Call& c, int i, const std::string& body);
  /// The relay legs a relayed request or response between leg `from` and leg `to` passes
  /// (-1 = the caller), or {0, 0} when the call's media is not relayed.
  std::pair<std::uint64_t, std::uint64_t> relay_between(const Call& c, int from, int to) const;
  /// Closes B leg `leg`'s relay leg (it failed, or another answered).
  void drop_media_leg(Leg& leg);
  /// Closes every relay leg of the call.
  void close_anchor(Call& c);

  // call_ending.cpp
  // call_voicemail_menu.cpp: *97
  void enter_vm_menu(std::size_t shard, Call& c, const model::User& user, TimePoint now);
  void run_vm_menu(std::size_t shard, Call& c, routing::VmStep step, TimePoint now);
  void on_vm_menu_event(std::size_t shard, Call& c, MediaEvent& event, TimePoint now);
  /// Feeds `event` to the menu of call `key`, if it is still there (an answer from the disk).
  void vm_menu_post(std::size_t shard, std::uint64_t key, routing::VmEvent event);
  bool vm_menu_due(const Call& c, TimePoint now) const;
  std::vector<PromptSource> vm_phrases(const Call& c, const routing::Say& say) const;

  // call_voicemail.cpp
  void enter_voicemail(std::size_t shard, Call& c, const model::DestVoicemail& box, TimePoint now);
  void voicemail_acked(std::size_t shard, Call& c, TimePoint now);
  /// The caller ACKed a full mailbox's answer: the refusal prompt, then the BYE.
  void mailbox_full_acked(std::size_t shard, Call& c, TimePoint now);
  void on_media_event(std::size_t shard, std::uint64_t key, MediaEvent event, TimePoint now);
  /// Closes the call's media leg; a recording under way is finished and saved first.
  void close_voicemail(Call& c);

  void fail_call(std::size_t shard, Call& c, int status, std::string_view reason,
                 Disposition disposition, TimePoint now);
  void finish(std::size_t shard, Call& c, Disposition disposition, TimePoint now);
  void maybe_reap(std::size_t shard, Call& c);
  void end_answered(std::size_t shard, Call& c, std::string cause, TimePoint now);
  void hang_up(std::size_t shard, Call& c, int from_leg, TimePoint now);
};

}  // namespace cohort::pbx
