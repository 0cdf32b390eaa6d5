// The mailboxes: the message index kept in step with the files, and the per-mailbox summary
// (mailboxes.hpp).

#include "pbx/mailboxes.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "common/log.hpp"

namespace cohort::pbx {

namespace fs = std::filesystem;

namespace {

/// "user-7" / "group-3" → the mailbox; nullopt for any other directory name.
std::optional<store::MailboxKey> box_of_dir(const std::string& name) {
  store::MailboxKey key;
  std::string_view rest;
  if (name.starts_with("user-")) {
    key.box = model::DestVoicemail::Box::kUser;
    rest = std::string_view(name).substr(5);
  } else if (name.starts_with("group-")) {
    key.box = model::DestVoicemail::Box::kGroup;
    rest = std::string_view(name).substr(6);
  } else {
    return std::nullopt;
  }
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), key.id);
  if (ec != std::errc{} || end != rest.data() + rest.size() || key.id < 1) {
    return std::nullopt;
  }
  return key;
}

}  // namespace

store::VoicemailRecord record_of(const VoicemailMessage& m, const std::string& relative) {
  store::VoicemailRecord r;
  r.box = {m.box.box, m.box.id};
  r.file = relative;
  r.call_id = m.call_id;
  r.caller = m.caller;
  r.caller_name = m.caller_name;
  r.called = m.called;
  r.group = m.group;
  r.started_at_ms = m.started_at_ms;
  r.sample_rate = m.sample_rate;
  r.duration_ms = m.sample_rate == 0 ? 0
                                     : static_cast<std::int64_t>(m.pcm.size()) * 1000 /
                                           static_cast<std::int64_t>(m.sample_rate);
  return r;
}

Mailboxes::Mailboxes(store::VoicemailStore& store, std::string dir, MailboxQuota quota)
    : store_(store), dir_(std::move(dir)), quota_(quota) {}

Result<Reconciled> Mailboxes::start() {
  Reconciled done;
  COHORT_TRY_ASSIGN(auto rows, store_.voicemail_files());
  std::set<std::string> indexed;
  for (const auto& [id, file] : rows) {
    indexed.insert(file);
  }
  // Files without a row: the writer renamed them into their mailbox, and the process died
  // before the row was committed. Indexed in the order they were recorded.
  std::vector<std::pair<VoicemailMessage, std::string>> orphans;
  std::error_code ec;
  for (const auto& box_entry : fs::directory_iterator(dir_, ec)) {
    const std::string box_name = box_entry.path().filename().string();
    auto box = box_entry.is_directory() ? box_of_dir(box_name) : std::nullopt;
    if (!box) {
      continue;  // .incoming and anything not a mailbox
    }
    std::error_code inner;
    for (const auto& file : fs::directory_iterator(box_entry.path(), inner)) {
      const std::string relative = box_name + "/" + file.path().filename().string();
      if (!file.is_regular_file() || file.path().extension() != ".wav" ||
          indexed.contains(relative)) {
        continue;
      }
      auto message = read_voicemail(file.path().string());
      if (!message) {
        ++done.unreadable;
        spdlog::warn("voicemail event=unreadable_file path={}", log::Value{file.path().string()});
        continue;
      }
      message->box = model::DestVoicemail{box->box, box->id};  // where it is, not what it says
      orphans.emplace_back(std::move(*message), relative);
    }
  }
  std::sort(orphans.begin(), orphans.end(), [](const auto& a, const auto& b) {
    return a.first.started_at_ms < b.first.started_at_ms;
  });
  for (const auto& [message, relative] : orphans) {
    COHORT_TRY(store_.add_voicemail(record_of(message, relative)));
    ++done.indexed;
    spdlog::warn("voicemail event=indexed_at_start file={}", log::Value{relative});
  }
  // Rows without a file: a delete unlinked the file and died before the row went.
  for (const auto& [id, file] : rows) {
    if (!fs::exists(dir_ + "/" + file, ec)) {
      COHORT_TRY(store_.remove_voicemail(id));
      ++done.dropped;
      spdlog::warn("voicemail event=dropped_at_start id={} file={}", id, log::Value{file});
    }
  }
  COHORT_TRY_ASSIGN(auto counts, store_.mailbox_counts(std::nullopt));
  std::lock_guard lock(mu_);
  summaries_.clear();
  for (const store::MailboxCounts& c : counts) {
    summaries_[c.box] = MailboxSummary{c.total, c.unheard, c.total_ms};
  }
  return done;
}

void Mailboxes::on_change(Listener listener) {
  std::lock_guard lock(mu_);
  listeners_.push_back(std::move(listener));
}

MailboxSummary Mailboxes::summary(const store::MailboxKey& box) const {
  std::lock_guard lock(mu_);
  auto it = summaries_.find(box);
  return it == summaries_.end() ? MailboxSummary{} : it->second;
}

bool Mailboxes::full(const store::MailboxKey& box) const {
  const MailboxSummary s = summary(box);
  return (quota_.max_messages > 0 && s.total >= quota_.max_messages) ||
         (quota_.max_minutes > 0 && s.total_ms >= std::int64_t{quota_.max_minutes} * 60'000);
}

Result<std::int64_t> Mailboxes::index(const VoicemailMessage& message, const std::string& path) {
  const std::string relative =
      path.starts_with(dir_ + "/") ? path.substr(dir_.size() + 1) : fs::path(path).string();
  auto id = store_.add_voicemail(record_of(message, relative));
  if (!id) {
    // The file stays: the next start indexes it (Mailboxes::start).
    spdlog::error("voicemail event=index_failed file={} error={}", log::Value{relative},
                  log::Value{id.error().message});
    return id;
  }
  refresh({message.box.box, message.box.id});
  return id;
}

Result<std::vector<store::VoicemailRecord>> Mailboxes::messages(
    const store::MailboxKey& box) const {
  store::VoicemailQuery q;
  q.boxes = {box};
  q.limit = 1000;
  return store_.query_voicemails(q);
}

Result<void> Mailboxes::set_heard(const store::VoicemailRecord& r) {
  COHORT_TRY(store_.set_heard(r.id, true));
  refresh(r.box);
  return {};
}

Result<void> Mailboxes::remove(const store::VoicemailRecord& r) {
  if (::unlink(path_of(r).c_str()) != 0 && errno != ENOENT) {
    return fail(Error::internal(
        fmt::format("cannot delete the file of voicemail {}: {}", r.id, std::strerror(errno))));
  }
  COHORT_TRY(store_.remove_voicemail(r.id));
  refresh(r.box);
  return {};
}

void Mailboxes::refresh(const store::MailboxKey& box) {
  auto counts = store_.mailbox_counts(box);
  if (!counts) {
    spdlog::error("voicemail event=counts_failed box={} error={}", box.id,
                  log::Value{counts.error().message});
    return;
  }
  MailboxSummary s;
  if (!counts->empty()) {
    s = MailboxSummary{counts->front().total, counts->front().unheard, counts->front().total_ms};
  }
  set(box, s);
}

void Mailboxes::set(const store::MailboxKey& box, const MailboxSummary& s) {
  std::vector<Listener> listeners;
  {
    std::lock_guard lock(mu_);
    MailboxSummary& slot = summaries_[box];
    if (slot == s) {
      return;
    }
    slot = s;
    listeners = listeners_;
  }
  for (const Listener& l : listeners) {
    l(box, s);
  }
}

}  // namespace cohort::pbx
