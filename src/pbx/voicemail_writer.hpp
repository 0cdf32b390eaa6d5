#pragma once
// Voicemail messages to disk (issue 13), on a writer thread of its own so that no SIP or
// media thread waits on the disk. A message is one file, `<dir>/<box>-<id>/<name>.wav`: the
// recording as 16-bit mono PCM plus a `cmsg` RIFF chunk holding its record as JSON (box,
// caller, called, group, started_at, duration_ms), so the audio and its record appear
// together or not at all: the file is written under `<dir>/.incoming/`, flushed to disk
// (fsync), then renamed into its mailbox and the directory flushed. A `kill -9` leaves
// either the whole message or a file in `.incoming/`, which start() deletes.
//
// Threading: save() from any thread; the writes run on the writer thread.

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/destination.hpp"
#include "model/ids.hpp"
#include "pbx/group_commit.hpp"

namespace cohort::pbx {

struct VoicemailMessage {
  model::DestVoicemail box;
  std::string call_id;  ///< the call record's
  std::string caller;   ///< the caller's number (From user part)
  std::string caller_name;
  std::string called;  ///< the number dialled
  std::optional<model::GroupId> group;
  std::int64_t started_at_ms = 0;  ///< unix ms, when the recording began
  std::vector<std::int16_t> pcm;   ///< mono
  std::uint32_t sample_rate = 8000;
};

class VoicemailWriter {
 public:
  explicit VoicemailWriter(std::string dir);

  /// Called on the writer thread with each message once its file is in its mailbox: the
  /// index adds its row (Mailboxes::index). Start-up only, before start().
  void on_written(std::function<void(const VoicemailMessage&, const std::string& path)> fn) {
    on_written_ = std::move(fn);
  }
  /// Creates the directory, deletes what a crash left in `.incoming/`, starts the thread.
  void start();
  /// Writes what is queued and stops. Idempotent.
  void stop();
  /// Queues a message; the writer wakes at once.
  void save(VoicemailMessage message);
  /// Writes `message` now on the calling thread: the file's path, or nullopt (logged).
  std::optional<std::string> write(const VoicemailMessage& message);

  std::uint64_t saved() const { return saved_.load(std::memory_order_relaxed); }
  std::uint64_t failed() const { return failed_.load(std::memory_order_relaxed); }
  const std::string& dir() const { return dir_; }

 private:
  struct Batch {
    std::vector<VoicemailMessage> messages;
    std::size_t size() const { return messages.size(); }
  };

  std::string dir_;
  std::function<void(const VoicemailMessage&, const std::string&)> on_written_;
  std::atomic<std::uint64_t> saved_{0}, failed_{0};
  GroupCommit<Batch> writer_;
};

/// The message of a file written by VoicemailWriter (its `cmsg` chunk and audio); nullopt
/// when the file is not one.
std::optional<VoicemailMessage> read_voicemail(const std::string& path);

}  // namespace cohort::pbx
