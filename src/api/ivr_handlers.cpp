// /api/v1/ivr-menus: voice menus (docs/api.md "IVR menus", docs/routing.md "IVR menus") and
// their JSON form. Admins write; admins and supervisors read, as for inbound routes.

#include <fmt/format.h>

#include <algorithm>

#include "api/handlers.hpp"
#include "common/text.hpp"
#include "model/validate.hpp"

namespace cohort::api {
namespace {

using nlohmann::json;

const std::initializer_list<std::string_view> kMenuFields = {
    "name", "options", "timeout_s", "timeout", "invalid", "repeat", "direct_dial"};
const std::initializer_list<std::string_view> kMenuReadOnly = {"id", "created_at", "updated_at"};
// Wide JSON bounds; the domain ranges are checked by model::validate_ivr_menu.
constexpr std::int64_t kMaxCount = 1'000'000'000;

json optional_destination_json(const std::optional<model::Destination>& d) {
  return d ? model::destination_to_json(*d) : json(nullptr);
}

json menu_to_json(const model::IvrMenu& m) {
  json options = json::object();
  for (const model::IvrOption& o : m.options) {
    options[std::string(1, o.key)] = model::destination_to_json(o.destination);
  }
  return {{"id", m.id},
          {"name", m.name},
          {"options", std::move(options)},
          {"timeout_s", m.timeout_s},
          {"timeout", optional_destination_json(m.timeout)},
          {"invalid", optional_destination_json(m.invalid)},
          {"repeat", m.repeat},
          {"direct_dial", m.direct_dial},
          {"created_at", rfc3339(m.created_at)},
          {"updated_at", rfc3339(m.updated_at)}};
}

/// {"1": Destination, "#": Destination}: each key one of 0–9 * #, each value a Destination.
/// Errors name the key ("options.7.id"); a key that is not one of those is not echoed unless
/// it is short printable text.
Result<std::vector<model::IvrOption>> options_from_json(const json& j) {
  if (!j.is_object()) {
    return fail(Error::invalid("options",
                               "options must be an object from key (0–9, * or #) to "
                               "destination"));
  }
  std::vector<model::IvrOption> out;
  for (const auto& [key, value] : j.items()) {
    if (key.size() != 1 || !model::is_ivr_key(key[0])) {
      const bool printable =
          !key.empty() && key.size() <= 16 &&
          std::all_of(key.begin(), key.end(), [](char c) { return c > 0x20 && c < 0x7f; });
      return fail(Error::invalid(printable ? "options." + key : std::string("options"),
                                 "option keys must be one of 0–9, * or #"));
    }
    COHORT_TRY_ASSIGN(model::Destination d, model::destination_from_json(value, "options." + key));
    out.push_back(model::IvrOption{key[0], std::move(d)});
  }
  model::sort_ivr_options(out);
  return out;
}

Result<std::optional<model::Destination>> nullable_destination(const JsonBody& b, const char* key) {
  if (b.is_null(key)) {
    return std::optional<model::Destination>();
  }
  COHORT_TRY_ASSIGN(model::Destination d, model::destination_from_json(b.at(key), key));
  return std::optional<model::Destination>(std::move(d));
}

Result<void> apply_menu_fields(const JsonBody& b, model::IvrMenu& m) {
  COHORT_TRY(b.check_keys(kMenuFields, kMenuReadOnly));
  if (b.has("name")) {
    COHORT_TRY_ASSIGN(std::string name, b.string("name"));
    m.name = std::string(text::trim(name));
  }
  if (b.has("options")) {
    COHORT_TRY_ASSIGN(m.options, options_from_json(b.at("options")));
  }
  for (auto [key, slot] : {std::pair{"timeout_s", &m.timeout_s}, std::pair{"repeat", &m.repeat}}) {
    if (b.has(key)) {
      COHORT_TRY_ASSIGN(std::int64_t n, b.integer(key, -kMaxCount, kMaxCount));
      *slot = static_cast<int>(n);
    }
  }
  for (auto [key, slot] : {std::pair{"timeout", &m.timeout}, std::pair{"invalid", &m.invalid}}) {
    if (b.has(key)) {
      COHORT_TRY_ASSIGN(*slot, nullable_destination(b, key));
    }
  }
  if (b.has("direct_dial")) {
    COHORT_TRY_ASSIGN(m.direct_dial, b.boolean("direct_dial"));
  }
  return {};
}

Error no_menu(model::IvrMenuId id) {
  return Error::not_found(fmt::format("no IVR menu with id {}", id));
}

Response list_menus(Context& ctx, const Request& req) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    COHORT_TRY(require_reads_all(p));
    COHORT_TRY_ASSIGN(Page page, page_from_query(req));
    std::string needle;
    if (auto q = req.query_param("q")) {
      needle = text::ascii_lower(text::trim(*q));
    }
    return json_response(
        200, id_page(s->ivr_menu_ids(), page, [&](model::IvrMenuId id) -> json {
          const model::IvrMenu* m = s->ivr_menu(id);
          if (!needle.empty() && !text::contains(text::ascii_lower(m->name), needle)) {
            return nullptr;
          }
          return menu_to_json(*m);
        }));
  });
}

Response create_menu(Context& ctx, const Request& req) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(JsonBody b, JsonBody::parse(req));
    if (!b.has("name")) {
      return fail(Error::invalid("name", "name is required"));
    }
    model::IvrMenu draft;
    COHORT_TRY(apply_menu_fields(b, draft));
    model::IvrMenu created;
    COHORT_TRY(ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
      COHORT_TRY(model::validate_ivr_menu(draft, *ctx.store.snapshot()));
      COHORT_TRY_ASSIGN(created, tx.ivr_menus().create(draft));
      return {};
    }));
    return json_response(201, menu_to_json(created));
  });
}

Response get_menu(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    model::SnapshotPtr s = ctx.store.snapshot();
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *s, ctx.options));
    COHORT_TRY(require_reads_all(p));
    COHORT_TRY_ASSIGN(model::IvrMenuId id, path_id(params.at("id"), "IVR menu"));
    const model::IvrMenu* m = s->ivr_menu(id);
    if (m == nullptr) {
      return fail(no_menu(id));
    }
    return json_response(200, menu_to_json(*m));
  });
}

/// PUT replaces the whole menu (fields left out take their defaults; `name` is required);
/// PATCH changes only the fields it sends.
Response write_menu(Context& ctx, const Request& req, const PathParams& params, bool replace) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(model::IvrMenuId id, path_id(params.at("id"), "IVR menu"));
    COHORT_TRY_ASSIGN(JsonBody b, JsonBody::parse(req));
    if (replace && !b.has("name")) {
      COHORT_TRY(b.check_keys(kMenuFields, kMenuReadOnly));  // a typo is the better answer
      return fail(Error::invalid("name", "name is required"));
    }
    model::IvrMenu updated;
    COHORT_TRY(ctx.store.transact([&](store::Transaction& tx) -> Result<void> {
      model::SnapshotPtr s = ctx.store.snapshot();
      const model::IvrMenu* current = s->ivr_menu(id);
      if (current == nullptr) {
        return fail(no_menu(id));
      }
      model::IvrMenu draft = replace ? model::IvrMenu{} : *current;
      draft.id = id;
      COHORT_TRY(apply_menu_fields(b, draft));
      // What the menu already holds is not re-checked (a routing gap left by a forced delete
      // must not block renaming the menu), as for groups and inbound routes.
      COHORT_TRY(model::validate_ivr_menu(draft, *s, current));
      COHORT_TRY_ASSIGN(updated, tx.ivr_menus().update(draft));
      return {};
    }));
    return json_response(200, menu_to_json(updated));
  });
}

Response delete_menu(Context& ctx, const Request& req, const PathParams& params) {
  return respond([&]() -> Result<Response> {
    COHORT_TRY_ASSIGN(Principal p, authenticate(req, *ctx.store.snapshot(), ctx.options));
    COHORT_TRY(require_admin(p));
    COHORT_TRY_ASSIGN(model::IvrMenuId id, path_id(params.at("id"), "IVR menu"));
    COHORT_TRY_ASSIGN(bool force, force_param(req));
    return delete_guarded(
        ctx, id, force,
        GuardedDelete{
            .what = "IVR menu",
            .if_forced = "leave routing gaps",
            .exists = [id](const model::Snapshot& s) { return s.ivr_menu(id) != nullptr; },
            .referrers =
                [id](const model::Snapshot& s) {
                  auto refs = model::referrers_of(s, {model::Target::Kind::kIvr, id});
                  // The menu's own options ("9: hear this menu again") go with it,
                  // as a group's fallback to its own voicemail does.
                  std::erase_if(refs, [id](const model::Referrer& r) {
                    return r.kind == model::Referrer::Kind::kIvrMenu && r.id == id;
                  });
                  return refs;
                },
            .remove = [id](store::Transaction& tx) { return tx.ivr_menus().remove(id); },
            .done =
                [id, &ctx](const std::vector<model::Referrer>& gaps) {
                  remove_audio_of(ctx, audio::Owner::kIvrMenu, id);
                  return deleted_response(id, gaps);
                }});
  });
}

}  // namespace

void add_ivr_menu_routes(Router& r, const ContextPtr& ctx) {
  r.add("GET", "/api/v1/ivr-menus",
        [ctx](const Request& req, const PathParams&) { return list_menus(*ctx, req); });
  r.add("POST", "/api/v1/ivr-menus",
        [ctx](const Request& req, const PathParams&) { return create_menu(*ctx, req); });
  r.add("GET", "/api/v1/ivr-menus/{id}",
        [ctx](const Request& req, const PathParams& p) { return get_menu(*ctx, req, p); });
  r.add("PUT", "/api/v1/ivr-menus/{id}", [ctx](const Request& req, const PathParams& p) {
    return write_menu(*ctx, req, p, /*replace=*/true);
  });
  r.add("PATCH", "/api/v1/ivr-menus/{id}", [ctx](const Request& req, const PathParams& p) {
    return write_menu(*ctx, req, p, /*replace=*/false);
  });
  r.add("DELETE", "/api/v1/ivr-menus/{id}",
        [ctx](const Request& req, const PathParams& p) { return delete_menu(*ctx, req, p); });
}

}  // namespace cohort::api
