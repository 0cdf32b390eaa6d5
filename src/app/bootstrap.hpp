#pragma once
// Start-up tasks before serving: the bootstrap admin token and the demo data.

#include <optional>
#include <string>

#include "common/errc.hpp"
#include "store/repository.hpp"

namespace cohort::app {

struct AdminToken {
  std::string sha256;  ///< what the API compares against; the secret is not kept
  std::string secret;  ///< set only when generated now, so that it can be printed once
  std::string file;    ///< the token file, empty when taken from the environment
};

/// COHORT_ADMIN_TOKEN (`env_value`, ≥16 characters) if set; else the token in
/// `<data_dir>/admin.token`, generated once (mode 0600) when absent.
Result<AdminToken> bootstrap_admin_token(const std::string& data_dir,
                                         const std::optional<std::string>& env_value);

/// The secret in `path` (hex, generated once with mode 0600 when absent): the SIP digest
/// nonce key, kept across restarts so that nonces handed out before one stay valid.
Result<std::string> load_or_create_secret(const std::string& path);

/// Seeds the demo users, trunk, groups and outbound rules when the database holds no users,
/// groups or trunks. Returns whether it seeded.
Result<bool> seed_demo_data(store::Store& store, const std::string& realm);

/// The demo admin's console sign-in. Every demo user's console password is
/// "cohort-demo-<extension>" (demo data only; printed by `make run`).
inline constexpr const char* kDemoAdminEmail = "ana.alvarez@example.com";
inline constexpr const char* kDemoAdminPassword = "cohort-demo-1001";

}  // namespace cohort::app
