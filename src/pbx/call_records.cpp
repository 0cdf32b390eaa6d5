#include "pbx/call_records.hpp"

#include <spdlog/spdlog.h>

#include "common/log.hpp"

namespace cohort::pbx {

CallRecords::CallRecords(store::CdrStore& cdrs, store::HuntStore& hunt)
    : cdrs_(cdrs),
      hunt_(hunt),
      writer_([this](Batch& b) { return commit(b); },
              {std::chrono::milliseconds(100), 2000, kCommitSpacing}) {}

void CallRecords::start() {
  writer_.start();
}

void CallRecords::stop() {
  writer_.stop();
}

void CallRecords::write(store::CdrRecord record, Done durable) {
  writer_.add(
      [&](Batch& b) {
        auto [it, fresh] = b.index.try_emplace(record.id, b.cdrs.size());
        if (fresh) {
          b.cdrs.push_back(std::move(record));
        } else {
          b.cdrs[it->second] = std::move(record);  // the later state of the same call
        }
      },
      std::move(durable));
}

void CallRecords::save_cursor(model::GroupId group, model::UserId user) {
  writer_.add([&](Batch& b) { b.cursors[group] = user; });
}

void CallRecords::after_queued(Done durable) {
  writer_.after_queued(std::move(durable));
}

bool CallRecords::commit(Batch& batch) {
  if (!batch.cursors.empty()) {
    std::vector<std::pair<model::GroupId, model::UserId>> cursors(batch.cursors.begin(),
                                                                  batch.cursors.end());
    if (auto saved = hunt_.save_cursors(cursors); !saved) {
      // A lost cursor only restarts a round-robin elsewhere: not an acknowledged write.
      spdlog::error("hunt event=cursor_write_failed error={}", log::Value{saved.error().message});
    }
  }
  if (batch.cdrs.empty()) {
    return true;
  }
  if (auto saved = cdrs_.save_cdrs(batch.cdrs); !saved) {
    spdlog::error("cdr event=write_failed error={} records={}", log::Value{saved.error().message},
                  batch.cdrs.size());
    return false;
  }
  return true;
}

}  // namespace cohort::pbx
