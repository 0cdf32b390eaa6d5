// `cohort` — the entry point: configuration, wiring, signals.

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "api/api.hpp"
#include "api/console.hpp"
#include "api/http_server.hpp"
#include "app/bootstrap.hpp"
#include "app/config.hpp"
#include "app/sip_wiring.hpp"
#include "audio/audio_catalog.hpp"
#include "common/log.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/system_clock.hpp"

namespace {

using cohort::app::Config;

struct Flags {
  std::string config;
  std::string data_dir;
  std::string http;
  std::vector<std::string> sip;
  std::string database;
  std::string log_level;
  std::string console_dir;
  bool demo_data = false;
};

int fatal(const std::string& message) {
  std::fprintf(stderr, "cohort: %s\n", message.c_str());
  return 2;
}

/// Defaults, then the file, then the flags that were given.
cohort::Result<Config> resolve_config(const Flags& f, const CLI::App& serve) {
  Config c;
  if (!f.config.empty()) {
    COHORT_TRY_ASSIGN(c, cohort::app::apply_toml_file(c, f.config));
  }
  auto flag_error = [](std::string_view flag, const cohort::Error& e) {
    return cohort::Error::invalid(std::string(flag), fmt::format("{}: {}", flag, e.message));
  };
  if (serve.count("--data-dir") > 0) {
    c.data_dir = f.data_dir;
  }
  if (serve.count("--http") > 0) {
    auto hp = cohort::app::parse_host_port(f.http);
    if (!hp) {
      return cohort::fail(flag_error("--http", hp.error()));
    }
    c.http = *hp;
  }
  if (serve.count("--sip") > 0) {
    c.sip_listen.clear();
    for (const std::string& s : f.sip) {
      auto hp = cohort::app::parse_host_port(s);
      if (!hp) {
        return cohort::fail(flag_error("--sip", hp.error()));
      }
      c.sip_listen.push_back(*hp);
    }
  }
  if (serve.count("--database") > 0) {
    c.database = f.database;
  }
  if (serve.count("--log-level") > 0) {
    if (!cohort::app::valid_log_level(f.log_level)) {
      return cohort::fail(cohort::Error::invalid(
          "--log-level", "--log-level: expected trace, debug, info, warn or error"));
    }
    c.log_level = f.log_level;
  }
  if (f.demo_data) {
    c.demo_data = true;
  }
  if (serve.count("--console-dir") > 0) {
    c.console_dir = f.console_dir;
  }
  if (auto p = c.sqlite_path(); !p) {
    return cohort::fail(p.error());
  }
  return c;
}

int serve(const Config& c) {
  auto logger = spdlog::stderr_color_mt("cohort");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(c.log_level));

  std::error_code ec;
  std::filesystem::create_directories(c.data_dir, ec);
  if (ec) {
    return fatal(fmt::format("cannot create data dir {}: {}", c.data_dir, ec.message()));
  }

  cohort::SystemClock clock;
  std::string db_path = *c.sqlite_path();
  auto store = cohort::store::sqlite::open(db_path, clock);
  if (!store) {
    return fatal(store.error().message);
  }
  spdlog::info("store backend=sqlite path={} schema_version={} users={} groups={}",
               cohort::log::Value{db_path}, cohort::store::sqlite::schema_version(),
               (*store)->snapshot()->user_ids().size(), (*store)->snapshot()->group_ids().size());

  const char* env_token = std::getenv("COHORT_ADMIN_TOKEN");
  auto token = cohort::app::bootstrap_admin_token(
      c.data_dir, env_token != nullptr && *env_token != '\0' ? std::optional<std::string>(env_token)
                                                             : std::nullopt);
  if (!token) {
    return fatal(token.error().message);
  }

  if (c.demo_data) {
    auto seeded = cohort::app::seed_demo_data(**store, c.sip_realm);
    if (!seeded) {
      return fatal("demo data: " + seeded.error().message);
    }
    if (*seeded) {
      spdlog::info("demo data seeded users=8 groups=3 trunks=1");
    }
  }

  auto nonce_secret = cohort::app::load_or_create_secret(c.data_dir + "/sip.secret");
  if (!nonce_secret) {
    return fatal(nonce_secret.error().message);
  }
  cohort::pbx::SipServerOptions sip_options = cohort::app::sip_options(c);
  sip_options.nonce_secret = *nonce_secret;
  // Uploaded greetings, waiting music and IVR prompts, and the spoken defaults (issue 13):
  // one catalog for the API and the calls.
  auto audio_store = cohort::audio::AudioStore::open(c.data_dir + "/audio", clock);
  if (!audio_store) {
    return fatal(audio_store.error().message);
  }
  cohort::audio::Speech speech;
  cohort::audio::AudioCatalog audio_catalog(**audio_store, speech);
  sip_options.audio = &audio_catalog;
  cohort::pbx::SipServer sip(std::move(sip_options), **store, clock);
  if (auto started = sip.start(); !started) {
    return fatal("sip: " + started.error().message);
  }
  auto sip_view = cohort::app::make_sip_view(sip);

  auto console = cohort::api::Console::load(c.console_dir);
  if (!console) {
    return fatal(console.error().message);
  }
  if (console->built()) {
    spdlog::info("console dir={} files={}", cohort::log::Value{c.console_dir},
                 console->file_count());
  } else {
    spdlog::warn("console not built dir={}: / explains how to build it (make build)",
                 cohort::log::Value{c.console_dir});
  }
  cohort::api::Sessions sessions((*store)->sessions(), clock);
  if (auto loaded = sessions.load(); !loaded) {
    return fatal("sessions: " + loaded.error().message);
  }
  cohort::api::LoginThrottle login_throttle(clock);

  cohort::api::Metrics metrics;
  cohort::app::add_sip_metrics(metrics, sip);
  cohort::api::Api api(**store, metrics,
                       {.admin_token_sha256 = token->sha256,
                        .sip_realm = c.sip_realm,
                        .sip = sip_view.get(),
                        .clock = &clock,
                        .sessions = &sessions,
                        .login_throttle = &login_throttle,
                        .secure_cookies = c.secure_cookies,
                        .console = &*console,
                        .voicemail_dir = c.data_dir + "/voicemail",
                        .audio = &audio_catalog});
  cohort::api::HttpServerOptions options;
  options.host = c.http.host;
  options.port = c.http.port;
  options.body_limit_rules = cohort::api::upload_body_limits();
  cohort::api::HttpServer server(
      options, [&api](const cohort::api::Request& req) { return api.handle(req); }, metrics);
  if (auto listening = server.listen(); !listening) {
    return fatal(listening.error().message);
  }
  cohort::app::HostPort bound{c.http.host, server.port()};
  std::string base = "http://" + cohort::app::to_string(bound);
  // One stable line on stdout: scripts and tests read the bound addresses from it.
  std::string sip_addresses;
  for (const auto& l : sip.bound()) {
    sip_addresses += fmt::format(" sip_{}={}", cohort::net::to_string(l.protocol),
                                 cohort::net::to_string(l.endpoint));
  }
  std::printf("cohort: console %s/%s\n", base.c_str(),
              console->built() ? "" : "  (not built: run make build)");
  std::printf("cohort: listening http=%s%s\n", cohort::app::to_string(bound).c_str(),
              sip_addresses.c_str());
  std::printf("cohort: API %s/api/v1  health %s/healthz  metrics %s/metrics\n", base.c_str(),
              base.c_str(), base.c_str());
  if (c.demo_data) {
    std::printf(
        "cohort: demo sign-in %s (admin) password %s; every demo user: "
        "cohort-demo-<extension>\n",
        cohort::app::kDemoAdminEmail, cohort::app::kDemoAdminPassword);
  }
  if (!token->secret.empty()) {
    std::printf("cohort: generated the admin token (also in %s): %s\n", token->file.c_str(),
                token->secret.c_str());
  } else if (!token->file.empty()) {
    std::printf("cohort: admin token in %s\n", token->file.c_str());
  } else {
    std::printf("cohort: admin token from COHORT_ADMIN_TOKEN\n");
  }
  std::fflush(stdout);

  server.run();  // until SIGINT/SIGTERM and the in-flight requests are done
  spdlog::info("http stopped; draining SIP calls");
  sip.drain(std::chrono::seconds(c.sip.drain_s));
  sip.stop();
  spdlog::info("sip stopped; closing the store");
  store->reset();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Cohort: a SIP PBX built around user groups"};
  app.require_subcommand(1);
  Flags f;
  CLI::App* serve_cmd = app.add_subcommand("serve", "Run the PBX server");
  serve_cmd->add_option("--config", f.config, "TOML config file")->check(CLI::ExistingFile);
  serve_cmd->add_option("--data-dir", f.data_dir, "Data directory (default var)");
  serve_cmd->add_option("--http", f.http, "HTTP API address HOST:PORT (default 127.0.0.1:8080)");
  serve_cmd->add_option("--sip", f.sip, "SIP listen address HOST:PORT, repeatable");
  serve_cmd->add_option("--database", f.database,
                        "Database URL sqlite:PATH (default sqlite:<data-dir>/cohort.db)");
  serve_cmd->add_option("--log-level", f.log_level, "trace, debug, info, warn or error");
  serve_cmd->add_flag("--demo-data", f.demo_data, "Seed demo data into an empty database");
  serve_cmd->add_option("--console-dir", f.console_dir,
                        "The built web console served at / (default: web/dist of the source)");
  CLI::App* version_cmd = app.add_subcommand("version", "Print the version");
  CLI11_PARSE(app, argc, argv);

  if (version_cmd->parsed()) {
    std::printf("cohort 0.1.0\n");
    return 0;
  }
  auto config = resolve_config(f, *serve_cmd);
  if (!config) {
    return fatal(config.error().message);
  }
  return serve(*config);
}
