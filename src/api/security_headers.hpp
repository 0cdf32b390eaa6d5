#pragma once
// The headers every HTTP answer carries (issue 10): the console runs only the scripts and
// styles it was built with, is never framed, and sends no referrer.

#include <array>
#include <string_view>
#include <utility>

namespace cohort::api {

/// The Content-Security-Policy of every answer. No inline script or style anywhere: the
/// console's build emits files only, and React sets styles through the CSSOM, which CSP
/// allows. `frame-ancestors 'none'` is the CSP form of X-Frame-Options: DENY.
inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

inline constexpr std::array<std::pair<std::string_view, std::string_view>, 5> security_headers() {
  return {{
      {"Content-Security-Policy", kContentSecurityPolicy},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
  }};
}

}  // namespace cohort::api
