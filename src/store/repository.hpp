#pragma once
// Repository interfaces. Every backend (SQLite now, PostgreSQL later) implements them and
// runs the same test suite (tests/unit/store/). Writes happen inside Store::transact:
// one transaction per API request, rolled back whole on any error, and on commit a new
// model::Snapshot is published. Reads go to the snapshot, not to the store.

#include <compare>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/errc.hpp"
#include "model/call_record.hpp"
#include "model/snapshot.hpp"

namespace cohort::store {

class UserRepository {
 public:
  virtual ~UserRepository() = default;
  /// Inserts `draft` (its id, created_at and updated_at are ignored) and returns the stored
  /// user. Conflict errors name the field: "email", "extension".
  virtual Result<model::User> create(const model::User& draft) = 0;
  /// Replaces every field of user `u.id` (updated_at is set by the store). NotFound if absent.
  virtual Result<model::User> update(const model::User& u) = 0;
  /// Deletes the user, its memberships (renumbering the groups it leaves) and its tokens.
  /// References to it from Destinations are left as they are (routing gaps).
  virtual Result<void> remove(model::UserId id) = 0;
};

class GroupRepository {
 public:
  virtual ~GroupRepository() = default;
  /// Conflict errors name the field: "name", "extension".
  virtual Result<model::Group> create(const model::Group& draft) = 0;
  virtual Result<model::Group> update(const model::Group& g) = 0;
  /// Deletes the group and its memberships; never touches the users.
  virtual Result<void> remove(model::GroupId id) = 0;
};

class MembershipRepository {
 public:
  virtual ~MembershipRepository() = default;
  struct PutResult {
    model::Member member;
    bool created = false;
  };
  /// Adds `user` to `group`, or moves it. Positions stay dense 1..n: `position` (clamped
  /// to 1..n) inserts there and shifts the others; none appends a new member at the end and
  /// leaves an existing one where it is.
  virtual Result<PutResult> put(model::GroupId group, model::UserId user,
                                std::optional<int> position) = 0;
  /// Removes the membership and closes the gap in positions. NotFound if absent.
  virtual Result<void> remove(model::GroupId group, model::UserId user) = 0;
  /// Pauses (or resumes) `user` in `group` only, keeping its position; `reason` is kept
  /// while paused and cleared on resume. NotFound if the membership is absent.
  virtual Result<model::Member> set_pause(model::GroupId group, model::UserId user, bool paused,
                                          const std::string& reason) = 0;
  /// Makes `groups` the user's whole set: joins the new ones at the end, leaves the others,
  /// keeps the memberships that stay as they are.
  virtual Result<void> replace_groups_of(model::UserId user,
                                         const std::vector<model::GroupId>& groups) = 0;
};

class TrunkRepository {
 public:
  virtual ~TrunkRepository() = default;
  virtual Result<model::Trunk> create(const model::Trunk& draft) = 0;  ///< conflict: "name"
  virtual Result<model::Trunk> update(const model::Trunk& t) = 0;
  /// Deletes the trunk; groups that used it are left with no trunk.
  virtual Result<void> remove(model::TrunkId id) = 0;
};

class OutboundRuleRepository {
 public:
  virtual ~OutboundRuleRepository() = default;
  /// Inserts at `draft.position` (clamped to 1..n+1; 0 = at the end) and shifts the rules
  /// after it, so positions stay dense. Conflict: "name".
  virtual Result<model::OutboundRule> create(const model::OutboundRule& draft) = 0;
  /// Replaces every field; a changed position (clamped to 1..n; 0 = keep) moves the rule
  /// and shifts the others, whose updated_at stays. NotFound. Conflict: "name".
  virtual Result<model::OutboundRule> update(const model::OutboundRule& r) = 0;
  /// Deletes the rule and closes the gap in positions. NotFound if absent.
  virtual Result<void> remove(model::OutboundRuleId id) = 0;
};

class InboundRouteRepository {
 public:
  virtual ~InboundRouteRepository() = default;
  /// Same position rules as OutboundRuleRepository. Conflict: "name".
  virtual Result<model::InboundRoute> create(const model::InboundRoute& draft) = 0;
  virtual Result<model::InboundRoute> update(const model::InboundRoute& r) = 0;
  virtual Result<void> remove(model::InboundRouteId id) = 0;
};

class ScheduleRepository {
 public:
  virtual ~ScheduleRepository() = default;
  virtual Result<model::Schedule> create(const model::Schedule& draft) = 0;  ///< conflict: "name"
  virtual Result<model::Schedule> update(const model::Schedule& s) = 0;
  /// Deletes the schedule; groups that used it are left with none (always open).
  virtual Result<void> remove(model::ScheduleId id) = 0;
};

class IvrMenuRepository {
 public:
  virtual ~IvrMenuRepository() = default;
  /// Options are stored in key order whatever order `draft` lists them in. Conflict: "name".
  virtual Result<model::IvrMenu> create(const model::IvrMenu& draft) = 0;
  /// Replaces every field. NotFound. Conflict: "name".
  virtual Result<model::IvrMenu> update(const model::IvrMenu& m) = 0;
  /// Deletes the menu. Destinations that point at it are left as they are (routing gaps).
  virtual Result<void> remove(model::IvrMenuId id) = 0;
};

class TokenRepository {
 public:
  virtual ~TokenRepository() = default;
  virtual Result<model::ApiToken> create(model::UserId user, const std::string& secret_sha256) = 0;
  virtual Result<void> remove(model::TokenId id) = 0;
};

/// A registered contact (RFC 3261 §10), persisted so that registrations survive a restart.
/// Runtime state written by the registrar, not configuration: it is not in the snapshot.
/// Keyed by (user, contact, instance_id, reg_id): RFC 5626 flows of one device may share a
/// Contact URI and differ only in reg-id.
struct BindingRecord {
  model::UserId user = 0;
  std::string contact;      ///< the Contact URI as registered
  std::string instance_id;  ///< RFC 5626 +sip.instance, empty when absent
  int reg_id = -1;          ///< RFC 5626 reg-id, -1 when absent
  int q_milli = 1000;       ///< q-value × 1000
  std::string call_id;
  std::uint32_t cseq = 0;
  std::int64_t expires_at = 0;  ///< unix seconds
  std::string source;           ///< "ip:port" the REGISTER came from
  std::string transport;        ///< "udp" | "tcp"
  std::string local;            ///< "ip:port" of the socket it arrived on
  std::string user_agent;
  std::vector<std::string> path;  ///< RFC 3327 Path values, in order
  std::int64_t updated_at = 0;
  bool operator==(const BindingRecord&) const = default;
};

/// The key of a stored binding.
struct BindingKey {
  model::UserId user = 0;
  std::string contact;
  std::string instance_id;
  int reg_id = -1;
  bool operator==(const BindingKey&) const = default;
};

class BindingStore {
 public:
  virtual ~BindingStore() = default;
  /// Every stored binding (expired ones included: the caller drops those). Start-up.
  virtual Result<std::vector<BindingRecord>> load_bindings() = 0;
  /// Deletes `removed`, then upserts `put`, in one transaction. Bindings of users that no
  /// longer exist are skipped. Any thread; serialised with the other writers.
  virtual Result<void> save_bindings(const std::vector<BindingRecord>& put,
                                     const std::vector<BindingKey>& removed) = 0;
};

/// One leg's dialog of an answered call, kept with its record while the call is up, so that
/// a BYE or re-INVITE arriving after a crash and restart still gets the other leg ended
/// (issue 11). The sequence number is the one at the answer: requests sent later in the
/// call were not recorded, so a BYE after a restart jumps ahead of it.
struct LegDialog {
  std::string call_id;
  std::string local_tag;
  std::string remote_tag;
  std::string local_header;   ///< From of our requests on the leg
  std::string remote_header;  ///< To of our requests on the leg
  std::string remote_target;
  std::vector<std::string> route_set;
  std::uint32_t local_cseq = 0;
  std::string transport;  ///< "udp" | "tcp"
  std::string peer;       ///< "address:port" the leg's requests went to
  bool operator==(const LegDialog&) const = default;
};

/// One call's record (runtime data, outside the snapshot). Written twice at most: when the
/// call is answered (no end yet, so that a crash cannot lose it) and when it ends.
/// Times are unix milliseconds, 0 = did not happen.
struct CdrRecord {
  std::int64_t seq = 0;  ///< assigned by the store on first write; the pagination cursor
  std::string id;        ///< Cohort's call id, unique
  std::string a_leg_call_id;
  std::string b_leg_call_id;
  model::CallDirection direction = model::CallDirection::kInternal;
  std::optional<model::UserId> caller_user;
  std::optional<model::UserId> callee_user;
  std::string caller;       ///< the caller's number as received (From user part)
  std::string dialled;      ///< the Request-URI user part as dialled
  std::string number_sent;  ///< the number sent to the trunk (outbound), else the dialled one
  std::string caller_id;    ///< presented caller ID (From user part sent out)
  std::optional<model::GroupId> caller_id_group;  ///< whose outbound caller ID was used
  std::optional<model::TrunkId> trunk;
  std::optional<model::OutboundRuleId> rule;
  std::int64_t start_ms = 0;
  std::int64_t ringing_ms = 0;
  std::int64_t answer_ms = 0;
  std::int64_t end_ms = 0;
  /// How the call ended; none while an answered call is still up.
  std::optional<model::Disposition> disposition;
  std::string hangup_cause;  ///< "caller_bye", "callee_bye", "486 Busy Here", "timeout" …
  int sip_status = 0;        ///< final status of the B leg (0 = none)

  // Inbound routing and group distribution (issue 5; the dispositions they end with are in
  // docs/life-of-a-call.md "Group calls").
  std::optional<model::InboundRouteId> inbound_route;
  std::string did;                           ///< the number dialled on the trunk (inbound)
  std::optional<model::GroupId> group;       ///< the first group the call was distributed by
  std::optional<model::UserId> answered_by;  ///< the member (or user) who answered
  std::int64_t wait_ms = 0;  ///< arrival → answer (answered), arrival → end (otherwise)
  std::int64_t talk_ms = 0;  ///< answer → end
  /// Why the call left a group for its fallback or closed destination; none when it did not.
  std::optional<model::FallbackReason> fallback_reason;
  std::string fallback_to;  ///< that destination as JSON text; empty when none
  /// Call forwarding (issue 12): the user whose forwarding first took the call elsewhere,
  /// and why; none when the call was not forwarded.
  std::optional<model::UserId> forwarded_from;
  std::optional<model::ForwardReason> forward_reason;
  /// One offer of the call to one member.
  struct Attempt {
    model::UserId user = 0;
    std::optional<model::GroupId> group;
    std::int64_t start_ms = 0;
    std::int64_t end_ms = 0;                     ///< 0 while ringing
    std::optional<model::AttemptResult> result;  ///< none while ringing
    bool operator==(const Attempt&) const = default;
  };
  std::vector<Attempt> attempts;  ///< in the order offered
  /// The caller's and the answering leg's dialogs while an answered call is up; empty
  /// before the answer and once the call has ended (also after a restart, once a request
  /// of an interrupted call has ended it).
  std::vector<LegDialog> dialogs;
  // Transfers (issue 12, docs/life-of-a-call.md "Transfers"): a REFER ends the call it
  // arrived in (hangup_cause "transferred", `transferred_to` the new call's id) and starts a
  // call to the target that names where it came from and who transferred.
  std::optional<model::UserId> transferred_by;
  std::string transferred_from;
  std::string transferred_to;
  /// The message a mailbox took on this call (issue 13). Set by VoicemailStore::add, never
  /// by the call: a write of the record with none keeps the stored one.
  std::optional<std::int64_t> voicemail_id;
  // IVR menus and queues (issue 13, docs/life-of-a-call.md "IVR menus"): the keys pressed in
  // menus, in order; the option or extension the last menu took ("" = none); the time spent
  // in menus and waiting in groups' queues.
  std::string ivr_keys;
  std::string ivr_option;
  std::int64_t ivr_ms = 0;
  std::int64_t queue_ms = 0;
  bool operator==(const CdrRecord&) const = default;
};

struct CdrQuery {
  std::optional<std::int64_t> from_ms;  ///< start_ms >= from_ms
  std::optional<std::int64_t> to_ms;    ///< start_ms < to_ms
  std::optional<model::UserId> user;    ///< caller_user or callee_user
  std::optional<model::GroupId> group;  ///< caller_id_group or group
  std::optional<model::CallDirection> direction;
  std::optional<model::Disposition> disposition;
  std::int64_t before_seq = 0;  ///< newest first: only seq < before_seq (0 = from the newest)
  std::size_t limit = 100;
};

class CdrStore {
 public:
  virtual ~CdrStore() = default;
  /// Upserts the records by `id`, in one transaction. Any thread (the CDR writer).
  virtual Result<void> save_cdrs(const std::vector<CdrRecord>& records) = 0;
  /// Start-up: every record without an end (answered calls cut by a crash) gets
  /// disposition "interrupted" and end_ms = `now_ms`. Returns how many.
  virtual Result<std::size_t> close_interrupted(std::int64_t now_ms) = 0;
  /// Start-up: interrupted records that still hold their legs' dialogs (no request of
  /// either leg has ended them since) and ended at or after `since_ms`, oldest first.
  virtual Result<std::vector<CdrRecord>> interrupted_dialogs(std::int64_t since_ms) = 0;
  /// Matching records, newest (highest seq) first, at most `limit`. Any thread; does not
  /// wait for writers.
  virtual Result<std::vector<CdrRecord>> query_cdrs(const CdrQuery& query) = 0;
};

/// Runtime state of group call distribution that outlives a process (outside the
/// snapshot): round-robin cursors and the call history that least_recent and fewest_calls
/// start from after a restart.
class HuntStore {
 public:
  virtual ~HuntStore() = default;
  /// Every group's round-robin cursor: the member offered first on its last call.
  virtual Result<std::vector<std::pair<model::GroupId, model::UserId>>> load_cursors() = 0;
  /// Upserts cursors, in one transaction; cursors of deleted groups are skipped. Any thread.
  virtual Result<void> save_cursors(
      const std::vector<std::pair<model::GroupId, model::UserId>>& cursors) = 0;
  /// From the CDRs: for every user who answered a call, the end of its last answered call
  /// (unix ms; calls still up count with their answer time).
  virtual Result<std::vector<std::pair<model::UserId, std::int64_t>>> last_calls() = 0;
  /// From the CDRs: (answering user, answer_ms) of every call answered at or after
  /// `since_ms`, oldest first.
  virtual Result<std::vector<std::pair<model::UserId, std::int64_t>>> answered_since(
      std::int64_t since_ms) = 0;
};

/// How a console session was signed in (issue 10).
enum class SessionKind { kPassword, kToken, kBootstrap };
inline std::string_view to_string(SessionKind k) {
  switch (k) {
    case SessionKind::kPassword:
      return "password";
    case SessionKind::kToken:
      return "token";
    case SessionKind::kBootstrap:
      return "bootstrap";
  }
  return "password";
}
inline std::optional<SessionKind> parse_session_kind(std::string_view s) {
  for (SessionKind k : {SessionKind::kPassword, SessionKind::kToken, SessionKind::kBootstrap}) {
    if (to_string(k) == s) {
      return k;
    }
  }
  return std::nullopt;
}

/// A console sign-in (runtime data, outside the snapshot). Times are unix milliseconds.
struct SessionRecord {
  std::string id_sha256;              ///< SHA-256 (hex) of the cookie secret
  std::optional<model::UserId> user;  ///< none for the bootstrap admin
  SessionKind kind = SessionKind::kPassword;
  /// What the session stands on, checked at every request: a stamp of the user's password
  /// hash, or the SHA-256 of the API token (user or bootstrap) it was opened with.
  std::string credential;
  std::int64_t created_ms = 0;
  std::int64_t last_seen_ms = 0;
  bool operator==(const SessionRecord&) const = default;
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;
  /// Every stored session. Start-up.
  virtual Result<std::vector<SessionRecord>> load_sessions() = 0;
  /// Upserts one session; a session of a user deleted meanwhile is skipped. Any thread.
  virtual Result<void> save_session(const SessionRecord& s) = 0;
  /// Deletes the sessions with these ids (absent ones are ignored). Any thread.
  virtual Result<void> delete_sessions(const std::vector<std::string>& ids) = 0;
};

/// A mailbox: a user's or a group's (model::DestVoicemail without the rest).
struct MailboxKey {
  model::DestVoicemail::Box box = model::DestVoicemail::Box::kGroup;
  std::int64_t id = 0;
  auto operator<=>(const MailboxKey&) const = default;
  bool operator==(const MailboxKey&) const = default;
};

/// One voicemail message (issue 13): the index row of a file under <data_dir>/voicemail.
/// Runtime data, outside the snapshot. Times are unix milliseconds.
struct VoicemailRecord {
  std::int64_t id = 0;  ///< assigned by add()
  MailboxKey box;
  std::string file;     ///< relative to the voicemail directory: "group-3/<name>.wav"
  std::string call_id;  ///< the call record's id
  std::string caller;   ///< the caller's number
  std::string caller_name;
  std::string called;
  std::optional<model::GroupId> group;
  std::int64_t started_at_ms = 0;
  std::int64_t duration_ms = 0;
  std::uint32_t sample_rate = 8000;
  bool heard = false;
  bool operator==(const VoicemailRecord&) const = default;
};

struct VoicemailQuery {
  std::vector<MailboxKey> boxes;  ///< any of these; empty = every mailbox
  std::optional<bool> heard;
  std::int64_t before_id = 0;  ///< newest (highest id) first: only id < before_id (0 = all)
  std::size_t limit = 100;
};

/// Per mailbox: how many messages, how many not heard yet, how long in all.
struct MailboxCounts {
  MailboxKey box;
  std::int64_t total = 0;
  std::int64_t unheard = 0;
  std::int64_t total_ms = 0;
  bool operator==(const MailboxCounts&) const = default;
};

class VoicemailStore {
 public:
  virtual ~VoicemailStore() = default;
  /// Indexes a message (its id is ignored) and, in the same transaction, names it in the
  /// record of call `call_id` (`voicemail_id`), if that record exists. Conflict when `file`
  /// is already indexed. Any thread; serialised with the other writers.
  virtual Result<std::int64_t> add_voicemail(const VoicemailRecord& r) = 0;
  /// Matching messages, newest (highest id) first, at most `limit`. Any thread.
  virtual Result<std::vector<VoicemailRecord>> query_voicemails(const VoicemailQuery& q) = 0;
  virtual Result<std::optional<VoicemailRecord>> voicemail(std::int64_t id) = 0;
  /// false when there is no such message.
  virtual Result<bool> set_heard(std::int64_t id, bool heard) = 0;
  /// Deletes the row (the caller unlinked its file first); false when there was none.
  virtual Result<bool> remove_voicemail(std::int64_t id) = 0;
  /// Every indexed (id, file), for reconciling the index with the files at start-up.
  virtual Result<std::vector<std::pair<std::int64_t, std::string>>> voicemail_files() = 0;
  /// The counts of every mailbox that holds a message, or of `box` alone.
  virtual Result<std::vector<MailboxCounts>> mailbox_counts(std::optional<MailboxKey> box) = 0;
};

/// The repositories of one open transaction. Valid only inside Store::transact.
class Transaction {
 public:
  virtual ~Transaction() = default;
  virtual UserRepository& users() = 0;
  virtual GroupRepository& groups() = 0;
  virtual MembershipRepository& memberships() = 0;
  virtual TrunkRepository& trunks() = 0;
  virtual TokenRepository& tokens() = 0;
  virtual OutboundRuleRepository& outbound_rules() = 0;
  virtual InboundRouteRepository& inbound_routes() = 0;
  virtual ScheduleRepository& schedules() = 0;
  virtual IvrMenuRepository& ivr_menus() = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  /// Runs `work` in one transaction. If it returns an error, or the commit fails, nothing
  /// is changed and the error is returned. After a commit the new snapshot is published
  /// before this returns. Thread-safe: writers are serialised; blocks on disk I/O.
  virtual Result<void> transact(const std::function<Result<void>(Transaction&)>& work) = 0;

  /// The current snapshot. Lock-free for readers; any thread.
  virtual model::SnapshotPtr snapshot() const = 0;

  /// Liveness of the backend (a trivial query). Any thread.
  virtual bool healthy() = 0;

  /// Registrations (runtime state, outside the snapshot).
  virtual BindingStore& bindings() = 0;

  /// Call records (runtime data, outside the snapshot).
  virtual CdrStore& cdrs() = 0;

  /// Distribution cursors and history (runtime data, outside the snapshot).
  virtual HuntStore& hunt() = 0;

  /// Console sessions (runtime data, outside the snapshot).
  virtual SessionStore& sessions() = 0;

  /// The voicemail message index (runtime data, outside the snapshot).
  virtual VoicemailStore& voicemails() = 0;
};

}  // namespace cohort::store
