#include "api/errors.hpp"

namespace cohort::api {

int http_status(Errc code) {
  switch (code) {
    case Errc::kInvalid:
      return 400;
    case Errc::kUnauthorized:
      return 401;
    case Errc::kForbidden:
      return 403;
    case Errc::kNotFound:
      return 404;
    case Errc::kConflict:
      return 409;
    case Errc::kTooLarge:
      return 413;
    case Errc::kTooManyAttempts:
      return 429;
    case Errc::kUnavailable:
      return 503;
    case Errc::kInternal:
      return 500;
  }
  return 500;
}

Response error_response(const Error& e, const nlohmann::json& extra) {
  nlohmann::json err = {
      {"code", errc_name(e.code)},
      {"message", e.message},
      {"field", e.field.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.field)},
  };
  if (extra.is_object()) {
    err.update(extra);
  }
  Response r = json_response(http_status(e.code), {{"error", std::move(err)}});
  if (e.code == Errc::kUnauthorized) {
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"cohort\"");
  }
  return r;
}

Response json_response(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = body.dump();
  return r;
}

}  // namespace cohort::api
