#pragma once
// Wiring of the SIP side into the process: options from the configuration, the API's view
// of registrations and bans, and the SIP metrics.

#include <memory>

#include "api/metrics.hpp"
#include "api/sip_view.hpp"
#include "app/config.hpp"
#include "pbx/sip_server.hpp"

namespace cohort::app {

/// SipServerOptions from the configuration: each listen address gets UDP and TCP.
pbx::SipServerOptions sip_options(const Config& c);

/// Adapts pbx::SipServer to what the API shows.
std::unique_ptr<api::SipView> make_sip_view(pbx::SipServer& sip);

/// Registers the SIP and transport counters with `metrics`.
void add_sip_metrics(api::Metrics& metrics, const pbx::SipServer& sip);

}  // namespace cohort::app
