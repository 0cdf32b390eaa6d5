#include "pbx/auto_pause_writer.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/log.hpp"

namespace cohort::pbx {

AutoPauseWriter::AutoPauseWriter(store::Store& store)
    : store_(store),
      writer_([this](Batch& b) { return commit(b); }, {std::chrono::milliseconds(200), 100, {}}) {}

void AutoPauseWriter::start() {
  writer_.start();
}

void AutoPauseWriter::stop() {
  writer_.stop();
}

void AutoPauseWriter::queue(AutoPauseOrder order) {
  // An acknowledgement wakes the writer at once: a member who keeps missing calls should be
  // paused before the next call reaches it, not 200 ms later.
  writer_.add([&](Batch& b) { b.orders.push_back(std::move(order)); }, [](bool) {});
}

bool AutoPauseWriter::commit(Batch& batch) {
  for (const AutoPauseOrder& order : batch.orders) {
    apply(order);
  }
  return true;  // a pause that failed is logged; nothing waits for it
}

bool AutoPauseWriter::apply(const AutoPauseOrder& order) {
  const bool everywhere = order.scope == model::AutoPauseScope::kAll;
  std::string_view skipped;
  auto written = store_.transact([&](store::Transaction& tx) -> Result<void> {
    // Writers are serialised: the snapshot is the state this transaction starts from.
    const model::SnapshotPtr s = store_.snapshot();
    const model::User* u = s->user(order.user);
    if (u == nullptr) {
      skipped = "no_user";
      return {};
    }
    if (everywhere) {
      if (u->paused) {
        skipped = "already_paused";
        return {};
      }
      model::User draft = *u;
      draft.paused = true;
      draft.pause_reason = order.reason;
      COHORT_TRY(tx.users().update(draft));
      return {};
    }
    const auto members = s->members(order.group);
    auto m = std::find_if(members.begin(), members.end(),
                          [&](const model::Member& x) { return x.user == order.user; });
    if (m == members.end()) {
      skipped = "not_a_member";
      return {};
    }
    if (m->paused || u->paused) {
      skipped = "already_paused";
      return {};
    }
    COHORT_TRY(tx.memberships().set_pause(order.group, order.user, true, order.reason));
    return {};
  });
  const std::string_view scope = model::to_string(order.scope);
  if (!written) {
    spdlog::error("sip event=auto_pause_failed user={} group={} scope={} error={}", order.user,
                  order.group, scope, log::Value{written.error().message});
    return false;
  }
  if (!skipped.empty()) {
    spdlog::info("sip event=auto_pause_skipped user={} group={} scope={} why={}", order.user,
                 order.group, scope, skipped);
    return false;
  }
  applied_[static_cast<std::size_t>(order.cause)].fetch_add(1, std::memory_order_relaxed);
  spdlog::info("sip event=auto_pause user={} group={} scope={} reason={}", order.user, order.group,
               scope, log::Value{order.reason});
  return true;
}

}  // namespace cohort::pbx
