#include "routing/outbound.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <span>
#include <unordered_map>
#include <utility>

namespace cohort::routing {

namespace {

using Word = std::uint64_t;
constexpr std::size_t kWordBits = 64;

/// Numbers up to this length get an exact length row; longer ones share one row.
constexpr std::size_t kMaxIndexedLength = 32;
/// Leading positions indexed by character. Rules mostly differ in an exit code plus a
/// country or area code ("_0049.", "_001NXX…", "_0[1-9]…"); six positions leave few
/// candidates to pattern-match (the bench's no-match case: 4 positions 326 ns, 6: 182 ns,
/// 8: 208 ns, as each row costs an AND per word).
constexpr std::size_t kIndexedPositions = 6;
/// The dialable characters of model::DialPattern; anything else matches no pattern.
constexpr std::string_view kDialable = "0123456789*#+";
constexpr std::size_t kSlots = kDialable.size();

std::size_t slot_of(char c) {
  const std::size_t i = kDialable.find(c);
  return i == std::string_view::npos ? kSlots : i;
}

/// One rule as plan() and explain() use it: patterns compiled, lists sorted for lookup,
/// deleted trunks dropped. Refers into the snapshot the table keeps alive.
struct CompiledRule {
  const model::OutboundRule* rule = nullptr;
  std::vector<model::DialPattern> patterns;  ///< the ones that compile; others match nothing
  std::vector<model::GroupId> groups;        ///< caller_groups, sorted
  std::vector<model::UserId> users;          ///< caller_users, sorted
  std::vector<model::TrunkId> trunks;        ///< existing trunks, in the rule's order
  std::size_t strip = 0;
  model::CallerIdPolicy policy = model::CallerIdPolicy::kUser;

  bool conditional() const { return !rule->caller_groups.empty() || !rule->caller_users.empty(); }

  /// (a) and the strip bound: the number-dependent half of a match.
  bool number_matches(std::string_view number) const {
    return std::any_of(patterns.begin(), patterns.end(),
                       [&](const model::DialPattern& p) { return p.matches(number); });
  }
};

}  // namespace

struct OutboundTable::Impl {
  model::SnapshotPtr snapshot;
  std::vector<CompiledRule> rules;  ///< position order

  // Bitsets over rule indexes, `words` words per row. A rule is in a row only if it has an
  // existing trunk and at least one valid pattern: plan() never has to consider the others.
  std::size_t words = 0;
  std::vector<Word> anyone;         ///< no caller condition (any local user)
  std::vector<Word> trunk_callers;  ///< no caller condition and allow_trunk_callers
  /// Row L: some pattern accepts a number of length L and strip < L; the last row is every
  /// length above kMaxIndexedLength (strip not checked there).
  std::vector<Word> by_length;
  /// Row p * (kSlots + 1) + s: some pattern accepts character s at position p. The slot
  /// kSlots (not dialable) stays empty.
  std::vector<Word> by_char;
  /// Conditional rules, ascending indexes, by the group or user their condition names.
  std::unordered_map<model::GroupId, std::vector<std::uint32_t>> by_group;
  std::unordered_map<model::UserId, std::vector<std::uint32_t>> by_user;

  explicit Impl(model::SnapshotPtr snap);

  std::span<const Word> row(const std::vector<Word>& rows, std::size_t r) const {
    return std::span<const Word>(rows).subspan(r * words, words);
  }
  static void set_bit(std::span<Word> bits, std::size_t i) {
    bits[i / kWordBits] |= Word{1} << (i % kWordBits);
  }

  std::optional<std::size_t> first_match(const OutboundRequest& request) const;
  std::string why_not(const CompiledRule& r, const OutboundRequest& request) const;
  bool in_any_group(const CompiledRule& r, const model::User& caller) const;
  OutboundPlan taken(std::size_t index, const OutboundRequest& request) const;
  OutboundPlan none_taken(const OutboundRequest& request) const;
  std::string group_name(model::GroupId id) const;
  std::string user_name(model::UserId id) const;
};

OutboundTable::Impl::Impl(model::SnapshotPtr snap) : snapshot(std::move(snap)) {
  const auto all = snapshot->outbound_rules();
  assert(std::is_sorted(all.begin(), all.end(),
                        [](const auto& a, const auto& b) { return a.position < b.position; }));
  rules.reserve(all.size());
  for (const model::OutboundRule& rule : all) {
    CompiledRule r;
    r.rule = &rule;
    for (const std::string& text : rule.patterns) {
      // The API validates patterns; one that slipped through matches nothing rather than
      // taking the whole rule (and its neighbours) down.
      if (auto p = model::DialPattern::compile(text)) {
        r.patterns.push_back(std::move(*p));
      }
    }
    r.groups = rule.caller_groups;
    std::sort(r.groups.begin(), r.groups.end());
    r.users = rule.caller_users;
    std::sort(r.users.begin(), r.users.end());
    for (model::TrunkId t : rule.trunks) {
      if (snapshot->trunk(t) != nullptr) {
        r.trunks.push_back(t);
      }
    }
    r.strip = rule.strip > 0 ? static_cast<std::size_t>(rule.strip) : 0;
    if (rule.caller_id) {
      r.policy = rule.caller_id->policy;
    } else {
      r.policy =
          rule.caller_groups.empty() ? model::CallerIdPolicy::kUser : model::CallerIdPolicy::kGroup;
    }
    rules.push_back(std::move(r));
  }

  words = (rules.size() + kWordBits - 1) / kWordBits;
  anyone.assign(words, 0);
  trunk_callers.assign(words, 0);
  by_length.assign((kMaxIndexedLength + 2) * words, 0);
  by_char.assign(kIndexedPositions * (kSlots + 1) * words, 0);
  auto row_of = [&](std::vector<Word>& rows, std::size_t r) {
    return std::span<Word>(rows).subspan(r * words, words);
  };
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const CompiledRule& r = rules[i];
    if (r.trunks.empty() || r.patterns.empty()) {
      continue;
    }
    const auto index = static_cast<std::uint32_t>(i);
    if (!r.conditional()) {
      set_bit(anyone, i);
      if (r.rule->allow_trunk_callers) {
        set_bit(trunk_callers, i);
      }
    }
    for (model::GroupId g : r.groups) {
      auto& list = by_group[g];
      if (list.empty() || list.back() != index) {  // a group listed twice
        list.push_back(index);
      }
    }
    for (model::UserId u : r.users) {
      auto& list = by_user[u];
      if (list.empty() || list.back() != index) {
        list.push_back(index);
      }
    }
    for (const model::DialPattern& p : r.patterns) {
      const std::size_t min = p.min_length();
      for (std::size_t len = std::max<std::size_t>(min, r.strip + 1); len <= kMaxIndexedLength;
           ++len) {
        if (p.fixed_length() && len != min) {
          break;
        }
        set_bit(row_of(by_length, len), i);
      }
      if (!p.fixed_length() || min > kMaxIndexedLength) {
        set_bit(row_of(by_length, kMaxIndexedLength + 1), i);
      }
      for (std::size_t pos = 0; pos < kIndexedPositions; ++pos) {
        for (std::size_t s = 0; s < kSlots; ++s) {
          if (p.accepts_at(pos, kDialable[s])) {
            set_bit(row_of(by_char, pos * (kSlots + 1) + s), i);
          }
        }
      }
    }
  }
}

/// The first rule (in position order) that takes the call. The caller rows and the group
/// and user lists select exactly the rules whose caller condition holds; the length and
/// character rows are a superset of the number condition, so each surviving rule is still
/// matched against its patterns.
std::optional<std::size_t> OutboundTable::Impl::first_match(const OutboundRequest& request) const {
  const std::string_view number = request.number;
  std::array<std::span<const Word>, kIndexedPositions + 1> filters;
  std::size_t nfilters = 0;
  filters[nfilters++] = row(by_length, std::min(number.size(), kMaxIndexedLength + 1));
  for (std::size_t pos = 0; pos < std::min(number.size(), kIndexedPositions); ++pos) {
    const std::size_t s = slot_of(number[pos]);
    if (s == kSlots) {
      return std::nullopt;  // not dialable: no pattern matches
    }
    filters[nfilters++] = row(by_char, pos * (kSlots + 1) + s);
  }

  // The callers' candidates; on the stack for up to 4,096 rules.
  std::array<Word, 64> local;
  std::vector<Word> heap;
  std::span<Word> candidates;
  if (words <= local.size()) {
    candidates = std::span<Word>(local).first(words);
  } else {
    heap.resize(words);
    candidates = heap;
  }
  if (request.as_group) {
    std::copy(anyone.begin(), anyone.end(), candidates.begin());
    if (auto it = by_group.find(*request.as_group); it != by_group.end()) {
      for (std::uint32_t i : it->second) {
        set_bit(candidates, i);
      }
    }
  } else if (request.caller == nullptr) {
    // Toll-fraud guard: a trunk call has no user, so conditional rules never hold for it.
    std::copy(trunk_callers.begin(), trunk_callers.end(), candidates.begin());
  } else {
    std::copy(anyone.begin(), anyone.end(), candidates.begin());
    if (auto it = by_user.find(request.caller->id); it != by_user.end()) {
      for (std::uint32_t i : it->second) {
        set_bit(candidates, i);
      }
    }
    for (const model::UserMembership& m : snapshot->groups_of(request.caller->id)) {
      if (auto it = by_group.find(m.group); it != by_group.end()) {
        for (std::uint32_t i : it->second) {
          set_bit(candidates, i);
        }
      }
    }
  }

  for (std::size_t w = 0; w < words; ++w) {
    Word bits = candidates[w];
    for (std::size_t f = 0; f < nfilters && bits != 0; ++f) {
      bits &= filters[f][w];
    }
    while (bits != 0) {
      const std::size_t i = w * kWordBits + static_cast<std::size_t>(std::countr_zero(bits));
      bits &= bits - 1;
      const CompiledRule& r = rules[i];
      if (r.strip < number.size() && r.number_matches(number)) {
        return i;
      }
    }
  }
  return std::nullopt;
}

bool OutboundTable::Impl::in_any_group(const CompiledRule& r, const model::User& caller) const {
  for (const model::UserMembership& m : snapshot->groups_of(caller.id)) {
    if (std::binary_search(r.groups.begin(), r.groups.end(), m.group)) {
      return true;
    }
  }
  return false;
}

/// The first reason, in the documented order, why `r` does not take the call; empty when it
/// does. The slow walk of explain(), written from the rule text rather than the indexes so
/// that the tests comparing it with plan() check the indexes.
std::string OutboundTable::Impl::why_not(const CompiledRule& r,
                                         const OutboundRequest& request) const {
  if (!r.number_matches(request.number)) {
    return "number does not match any pattern";
  }
  if (r.strip >= request.number.size()) {
    return "number shorter than strip";
  }
  if (r.conditional()) {
    const model::User* caller = request.caller;
    const bool holds = request.as_group
                           ? std::binary_search(r.groups.begin(), r.groups.end(), *request.as_group)
                           : caller != nullptr &&
                                 (std::binary_search(r.users.begin(), r.users.end(), caller->id) ||
                                  in_any_group(r, *caller));
    if (!holds) {
      auto list = [](const auto& ids, auto name) {
        std::string out = "[";
        for (std::size_t i = 0; i < ids.size(); ++i) {
          out += (i == 0 ? "" : ", ") + name(ids[i]);
        }
        return out + "]";
      };
      auto gname = [&](model::GroupId g) { return group_name(g); };
      auto uname = [&](model::UserId u) { return user_name(u); };
      const auto& groups = r.rule->caller_groups;
      const auto& users = r.rule->caller_users;
      if (users.empty()) {
        return "caller is not in groups " + list(groups, gname);
      }
      if (groups.empty()) {
        return "caller is not one of users " + list(users, uname);
      }
      return "caller is not in groups " + list(groups, gname) + " nor one of users " +
             list(users, uname);
    }
  }
  if (request.caller == nullptr && !request.as_group && !r.rule->allow_trunk_callers) {
    return "calls from trunks not allowed";
  }
  if (r.trunks.empty()) {
    return "no existing trunk";
  }
  return {};
}

OutboundPlan OutboundTable::Impl::taken(std::size_t index, const OutboundRequest& request) const {
  const CompiledRule& r = rules[index];
  OutboundPlan plan;
  plan.matched = true;
  plan.rule = r.rule->id;
  plan.rule_name = r.rule->name;
  plan.number.reserve(r.rule->prepend.size() + request.number.size() - r.strip);
  plan.number.append(r.rule->prepend).append(request.number.substr(r.strip));
  plan.trunks = r.trunks;

  const model::User* caller = request.caller;
  switch (r.policy) {
    case model::CallerIdPolicy::kFixed:
      plan.caller_id = r.rule->caller_id ? r.rule->caller_id->value : std::string();
      return plan;
    case model::CallerIdPolicy::kGroup:
      if (request.as_group) {
        const model::Group* g = snapshot->group(*request.as_group);
        if (g != nullptr && g->outbound_caller_id && !g->outbound_caller_id->empty()) {
          plan.caller_id = *g->outbound_caller_id;
          plan.group = g->id;
        }
        return plan;
      }
      if (caller != nullptr) {
        // DESIGN.md: ties inside one rule go to the user's lowest-position membership.
        const model::UserMembership* best = nullptr;
        for (const model::UserMembership& m : snapshot->groups_of(caller->id)) {
          if (std::binary_search(r.groups.begin(), r.groups.end(), m.group) &&
              (best == nullptr || m.position < best->position ||
               (m.position == best->position && m.group < best->group))) {
            best = &m;
          }
        }
        const model::Group* g = best != nullptr ? snapshot->group(best->group) : nullptr;
        if (g != nullptr && g->outbound_caller_id && !g->outbound_caller_id->empty()) {
          plan.caller_id = *g->outbound_caller_id;
          plan.group = g->id;
          return plan;
        }
      }
      [[fallthrough]];  // no group caller ID to present: the user's own
    case model::CallerIdPolicy::kUser:
      if (caller != nullptr) {
        plan.caller_id = caller->caller_id && !caller->caller_id->empty() ? *caller->caller_id
                                                                          : caller->extension;
      }
      // A trunk caller keeps the From it came with: the shell sees an empty caller_id.
      return plan;
  }
  return plan;
}

OutboundPlan OutboundTable::Impl::none_taken(const OutboundRequest& request) const {
  OutboundPlan plan;
  // Built in place: a refused call should not cost more than a routed one.
  std::string& reason = plan.reason;
  reason.reserve(64 + request.number.size());
  reason.append("no outbound rule matches ").append(request.number);
  if (request.caller != nullptr) {
    reason.append(" for caller ").append(request.caller->extension);
  } else if (request.from_trunk) {
    reason.append(" for a call from trunk ");
    const model::Trunk* t = snapshot->trunk(*request.from_trunk);
    reason.append(t != nullptr ? t->name : "#" + std::to_string(*request.from_trunk));
  } else {
    reason.append(" for a call without a caller");
  }
  return plan;
}

std::string OutboundTable::Impl::group_name(model::GroupId id) const {
  const model::Group* g = snapshot->group(id);
  return g != nullptr ? g->name : "#" + std::to_string(id);
}

std::string OutboundTable::Impl::user_name(model::UserId id) const {
  const model::User* u = snapshot->user(id);
  return u != nullptr ? u->extension : "#" + std::to_string(id);
}

OutboundTable::OutboundTable(model::SnapshotPtr snapshot)
    : impl_(std::make_unique<const Impl>(std::move(snapshot))) {}

OutboundTable::~OutboundTable() = default;

std::uint64_t OutboundTable::version() const {
  return impl_->snapshot->version();
}

OutboundPlan OutboundTable::plan(const OutboundRequest& request) const {
  if (auto index = impl_->first_match(request)) {
    return impl_->taken(*index, request);
  }
  return impl_->none_taken(request);
}

OutboundPlan OutboundTable::explain(const OutboundRequest& request) const {
  std::vector<SkippedRule> skipped;
  for (std::size_t i = 0; i < impl_->rules.size(); ++i) {
    const CompiledRule& r = impl_->rules[i];
    std::string reason = impl_->why_not(r, request);
    if (reason.empty()) {
      OutboundPlan plan = impl_->taken(i, request);
      plan.skipped = std::move(skipped);
      return plan;
    }
    skipped.push_back(SkippedRule{r.rule->id, r.rule->name, std::move(reason)});
  }
  OutboundPlan plan = impl_->none_taken(request);
  plan.skipped = std::move(skipped);
  return plan;
}

}  // namespace cohort::routing
