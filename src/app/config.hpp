#pragma once
// `cohort serve` configuration: defaults, then the TOML file (--config), then flags. An
// unknown key or a bad value stops start-up with a message naming the key and the line.
//
//   data_dir  = "var"                        # --data-dir
//   http      = "127.0.0.1:8080"             # --http
//   database  = "sqlite:var/cohort.db"       # --database (default sqlite:<data_dir>/cohort.db)
//   log_level = "info"                       # --log-level: trace debug info warn error
//   demo_data = false                        # --demo-data: seed an empty database
//   console_dir = "web/dist"                 # --console-dir: the built console served at /
//   secure_cookies = false                   # Secure session cookie (behind a TLS proxy)
//   [sip]
//   listen = ["127.0.0.1:5060"]              # --sip (repeatable): UDP and TCP on each
//   realm  = "cohort"                        # digest realm of the users' HA1 values
//   domain = ""                              # accepted To/AOR host; "" = any
//   advertised_address = ""                  # host[:port] put in our headers; "" = listen
//   min_expires = 60, max_expires = 7200, default_expires = 3600
//   t1_ms = 500, t2_ms = 4000, t4_ms = 5000  # RFC 3261 timers
//   max_message_bytes = 65536
//   tcp_idle_timeout_s = 300, tcp_connections_per_source = 32
//   nonce_ttl_s = 300
//   digest_algorithms = ["MD5"]              # or ["SHA-256", "MD5"]: challenges, in order
//   session_expires = 1800, min_se = 90      # RFC 4028 session timers on every call leg
//   drain_s = 10                             # on SIGTERM: calls get this long to end
//   mwi_unsolicited = true                   # MWI NOTIFY to phones without a subscription
//   [security]
//   ban_after_failures = 5, ban_window_s = 60, ban_duration_s = 300
//   rate_per_second = 50, rate_burst = 100   # per source, unauthenticated requests
//   trusted_networks = ["10.0.0.0/8"]        # never banned or rate-limited
//   [media]
//   address = ""                             # RTP bind and SDP address; "" = SIP listen host
//   rtp_ports = "20000-29999"                # even RTP port, RTCP on the next one
//   threads = 1                              # media threads (never the SIP shards)
//   no_rtp_timeout_s = 30                    # a terminated leg that sends nothing ends
//   voicemail_max_s = 180, voicemail_min_s = 2
//   mailbox_max_messages = 100, mailbox_max_minutes = 60   # a mailbox's quota; 0 = none
//   silence_threshold_dbfs = -45, silence_s = 5   # a recording ends after this much quiet

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/errc.hpp"

namespace cohort::app {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  bool operator==(const HostPort&) const = default;
};
/// "127.0.0.1:8080", "[::1]:8080", "localhost:8080" (→ 127.0.0.1). Port 0 = any free port.
Result<HostPort> parse_host_port(std::string_view text);
std::string to_string(const HostPort& hp);

struct SipConfig {
  std::string domain;
  /// Digest challenges offered, in order (RFC 8760: preferred first). MD5 alone by default:
  /// SIPp 3.6 and baresip 1.0 (libre) fail on a SHA-256 challenge even when an MD5 one
  /// follows, so offering SHA-256 is an opt-in for sites whose phones all support RFC 8760.
  std::vector<std::string> digest_algorithms = {"MD5"};
  std::string advertised_address;
  int min_expires = 60;
  int max_expires = 7200;
  int default_expires = 3600;
  int t1_ms = 500;
  int t2_ms = 4000;
  int t4_ms = 5000;
  int max_message_bytes = 64 * 1024;
  int tcp_idle_timeout_s = 300;
  int tcp_connections_per_source = 32;
  int nonce_ttl_s = 300;
  /// RFC 4028: the session interval Cohort asks for on each leg, and the smallest it
  /// accepts (a smaller Session-Expires gets 422). RFC 4028 §4/§5 forbid less than 90 s.
  int session_expires = 1800;
  int min_se = 90;
  /// Graceful stop (SIGTERM/SIGINT): new calls get 503 and the calls in progress this many
  /// seconds to end by themselves before Cohort sends BYE on both legs. 0: at once.
  int drain_s = 10;
  /// RFC 3842 NOTIFYs outside a subscription to the registered phones of users who do not
  /// subscribe, when their mailbox changes (docs/sip.md "Message-waiting indication").
  bool mwi_unsolicited = true;
};

struct SecurityConfig {
  int ban_after_failures = 5;
  int ban_window_s = 60;
  int ban_duration_s = 300;
  int rate_per_second = 50;
  int rate_burst = 100;
  std::vector<std::string> trusted_networks;  ///< "10.0.0.0/8", "192.0.2.7", "::1/128"
};

/// Media that Cohort terminates or relays (issue 13, docs/media.md).
struct MediaConfig {
  /// The address RTP sockets bind to and SDP advertises (an IP literal); empty: the host of
  /// the first SIP listen address (127.0.0.1 when that is a wildcard).
  std::string address;
  int rtp_port_min = 20000;
  int rtp_port_max = 29999;
  int threads = 1;
  int no_rtp_timeout_s = 30;
  int voicemail_max_s = 180;
  int voicemail_min_s = 2;
  int silence_threshold_dbfs = -45;
  int silence_s = 5;  ///< 0: silence does not end a recording
  /// A mailbox's quota (issue 13): a full mailbox plays `voicemail_full` and hangs up.
  /// 0 = no limit.
  int mailbox_max_messages = 100;
  int mailbox_max_minutes = 60;
  /// SCHED_FIFO priority of the media threads (1–99); 0 = the normal scheduler.
  int realtime_priority = 0;
  /// Phones whose media Cohort relays always (relay) or never (direct), by their address;
  /// others are relayed when behind NAT (docs/media.md "Media anchoring").
  std::vector<std::string> relay_networks;
  std::vector<std::string> direct_networks;
};

/// "ADDRESS[/PREFIX]" with an IPv4 or IPv6 literal and a prefix in range.
bool valid_network(std::string_view cidr);

struct Config {
  std::string data_dir = "var";
  HostPort http{"127.0.0.1", 8080};
  std::vector<HostPort> sip_listen{{"127.0.0.1", 5060}};
  std::string sip_realm = "cohort";
  SipConfig sip;
  SecurityConfig security;
  MediaConfig media;
  std::string database;  ///< "sqlite:PATH"; empty = sqlite:<data_dir>/cohort.db
  std::string log_level = "info";
  bool demo_data = false;
  /// The built web console (`make build` writes web/dist of the source tree, the default).
  std::string console_dir = COHORT_DEFAULT_CONSOLE_DIR;
  /// Mark the session cookie Secure (set when browsers reach Cohort through a TLS proxy).
  bool secure_cookies = false;

  /// The SQLite file of `database` (or the default under data_dir).
  Result<std::string> sqlite_path() const;
};

/// The media address to use: MediaConfig::address, else the first SIP listen host, else
/// 127.0.0.1 (a wildcard listen address is not an address a peer can send to).
std::string media_address(const Config& c);

/// Applies the TOML document `text` (named `source` in messages) over `base`.
Result<Config> apply_toml(Config base, std::string_view text, std::string_view source);
/// Reads the file at `path` and applies it over `base`.
Result<Config> apply_toml_file(Config base, const std::string& path);
/// Whether `level` is a log level name.
bool valid_log_level(std::string_view level);

}  // namespace cohort::app
