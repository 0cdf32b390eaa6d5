// IVR menus (issue 13): the repository of one transaction, and the menus' rows. Options are
// one JSON object from key to destination, read and written whole with the row (schema.cpp,
// migration 12).

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <utility>

#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace cohort::store::sqlite::detail {
namespace {

// ---- SQL -------------------------------------------------------------------------------
// Writable fields, in bind order: name, options, timeout_s, timeout, invalid, repeat,
// direct_dial (7 values); SELECTs read the id first, then these, then created_at, updated_at.

constexpr int kMenuFieldCount = 7;
constexpr std::string_view kInsertMenu =
    "INSERT INTO ivr_menus(name, options, timeout_s, timeout, invalid, repeat, direct_dial, "
    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
constexpr std::string_view kUpdateMenu =
    "UPDATE ivr_menus SET name = ?, options = ?, timeout_s = ?, timeout = ?, invalid = ?, "
    "repeat = ?, direct_dial = ?, updated_at = ? WHERE id = ?";
constexpr std::string_view kDeleteMenu = "DELETE FROM ivr_menus WHERE id = ?";
constexpr std::string_view kMenuExists = "SELECT 1 FROM ivr_menus WHERE id = ?";
constexpr std::string_view kSelectMenu =
    "SELECT id, name, options, timeout_s, timeout, invalid, repeat, direct_dial, created_at, "
    "updated_at FROM ivr_menus WHERE id = ?";
constexpr std::string_view kSelectAllMenus =
    "SELECT id, name, options, timeout_s, timeout, invalid, repeat, direct_dial, created_at, "
    "updated_at FROM ivr_menus ORDER BY id";

// ---- rows ------------------------------------------------------------------------------

void bind_destination(SQLite::Statement& s, int index, const std::optional<model::Destination>& d) {
  if (d) {
    s.bind(index, model::destination_to_json(*d).dump());
  } else {
    s.bind(index);
  }
}

void bind_menu_fields(SQLite::Statement& s, int first, const model::IvrMenu& m) {
  nlohmann::json options = nlohmann::json::object();
  for (const model::IvrOption& o : m.options) {
    options[std::string(1, o.key)] = model::destination_to_json(o.destination);
  }
  s.bind(first, m.name);
  s.bind(first + 1, options.dump());
  s.bind(first + 2, m.timeout_s);
  bind_destination(s, first + 3, m.timeout);
  bind_destination(s, first + 4, m.invalid);
  s.bind(first + 5, m.repeat);
  s.bind(first + 6, m.direct_dial ? 1 : 0);
}

std::optional<model::Destination> optional_destination(const SQLite::Column& c,
                                                       std::string_view what,
                                                       const std::string& field, std::int64_t id) {
  if (c.isNull()) {
    return std::nullopt;
  }
  return destination_of(c.getString(), what, field, id);
}

model::IvrMenu read_menu(SQLite::Statement& s) {
  model::IvrMenu m;
  m.id = s.getColumn(0).getInt64();
  m.name = s.getColumn(1).getString();
  auto options = nlohmann::json::parse(s.getColumn(2).getString(), nullptr, false);
  if (!options.is_object()) {
    throw CorruptRow(fmt::format("ivr_menus.options of menu {} is not a JSON object", m.id));
  }
  for (const auto& [key, value] : options.items()) {
    if (key.size() != 1 || !model::is_ivr_key(key[0])) {
      throw CorruptRow(fmt::format("ivr_menus.options of menu {} has the key '{}'", m.id, key));
    }
    m.options.push_back(model::IvrOption{
        key[0], destination_of(value.dump(), "ivr_menus.options", "options." + key, m.id)});
  }
  model::sort_ivr_options(m.options);
  m.timeout_s = s.getColumn(3).getInt();
  m.timeout = optional_destination(s.getColumn(4), "ivr_menus.timeout", "timeout", m.id);
  m.invalid = optional_destination(s.getColumn(5), "ivr_menus.invalid", "invalid", m.id);
  m.repeat = s.getColumn(6).getInt();
  m.direct_dial = s.getColumn(7).getInt() != 0;
  m.created_at = s.getColumn(8).getInt64();
  m.updated_at = s.getColumn(9).getInt64();
  return m;
}

}  // namespace

std::optional<model::IvrMenu> find_ivr_menu(Statements& st, model::IvrMenuId id) {
  auto s = st.get(kSelectMenu);
  s->bind(1, id);
  if (!s->executeStep()) {
    return std::nullopt;
  }
  return read_menu(*s);
}

void load_ivr_menus(SQLite::Database& db, model::SnapshotPatch& patch) {
  SQLite::Statement s(db, std::string(kSelectAllMenus));
  while (s.executeStep()) {
    model::IvrMenu m = read_menu(s);
    const model::IvrMenuId id = m.id;
    patch.ivr_menus.emplace_back(id, std::move(m));
  }
}

// ---- the repository --------------------------------------------------------------------

Result<model::IvrMenu> IvrMenus::create(const model::IvrMenu& draft) {
  Hints hints{.name = draft.name, .kind = "IVR menu"};
  return tx_.op("create IVR menu", hints, [&]() -> Result<model::IvrMenu> {
    const std::int64_t now = tx_.now();
    model::IvrMenuId id = 0;
    {
      auto s = tx_.st().get(kInsertMenu);
      bind_menu_fields(*s, 1, draft);
      s->bind(kMenuFieldCount + 1, now);
      s->bind(kMenuFieldCount + 2, now);
      s->executeStep();
      id = s->getColumn(0).getInt64();
    }
    tx_.touched().ivr_menus.insert(id);
    return stored(find_ivr_menu(tx_.st(), id), "IVR menu", id);
  });
}

Result<model::IvrMenu> IvrMenus::update(const model::IvrMenu& m) {
  Hints hints{.name = m.name, .kind = "IVR menu"};
  return tx_.op("update IVR menu", hints, [&]() -> Result<model::IvrMenu> {
    {
      auto s = tx_.st().get(kUpdateMenu);
      bind_menu_fields(*s, 1, m);
      s->bind(kMenuFieldCount + 1, tx_.now());
      s->bind(kMenuFieldCount + 2, m.id);
      if (s->exec() == 0) {
        return fail(Error::not_found(fmt::format("IVR menu {} not found", m.id)));
      }
    }
    tx_.touched().ivr_menus.insert(m.id);
    return stored(find_ivr_menu(tx_.st(), m.id), "IVR menu", m.id);
  });
}

Result<void> IvrMenus::remove(model::IvrMenuId id) {
  return tx_.op("remove IVR menu", {}, [&]() -> Result<void> {
    if (!tx_.exists(kMenuExists, id)) {
      return fail(Error::not_found(fmt::format("IVR menu {} not found", id)));
    }
    {
      auto s = tx_.st().get(kDeleteMenu);
      s->bind(1, id);
      s->exec();
    }
    tx_.touched().ivr_menus.insert(id);
    return {};
  });
}

}  // namespace cohort::store::sqlite::detail
