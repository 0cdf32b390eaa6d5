// /api/v1/users and the member-profile side of memberships (/users/{id}/groups).

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "api/handlers.hpp"
#include "api/json_io.hpp"
#include "api/sip_view.hpp"
#include "common/password.hpp"
#include "common/text.hpp"
#include "model/references.hpp"
#include "model/validate.hpp"
#include "store/system_clock.hpp"

namespace cohort::api {
namespace {

using nlohmann::json;

const std::initializer_list<std::string_view> kUserFields = {
    "name", "email", "extension", "caller_id", "role", "active", "sip_password", "password"};
// paused and pause_reason change through PUT /users/{id}/status, which agents may use too.
const std::initializer_list<std::string_view> kUserReadOnly = {
    "id",           "has_sip_password", "has_password", "paused",
    "pause_reason", "forwarding",       "created_at",   "updated_at"};

/// The console password of `b`, checked and hashed before any transaction (argon2id takes
/// ~0.1 s, too long to hold the store's writer): nullopt when absent, "" for null (no
/// console sign-in), else the argon2id string.
Result<std::optional<std::string>> console_password_hash(const JsonBody& b) {
  if (!b.has("password")) {
    return std::optional<std::string>();
  }
  COHORT_TRY_ASSIGN(std::optional<std::string> plain, b.nullable_string("password"));
  if (!plain) {
    return std::optional<std::string>(std::string());
  }
  COHORT_TRY(model::check_console_password("password", *plain));
  return std::optional<std::string>(password::hash(*plain));
}

/// Applies the fields present in `b` to `u`. The SIP password becomes digest credentials
/// under `realm`; the plain text goes no further than this function.
Result<void> apply_user_fields(const JsonBody& b, model::User& u, const std::string& realm,
                               const std::optional<std::string>& password_hash) {
  COHORT_TRY(b.check_keys(kUserFields, kUserReadOnly));
  if (password_hash) {
    u.password_hash = *password_hash;
  }
  const std::string old_extension = u.extension;
  if (b.has("name")) {
    COHORT_TRY_ASSIGN(std::string name, b.string("name"));
    u.name = std::string(text::trim(name));
  }
  if (b.has("email")) {
    COHORT_TRY_ASSIGN(std::string email, b.string("email"));
    u.email = std::string(text::trim(email));
  }
  if (b.has("extension")) {
    COHORT_TRY_ASSIGN(u.extension, b.string("extension"));
  }
  if (b.has("caller_id")) {
    COHORT_TRY_ASSIGN(u.caller_id, b.nullable_string("caller_id"));
  }
  if (b.has("role")) {
    COHORT_TRY_ASSIGN(std::string role, b.string("role"));
    auto parsed = model::parse_role(role);
    if (!parsed) {
      return fail(Error::invalid("role", "role must be admin, supervisor or agent"));
    }
    u.role = *parsed;
  }
  if (b.has("active")) {
    COHORT_TRY_ASSIGN(u.active, b.boolean("active"));
  }
  // Validate the extension first: the digest username is the extension.
  COHORT_TRY(model::check_extension("extension", u.extension));
  if (b.has("sip_password")) {
    COHORT_TRY_ASSIGN(std::optional<std::string> password, b.nullable_string("sip_password"));
    if (password) {
      COHORT_TRY(model::check_password("sip_password", *password));
      u.digest = model::make_digest_credentials(u.extension, realm, *password);
    } else {
      u.digest = {};
    }
  } else if (u.extension != old_extension && !u.digest.empty()) {
    // HA1 = H(extension:realm:password): a new extension invalidates it, and the plain
    // password is not kept to recompute it.
    return fail(Error::invalid("sip_password",
                               "changing the extension needs a new sip_password (the digest "
                               "credentials are bound to the extension)"));
  }
  return {};
}

Response list_users(Context& ctx, const Request& req) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    COHORT_TRY_ASSIGN(Page page, page_from_query(req));
    std::string needle;
    if (auto q = req.query_param("q")) {
      needle = text::ascii_lower(text::trim(*q));
    }
    std::optional<model::Role> role;
    if (auto r = req.query_param("role")) {
      role = model::parse_role(*r);
      if (!role) {
        return fail(Error::invalid("role", "role must be admin, supervisor or agent"));
      }
    }
    json items = json::array();
    std::optional<std::int64_t> next;
    s->search_users(needle, page.after, [&](model::UserId id) {
      if (!p.reads_all() && id != p.user) {
        return true;
      }
      const model::User* u = s->user(id);
      if (role && u->role != *role) {
        return true;
      }
      if (items.size() == page.limit) {
        next = items.back()["id"].get<std::int64_t>();
        return false;
      }
      items.push_back(user_to_json(*u));
      return true;
    });
    return json_response(200, page_json(std::move(items), next));
  });
}

Response create_user(Context& ctx, const Request& req) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(JsonBody b, JsonBody::parse(req));
    for (const char* required : {"name", "email", "extension"}) {
      if (!b.has(required)) {
        return fail(Error::invalid(required, fmt::format("{} is required", required)));
      }
    }
    COHORT_TRY(b.check_keys(kUserFields, kUserReadOnly));
    COHORT_TRY_ASSIGN(std::optional<std::string> password_hash, console_password_hash(b));
    model::User draft;
    COHORT_TRY(apply_user_fields(b, draft, ctx.options.sip_realm, password_hash));
    model::User created;
    COHORT_TRY(ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
      COHORT_TRY(model::validate_user(draft, *ctx.store.snapshot()));
      COHORT_TRY_ASSIGN(created, tx.users().create(draft));
      return {};
    }));
    return json_response(201, user_to_json(created));
  });
}

Response get_user(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    COHORT_TRY_ASSIGN(model::UserId id, path_id(params.at("id"), "user"));
    COHORT_TRY(require_can_read_user(p, id));
    const model::User* u = s->user(id);
    if (u == nullptr) {
      return fail(Error::not_found(fmt::format("no user with id {}", id)));
    }
    return json_response(200, user_to_json(*u));
  });
}

Response patch_user(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(model::UserId id, path_id(params.at("id"), "user"));
    COHORT_TRY_ASSIGN(JsonBody b, JsonBody::parse(req));
    COHORT_TRY(b.check_keys(kUserFields, kUserReadOnly));
    COHORT_TRY_ASSIGN(std::optional<std::string> password_hash, console_password_hash(b));
    model::User before;
    model::User updated;
    COHORT_TRY(ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
      model::SnapshotPtr s = ctx.store.snapshot();
      const model::User* current = s->user(id);
      if (current == nullptr) {
        return fail(Error::not_found(fmt::format("no user with id {}", id)));
      }
      before = *current;
      model::User draft = *current;
      COHORT_TRY(apply_user_fields(b, draft, ctx.options.sip_realm, password_hash));
      COHORT_TRY(model::validate_user(draft, *s));
      COHORT_TRY_ASSIGN(updated, tx.users().update(draft));
      return {};
    }));
    // Deactivating a user or setting its password ends its console sessions (a session also
    // re-checks both at every request, so a crash between commit and here changes nothing).
    if (ctx.options.sessions != nullptr &&
        (!updated.active || updated.password_hash != before.password_hash)) {
      ctx.options.sessions->close_user(id);
    }
    return json_response(200, user_to_json(updated));
  });
}

Response delete_user(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(model::UserId id, path_id(params.at("id"), "user"));
    COHORT_TRY_ASSIGN(bool force, force_param(req));
    return delete_guarded(
        ctx, id, force,
        GuardedDelete{.what = "user",
                      .if_forced = "leave routing gaps",
                      .exists = [id](const model::Snapshot& s) { return s.user(id) != nullptr; },
                      .referrers =
                          [id](const model::Snapshot& s) {
                            return model::referrers_of(s, {model::Target::Kind::kUser, id});
                          },
                      .remove = [id](store::Transaction& tx) { return tx.users().remove(id); },
                      .done =
                          [id, &ctx](const std::vector<model::Referrer>& gaps) {
                            if (ctx.options.sessions != nullptr) {
                              ctx.options.sessions->close_user(id);
                            }
                            remove_audio_of(ctx, audio::Owner::kUser, id);
                            return deleted_response(id, gaps);
                          }});
  });
}

Response list_user_groups(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    COHORT_TRY_ASSIGN(model::UserId id, path_id(params.at("id"), "user"));
    COHORT_TRY(require_can_read_user(p, id));
    if (s->user(id) == nullptr) {
      return fail(Error::not_found(fmt::format("no user with id {}", id)));
    }
    json items = json::array();
    for (const model::UserMembership& m : s->groups_of(id)) {
      items.push_back(user_membership_to_json(m, *s));
    }
    return json_response(200, page_json(std::move(items), std::nullopt));
  });
}

Response replace_user_groups(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(model::UserId id, path_id(params.at("id"), "user"));
    COHORT_TRY_ASSIGN(JsonBody b, JsonBody::parse(req));
    COHORT_TRY(b.check_keys({"group_ids"}));
    if (!b.has("group_ids") || !b.at("group_ids").is_array()) {
      return fail(Error::invalid("group_ids", "group_ids must be an array of group ids"));
    }
    std::vector<model::GroupId> groups;
    std::set<model::GroupId> seen;
    const json& arr = b.at("group_ids");
    for (std::size_t i = 0; i < arr.size(); ++i) {
      std::string field = fmt::format("group_ids[{}]", i);
      if (!arr[i].is_number_integer() || arr[i].get<std::int64_t>() < 1) {
        return fail(Error::invalid(field, "group ids are positive integers"));
      }
      auto gid = arr[i].get<std::int64_t>();
      if (!seen.insert(gid).second) {
        return fail(Error::invalid(field, fmt::format("group {} is listed twice", gid)));
      }
      groups.push_back(gid);
    }
    model::SnapshotPtr after;
    COHORT_TRY(ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
      model::SnapshotPtr s = ctx.store.snapshot();
      if (s->user(id) == nullptr) {
        return fail(Error::not_found(fmt::format("no user with id {}", id)));
      }
      for (std::size_t i = 0; i < groups.size(); ++i) {
        if (s->group(groups[i]) == nullptr) {
          return fail(Error::invalid(fmt::format("group_ids[{}]", i),
                                     fmt::format("no group with id {}", groups[i])));
        }
      }
      return tx.memberships().replace_groups_of(id, groups);
    }));
    model::SnapshotPtr s = ctx.store.snapshot();
    json items = json::array();
    for (const model::UserMembership& m : s->groups_of(id)) {
      items.push_back(user_membership_to_json(m, *s));
    }
    return json_response(200, page_json(std::move(items), std::nullopt));
  });
}

/// {"user_id", "status", "reason"}: the availability an administrator or the agent set.
/// A user's status: its pause (everywhere, and the groups it is paused in) and, when SIP
/// runs, what it is doing: "paused" beats "ringing", then "busy" (on a call), then
/// "wrap_up" (its last group call ended less than the longest wrap_up_s of its groups ago),
/// else "available".
json status_json(const Context& ctx, const model::User& u, const model::Snapshot& s) {
  json paused_in = json::array();
  int wrap_up_s = 0;
  for (const model::UserMembership& m : s.groups_of(u.id)) {
    if (m.paused) {
      paused_in.push_back({{"group_id", m.group}, {"reason", m.pause_reason}});
    }
    if (const model::Group* g = s.group(m.group)) {
      wrap_up_s = std::max(wrap_up_s, g->wrap_up_s);
    }
  }
  std::string status = u.paused ? "paused" : u.dnd ? "dnd" : "available";
  json live = nullptr;
  if (ctx.options.sip != nullptr) {
    const AgentView a = ctx.options.sip->agent(u.id);
    static const SystemClock kSystemClock;
    const Clock& clock = ctx.options.clock != nullptr ? *ctx.options.clock : kSystemClock;
    const std::int64_t now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch())
            .count();
    const std::int64_t wrap_up_until =
        a.last_call_end_ms > 0 ? a.last_call_end_ms + std::int64_t{wrap_up_s} * 1000 : 0;
    if (!u.paused && !u.dnd) {
      if (a.ringing) {
        status = "ringing";
      } else if (a.calls > 0) {
        status = "busy";
      } else if (wrap_up_until > now_ms) {
        status = "wrap_up";
      }
    }
    live = {{"ringing", a.ringing},
            {"calls", a.calls},
            {"last_call_ended_at",
             a.last_call_end_ms > 0 ? json(rfc3339_ms(a.last_call_end_ms)) : json(nullptr)}};
  }
  return {{"user_id", u.id},
          {"status", status},
          {"reason", u.paused ? json(u.pause_reason) : json(nullptr)},
          {"paused_in_groups", std::move(paused_in)},
          {"live", std::move(live)}};
}

Response get_status(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    COHORT_TRY_ASSIGN(model::UserId id, path_id(params.at("id"), "user"));
    COHORT_TRY(require_can_read_user(p, id));
    const model::User* u = s->user(id);
    if (u == nullptr) {
      return fail(Error::not_found(fmt::format("no user with id {}", id)));
    }
    return json_response(200, status_json(ctx, *u, *s));
  });
}

/// Pauses a user in every group, sets it do-not-disturb, or makes it available again (which
/// ends both). Admins and supervisors for anyone, an agent for
/// itself only.
Response put_status(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY_ASSIGN(model::UserId id, path_id(params.at("id"), "user"));
    if (!p.reads_all() && p.user != id) {
      return fail({Errc::kForbidden, "agents may set only their own status", {}});
    }
    COHORT_TRY_ASSIGN(JsonBody b, JsonBody::parse(req));
    COHORT_TRY(b.check_keys({"status", "reason"}, {"user_id"}));
    if (!b.has("status")) {
      return fail(Error::invalid("status", "status is required"));
    }
    COHORT_TRY_ASSIGN(std::string status, b.string("status"));
    if (status != "available" && status != "paused" && status != "dnd") {
      return fail(Error::invalid("status", "status must be available, paused or dnd"));
    }
    const bool paused = status == "paused";
    const bool dnd = status == "dnd";
    std::string reason;
    if (b.has("reason") && !b.is_null("reason")) {
      if (!paused) {
        return fail(Error::invalid("reason", "reason is only for status paused"));
      }
      COHORT_TRY_ASSIGN(reason, b.string("reason"));
      reason = std::string(text::trim(reason));
      COHORT_TRY(model::check_pause_reason("reason", reason));
    }
    model::User updated;
    COHORT_TRY(ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
      const model::User* current = ctx.store.snapshot()->user(id);
      if (current == nullptr) {
        return fail(Error::not_found(fmt::format("no user with id {}", id)));
      }
      model::User draft = *current;
      draft.paused = paused;
      draft.pause_reason = reason;
      draft.dnd = dnd;
      COHORT_TRY_ASSIGN(updated, tx.users().update(draft));
      return {};
    }));
    if (ctx.options.sip != nullptr) {
      // Paused or resumed by a person: auto-pause counts the user's misses from zero.
      ctx.options.sip->reset_missed_calls(id, std::nullopt);
    }
    return json_response(200, status_json(ctx, updated, *ctx.store.snapshot()));
  });
}

/// Who may change a user's call forwarding: administrators, and the user itself (it is the
/// user's own phone line; a supervisor manages groups, not where a colleague's calls go).
Result<void> require_can_forward(const Principal& p, model::UserId user) {
  if (p.admin() || p.user == user) {
    return {};
  }
  return fail(
      {Errc::kForbidden, "only an administrator or the user itself may set forwarding", {}});
}

/// One forwarding destination of the body: null or absent = none.
Result<std::optional<model::Destination>> forward_destination(const JsonBody& b,
                                                              std::string_view key) {
  if (!b.has(key) || b.is_null(key)) {
    return std::optional<model::Destination>();
  }
  COHORT_TRY_ASSIGN(model::Destination d,
                    model::destination_from_json(b.at(key), std::string(key)));
  return std::optional<model::Destination>(std::move(d));
}

Response get_forwarding(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    COHORT_TRY_ASSIGN(model::UserId id, path_id(params.at("id"), "user"));
    COHORT_TRY(require_can_read_user(p, id));
    const model::User* u = s->user(id);
    if (u == nullptr) {
      return fail(Error::not_found(fmt::format("no user with id {}", id)));
    }
    return json_response(200, forwarding_to_json(*u));
  });
}

/// Replaces a user's call forwarding: keys absent or null are off, no_answer_s defaults to
/// 20. Administrators for anyone, any user for itself.
Response put_forwarding(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY_ASSIGN(model::UserId id, path_id(params.at("id"), "user"));
    COHORT_TRY(require_can_forward(p, id));
    COHORT_TRY_ASSIGN(JsonBody b, JsonBody::parse(req));
    COHORT_TRY(b.check_keys({"always", "busy", "no_answer", "no_answer_s"}, {}));
    COHORT_TRY_ASSIGN(auto always, forward_destination(b, "always"));
    COHORT_TRY_ASSIGN(auto busy, forward_destination(b, "busy"));
    COHORT_TRY_ASSIGN(auto no_answer, forward_destination(b, "no_answer"));
    int no_answer_s = model::kDefaultForwardNoAnswerS;
    if (b.has("no_answer_s") && !b.is_null("no_answer_s")) {
      COHORT_TRY_ASSIGN(std::int64_t n, b.integer("no_answer_s", model::kMinForwardNoAnswerS,
                                                  model::kMaxForwardNoAnswerS));
      no_answer_s = static_cast<int>(n);
    }
    model::User updated;
    COHORT_TRY(ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
      model::SnapshotPtr s = ctx.store.snapshot();
      const model::User* current = s->user(id);
      if (current == nullptr) {
        return fail(Error::not_found(fmt::format("no user with id {}", id)));
      }
      model::User draft = *current;
      draft.forward_always = always;
      draft.forward_busy = busy;
      draft.forward_no_answer = no_answer;
      draft.forward_no_answer_s = no_answer_s;
      COHORT_TRY(model::validate_forwarding(draft, *s, current));
      COHORT_TRY_ASSIGN(updated, tx.users().update(draft));
      return {};
    }));
    return json_response(200, forwarding_to_json(updated));
  });
}

}  // namespace

void add_user_routes(Router& r, const ContextPtr& ctx) {
  r.add("GET", "/api/v1/users/{id}/forwarding",
        [ctx](const Request& req, const PathParams& p) { return get_forwarding(*ctx, req, p); });
  r.add("PUT", "/api/v1/users/{id}/forwarding",
        [ctx](const Request& req, const PathParams& p) { return put_forwarding(*ctx, req, p); });
  r.add("GET", "/api/v1/users/{id}/status",
        [ctx](const Request& req, const PathParams& p) { return get_status(*ctx, req, p); });
  r.add("PUT", "/api/v1/users/{id}/status",
        [ctx](const Request& req, const PathParams& p) { return put_status(*ctx, req, p); });
  r.add("GET", "/api/v1/users",
        [ctx](const Request& req, const PathParams&) { return list_users(*ctx, req); });
  r.add("POST", "/api/v1/users",
        [ctx](const Request& req, const PathParams&) { return create_user(*ctx, req); });
  r.add("GET", "/api/v1/users/{id}",
        [ctx](const Request& req, const PathParams& p) { return get_user(*ctx, req, p); });
  r.add("PATCH", "/api/v1/users/{id}",
        [ctx](const Request& req, const PathParams& p) { return patch_user(*ctx, req, p); });
  r.add("DELETE", "/api/v1/users/{id}",
        [ctx](const Request& req, const PathParams& p) { return delete_user(*ctx, req, p); });
  r.add("GET", "/api/v1/users/{id}/groups",
        [ctx](const Request& req, const PathParams& p) { return list_user_groups(*ctx, req, p); });
  r.add("PUT", "/api/v1/users/{id}/groups", [ctx](const Request& req, const PathParams& p) {
    return replace_user_groups(*ctx, req, p);
  });
  r.add("PUT", "/api/v1/users/{id}/groups/{group_id}",
        [ctx](const Request& req, const PathParams& p) {
          return put_membership(*ctx, req, p.at("group_id"), p.at("id"), /*group_view=*/false);
        });
  r.add("DELETE", "/api/v1/users/{id}/groups/{group_id}",
        [ctx](const Request& req, const PathParams& p) {
          return delete_membership(*ctx, req, p.at("group_id"), p.at("id"));
        });
}

}  // namespace cohort::api
