// /api/v1/groups and the group-page side of memberships (/groups/{id}/members).

#include <fmt/format.h>

#include <algorithm>

#include "api/handlers.hpp"
#include "common/text.hpp"
#include "model/validate.hpp"

namespace cohort::api {
namespace {

using nlohmann::json;

const std::initializer_list<std::string_view> kGroupFields = {"name",
                                                              "description",
                                                              "extension",
                                                              "outbound_caller_id",
                                                              "trunk",
                                                              "ring_strategy",
                                                              "ring_timeout_s",
                                                              "max_wait_s",
                                                              "wrap_up_s",
                                                              "ring_in_use",
                                                              "skip_unregistered",
                                                              "fallback",
                                                              "schedule",
                                                              "closed_destination",
                                                              "cti_scope",
                                                              "auto_pause_after",
                                                              "auto_pause_unreachable",
                                                              "auto_pause_scope",
                                                              "waiting_mode",
                                                              "announce_position_every_s"};
const std::initializer_list<std::string_view> kGroupReadOnly = {"id", "member_count", "created_at",
                                                                "updated_at"};
// Wide JSON bounds; the domain ranges are checked by model::validate_group.
constexpr std::int64_t kMaxSeconds = 1'000'000'000;

Result<void> apply_group_fields(const JsonBody& b, model::Group& g) {
  COHORT_TRY(b.check_keys(kGroupFields, kGroupReadOnly));
  if (b.has("name")) {
    COHORT_TRY_ASSIGN(std::string name, b.string("name"));
    g.name = std::string(text::trim(name));
  }
  if (b.has("description")) {
    COHORT_TRY_ASSIGN(g.description, b.string("description"));
  }
  if (b.has("extension")) {
    COHORT_TRY_ASSIGN(g.extension, b.nullable_string("extension"));
  }
  if (b.has("outbound_caller_id")) {
    COHORT_TRY_ASSIGN(g.outbound_caller_id, b.nullable_string("outbound_caller_id"));
  }
  if (b.has("trunk")) {
    COHORT_TRY_ASSIGN(g.trunk, b.nullable_integer("trunk", 1, INT64_MAX));
  }
  if (b.has("ring_strategy")) {
    COHORT_TRY_ASSIGN(std::string strategy, b.string("ring_strategy"));
    auto parsed = model::parse_ring_strategy(strategy);
    if (!parsed) {
      return fail(Error::invalid("ring_strategy",
                                 "ring_strategy must be simultaneous, round_robin, least_recent, "
                                 "sequential, fewest_calls or random"));
    }
    g.ring_strategy = *parsed;
  }
  for (auto [key, slot] :
       {std::pair{"ring_timeout_s", &g.ring_timeout_s}, std::pair{"max_wait_s", &g.max_wait_s},
        std::pair{"wrap_up_s", &g.wrap_up_s}}) {
    if (b.has(key)) {
      COHORT_TRY_ASSIGN(std::int64_t n, b.integer(key, -kMaxSeconds, kMaxSeconds));
      *slot = static_cast<int>(n);
    }
  }
  if (b.has("fallback")) {
    if (b.is_null("fallback")) {
      g.fallback.reset();
    } else {
      COHORT_TRY_ASSIGN(g.fallback, model::destination_from_json(b.at("fallback"), "fallback"));
    }
  }
  if (b.has("ring_in_use")) {
    COHORT_TRY_ASSIGN(g.ring_in_use, b.boolean("ring_in_use"));
  }
  if (b.has("skip_unregistered")) {
    COHORT_TRY_ASSIGN(g.skip_unregistered, b.boolean("skip_unregistered"));
  }
  if (b.has("schedule")) {
    COHORT_TRY_ASSIGN(g.schedule, b.nullable_integer("schedule", 1, INT64_MAX));
  }
  if (b.has("closed_destination")) {
    if (b.is_null("closed_destination")) {
      g.closed_destination.reset();  // the group's own voicemail
    } else {
      COHORT_TRY_ASSIGN(
          g.closed_destination,
          model::destination_from_json(b.at("closed_destination"), "closed_destination"));
    }
  }
  if (b.has("cti_scope")) {
    COHORT_TRY_ASSIGN(g.cti_scope, b.boolean("cti_scope"));
  }
  if (b.has("auto_pause_after")) {
    COHORT_TRY_ASSIGN(std::int64_t n, b.integer("auto_pause_after", -kMaxSeconds, kMaxSeconds));
    g.auto_pause_after = static_cast<int>(n);
  }
  if (b.has("auto_pause_unreachable")) {
    COHORT_TRY_ASSIGN(g.auto_pause_unreachable, b.boolean("auto_pause_unreachable"));
  }
  if (b.has("auto_pause_scope")) {
    COHORT_TRY_ASSIGN(std::string scope, b.string("auto_pause_scope"));
    auto parsed = model::parse_auto_pause_scope(scope);
    if (!parsed) {
      return fail(Error::invalid("auto_pause_scope", "auto_pause_scope must be group or all"));
    }
    g.auto_pause_scope = *parsed;
  }
  if (b.has("waiting_mode")) {
    COHORT_TRY_ASSIGN(std::string mode, b.string("waiting_mode"));
    auto parsed = model::parse_waiting_mode(mode);
    if (!parsed) {
      return fail(
          Error::invalid("waiting_mode", "waiting_mode must be ringback, early_media or answer"));
    }
    g.waiting_mode = *parsed;
  }
  if (b.has("announce_position_every_s")) {
    COHORT_TRY_ASSIGN(std::int64_t n,
                      b.integer("announce_position_every_s", -kMaxSeconds, kMaxSeconds));
    g.announce_position_every_s = static_cast<int>(n);
  }
  return {};
}

const model::Group* find_group(const model::Snapshot& s, model::GroupId id) {
  return s.group(id);
}

Error no_group(model::GroupId id) {
  return Error::not_found(fmt::format("no group with id {}", id));
}

Response list_groups(Context& ctx, const Request& req) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    COHORT_TRY_ASSIGN(Page page, page_from_query(req));
    std::string needle;
    if (auto q = req.query_param("q")) {
      needle = text::ascii_lower(text::trim(*q));
    }
    return json_response(
        200, id_page(s->group_ids(), page, [&](model::GroupId id) -> json {
          const model::Group* g = s->group(id);
          if (!p.reads_all() && !require_can_read_group(p, id, *s)) {
            return nullptr;
          }
          if (!needle.empty() && !text::contains(text::ascii_lower(g->name), needle)) {
            return nullptr;
          }
          return group_to_json(*g, *s);
        }));
  });
}

Response create_group(Context& ctx, const Request& req) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(JsonBody b, JsonBody::parse(req));
    if (!b.has("name")) {
      return fail(Error::invalid("name", "name is required"));
    }
    model::Group draft;
    COHORT_TRY(apply_group_fields(b, draft));
    model::Group created;
    COHORT_TRY(ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
      COHORT_TRY(model::validate_group(draft, *ctx.store.snapshot()));
      COHORT_TRY_ASSIGN(created, tx.groups().create(draft));
      return {};
    }));
    return json_response(201, group_to_json(created, *ctx.store.snapshot()));
  });
}

Response get_group(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    COHORT_TRY_ASSIGN(model::GroupId id, path_id(params.at("id"), "group"));
    COHORT_TRY(require_can_read_group(p, id, *s));
    const model::Group* g = find_group(*s, id);
    if (g == nullptr) {
      return fail(no_group(id));
    }
    return json_response(200, group_to_json(*g, *s));
  });
}

Response patch_group(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(model::GroupId id, path_id(params.at("id"), "group"));
    COHORT_TRY_ASSIGN(JsonBody b, JsonBody::parse(req));
    model::Group updated;
    COHORT_TRY(ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
      model::SnapshotPtr s = ctx.store.snapshot();
      const model::Group* current = find_group(*s, id);
      if (current == nullptr) {
        return fail(no_group(id));
      }
      model::Group draft = *current;
      COHORT_TRY(apply_group_fields(b, draft));
      // An unchanged fallback or closed destination is not re-checked: a routing gap left
      // by a forced delete must not block unrelated edits (renaming the group, say), and an
      // unchanged exit cannot close a new cycle.
      model::Group checked = draft;
      if (checked.fallback == current->fallback) {
        checked.fallback.reset();
      }
      if (checked.closed_destination == current->closed_destination) {
        checked.closed_destination.reset();
      }
      COHORT_TRY(model::validate_group(checked, *s));
      COHORT_TRY_ASSIGN(updated, tx.groups().update(draft));
      return {};
    }));
    return json_response(200, group_to_json(updated, *ctx.store.snapshot()));
  });
}

Response delete_group(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(model::GroupId id, path_id(params.at("id"), "group"));
    COHORT_TRY_ASSIGN(bool force, force_param(req));
    return delete_guarded(
        ctx, id, force,
        GuardedDelete{.what = "group",
                      .if_forced = "leave routing gaps",
                      .exists = [id](const model::Snapshot& s) { return s.group(id) != nullptr; },
                      .referrers =
                          [id](const model::Snapshot& s) {
                            auto refs = model::referrers_of(s, {model::Target::Kind::kGroup, id});
                            // The group's own fallback (e.g. to its own voicemail) goes with it.
                            std::erase_if(refs, [id](const model::Referrer& r) {
                              return r.kind == model::Referrer::Kind::kGroup && r.id == id;
                            });
                            return refs;
                          },
                      // Memberships go with the group; the users stay, active as they were.
                      .remove = [id](store::Transaction& tx) { return tx.groups().remove(id); },
                      .done =
                          [id, &ctx](const std::vector<model::Referrer>& gaps) {
                            remove_audio_of(ctx, audio::Owner::kGroup, id);
                            return deleted_response(id, gaps);
                          }});
  });
}

Response list_members(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    COHORT_TRY_ASSIGN(model::GroupId id, path_id(params.at("id"), "group"));
    COHORT_TRY(require_can_read_group(p, id, *s));
    if (find_group(*s, id) == nullptr) {
      return fail(no_group(id));
    }
    COHORT_TRY_ASSIGN(Page page, page_from_query(req));
    // Members are ordered by position; the cursor is the last position returned.
    json items = json::array();
    std::optional<std::int64_t> next;
    for (const model::Member& m : s->members(id)) {
      if (m.position <= page.after) {
        continue;
      }
      if (items.size() == page.limit) {
        next = items.back()["position"].get<std::int64_t>();
        break;
      }
      items.push_back(member_to_json(m, *s));
    }
    return json_response(200, page_json(std::move(items), next));
  });
}

}  // namespace

Response put_membership(Context& ctx, const Request& req, const std::string& group_param,
                        const std::string& user_param, bool group_view) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY_ASSIGN(model::GroupId group, path_id(group_param, "group"));
    COHORT_TRY_ASSIGN(model::UserId user, path_id(user_param, "user"));
    // Admins add and move memberships. Pausing is also open to supervisors for anyone and
    // to an agent for its own memberships, so that taking a break needs nobody else.
    if (!p.reads_all() && p.user != user) {
      return fail({Errc::kForbidden, "agents may pause only their own memberships", {}});
    }
    COHORT_TRY_ASSIGN(JsonBody b, JsonBody::parse(req, /*empty_ok=*/true));
    COHORT_TRY(
        b.check_keys({"position", "paused", "pause_reason"}, {"user_id", "group_id", "joined_at"}));
    if (!p.admin() && (b.has("position") || !b.has("paused"))) {
      return fail({Errc::kForbidden,
                   "only admins add or move memberships; others may send paused and "
                   "pause_reason only",
                   {}});
    }
    std::optional<int> position;
    if (b.has("position")) {
      COHORT_TRY_ASSIGN(std::int64_t n, b.integer("position", 1, 1'000'000));
      position = static_cast<int>(n);
    }
    std::optional<bool> paused;
    if (b.has("paused")) {
      COHORT_TRY_ASSIGN(paused, b.boolean("paused"));
    }
    std::string reason;
    if (b.has("pause_reason") && !b.is_null("pause_reason")) {
      if (!paused.value_or(false)) {
        return fail(Error::invalid("pause_reason", "pause_reason needs \"paused\": true"));
      }
      COHORT_TRY_ASSIGN(reason, b.string("pause_reason"));
      reason = std::string(text::trim(reason));
      COHORT_TRY(model::check_pause_reason("pause_reason", reason));
    }
    bool created = false;
    COHORT_TRY(ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
      model::SnapshotPtr s = ctx.store.snapshot();
      if (find_group(*s, group) == nullptr) {
        return fail(no_group(group));
      }
      if (s->user(user) == nullptr) {
        return fail(Error::not_found(fmt::format("no user with id {}", user)));
      }
      if (p.admin()) {
        COHORT_TRY_ASSIGN(auto put, tx.memberships().put(group, user, position));
        created = put.created;
      } else {
        const auto members = s->members(group);
        if (std::none_of(members.begin(), members.end(),
                         [&](const model::Member& m) { return m.user == user; })) {
          return fail(
              Error::not_found(fmt::format("user {} is not a member of group {}", user, group)));
        }
      }
      if (paused) {
        COHORT_TRY(tx.memberships().set_pause(group, user, *paused, reason));
      }
      return {};
    }));
    if (paused && ctx.options.sip != nullptr) {
      // Paused or resumed by a person: auto-pause counts this member's misses from zero.
      ctx.options.sip->reset_missed_calls(user, group);
    }
    model::SnapshotPtr s = ctx.store.snapshot();
    json body;
    if (group_view) {
      for (const model::Member& m : s->members(group)) {
        if (m.user == user) {
          body = member_to_json(m, *s);
        }
      }
    } else {
      for (const model::UserMembership& m : s->groups_of(user)) {
        if (m.group == group) {
          body = user_membership_to_json(m, *s);
        }
      }
    }
    return json_response(created ? 201 : 200, body);
  });
}

Response delete_membership(Context& ctx, const Request& req, const std::string& group_param,
                           const std::string& user_param) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(model::GroupId group, path_id(group_param, "group"));
    COHORT_TRY_ASSIGN(model::UserId user, path_id(user_param, "user"));
    COHORT_TRY(ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
      model::SnapshotPtr s = ctx.store.snapshot();
      if (find_group(*s, group) == nullptr) {
        return fail(no_group(group));
      }
      if (s->user(user) == nullptr) {
        return fail(Error::not_found(fmt::format("no user with id {}", user)));
      }
      return tx.memberships().remove(group, user);
    }));
    return deleted_response(user, {});
  });
}

void add_group_routes(Router& r, const ContextPtr& ctx) {
  r.add("GET", "/api/v1/groups",
        [ctx](const Request& req, const PathParams&) { return list_groups(*ctx, req); });
  r.add("POST", "/api/v1/groups",
        [ctx](const Request& req, const PathParams&) { return create_group(*ctx, req); });
  r.add("GET", "/api/v1/groups/{id}",
        [ctx](const Request& req, const PathParams& p) { return get_group(*ctx, req, p); });
  r.add("PATCH", "/api/v1/groups/{id}",
        [ctx](const Request& req, const PathParams& p) { return patch_group(*ctx, req, p); });
  r.add("DELETE", "/api/v1/groups/{id}",
        [ctx](const Request& req, const PathParams& p) { return delete_group(*ctx, req, p); });
  r.add("GET", "/api/v1/groups/{id}/members",
        [ctx](const Request& req, const PathParams& p) { return list_members(*ctx, req, p); });
  r.add("PUT", "/api/v1/groups/{id}/members/{user_id}",
        [ctx](const Request& req, const PathParams& p) {
          return put_membership(*ctx, req, p.at("id"), p.at("user_id"), /*group_view=*/true);
        });
  r.add("DELETE", "/api/v1/groups/{id}/members/{user_id}",
        [ctx](const Request& req, const PathParams& p) {
          return delete_membership(*ctx, req, p.at("id"), p.at("user_id"));
        });
}

}  // namespace cohort::api
