#include "app/config.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <toml++/toml.h>
#include <charconv>
#include <fstream>
#include <sstream>

#include "common/text.hpp"

namespace cohort::app {

Result<HostPort> parse_host_port(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail(Error::invalid("", fmt::format("expected [IPv6]:PORT, got '{}'", text)));
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return fail(Error::invalid("", fmt::format("expected HOST:PORT, got '{}'", text)));
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value > 65535) {
    return fail(Error::invalid("", fmt::format("bad port in '{}'", text)));
  }
  std::string h(host == "localhost" ? "127.0.0.1" : host);
  unsigned char buf[16];
  if (inet_pton(AF_INET, h.c_str(), buf) != 1 && inet_pton(AF_INET6, h.c_str(), buf) != 1) {
    return fail(Error::invalid("", fmt::format("'{}' is not an IPv4 or IPv6 address", host)));
  }
  return HostPort{h, static_cast<std::uint16_t>(value)};
}

std::string to_string(const HostPort& hp) {
  if (hp.host.find(':') != std::string::npos) {
    return fmt::format("[{}]:{}", hp.host, hp.port);
  }
  return fmt::format("{}:{}", hp.host, hp.port);
}

Result<std::string> Config::sqlite_path() const {
  if (database.empty()) {
    return data_dir + "/cohort.db";
  }
  constexpr std::string_view kScheme = "sqlite:";
  if (!database.starts_with(kScheme) || database.size() == kScheme.size()) {
    return fail(Error::invalid(
        "database", fmt::format("database must be sqlite:PATH (got '{}'); PostgreSQL comes "
                                "with the scale-out issue",
                                database)));
  }
  return database.substr(kScheme.size());
}

bool valid_log_level(std::string_view level) {
  for (std::string_view l : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    if (l == level) {
      return true;
    }
  }
  return false;
}

namespace {

std::string where(std::string_view source, const toml::node& node) {
  return fmt::format("{}:{}", source, node.source().begin.line);
}

Error key_error(std::string_view source, const toml::node& node, std::string_view key,
                std::string_view reason) {
  return Error::invalid(std::string(key),
                        fmt::format("{}: {}: {}", where(source, node), key, reason));
}

Result<std::string> string_value(std::string_view source, const toml::node& node,
                                 std::string_view key) {
  if (auto v = node.value<std::string>(); v && node.is_string()) {
    return *v;
  }
  return fail(key_error(source, node, key, "expected a string"));
}

Result<HostPort> host_port_value(std::string_view source, const toml::node& node,
                                 std::string_view key) {
  COHORT_TRY_ASSIGN(std::string s, string_value(source, node, key));
  auto hp = parse_host_port(s);
  if (!hp) {
    return fail(key_error(source, node, key, hp.error().message));
  }
  return *hp;
}

Result<int> int_value(std::string_view source, const toml::node& node, std::string_view key,
                      int min, int max) {
  if (!node.is_integer()) {
    return fail(key_error(source, node, key, "expected an integer"));
  }
  std::int64_t v = *node.value<std::int64_t>();
  if (v < min || v > max) {
    return fail(key_error(source, node, key, fmt::format("must be between {} and {}", min, max)));
  }
  return static_cast<int>(v);
}

struct IntKey {
  std::string_view name;
  int* slot;
  int min;
  int max;
};

/// Applies `key` if it is one of `ints`; false when it is not.
Result<bool> apply_int(std::string_view source, const toml::node& node, std::string_view name,
                       const std::string& key, std::initializer_list<IntKey> ints) {
  for (const IntKey& k : ints) {
    if (k.name == name) {
      COHORT_TRY_ASSIGN(*k.slot, int_value(source, node, key, k.min, k.max));
      return true;
    }
  }
  return false;
}

/// An array of "ADDRESS[/PREFIX]" strings (trusted_networks, relay_networks, …).
Result<std::vector<std::string>> networks_value(std::string_view source, const toml::node& node,
                                                const std::string& key) {
  const toml::array* arr = node.as_array();
  if (arr == nullptr) {
    return fail(key_error(source, node, key, "expected an array of networks"));
  }
  std::vector<std::string> out;
  for (const toml::node& item : *arr) {
    COHORT_TRY_ASSIGN(std::string net, string_value(source, item, key));
    if (!valid_network(net)) {
      return fail(key_error(source, item, key,
                            fmt::format("'{}' is not an address or ADDRESS/PREFIX", net)));
    }
    out.push_back(std::move(net));
  }
  return out;
}

Result<void> apply_security(Config& c, const toml::table& table, std::string_view source) {
  SecurityConfig& sc = c.security;
  for (const auto& [k, node] : table) {
    std::string key = "security." + std::string(k.str());
    COHORT_TRY_ASSIGN(bool done, apply_int(source, node, k.str(), key,
                                           {{"ban_after_failures", &sc.ban_after_failures, 1, 1000},
                                            {"ban_window_s", &sc.ban_window_s, 1, 86400},
                                            {"ban_duration_s", &sc.ban_duration_s, 1, 30 * 86400},
                                            {"rate_per_second", &sc.rate_per_second, 1, 1'000'000},
                                            {"rate_burst", &sc.rate_burst, 1, 1'000'000}}));
    if (done) {
      continue;
    }
    if (k == "trusted_networks") {
      COHORT_TRY_ASSIGN(sc.trusted_networks, networks_value(source, node, key));
    } else {
      return fail(key_error(source, node, key, "unknown key"));
    }
  }
  return {};
}

Result<void> apply_media(Config& c, const toml::table& table, std::string_view source) {
  MediaConfig& mc = c.media;
  for (const auto& [k, node] : table) {
    std::string key = "media." + std::string(k.str());
    COHORT_TRY_ASSIGN(bool done,
                      apply_int(source, node, k.str(), key,
                                {{"threads", &mc.threads, 1, 64},
                                 {"no_rtp_timeout_s", &mc.no_rtp_timeout_s, 5, 3600},
                                 {"voicemail_max_s", &mc.voicemail_max_s, 5, 3600},
                                 {"voicemail_min_s", &mc.voicemail_min_s, 0, 60},
                                 {"silence_threshold_dbfs", &mc.silence_threshold_dbfs, -90, 0},
                                 {"silence_s", &mc.silence_s, 0, 600},
                                 {"mailbox_max_messages", &mc.mailbox_max_messages, 0, 100000},
                                 {"mailbox_max_minutes", &mc.mailbox_max_minutes, 0, 100000},
                                 {"realtime_priority", &mc.realtime_priority, 0, 99}}));
    if (done) {
      continue;
    }
    if (k == "address") {
      COHORT_TRY_ASSIGN(mc.address, string_value(source, node, key));
      if (!mc.address.empty() &&
          (mc.address.find('/') != std::string::npos || !valid_network(mc.address))) {
        return fail(key_error(source, node, key, "expected an IPv4 or IPv6 address"));
      }
    } else if (k == "relay_networks") {
      COHORT_TRY_ASSIGN(mc.relay_networks, networks_value(source, node, key));
    } else if (k == "direct_networks") {
      COHORT_TRY_ASSIGN(mc.direct_networks, networks_value(source, node, key));
    } else if (k == "rtp_ports") {
      COHORT_TRY_ASSIGN(std::string range, string_value(source, node, key));
      int lo = 0, hi = 0;
      const auto dash = range.find('-');
      const auto number = [](std::string_view t, int& out) {
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
        return ec == std::errc{} && end == t.data() + t.size() && !t.empty();
      };
      if (dash == std::string::npos || !number(std::string_view(range).substr(0, dash), lo) ||
          !number(std::string_view(range).substr(dash + 1), hi)) {
        return fail(key_error(source, node, key, "expected \"LOW-HIGH\", e.g. \"20000-29999\""));
      }
      // At least one even RTP port with its RTCP port after it, above the well-known ports.
      if (lo < 1024 || hi > 65535 || ((lo + 1) & ~1) + 1 > hi) {
        return fail(key_error(source, node, key,
                              "must lie within 1024-65535 and hold an even port and the next"));
      }
      mc.rtp_port_min = lo;
      mc.rtp_port_max = hi;
    } else {
      return fail(key_error(source, node, key, "unknown key"));
    }
  }
  if (mc.voicemail_min_s >= mc.voicemail_max_s) {
    return fail(Error::invalid("media.voicemail_min_s",
                               fmt::format("{}: media.voicemail_min_s must be less than "
                                           "media.voicemail_max_s",
                                           source)));
  }
  return {};
}

Result<void> apply_sip(Config& c, const toml::table& sip, std::string_view source) {
  SipConfig& sc = c.sip;
  for (const auto& [k, node] : sip) {
    std::string key = "sip." + std::string(k.str());
    COHORT_TRY_ASSIGN(
        bool done,
        apply_int(source, node, k.str(), key,
                  {{"min_expires", &sc.min_expires, 1, 86400},
                   {"max_expires", &sc.max_expires, 1, 7 * 86400},
                   {"default_expires", &sc.default_expires, 1, 7 * 86400},
                   {"t1_ms", &sc.t1_ms, 10, 10000},
                   {"t2_ms", &sc.t2_ms, 100, 60000},
                   {"t4_ms", &sc.t4_ms, 100, 60000},
                   {"max_message_bytes", &sc.max_message_bytes, 1500, 1 << 20},
                   {"tcp_idle_timeout_s", &sc.tcp_idle_timeout_s, 1, 86400},
                   {"tcp_connections_per_source", &sc.tcp_connections_per_source, 1, 100000},
                   {"nonce_ttl_s", &sc.nonce_ttl_s, 10, 86400},
                   {"session_expires", &sc.session_expires, 90, 86400},
                   {"min_se", &sc.min_se, 90, 86400},
                   {"drain_s", &sc.drain_s, 0, 3600}}));
    if (done) {
      continue;
    }
    if (k == "domain") {
      COHORT_TRY_ASSIGN(sc.domain, string_value(source, node, key));
    } else if (k == "digest_algorithms") {
      const toml::array* arr = node.as_array();
      if (arr == nullptr || arr->empty()) {
        return fail(key_error(source, node, key, "expected a non-empty array"));
      }
      sc.digest_algorithms.clear();
      for (const toml::node& item : *arr) {
        COHORT_TRY_ASSIGN(std::string a, string_value(source, item, key));
        if (a != "MD5" && a != "SHA-256") {
          return fail(key_error(source, item, key, "expected \"SHA-256\" or \"MD5\""));
        }
        sc.digest_algorithms.push_back(a);
      }
    } else if (k == "advertised_address") {
      COHORT_TRY_ASSIGN(sc.advertised_address, string_value(source, node, key));
    } else if (k == "listen") {
      c.sip_listen.clear();
      if (const toml::array* arr = node.as_array()) {
        if (arr->empty()) {
          return fail(key_error(source, node, key, "needs at least one HOST:PORT"));
        }
        for (const toml::node& item : *arr) {
          COHORT_TRY_ASSIGN(HostPort hp, host_port_value(source, item, key));
          c.sip_listen.push_back(hp);
        }
      } else {
        COHORT_TRY_ASSIGN(HostPort hp, host_port_value(source, node, key));
        c.sip_listen.push_back(hp);
      }
    } else if (k == "mwi_unsolicited") {
      if (!node.is_boolean()) {
        return fail(key_error(source, node, key, "expected true or false"));
      }
      sc.mwi_unsolicited = *node.value<bool>();
    } else if (k == "realm") {
      COHORT_TRY_ASSIGN(c.sip_realm, string_value(source, node, key));
      if (c.sip_realm.empty() || c.sip_realm.find('"') != std::string::npos) {
        return fail(key_error(source, node, key, "must be non-empty and without quotes"));
      }
    } else {
      return fail(key_error(source, node, key, "unknown key"));
    }
  }
  return {};
}

}  // namespace

Result<Config> apply_toml(Config c, std::string_view text, std::string_view source) {
  toml::table doc;
  try {
    doc = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return fail(Error::invalid(
        "", fmt::format("{}:{}: {}", source, e.source().begin.line, e.description())));
  }
  // Cross-key rules are checked after every key is read, against the whole document.
  auto checked = [&](Config cfg) -> Result<Config> {
    if (!(cfg.sip.min_expires <= cfg.sip.default_expires &&
          cfg.sip.default_expires <= cfg.sip.max_expires)) {
      const toml::node* at = doc.at_path("sip").node();
      return fail(Error::invalid(
          "sip", fmt::format("{}:{}: sip: min_expires <= default_expires <= max_expires is "
                             "required",
                             source, at ? at->source().begin.line : 0)));
    }
    if (cfg.sip.t1_ms > cfg.sip.t2_ms) {
      return fail(
          Error::invalid("sip", fmt::format("{}: sip: t1_ms must not exceed t2_ms", source)));
    }
    if (cfg.sip.min_se > cfg.sip.session_expires) {
      // RFC 4028 §7.1: the Session-Expires we send must not be below our own Min-SE.
      return fail(Error::invalid(
          "sip.min_se", fmt::format("{}: sip.min_se must not exceed sip.session_expires", source)));
    }
    return cfg;
  };
  for (const auto& [k, node] : doc) {
    std::string key(k.str());
    if (key == "data_dir") {
      COHORT_TRY_ASSIGN(c.data_dir, string_value(source, node, key));
      if (c.data_dir.empty()) {
        return fail(key_error(source, node, key, "must not be empty"));
      }
    } else if (key == "http") {
      COHORT_TRY_ASSIGN(c.http, host_port_value(source, node, key));
    } else if (key == "database") {
      COHORT_TRY_ASSIGN(c.database, string_value(source, node, key));
      if (auto p = c.sqlite_path(); !p) {
        return fail(key_error(source, node, key, p.error().message));
      }
    } else if (key == "log_level") {
      COHORT_TRY_ASSIGN(c.log_level, string_value(source, node, key));
      if (!valid_log_level(c.log_level)) {
        return fail(key_error(source, node, key, "expected trace, debug, info, warn or error"));
      }
    } else if (key == "demo_data") {
      if (!node.is_boolean()) {
        return fail(key_error(source, node, key, "expected true or false"));
      }
      c.demo_data = *node.value<bool>();
    } else if (key == "console_dir") {
      COHORT_TRY_ASSIGN(c.console_dir, string_value(source, node, key));
    } else if (key == "secure_cookies") {
      if (!node.is_boolean()) {
        return fail(key_error(source, node, key, "expected true or false"));
      }
      c.secure_cookies = *node.value<bool>();
    } else if (key == "security") {
      const toml::table* sec = node.as_table();
      if (sec == nullptr) {
        return fail(key_error(source, node, key, "expected a [security] table"));
      }
      COHORT_TRY(apply_security(c, *sec, source));
    } else if (key == "media") {
      const toml::table* media = node.as_table();
      if (media == nullptr) {
        return fail(key_error(source, node, key, "expected a [media] table"));
      }
      COHORT_TRY(apply_media(c, *media, source));
    } else if (key == "sip") {
      const toml::table* sip = node.as_table();
      if (sip == nullptr) {
        return fail(key_error(source, node, key, "expected a [sip] table"));
      }
      COHORT_TRY(apply_sip(c, *sip, source));
    } else {
      return fail(key_error(source, node, key, "unknown key"));
    }
  }
  return checked(std::move(c));
}

bool valid_network(std::string_view cidr) {
  auto slash = cidr.find('/');
  std::string addr(cidr.substr(0, slash));
  unsigned char buf[16];
  int max_prefix = 0;
  if (inet_pton(AF_INET, addr.c_str(), buf) == 1) {
    max_prefix = 32;
  } else if (inet_pton(AF_INET6, addr.c_str(), buf) == 1) {
    max_prefix = 128;
  } else {
    return false;
  }
  if (slash == std::string_view::npos) {
    return true;
  }
  std::string_view prefix = cidr.substr(slash + 1);
  int n = -1;
  auto [end, ec] = std::from_chars(prefix.data(), prefix.data() + prefix.size(), n);
  return ec == std::errc{} && end == prefix.data() + prefix.size() && n >= 0 && n <= max_prefix;
}

std::string media_address(const Config& c) {
  if (!c.media.address.empty()) {
    return c.media.address;
  }
  if (!c.sip_listen.empty()) {
    const std::string& host = c.sip_listen.front().host;
    if (host != "0.0.0.0" && host != "::" && valid_network(host) &&
        host.find('/') == std::string::npos) {
      return host;
    }
  }
  return "127.0.0.1";
}

Result<Config> apply_toml_file(Config base, const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return fail(Error::invalid("config", fmt::format("cannot read config file {}", path)));
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return apply_toml(std::move(base), buf.str(), path);
}

}  // namespace cohort::app
