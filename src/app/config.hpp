#pragma once
// `cohort serve` configuration: defaults, then the TOML file (--config), then flags. An
// unknown key or a bad value stops start-up with a message naming the key and the line.
//
//   data_dir  = "var"                        # --data-dir
//   http      = "127.0.0.1:8080"             # --http
//   database  = "sqlite:var/cohort.db"       # --database (default sqlite:<data_dir>/cohort.db)
//   log_level = "info"                       # --log-level: trace debug info warn error
//   demo_data = false                        # --demo-data: seed an empty database
//   [sip]
//   listen = ["127.0.0.1:5060"]              # --sip (repeatable; used from the SIP core on)
//   realm  = "cohort"                        # digest realm of the users' HA1 values

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

struct Config {
  std::string data_dir = "var";
  HostPort http{"127.0.0.1", 8080};
  std::vector<HostPort> sip_listen{{"127.0.0.1", 5060}};
  std::string sip_realm = "cohort";
  std::string database;  ///< "sqlite:PATH"; empty = sqlite:<data_dir>/cohort.db
  std::string log_level = "info";
  bool demo_data = false;

  /// The SQLite file of `database` (or the default under data_dir).
  Result<std::string> sqlite_path() const;
};

/// Applies the TOML document `text` (named `source` in messages) over `base`.
Result<Config> apply_toml(Config base, std::string_view text, std::string_view source);
/// Reads the file at `path` and applies it over `base`.
Result<Config> apply_toml_file(Config base, const std::string& path);
/// Whether `level` is a log level name.
bool valid_log_level(std::string_view level);

}  // namespace cohort::app
