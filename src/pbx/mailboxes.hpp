#pragma once
// The mailboxes (issue 13, docs/media.md "The message index"): the index of the message files
// (store::VoicemailStore) kept in step with the files, and an in-memory summary per mailbox
// — messages, unheard messages, total length — that the quota check and MWI read without
// touching the disk.
//
// A message is a file first: the writer indexes it once it is in its mailbox, and a delete
// unlinks the file before the row goes. start() reconciles what a `kill -9` between the two
// steps left: a file without a row is indexed from its `cmsg` chunk, a row without a file is
// deleted. So a message and its record appear together or not at all, across restarts.
//
// Threading: every method may be called from any thread. The summary is under a mutex held
// only to read or swap one entry; listeners run on the calling thread, without it.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/errc.hpp"
#include "pbx/voicemail_writer.hpp"
#include "store/repository.hpp"

namespace cohort::pbx {

struct MailboxSummary {
  std::int64_t total = 0;
  std::int64_t unheard = 0;
  std::int64_t total_ms = 0;
  bool operator==(const MailboxSummary&) const = default;
};

/// `[media] mailbox_max_messages` and `mailbox_max_minutes`; 0 = no limit.
struct MailboxQuota {
  int max_messages = 100;
  int max_minutes = 60;
};

/// What start() found.
struct Reconciled {
  std::size_t indexed = 0;     ///< files without a row, now indexed
  std::size_t dropped = 0;     ///< rows without a file, deleted
  std::size_t unreadable = 0;  ///< files that are no message (left where they are, logged)
};

class Mailboxes {
 public:
  using Listener = std::function<void(const store::MailboxKey&, const MailboxSummary&)>;

  /// `dir` is the voicemail directory (VoicemailWriter's); `store` must outlive this.
  Mailboxes(store::VoicemailStore& store, std::string dir, MailboxQuota quota);

  /// Start-up, before any message is written: reconciles the files and the index, then
  /// loads the summary.
  Result<Reconciled> start();

  /// Registers a listener for every change of a mailbox's summary. Start-up only.
  void on_change(Listener listener);

  MailboxSummary summary(const store::MailboxKey& box) const;
  /// Whether `box` holds its quota of messages or minutes already.
  bool full(const store::MailboxKey& box) const;

  /// Indexes a file the writer has just renamed into its mailbox (writer thread).
  Result<std::int64_t> index(const VoicemailMessage& message, const std::string& path);
  /// The messages of `box`, newest first (at most 1,000). Blocking (SQLite): not on a shard.
  Result<std::vector<store::VoicemailRecord>> messages(const store::MailboxKey& box) const;
  /// Marks message `r` heard and tells the listeners. Blocking.
  Result<void> set_heard(const store::VoicemailRecord& r);
  /// Deletes message `r`: its file first, then its row (a crash between the two leaves a row
  /// without a file, which start() drops), and tells the listeners. Blocking.
  Result<void> remove(const store::VoicemailRecord& r);
  /// The path of message `r`'s file.
  std::string path_of(const store::VoicemailRecord& r) const { return dir_ + "/" + r.file; }

  /// Reads `box`'s counts from the store again (after the API marked or deleted one of its
  /// messages) and tells the listeners when they changed.
  void refresh(const store::MailboxKey& box);

  const std::string& dir() const { return dir_; }

 private:
  void set(const store::MailboxKey& box, const MailboxSummary& s);

  store::VoicemailStore& store_;
  std::string dir_;
  MailboxQuota quota_;
  mutable std::mutex mu_;
  std::map<store::MailboxKey, MailboxSummary> summaries_;
  std::vector<Listener> listeners_;
};

/// The index row of a message file at `relative` (to the voicemail directory).
store::VoicemailRecord record_of(const VoicemailMessage& m, const std::string& relative);

}  // namespace cohort::pbx
