#pragma once
// Uploaded audio (issue 13): a group's greeting and waiting music, a user's greeting, an IVR
// menu's prompt, each one file `<dir>/<owner>-<id>-<kind>.wav` (dir = <data_dir>/audio).
// An upload is checked (media::check_wav_upload: at most 10 MB and 5 minutes, any common
// rate, width and channel count), converted once to 16 kHz mono 16-bit and written
// atomically: a temporary file, fsync, rename over the old one, fsync of the directory, so
// that a `kill -9` leaves the old audio or the new, never half of one.
//
// The file is a plain WAV any player opens; between its `fmt ` and `data` chunks a `cinf`
// chunk holds {"version", "updated_at_ms"} as JSON, so that what describes the audio travels
// with it. An index of every file's info is built at open and kept in memory: info() never
// touches the disk, and may be asked from a SIP shard.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.hpp"
#include "common/errc.hpp"
#include "media/builtin_prompts.hpp"
#include "media/wav.hpp"

namespace cohort::audio {

enum class Owner { kGroup, kUser, kIvrMenu };
enum class Kind { kGreeting, kWaitingMusic, kPrompt };

std::string_view to_string(Owner o);  ///< "group", "user", "ivr_menu"
std::string_view to_string(Kind k);   ///< "greeting", "waiting_music", "prompt"
/// Whether `owner` has audio of `kind`: greeting (group, user), waiting_music (group),
/// prompt (ivr_menu).
bool has_kind(Owner owner, Kind kind);

/// The rate every stored upload is converted to.
inline constexpr std::uint32_t kStoredRate = 16000;

struct AudioInfo {
  std::int64_t duration_ms = 0;
  std::int64_t updated_at_ms = 0;  ///< unix milliseconds of the put
  /// Changes on every put (also after a remove and a new put): part of the prompt cache key.
  std::uint64_t version = 0;
  std::uint32_t sample_rate = kStoredRate;
  bool operator==(const AudioInfo&) const = default;
};

class AudioStore {
 public:
  /// Opens (creating it when missing) `dir`, deletes the temporary files a crash left, and
  /// indexes the files there. Start-up only. `clock` must outlive the store.
  static Result<std::unique_ptr<AudioStore>> open(std::string dir, const Clock& clock,
                                                  media::WavLimits limits = {});

  /// Checks, converts and stores `wav` as (owner, id, kind), replacing what was there.
  /// Errors: the upload check's (Errc::kInvalid, field "wav": "not a WAV file: …", "too big:
  /// …", "too long: …", "no audio: …"), kInvalid for a kind the owner does not have, kInternal
  /// when the disk fails (nothing changed). Blocking (conversion, fsync): an API thread.
  /// Puts are serialised; info() is not blocked while one runs.
  Result<AudioInfo> put(Owner owner, std::int64_t id, Kind kind, std::span<const std::uint8_t> wav);
  /// The stored file's info, nullopt when none. Memory only; any thread.
  std::optional<AudioInfo> info(Owner owner, std::int64_t id, Kind kind) const;
  /// The stored file as it is on disk (a 16 kHz mono WAV). Reads the disk.
  std::optional<std::vector<std::uint8_t>> get_wav(Owner owner, std::int64_t id, Kind kind) const;
  /// The stored audio as PCM. Reads the disk: not on a SIP shard (the media thread's prompt
  /// cache, or an API thread).
  std::optional<media::PromptAudio> load_pcm(Owner owner, std::int64_t id, Kind kind) const;
  /// Deletes (owner, id, kind); false when there was none. Blocking (fsync).
  Result<bool> remove(Owner owner, std::int64_t id, Kind kind);
  /// Deletes every kind of (owner, id): the owner itself was deleted.
  void remove_all(Owner owner, std::int64_t id);

  const std::string& dir() const { return dir_; }
  /// The file (owner, id, kind) is kept in, whether or not it exists.
  std::string path_of(Owner owner, std::int64_t id, Kind kind) const;

 private:
  AudioStore(std::string dir, const Clock& clock, media::WavLimits limits);
  void scan();
  std::uint64_t next_version(std::uint64_t previous, std::int64_t now_ms);

  std::string dir_;
  const Clock& clock_;
  media::WavLimits limits_;
  std::mutex write_mu_;  ///< serialises puts and removes (file operations)
  mutable std::mutex index_mu_;
  std::unordered_map<std::string, AudioInfo> index_;  ///< by file name; under index_mu_
  std::uint64_t last_version_ = 0;                    ///< under write_mu_
};

/// Reads the info of a stored audio file (its `cinf` chunk and data size) from its first
/// bytes; nullopt when they are not one. Exposed for tests.
std::optional<AudioInfo> parse_stored_info(std::span<const std::uint8_t> head,
                                           std::uint64_t file_size);

}  // namespace cohort::audio
