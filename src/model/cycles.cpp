#include "model/cycles.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>

namespace cohort::model {
namespace {

// Longer than any sane chain of overflow groups and menus; it only bounds a walk through data
// that was stored before validation existed (or by hand) and already holds a loop.
constexpr int kMaxExitHops = 64;

/// The automatic exits of `node` as stored; none for a node that does not exist.
std::array<const std::optional<Destination>*, 2> exits_of(const Snapshot& s, FlowNode node) {
  if (node.kind == FlowNode::Kind::kGroup) {
    if (const Group* g = s.group(node.id)) {
      return {&g->fallback, &g->closed_destination};
    }
  } else if (const IvrMenu* m = s.ivr_menu(node.id)) {
    return {&m->timeout, &m->invalid};
  }
  return {nullptr, nullptr};
}

}  // namespace

std::string_view to_string(FlowNode::Kind k) {
  return k == FlowNode::Kind::kGroup ? "group" : "ivr_menu";
}

std::optional<FlowNode> flow_node_of(const std::optional<Destination>& d) {
  if (!d) {
    return std::nullopt;
  }
  if (const auto* g = std::get_if<DestGroup>(&*d)) {
    return FlowNode{FlowNode::Kind::kGroup, g->id};
  }
  if (const auto* m = std::get_if<DestIvr>(&*d)) {
    return FlowNode{FlowNode::Kind::kIvrMenu, m->id};
  }
  return std::nullopt;
}

std::optional<std::vector<FlowNode>> exit_cycle(const Snapshot& s, FlowNode from,
                                                const std::optional<Destination>& exit) {
  // Breadth first: a node has two exits, so the hops form a graph, not a chain; the first
  // time `from` is reached is along the shortest cycle. Each node is entered once, so a loop
  // elsewhere (stored before validation, or by hand) ends the walk instead of running it to
  // the hop limit.
  const auto first = flow_node_of(exit);
  if (!first || from.id == 0) {
    return std::nullopt;
  }
  std::map<FlowNode, FlowNode> came_from;  // node → the node whose exit led to it
  std::vector<FlowNode> level{*first};
  came_from.emplace(*first, from);
  for (int hop = 1; hop <= kMaxExitHops && !level.empty(); ++hop) {
    std::vector<FlowNode> next_level;
    for (FlowNode at : level) {
      if (at == from) {
        std::vector<FlowNode> path{from};
        for (FlowNode n = came_from.at(from); n != from; n = came_from.at(n)) {
          path.push_back(n);
        }
        // `path` is `from`, then the hops backwards; the first hop is `*first`.
        std::reverse(path.begin() + 1, path.end());
        path.push_back(from);
        return path;
      }
      for (const std::optional<Destination>* e : exits_of(s, at)) {
        if (e == nullptr) {
          continue;
        }
        const auto to = flow_node_of(*e);
        if (to && came_from.emplace(*to, at).second) {
          next_level.push_back(*to);
        }
      }
    }
    level = std::move(next_level);
  }
  return std::nullopt;
}

std::vector<std::vector<FlowNode>> exit_cycles(const Snapshot& s) {
  // A node on a cycle leaves by an exit that comes back to it: the shortest such cycle per
  // node, each cycle reported once however many of its nodes find it.
  std::set<std::vector<FlowNode>> seen;
  std::vector<std::vector<FlowNode>> out;
  auto visit = [&](FlowNode node) {
    for (const std::optional<Destination>* e : exits_of(s, node)) {
      if (e == nullptr) {
        continue;
      }
      auto cycle = exit_cycle(s, node, *e);
      if (!cycle) {
        continue;
      }
      cycle->pop_back();  // the start again
      std::rotate(cycle->begin(), std::min_element(cycle->begin(), cycle->end()), cycle->end());
      if (seen.insert(*cycle).second) {
        out.push_back(std::move(*cycle));
      }
    }
  };
  for (GroupId id : s.group_ids()) {
    visit(FlowNode{FlowNode::Kind::kGroup, id});
  }
  for (IvrMenuId id : s.ivr_menu_ids()) {
    visit(FlowNode{FlowNode::Kind::kIvrMenu, id});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.front() < b.front(); });
  return out;
}

std::string describe_cycle(std::string_view what, const std::vector<FlowNode>& cycle,
                           const Snapshot& s, FlowNode proposed, std::string_view proposed_name) {
  std::string out = fmt::format("{}: ", what);
  for (std::size_t i = 0; i < cycle.size(); ++i) {
    if (i > 0) {
      out += " → ";
    }
    const FlowNode n = cycle[i];
    std::string name = "?";
    if (n == proposed) {
      name = std::string(proposed_name);
    } else if (n.kind == FlowNode::Kind::kGroup) {
      if (const Group* g = s.group(n.id)) {
        name = g->name;
      }
    } else if (const IvrMenu* m = s.ivr_menu(n.id)) {
      name = m->name;
    }
    out += fmt::format("{}{}({})", n.kind == FlowNode::Kind::kIvrMenu ? "IVR " : "", name, n.id);
  }
  return out;
}

}  // namespace cohort::model
