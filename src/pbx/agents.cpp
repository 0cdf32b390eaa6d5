#include "pbx/agents.hpp"

#include <algorithm>

namespace cohort::pbx {

bool AgentBoard::claim_ring(model::UserId user, bool allow_busy) {
  std::lock_guard lock(mu_);
  Agent& a = agents_[user];
  if (a.ringing > 0 || (a.calls > 0 && !allow_busy)) {
    return false;
  }
  ++a.ringing;
  return true;
}

void AgentBoard::release_ring(model::UserId user) {
  std::lock_guard lock(mu_);
  if (auto it = agents_.find(user); it != agents_.end() && it->second.ringing > 0) {
    --it->second.ringing;
  }
}

void AgentBoard::call_began(model::UserId user) {
  std::lock_guard lock(mu_);
  ++agents_[user].calls;
}

void AgentBoard::call_ended(model::UserId user) {
  std::lock_guard lock(mu_);
  if (auto it = agents_.find(user); it != agents_.end() && it->second.calls > 0) {
    --it->second.calls;
  }
}

void AgentBoard::answered(model::UserId user, std::int64_t answer_ms) {
  std::lock_guard lock(mu_);
  std::vector<std::int64_t>& answers = agents_[user].answers;
  const std::int64_t horizon = answer_ms - kAnswerMemoryMs;
  answers.erase(answers.begin(), std::lower_bound(answers.begin(), answers.end(), horizon));
  answers.insert(std::upper_bound(answers.begin(), answers.end(), answer_ms), answer_ms);
}

void AgentBoard::group_call_ended(model::UserId user, std::int64_t end_ms) {
  std::lock_guard lock(mu_);
  Agent& a = agents_[user];
  a.last_call_end_ms = std::max(a.last_call_end_ms, end_ms);
}

void AgentBoard::fill(std::span<routing::MemberFacts> facts, std::int64_t day_start_ms) const {
  std::lock_guard lock(mu_);
  for (routing::MemberFacts& f : facts) {
    auto it = agents_.find(f.user);
    if (it == agents_.end()) {
      continue;
    }
    const Agent& a = it->second;
    if (f.state != routing::AgentState::kPaused) {
      if (a.ringing > 0) {
        f.state = routing::AgentState::kRinging;
      } else if (a.calls > 0) {
        f.state = routing::AgentState::kBusy;
      }
    }
    f.last_call_end_ms = a.last_call_end_ms;
    f.answered_today = static_cast<int>(
        a.answers.end() - std::lower_bound(a.answers.begin(), a.answers.end(), day_start_ms));
  }
}

AgentBoard::Live AgentBoard::live(model::UserId user) const {
  std::lock_guard lock(mu_);
  auto it = agents_.find(user);
  if (it == agents_.end()) {
    return {};
  }
  return Live{it->second.ringing > 0, it->second.calls, it->second.last_call_end_ms};
}

std::optional<model::UserId> AgentBoard::cursor(model::GroupId group) const {
  std::lock_guard lock(mu_);
  auto it = cursors_.find(group);
  return it == cursors_.end() ? std::nullopt : std::optional<model::UserId>(it->second);
}

void AgentBoard::set_cursor(model::GroupId group, model::UserId user) {
  std::lock_guard lock(mu_);
  cursors_[group] = user;
}

void AgentBoard::load(const std::vector<std::pair<model::GroupId, model::UserId>>& cursors,
                      const std::vector<std::pair<model::UserId, std::int64_t>>& last_calls,
                      const std::vector<std::pair<model::UserId, std::int64_t>>& answers) {
  std::lock_guard lock(mu_);
  for (const auto& [g, u] : cursors) {
    cursors_[g] = u;
  }
  for (const auto& [u, at] : last_calls) {
    Agent& a = agents_[u];
    a.last_call_end_ms = std::max(a.last_call_end_ms, at);
  }
  for (const auto& [u, at] : answers) {  // oldest first
    agents_[u].answers.push_back(at);
  }
  for (auto& [u, a] : agents_) {
    std::sort(a.answers.begin(), a.answers.end());
  }
}

}  // namespace cohort::pbx
