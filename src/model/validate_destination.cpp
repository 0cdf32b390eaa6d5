// Whether a Destination's target exists: shared by every object that holds one (groups,
// inbound routes, forwarding, IVR menus).

#include <fmt/format.h>

#include "model/validate.hpp"

namespace cohort::model {

Result<void> check_destination(std::string_view field, const Destination& d, const Snapshot& s) {
  if (const auto* n = std::get_if<DestNumber>(&d)) {
    return check_caller_id(std::string(field) + ".number", n->number);
  }
  auto target = target_of(d);
  if (!target) {
    return {};
  }
  bool exists = false;
  std::string_view kind;
  switch (target->kind) {
    case Target::Kind::kUser:
      exists = s.user(target->id) != nullptr;
      kind = "user";
      break;
    case Target::Kind::kGroup:
      exists = s.group(target->id) != nullptr;
      kind = "group";
      break;
    case Target::Kind::kIvr:
      exists = s.ivr_menu(target->id) != nullptr;
      kind = "IVR menu";
      break;
  }
  if (!exists) {
    return fail(Error::invalid(std::string(field) + ".id",
                               fmt::format("no {} with id {}", kind, target->id)));
  }
  return {};
}

}  // namespace cohort::model
