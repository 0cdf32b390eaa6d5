#pragma once
// One error enum for the whole project. Protocol layers map it to their own status
// tables (api/ → HTTP + JSON body; sip/ → SIP status, from the SIP core issue on).

#include <string>
#include <string_view>

#include "common/expected.hpp"

namespace cohort {

enum class Errc {
  kInvalid,          ///< the input is malformed or out of range (HTTP 400)
  kUnauthorized,     ///< no valid credentials (401)
  kForbidden,        ///< credentials valid, action not allowed (403)
  kNotFound,         ///< the addressed object does not exist (404)
  kConflict,         ///< uniqueness or reference conflict (409)
  kTooLarge,         ///< input larger than the configured limit (413)
  kTooManyAttempts,  ///< too many failed attempts; wait before retrying (429)
  kUnavailable,      ///< a dependency (store, network) is down (503)
  kInternal,         ///< a bug or an unexpected failure (500)
};

/// Stable machine-readable name, used as the `code` of API errors.
std::string_view errc_name(Errc code);

struct Error {
  Errc code = Errc::kInternal;
  std::string message;
  std::string field;  ///< the offending input field (dotted path), empty when not about one

  static Error invalid(std::string field, std::string message) {
    return {Errc::kInvalid, std::move(message), std::move(field)};
  }
  static Error conflict(std::string field, std::string message) {
    return {Errc::kConflict, std::move(message), std::move(field)};
  }
  static Error not_found(std::string message) { return {Errc::kNotFound, std::move(message), {}}; }
  static Error internal(std::string message) { return {Errc::kInternal, std::move(message), {}}; }
};

template <class T>
using Result = Expected<T, Error>;

/// `return fail(Error::invalid(...));` reads better than spelling out unexpected().
inline Unexpected<Error> fail(Error e) {
  return Unexpected<Error>(std::move(e));
}

}  // namespace cohort

// Early return of the error of a Result from a function returning any Result.
#define COHORT_CONCAT_INNER(a, b) a##b
#define COHORT_CONCAT(a, b) COHORT_CONCAT_INNER(a, b)
#define COHORT_TRY(expr)                                      \
  do {                                                        \
    if (auto cohort_try_r = (expr); !cohort_try_r) {          \
      return ::cohort::fail(std::move(cohort_try_r).error()); \
    }                                                         \
  } while (0)
#define COHORT_TRY_ASSIGN(lhs, expr)                                                \
  auto COHORT_CONCAT(cohort_try_, __LINE__) = (expr);                               \
  if (!COHORT_CONCAT(cohort_try_, __LINE__)) {                                      \
    return ::cohort::fail(std::move(COHORT_CONCAT(cohort_try_, __LINE__)).error()); \
  }                                                                                 \
  lhs = std::move(*COHORT_CONCAT(cohort_try_, __LINE__))
