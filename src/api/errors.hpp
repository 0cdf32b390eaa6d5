#pragma once
// Errc → HTTP: the status table and the JSON error body of DESIGN.md:
//   {"error": {"code": "invalid", "message": "...", "field": "email"}}
// `field` is null when the error is not about one input field.

#include <nlohmann/json.hpp>

#include "api/http.hpp"
#include "common/errc.hpp"

namespace cohort::api {

int http_status(Errc code);
/// The error response for `e`; `extra` members (e.g. "referrers") are merged into "error".
Response error_response(const Error& e, const nlohmann::json& extra = nullptr);
/// A JSON response with `status`.
Response json_response(int status, const nlohmann::json& body);

}  // namespace cohort::api
