#pragma once
// What every user is doing right now, shared by all shards (DESIGN.md: busy in one group's
// call means busy for all; a member ringing for one group is not offered another call).
// The one piece of call state that crosses shards: a small map under a mutex that is only
// held for a lookup or an update, never across I/O. Also the round-robin cursors of the
// groups, which outlive the process through store::HuntStore.

#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/ids.hpp"
#include "routing/distribution.hpp"

namespace cohort::pbx {

class AgentBoard {
 public:
  /// Marks `user` ringing for one call. False (and nothing changes) when it already rings
  /// for another call, or is on a call and `allow_busy` is false.
  bool claim_ring(model::UserId user, bool allow_busy);
  void release_ring(model::UserId user);

  /// `user` is on one more / one fewer call (answered calls, and calls it is placing).
  void call_began(model::UserId user);
  void call_ended(model::UserId user);
  /// A group call `user` answered: counted for fewest_calls at `answer_ms` …
  void answered(model::UserId user, std::int64_t answer_ms);
  /// … and its end, for least_recent and wrap-up.
  void group_call_ended(model::UserId user, std::int64_t end_ms);

  /// Fills state (ringing, busy or available; pauses are the caller's), last_call_end_ms
  /// and answered_today (answers at or after `day_start_ms`) of each entry, by its user.
  void fill(std::span<routing::MemberFacts> facts, std::int64_t day_start_ms) const;

  struct Live {
    bool ringing = false;
    int calls = 0;
    std::int64_t last_call_end_ms = 0;
  };
  Live live(model::UserId user) const;

  std::optional<model::UserId> cursor(model::GroupId group) const;
  void set_cursor(model::GroupId group, model::UserId user);

  /// Start-up, from the store: cursors, each user's last group call end, recent answers.
  void load(const std::vector<std::pair<model::GroupId, model::UserId>>& cursors,
            const std::vector<std::pair<model::UserId, std::int64_t>>& last_calls,
            const std::vector<std::pair<model::UserId, std::int64_t>>& answers);

  /// Answers older than this are forgotten: "today" in any time zone is within it.
  static constexpr std::int64_t kAnswerMemoryMs = 50LL * 3600 * 1000;

 private:
  struct Agent {
    int ringing = 0;
    int calls = 0;
    std::int64_t last_call_end_ms = 0;
    std::vector<std::int64_t> answers;  ///< answer times, ascending, within kAnswerMemoryMs
  };
  mutable std::mutex mu_;
  std::unordered_map<model::UserId, Agent> agents_;
  std::unordered_map<model::GroupId, model::UserId> cursors_;
};

}  // namespace cohort::pbx
