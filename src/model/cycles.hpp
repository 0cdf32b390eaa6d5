#pragma once
// Cycles of automatic exits: the ways a call can go round without anyone pressing a key. A
// group leaves by its fallback or its closed_destination, an IVR menu by its timeout or its
// invalid destination; following those from group to group and menu to menu must never come
// back (docs/routing.md "IVR menus", "Fallback cycles"). An IVR option is not an automatic
// exit: the caller chose it, so "0 — back to the main menu" is no cycle.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/snapshot.hpp"

namespace cohort::model {

/// A place a call can pass through and leave again on its own.
struct FlowNode {
  enum class Kind : std::uint8_t { kGroup, kIvrMenu };
  Kind kind = Kind::kGroup;
  std::int64_t id = 0;
  auto operator<=>(const FlowNode&) const = default;
};
/// "group", "ivr_menu".
std::string_view to_string(FlowNode::Kind k);

/// The node `d` continues to on its own: a group or a menu; nullopt for anything else (a
/// user, voicemail, a number and hangup end a chain).
std::optional<FlowNode> flow_node_of(const std::optional<Destination>& d);

/// If `from` leaving by the exit `exit` (a proposed fallback, closed_destination, timeout or
/// invalid destination) could come back to `from` — every group a call reaches may leave
/// again by its stored fallback or closed_destination, every menu by its stored timeout or
/// invalid destination — the shortest such cycle, starting and ending with `from`; otherwise
/// nullopt. Chains longer than the hop limit (64) are not followed. A new object (id 0) is
/// on no cycle.
std::optional<std::vector<FlowNode>> exit_cycle(const Snapshot& s, FlowNode from,
                                                const std::optional<Destination>& exit);

/// Every cycle of automatic exits stored in `s`, each listed once as the nodes in call order
/// starting with its lowest node (groups before menus, then by id; the last leads back to the
/// first), ordered by that first node. Validation refuses to create one; this reports those
/// stored before validation knew of them, or written by hand.
std::vector<std::vector<FlowNode>> exit_cycles(const Snapshot& s);

/// "fallback cycle: Sales(1) → IVR Main(4) → Sales(1)": groups by name, menus as "IVR name",
/// each with its id. The object being saved (`proposed`) is shown as `proposed_name`, the
/// others as stored.
std::string describe_cycle(std::string_view what, const std::vector<FlowNode>& cycle,
                           const Snapshot& s, FlowNode proposed, std::string_view proposed_name);

}  // namespace cohort::model
