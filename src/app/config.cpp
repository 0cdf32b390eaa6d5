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

Result<void> apply_sip(Config& c, const toml::table& sip, std::string_view source) {
  for (const auto& [k, node] : sip) {
    std::string key = "sip." + std::string(k.str());
    if (k == "listen") {
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
  return c;
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
