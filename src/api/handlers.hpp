#pragma once
// Shared by the handler files (not a public header): the caller's identity, role checks and
// the Result → Response adapter.

#include <functional>
#include <memory>
#include <optional>

#include "api/api.hpp"
#include "api/errors.hpp"
#include "api/json_io.hpp"
#include "audio/audio_store.hpp"
#include "model/references.hpp"
#include "model/snapshot.hpp"

namespace cohort::api {

/// Who is calling: the bootstrap admin token, or a user's token with the user's role.
struct Principal {
  bool bootstrap = false;
  model::UserId user = 0;
  model::Role role = model::Role::kAgent;
  bool admin() const { return bootstrap || role == model::Role::kAdmin; }
  /// Admins and supervisors read everything.
  bool reads_all() const { return admin() || role == model::Role::kSupervisor; }
};

struct Context {
  store::Store& store;
  Metrics& metrics;
  ApiOptions options;
};

/// Resolves the bearer token, else the console session cookie, against the snapshot: 401
/// when missing, unknown, revoked or expired, or when its user is gone or inactive; 403 when
/// a session's request that changes something lacks its CSRF token.
Result<Principal> authenticate(const Request& req, const model::Snapshot& s,
                               const ApiOptions& options);
/// Resolves one API token secret (a Bearer value, or one typed on the sign-in page).
Result<Principal> authenticate_token(std::string_view secret, const model::Snapshot& s,
                                     const ApiOptions& options);
Result<void> require_admin(const Principal& p);
Result<void> require_reads_all(const Principal& p);
/// Agents read themselves only.
Result<void> require_can_read_user(const Principal& p, model::UserId user);
/// Agents read the groups they belong to only.
Result<void> require_can_read_group(const Principal& p, model::GroupId group,
                                    const model::Snapshot& s);

/// Runs `fn`, mapping an error to its JSON error response.
Response respond(const std::function<Result<Response>()>& fn);

/// [{"kind": "group", "id": 3, "name": "Sales", "field": "fallback"}, ...]
nlohmann::json referrers_json(const std::vector<model::Referrer>& refs);
/// 409 for a delete blocked by references, listing them under "referrers".
Response referrers_conflict(std::string message, const std::vector<model::Referrer>& refs);
/// 204 after a delete; 200 with the references that became routing gaps after a forced one.
Response deleted_response(std::int64_t id, const std::vector<model::Referrer>& gaps);
/// The `force` query parameter of deletes: true/false/1/0, absent = false.
Result<bool> force_param(const Request& req);

/// What delete_guarded needs to know about the object being deleted.
struct GuardedDelete {
  std::string what;       ///< "user", "group", "trunk", "schedule", "IVR menu"
  std::string if_forced;  ///< what ?force=true does, for the 409 message
  std::function<bool(const model::Snapshot&)> exists;
  std::function<std::vector<model::Referrer>(const model::Snapshot&)> referrers;
  std::function<Result<void>(store::Transaction&)> remove;
  /// The answer after the delete, given the references it left behind.
  std::function<Response(const std::vector<model::Referrer>&)> done;
};
/// The delete flow shared by users, groups and trunks, in one transaction: 404 when the
/// object is gone, 409 listing the referrers unless `force`, else remove and answer.
Result<Response> delete_guarded(Context& ctx, std::int64_t id, bool force, const GuardedDelete& d);

/// Adds or moves one membership (PUT), from either side of the API.
Response put_membership(Context& ctx, const Request& req, const std::string& group_param,
                        const std::string& user_param, bool group_view);
/// Removes one membership (DELETE), from either side of the API.
Response delete_membership(Context& ctx, const Request& req, const std::string& group_param,
                           const std::string& user_param);

using ContextPtr = std::shared_ptr<Context>;
void add_user_routes(Router& r, const ContextPtr& ctx);
void add_group_routes(Router& r, const ContextPtr& ctx);
void add_admin_routes(Router& r, const ContextPtr& ctx);
void add_sip_routes(Router& r, const ContextPtr& ctx);
void add_outbound_rule_routes(Router& r, const ContextPtr& ctx);
void add_call_routes(Router& r, const ContextPtr& ctx);
void add_inbound_route_routes(Router& r, const ContextPtr& ctx);
void add_schedule_routes(Router& r, const ContextPtr& ctx);
void add_session_routes(Router& r, const ContextPtr& ctx);
void add_ivr_menu_routes(Router& r, const ContextPtr& ctx);
void add_voicemail_routes(Router& r, const ContextPtr& ctx);
void add_audio_routes(Router& r, const ContextPtr& ctx);
/// Deletes the uploaded audio of an owner that was deleted (audio_handlers.cpp).
void remove_audio_of(Context& ctx, audio::Owner owner, std::int64_t id);

}  // namespace cohort::api
