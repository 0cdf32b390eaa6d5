#include "app/sip_wiring.hpp"

#include <fmt/format.h>

#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "model/call_record.hpp"

namespace cohort::app {

pbx::SipServerOptions sip_options(const Config& c) {
  pbx::SipServerOptions o;
  for (const HostPort& hp : c.sip_listen) {
    for (net::Protocol p : {net::Protocol::kUdp, net::Protocol::kTcp}) {
      o.listen.push_back(net::ListenAddress{p, net::Endpoint{hp.host, hp.port}});
    }
  }
  o.realm = c.sip_realm;
  o.domain = c.sip.domain;
  o.advertised_address = c.sip.advertised_address;
  o.timers.t1 = std::chrono::milliseconds(c.sip.t1_ms);
  o.timers.t2 = std::chrono::milliseconds(c.sip.t2_ms);
  o.timers.t4 = std::chrono::milliseconds(c.sip.t4_ms);
  o.limits.max_message_bytes = static_cast<std::size_t>(c.sip.max_message_bytes);
  o.tcp_idle_timeout = std::chrono::seconds(c.sip.tcp_idle_timeout_s);
  o.tcp_connections_per_source = c.sip.tcp_connections_per_source;
  o.min_expires = c.sip.min_expires;
  o.max_expires = c.sip.max_expires;
  o.default_expires = c.sip.default_expires;
  o.nonce_ttl_s = c.sip.nonce_ttl_s;
  o.digest_algorithms = c.sip.digest_algorithms;
  o.session_timer.session_expires = static_cast<std::uint32_t>(c.sip.session_expires);
  o.session_timer.min_se = static_cast<std::uint32_t>(c.sip.min_se);
  o.ban_after_failures = c.security.ban_after_failures;
  o.ban_window_s = c.security.ban_window_s;
  o.ban_duration_s = c.security.ban_duration_s;
  o.rate_per_second = c.security.rate_per_second;
  o.rate_burst = c.security.rate_burst;
  o.trusted_networks = c.security.trusted_networks;
  pbx::MediaLegsOptions media;
  media.io.address = media_address(c);
  media.io.port_min = static_cast<std::uint16_t>(c.media.rtp_port_min);
  media.io.port_max = static_cast<std::uint16_t>(c.media.rtp_port_max);
  media.io.threads = c.media.threads;
  media.io.realtime_priority = c.media.realtime_priority;
  media.no_rtp_timeout = std::chrono::seconds(c.media.no_rtp_timeout_s);
  o.media = media;
  o.voicemail_dir = c.data_dir + "/voicemail";
  o.voicemail_recording.max_duration = std::chrono::seconds(c.media.voicemail_max_s);
  o.voicemail_recording.min_duration = std::chrono::seconds(c.media.voicemail_min_s);
  o.voicemail_recording.silence_dbfs = c.media.silence_threshold_dbfs;
  // silence_s 0: silence never ends a message (only '#', the maximum or the hang-up).
  o.mailbox_quota.max_messages = c.media.mailbox_max_messages;
  o.mailbox_quota.max_minutes = c.media.mailbox_max_minutes;
  o.mwi_unsolicited = c.sip.mwi_unsolicited;
  // Checked by the config already (valid_network), so neither fails in practice.
  for (auto [list, into] : {std::pair{&c.media.relay_networks, &o.phone_media.relay},
                            std::pair{&c.media.direct_networks, &o.phone_media.direct}}) {
    if (auto nets = pbx::TrustedNetworks::parse(*list)) {
      *into = std::move(*nets);
    } else {
      spdlog::error("config event=bad_media_networks error={}", nets.error().message);
    }
  }
  o.voicemail_recording.silence = c.media.silence_s > 0
                                      ? std::chrono::milliseconds(c.media.silence_s * 1000)
                                      : o.voicemail_recording.max_duration * 2;
  return o;
}

namespace {

class SipViewAdapter final : public api::SipView {
 public:
  explicit SipViewAdapter(pbx::SipServer& sip) : sip_(sip) {}

  std::vector<api::RegistrationView> registrations(
      std::optional<model::UserId> user) const override {
    std::vector<api::RegistrationView> out;
    for (const pbx::RegistrationInfo& r : sip_.registrations(user)) {
      const store::BindingRecord& b = r.binding;
      out.push_back(api::RegistrationView{r.user, b.contact, b.source, b.transport, b.user_agent,
                                          b.expires_at, b.instance_id, b.reg_id, b.q_milli,
                                          b.path});
    }
    return out;
  }

  std::vector<api::BanView> bans() const override {
    std::vector<api::BanView> out;
    for (const pbx::BanInfo& b : sip_.bans()) {
      out.push_back(api::BanView{b.address, b.since, b.until, b.reason});
    }
    return out;
  }

  bool lift_ban(const std::string& address) override { return sip_.lift_ban(address); }
  std::optional<api::TrunkStatusView> trunk_status(model::TrunkId id) const override {
    auto st = sip_.trunk_status(id);
    if (!st) {
      return std::nullopt;
    }
    return api::TrunkStatusView{std::string(pbx::to_string(st->state)),
                                st->last_status,
                                st->last_reason,
                                st->expires_at,
                                st->updated_at,
                                st->active_calls};
  }

  std::vector<api::CallView> calls() const override {
    std::vector<api::CallView> out;
    for (pbx::CallInfo& c : sip_.calls()) {
      api::CallView v;
      v.id = c.id;
      v.direction = c.direction;
      v.state = c.state;
      v.caller_user = c.caller_user;
      v.caller = c.caller;
      v.dialled = c.dialled;
      v.trunk = c.trunk;
      v.group = c.group;
      v.answered_by = c.answered_by;
      v.since_ms = c.since_ms;
      v.answered_ms = c.answered_ms;
      for (const pbx::CallInfo::Leg& l : c.legs) {
        v.legs.push_back(api::LegView{l.role, l.call_id, l.peer, l.state});
      }
      out.push_back(std::move(v));
    }
    return out;
  }

  api::AgentView agent(model::UserId user) const override {
    const pbx::AgentBoard::Live l = sip_.agent(user);
    return api::AgentView{l.ringing, l.calls, l.last_call_end_ms};
  }

  void reset_missed_calls(model::UserId user, std::optional<model::GroupId> group) override {
    sip_.reset_missed_calls(user, group);
  }

  void mailbox_changed(model::DestVoicemail::Box box, std::int64_t id) override {
    sip_.mailbox_changed(store::MailboxKey{box, id});
  }

 private:
  pbx::SipServer& sip_;
};

}  // namespace

std::unique_ptr<api::SipView> make_sip_view(pbx::SipServer& sip) {
  return std::make_unique<SipViewAdapter>(sip);
}

void add_sip_metrics(api::Metrics& metrics, const pbx::SipServer& sip) {
  using Values = std::vector<std::pair<std::string, double>>;
  metrics.add_counter("cohort_sip_events_total", "SIP events since start, by kind.", [&sip] {
    pbx::SipStats s = sip.stats();
    auto d = [](std::uint64_t v) { return static_cast<double>(v); };
    return Values{
        {"event=\"requests\"", d(s.requests)},
        {"event=\"responses_sent\"", d(s.responses_sent)},
        {"event=\"parse_errors\"", d(s.parse_errors)},
        {"event=\"dropped_unparseable\"", d(s.dropped_unparseable)},
        {"event=\"auth_challenges\"", d(s.auth_challenges)},
        {"event=\"auth_failures\"", d(s.auth_failures)},
        {"event=\"registrations\"", d(s.registrations)},
    };
  });
  // Every SIP message dropped without an answer, by why none could be sent.
  metrics.add_counter(
      "cohort_sip_dropped_total",
      "SIP messages dropped unanswered since start, by reason: no Via to answer to, no start "
      "line, a malformed response or ACK (never answered), an oversize datagram or frame, a "
      "TCP framing error (the connection is closed).",
      [&sip] {
        pbx::SipStats s = sip.stats();
        net::Transports::Stats t = sip.transport_stats();
        Values v;
        for (const auto& [reason, n] : s.dropped_by_reason) {
          v.emplace_back(fmt::format("reason=\"{}\"", reason), static_cast<double>(n));
        }
        v.emplace_back("reason=\"oversize\"", static_cast<double>(t.oversize));
        v.emplace_back("reason=\"framing_error\"", static_cast<double>(t.framing_errors));
        return v;
      });
  metrics.add_counter(
      "cohort_sip_auth_failures_total",
      "Failed authentications since start, by reason (the phone gets the same 401 for each).",
      [&sip] {
        pbx::SipStats s = sip.stats();
        auto d = [](std::uint64_t v) { return static_cast<double>(v); };
        return Values{
            {"reason=\"unknown_user\"", d(s.auth_failures_unknown_user)},
            {"reason=\"inactive_user\"", d(s.auth_failures_inactive_user)},
            {"reason=\"wrong_password\"", d(s.auth_failures_wrong_password)},
        };
      });
  metrics.add_counter("cohort_sip_security_events_total",
                      "Security events since start: bans started, requests dropped.", [&sip] {
                        pbx::SipStats s = sip.stats();
                        return Values{
                            {"event=\"ban\"", static_cast<double>(s.bans)},
                            {"event=\"banned_drop\"", static_cast<double>(s.banned_drops)},
                            {"event=\"rate_limited\"", static_cast<double>(s.rate_limited)},
                        };
                      });
  metrics.add_gauge("cohort_sip_state", "Current SIP state: bindings, transactions.", [&sip] {
    pbx::SipStats s = sip.stats();
    return Values{{"kind=\"bindings\"", static_cast<double>(s.bindings)},
                  {"kind=\"transactions\"", static_cast<double>(s.transactions)}};
  });
  metrics.add_gauge("cohort_calls_active", "Calls in progress.", [&sip] {
    return Values{{"", static_cast<double>(sip.call_stats().active)}};
  });
  metrics.add_counter(
      "cohort_calls_total",
      "Calls since start: attempted, answered, and the "
      "unanswered ones by outcome.",
      [&sip] {
        pbx::CallStats s = sip.call_stats();
        auto d = [](std::uint64_t v) { return static_cast<double>(v); };
        Values v{{"outcome=\"attempted\"", d(s.attempted)},
                 {"outcome=\"answered\"", d(s.answered)}};
        // The unanswered, by disposition: answered calls are counted above
        // when answered, and only start-up gives "interrupted".
        for (model::Disposition disp : model::dispositions()) {
          if (disp != model::Disposition::kAnswered && disp != model::Disposition::kInterrupted) {
            v.emplace_back(fmt::format("outcome=\"{}\"", model::to_string(disp)),
                           d(s.ended_as(disp)));
          }
        }
        return v;
      });
  metrics.add_counter("cohort_group_calls_total",
                      "Calls distributed to a group (by inbound route, extension or fallback) "
                      "since start.",
                      [&sip] {
                        return Values{{"", static_cast<double>(sip.call_stats().group_calls)}};
                      });
  metrics.add_counter(
      "cohort_auto_pauses_total",
      "Members paused automatically since start (auto-pause), by cause: missed_calls (a "
      "group's auto_pause_after reached) or unreachable (auto_pause_unreachable).",
      [&sip] {
        Values v;
        for (routing::PauseCause cause :
             {routing::PauseCause::kMissedCalls, routing::PauseCause::kUnreachable}) {
          v.emplace_back(fmt::format("cause=\"{}\"", routing::to_string(cause)),
                         static_cast<double>(sip.auto_pauses(cause)));
        }
        return v;
      });
  metrics.add_counter(
      "cohort_calls_failed_total",
      "Unanswered calls since start, by the final SIP status the caller got.", [&sip] {
        Values v;
        for (const auto& [status, n] : sip.call_stats().by_status) {
          v.emplace_back(fmt::format("status=\"{}\"", status), static_cast<double>(n));
        }
        return v;
      });
  metrics.add_counter("cohort_sip_transport_total", "SIP transport counters.", [&sip] {
    net::Transports::Stats t = sip.transport_stats();
    auto d = [](std::uint64_t v) { return static_cast<double>(v); };
    return Values{{"counter=\"udp_in\"", d(t.udp_in)},
                  {"counter=\"udp_out\"", d(t.udp_out)},
                  {"counter=\"tcp_in\"", d(t.tcp_in)},
                  {"counter=\"tcp_out\"", d(t.tcp_out)},
                  {"counter=\"tcp_connections\"", d(t.tcp_connections)},
                  {"counter=\"tcp_rejected\"", d(t.tcp_rejected)},
                  {"counter=\"oversize\"", d(t.oversize)},
                  {"counter=\"framing_errors\"", d(t.framing_errors)},
                  {"counter=\"send_failures\"", d(t.send_failures)},
                  {"counter=\"oversize_answered\"", d(t.oversize_answered)}};
  });
}

}  // namespace cohort::app
