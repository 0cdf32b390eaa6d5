#pragma once
// The REST API of DESIGN.md ("Interfaces"): routes under /api/v1, plus /healthz, /metrics
// and /api/v1/openapi.json. Handlers read the published snapshot and write through the
// store, one transaction per request.

#include <memory>
#include <string>

#include "api/http.hpp"
#include "api/http_server.hpp"
#include "api/metrics.hpp"
#include "api/router.hpp"
#include "api/sessions.hpp"
#include "api/sip_view.hpp"
#include "common/clock.hpp"
#include "store/repository.hpp"

namespace cohort::audio {
class AudioCatalog;
}

namespace cohort::api {

class Console;
struct Context;

struct ApiOptions {
  std::string admin_token_sha256;    ///< SHA-256 (hex) of the bootstrap admin token
  std::string sip_realm = "cohort";  ///< realm of the digest HA1 values
  SipView* sip = nullptr;            ///< the SIP side; null = SIP routes answer 503
  const Clock* clock = nullptr;      ///< "now" for schedule states; null = the system clock
  /// Console sign-in (issue 10); null = no sessions: only Bearer tokens authenticate and
  /// /api/v1/session answers 503.
  Sessions* sessions = nullptr;
  LoginThrottle* login_throttle = nullptr;  ///< required with `sessions`
  /// Mark the session cookie Secure: set when clients reach Cohort over TLS (a proxy in
  /// front), so that the cookie never travels in clear.
  bool secure_cookies = false;
  /// The built console served at `/`; null = `/` says how to build it.
  const Console* console = nullptr;
  /// Where the voicemail message files are (<data_dir>/voicemail; issue 13).
  std::string voicemail_dir;
  /// Uploaded greetings, waiting music and IVR prompts, and their defaults (issue 13); null
  /// = the audio routes answer 503.
  audio::AudioCatalog* audio = nullptr;
};

class Api {
 public:
  /// `store` and `metrics` must outlive the Api. Registers the routes; start-up only.
  Api(store::Store& store, Metrics& metrics, ApiOptions options);

  /// Handles one request: the API and operator routes, else the console. Any server thread;
  /// reads are lock-free, writes are serialised by the store.
  Response handle(const Request& req) const;
  const Router& router() const { return router_; }

 private:
  Router router_;
  std::shared_ptr<Context> ctx_;  ///< what the routes share: the store, the options
  const Console* console_ = nullptr;
};

/// The body limit of the audio upload routes (HttpServerOptions::body_limit_rules): a WAV of
/// up to 10 MB; a larger body gets a 400 "too big: … at most 10485760 bytes".
std::vector<BodyLimitRule> upload_body_limits();

/// The checked-in OpenAPI document (docs/openapi.json), embedded at build time.
const std::string& openapi_document();

}  // namespace cohort::api
