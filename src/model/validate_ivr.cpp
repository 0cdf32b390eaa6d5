// Validation of IVR menus (docs/routing.md "IVR menus"). Kept apart from validate.cpp, which
// holds the older objects.

#include <fmt/format.h>

#include <string>

#include "model/cycles.hpp"
#include "model/validate.hpp"

namespace cohort::model {
namespace {

Result<void> check_bounds(std::string_view field, int value, int min, int max,
                          std::string_view unit) {
  if (value < min || value > max) {
    return fail(Error::invalid(std::string(field),
                               fmt::format("{} must be {}–{}{}", field, min, max, unit)));
  }
  return {};
}

/// An automatic exit (timeout, invalid): its target exists, it is not the menu itself and it
/// closes no cycle of automatic exits. An exit the menu already `held` is not re-checked, as
/// for a group's fallback: a routing gap left by a forced delete must not block unrelated
/// edits, and an unchanged exit cannot close a new cycle.
Result<void> check_exit(std::string_view field, const std::optional<Destination>& exit, bool held,
                        const IvrMenu& m, const Snapshot& s) {
  if (!exit || held) {
    return {};
  }
  COHORT_TRY(check_destination(field, *exit, s));
  const FlowNode self{FlowNode::Kind::kIvrMenu, m.id};
  if (const auto* to = std::get_if<DestIvr>(&*exit); to != nullptr && to->id == m.id) {
    // "Play the menu again" is what `repeat` is for; after the last play it would never end.
    return fail(Error::invalid(std::string(field) + ".id",
                               fmt::format("{} cannot lead back to the menu itself; use repeat "
                                           "to play it again",
                                           field)));
  }
  if (auto cycle = exit_cycle(s, self, exit)) {
    return fail(Error::invalid(std::string(field), describe_cycle(fmt::format("{} cycle", field),
                                                                  *cycle, s, self, m.name)));
  }
  return {};
}

}  // namespace

Result<void> validate_ivr_menu(const IvrMenu& m, const Snapshot& s, const IvrMenu* stored) {
  // Formats and ranges first (400), then references (400), then uniqueness (409), as for
  // groups.
  COHORT_TRY(check_name("name", m.name, kMaxNameLength));
  for (std::size_t i = 0; i < m.options.size(); ++i) {
    const char key = m.options[i].key;
    if (!is_ivr_key(key)) {
      return fail(Error::invalid("options", "option keys must be 0–9, * or #"));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (m.options[j].key == key) {
        return fail(Error::invalid(fmt::format("options.{}", key),
                                   fmt::format("key {} has more than one option", key)));
      }
    }
  }
  COHORT_TRY(check_bounds("timeout_s", m.timeout_s, kMinIvrTimeoutS, kMaxIvrTimeoutS, " seconds"));
  COHORT_TRY(check_bounds("repeat", m.repeat, kMinIvrRepeat, kMaxIvrRepeat, ""));

  for (const IvrOption& o : m.options) {
    const IvrOption* was = stored != nullptr ? stored->option(o.key) : nullptr;
    if (was == nullptr || was->destination != o.destination) {
      COHORT_TRY(check_destination(fmt::format("options.{}", o.key), o.destination, s));
    }
  }
  COHORT_TRY(
      check_exit("timeout", m.timeout, stored != nullptr && stored->timeout == m.timeout, m, s));
  COHORT_TRY(
      check_exit("invalid", m.invalid, stored != nullptr && stored->invalid == m.invalid, m, s));

  if (const IvrMenu* other = s.ivr_menu_by_name(m.name); other != nullptr && other->id != m.id) {
    return fail(Error::conflict(
        "name",
        fmt::format("an IVR menu named \"{}\" already exists (id {})", other->name, other->id)));
  }
  return {};
}

}  // namespace cohort::model
