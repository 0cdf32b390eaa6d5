#pragma once
// The SIP side of the shell: transports in, parse, server transactions, then the request
// handlers (registrar, OPTIONS, and 501/404 for what is not built yet), digest
// authentication and the security limits. Everything protocol-shaped is decided by the
// pure layers (sip/, sip/txn/, registrar_core, security); this class owns threads, locks,
// clocks and sockets.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "common/errc.hpp"
#include "net/transport.hpp"
#include "pbx/calls.hpp"
#include "pbx/mailboxes.hpp"
#include "pbx/media_legs.hpp"
#include "pbx/trunk_registrations.hpp"
#include "routing/auto_pause.hpp"
#include "sip/txn/types.hpp"
#include "store/repository.hpp"

namespace cohort::pbx {

struct SipServerOptions {
  std::vector<net::ListenAddress> listen;  ///< UDP and TCP sockets to bind
  int threads = 2;
  std::string realm = "cohort";
  std::string domain;  ///< accepted AOR host; empty = any
  /// host[:port] put in Via and Contact of the requests Cohort sends; empty = the bound
  /// listen address of the transport (set it when listening on a wildcard address).
  std::string advertised_address;
  std::chrono::seconds ring_timeout{120};         ///< an unanswered call is given up after this
  sip::dialog::SessionTimerConfig session_timer;  ///< RFC 4028 on every call leg
  sip::txn::TimerConfig timers;
  sip::ParseLimits limits;
  std::chrono::seconds tcp_idle_timeout{300};
  int tcp_connections_per_source = 32;
  // Registrar (RFC 3261 §10.3)
  int min_expires = 60;
  int max_expires = 7200;
  int default_expires = 3600;
  int max_contacts = 10;
  // Digest (RFC 7616)
  /// Key of the nonce HMAC. Kept across restarts (app/ stores it in the data dir) so that
  /// phones answering a nonce from before a restart are not counted as failures.
  std::string nonce_secret;
  std::int64_t nonce_ttl_s = 300;
  std::vector<std::string> digest_algorithms = {"MD5"};  ///< challenges offered, in order
  // Security
  int ban_after_failures = 5;
  int ban_window_s = 60;
  int ban_duration_s = 300;
  int rate_per_second = 50;
  int rate_burst = 100;
  std::vector<std::string> trusted_networks;
  // Media (issue 13): the legs Cohort answers itself. Unset: no media threads, and a
  // voicemail destination ends the call with 480 (voicemail_unavailable).
  std::optional<MediaLegsOptions> media;
  std::string voicemail_dir;  ///< where VoicemailWriter puts messages
  media::RecordOptions voicemail_recording;
  /// Uploaded greetings and the defaults that name their box (issue 13); null = the
  /// built-in greetings. Must outlive the server.
  const audio::AudioCatalog* audio = nullptr;
  MailboxQuota mailbox_quota;   ///< a full mailbox refuses new messages
  bool mwi_unsolicited = true;  ///< NOTIFY registered phones of users who do not subscribe
  /// Which phones' media is relayed (`[media] relay_networks`, `direct_networks`, NAT).
  PhoneMediaPolicy phone_media;
};

struct RegistrationInfo {
  model::UserId user = 0;
  store::BindingRecord binding;
};

struct BanInfo {
  std::string address;
  std::int64_t since = 0;
  std::int64_t until = 0;
  std::string reason;
};

/// Counters for /metrics.
struct SipStats {
  std::uint64_t requests = 0;
  std::uint64_t responses_sent = 0;
  std::uint64_t parse_errors = 0;
  std::uint64_t dropped_unparseable = 0;
  /// dropped_unparseable by why no response could be sent (sip::ParseError::drop_reason).
  std::vector<std::pair<std::string_view, std::uint64_t>> dropped_by_reason;
  std::uint64_t auth_challenges = 0;
  std::uint64_t auth_failures = 0;
  std::uint64_t auth_failures_unknown_user = 0;  ///< of auth_failures: no such extension
  std::uint64_t auth_failures_inactive_user = 0;
  std::uint64_t auth_failures_wrong_password = 0;
  std::uint64_t bans = 0;
  std::uint64_t banned_drops = 0;
  std::uint64_t rate_limited = 0;
  std::uint64_t registrations = 0;  ///< successful REGISTERs
  std::uint64_t bindings = 0;       ///< current (a gauge)
  std::uint64_t transactions = 0;   ///< current (a gauge)
};

class SipServer {
 public:
  /// `store` and `clock` must outlive the server.
  SipServer(SipServerOptions options, store::Store& store, const Clock& clock);
  ~SipServer();
  SipServer(const SipServer&) = delete;
  SipServer& operator=(const SipServer&) = delete;

  /// Loads the stored bindings, binds the sockets, starts the threads. Start-up only; the
  /// error names the address or the step that failed.
  Result<void> start();
  /// Graceful stop, first half: new calls are answered 503, the calls in progress get up to
  /// `grace` to end by themselves, then both legs of those left get BYE (a call still
  /// ringing: 503 to its caller, its legs cancelled), and their BYEs up to 2 s to be
  /// answered. Returns the number of calls ended that way. Call stop() after it.
  std::size_t drain(std::chrono::milliseconds grace);
  /// Stops the transports and the timers and writes the pending binding changes. Idempotent.
  void stop();
  /// Bound sockets (actual ports). After start().
  std::vector<net::ListenAddress> bound() const;

  /// Unexpired bindings, of one user or all, ordered by user then contact. Any thread.
  std::vector<RegistrationInfo> registrations(std::optional<model::UserId> user) const;
  std::vector<BanInfo> bans() const;
  bool lift_ban(const std::string& address);
  SipStats stats() const;
  CallStats call_stats() const;
  /// Active calls, oldest first. Any thread.
  std::vector<CallInfo> calls() const;
  /// What `user` is doing now (ringing, calls, last group call end). Any thread.
  AgentBoard::Live agent(model::UserId user) const;
  /// Auto-pause: `user` was paused or resumed by hand, so its missed calls count from zero
  /// again in `group` (every group when none). Any thread.
  void reset_missed_calls(model::UserId user, std::optional<model::GroupId> group);
  /// Members paused automatically since start, by cause. Any thread.
  std::uint64_t auto_pauses(routing::PauseCause cause) const;
  /// nullopt for a trunk that is not in the current snapshot. Any thread.
  std::optional<TrunkStatus> trunk_status(model::TrunkId id) const;
  net::Transports::Stats transport_stats() const;
  /// The API marked or deleted a message of `box`: its summary is read again and MWI told.
  /// Any thread.
  void mailbox_changed(const store::MailboxKey& box);
  /// Active MWI subscriptions (for /metrics). Any thread.
  std::size_t mwi_subscriptions() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cohort::pbx
