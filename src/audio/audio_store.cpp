// Uploaded audio as files, written atomically (audio_store.hpp).

#include "audio/audio_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "common/crypto.hpp"
#include "common/log.hpp"
#include "media/resample.hpp"

namespace cohort::audio {

namespace fs = std::filesystem;

namespace {

constexpr char kInfoChunk[5] = "cinf";
constexpr std::string_view kTempPrefix = ".tmp-";
// Enough for the RIFF header, fmt and the cinf chunk of any file we wrote.
constexpr std::size_t kHeadBytes = 1024;

std::uint32_t le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}
void put_le32(std::vector<std::uint8_t>& out, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    out[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
  }
}

bool sync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

/// Writes `bytes` to a new file `path` and flushes it to disk.
bool write_synced(const std::string& path, std::span<const std::uint8_t> bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return false;
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      ::close(fd);
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  return ::close(fd) == 0 && synced;
}

std::optional<std::vector<std::uint8_t>> read_file(const std::string& path,
                                                   std::size_t limit = SIZE_MAX) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::vector<std::uint8_t> out;
  if (limit == SIZE_MAX) {
    out.assign(std::istreambuf_iterator<char>(in), {});
  } else {
    out.resize(limit);
    in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(limit));
    out.resize(static_cast<std::size_t>(in.gcount()));
  }
  return out;
}

/// The stored form: write_wav's canonical 44-byte header with the cinf chunk inserted
/// between `fmt ` (which ends at byte 36) and `data`.
std::vector<std::uint8_t> stored_wav(std::span<const std::int16_t> pcm, const AudioInfo& info) {
  std::vector<std::uint8_t> plain = media::write_wav(pcm, kStoredRate);
  const std::string json =
      nlohmann::json{{"version", info.version}, {"updated_at_ms", info.updated_at_ms}}.dump();
  const std::size_t padded = json.size() + (json.size() % 2);
  std::vector<std::uint8_t> out(plain.size() + 8 + padded, 0);
  std::copy(plain.begin(), plain.begin() + 36, out.begin());
  std::memcpy(&out[36], kInfoChunk, 4);
  put_le32(out, 40, static_cast<std::uint32_t>(json.size()));
  std::memcpy(&out[44], json.data(), json.size());
  std::copy(plain.begin() + 36, plain.end(), out.begin() + 44 + static_cast<long>(padded));
  put_le32(out, 4, static_cast<std::uint32_t>(out.size() - 8));
  return out;
}

std::string file_name(Owner owner, std::int64_t id, Kind kind) {
  return fmt::format("{}-{}-{}.wav", to_string(owner), id, to_string(kind));
}

std::int64_t unix_ms(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string_view to_string(Owner o) {
  switch (o) {
    case Owner::kGroup:
      return "group";
    case Owner::kUser:
      return "user";
    case Owner::kIvrMenu:
      return "ivr_menu";
  }
  return "?";
}

std::string_view to_string(Kind k) {
  switch (k) {
    case Kind::kGreeting:
      return "greeting";
    case Kind::kWaitingMusic:
      return "waiting_music";
    case Kind::kPrompt:
      return "prompt";
  }
  return "?";
}

bool has_kind(Owner owner, Kind kind) {
  switch (kind) {
    case Kind::kGreeting:
      return owner == Owner::kGroup || owner == Owner::kUser;
    case Kind::kWaitingMusic:
      return owner == Owner::kGroup;
    case Kind::kPrompt:
      return owner == Owner::kIvrMenu;
  }
  return false;
}

std::optional<AudioInfo> parse_stored_info(std::span<const std::uint8_t> head,
                                           std::uint64_t file_size) {
  if (head.size() < 12 || std::memcmp(head.data(), "RIFF", 4) != 0 ||
      std::memcmp(head.data() + 8, "WAVE", 4) != 0) {
    return std::nullopt;
  }
  AudioInfo info;
  bool have_info = false;
  std::uint32_t rate = 0;
  std::uint16_t block_align = 0;
  for (std::size_t at = 12; at + 8 <= head.size();) {
    const std::uint8_t* p = head.data() + at;
    const std::uint32_t size = le32(p + 4);
    const std::size_t body = at + 8;
    if (std::memcmp(p, "fmt ", 4) == 0 && body + 16 <= head.size()) {
      rate = le32(head.data() + body + 4);
      block_align = static_cast<std::uint16_t>(head[body + 12] | head[body + 13] << 8);
    } else if (std::memcmp(p, kInfoChunk, 4) == 0 && body + size <= head.size()) {
      const auto j =
          nlohmann::json::parse(head.begin() + static_cast<long>(body),
                                head.begin() + static_cast<long>(body + size), nullptr, false);
      if (j.is_object() && j.contains("version") && j["version"].is_number_unsigned() &&
          j.contains("updated_at_ms") && j["updated_at_ms"].is_number_integer()) {
        info.version = j["version"].get<std::uint64_t>();
        info.updated_at_ms = j["updated_at_ms"].get<std::int64_t>();
        have_info = true;
      }
    } else if (std::memcmp(p, "data", 4) == 0) {
      if (!have_info || rate == 0 || block_align == 0) {
        return std::nullopt;
      }
      // What the file holds, not what the header claims (a file cut short by a disk error).
      const std::uint64_t bytes =
          std::min<std::uint64_t>(size, file_size - std::min<std::uint64_t>(file_size, body));
      info.sample_rate = rate;
      info.duration_ms = static_cast<std::int64_t>(bytes / block_align * 1000 / rate);
      return info;
    }
    at = body + size + (size % 2);
  }
  return std::nullopt;
}

AudioStore::AudioStore(std::string dir, const Clock& clock, media::WavLimits limits)
    : dir_(std::move(dir)), clock_(clock), limits_(limits) {}

Result<std::unique_ptr<AudioStore>> AudioStore::open(std::string dir, const Clock& clock,
                                                     media::WavLimits limits) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return fail(Error{Errc::kUnavailable,
                      fmt::format("cannot create audio dir {}: {}", dir, ec.message()), ""});
  }
  std::unique_ptr<AudioStore> store(new AudioStore(std::move(dir), clock, limits));
  store->scan();
  return store;
}

void AudioStore::scan() {
  std::error_code ec;
  std::size_t count = 0;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with(kTempPrefix)) {
      // A put that a crash interrupted: never renamed into place, so never audio.
      std::error_code rm;
      fs::remove(e.path(), rm);
      spdlog::info("audio event=removed_partial path={}", log::Value{e.path().string()});
      continue;
    }
    if (!name.ends_with(".wav") || !e.is_regular_file(ec)) {
      continue;
    }
    const auto head = read_file(e.path().string(), kHeadBytes);
    const auto info = head ? parse_stored_info(*head, e.file_size(ec)) : std::nullopt;
    if (!info) {
      spdlog::warn("audio event=unreadable path={}", log::Value{e.path().string()});
      continue;
    }
    last_version_ = std::max(last_version_, info->version);
    index_.emplace(name, *info);
    ++count;
  }
  spdlog::info("audio dir={} files={}", log::Value{dir_}, count);
}

std::string AudioStore::path_of(Owner owner, std::int64_t id, Kind kind) const {
  return dir_ + "/" + file_name(owner, id, kind);
}

std::uint64_t AudioStore::next_version(std::uint64_t previous, std::int64_t now_ms) {
  // Increasing across puts, removes and restarts (the largest version on disk is read at
  // open), and readable as the put's time in microseconds when the clock allows it.
  const auto now_us = static_cast<std::uint64_t>(std::max<std::int64_t>(now_ms, 0)) * 1000;
  last_version_ = std::max({last_version_ + 1, previous + 1, now_us});
  return last_version_;
}

Result<AudioInfo> AudioStore::put(Owner owner, std::int64_t id, Kind kind,
                                  std::span<const std::uint8_t> wav) {
  if (!has_kind(owner, kind)) {
    return fail(
        Error::invalid("kind", fmt::format("a {} has no {}", to_string(owner), to_string(kind))));
  }
  COHORT_TRY(media::check_wav_upload(wav, limits_));
  COHORT_TRY_ASSIGN(std::vector<std::int16_t> pcm, media::wav_to_mono_pcm16(wav, kStoredRate));
  if (pcm.empty()) {
    return fail(Error::invalid("wav", "no audio: the data chunk is empty"));
  }

  std::lock_guard write_lock(write_mu_);
  const std::string name = file_name(owner, id, kind);
  const std::uint64_t previous = info(owner, id, kind).value_or(AudioInfo{}).version;
  AudioInfo out;
  out.updated_at_ms = unix_ms(clock_.now());
  out.version = next_version(previous, out.updated_at_ms);
  out.duration_ms = static_cast<std::int64_t>(pcm.size() * 1000 / kStoredRate);
  const std::vector<std::uint8_t> bytes = stored_wav(pcm, out);

  const std::string temp =
      fmt::format("{}/{}{}-{}", dir_, kTempPrefix, name, crypto::random_hex(6));
  const std::string final_path = dir_ + "/" + name;
  if (!write_synced(temp, bytes) || ::rename(temp.c_str(), final_path.c_str()) != 0 ||
      !sync_dir(dir_)) {
    const std::string why = std::strerror(errno);
    std::error_code ec;
    fs::remove(temp, ec);
    spdlog::error("audio event=write_failed path={} error={}", log::Value{final_path},
                  log::Value{why});
    return fail(Error::internal("cannot store the audio: " + why));
  }
  {
    std::lock_guard lock(index_mu_);
    index_[name] = out;
  }
  spdlog::info("audio event=stored owner={} id={} kind={} duration_ms={} version={}",
               to_string(owner), id, to_string(kind), out.duration_ms, out.version);
  return out;
}

std::optional<AudioInfo> AudioStore::info(Owner owner, std::int64_t id, Kind kind) const {
  std::lock_guard lock(index_mu_);
  const auto it = index_.find(file_name(owner, id, kind));
  if (it == index_.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::optional<std::vector<std::uint8_t>> AudioStore::get_wav(Owner owner, std::int64_t id,
                                                             Kind kind) const {
  if (!info(owner, id, kind)) {
    return std::nullopt;
  }
  return read_file(path_of(owner, id, kind));
}

std::optional<media::PromptAudio> AudioStore::load_pcm(Owner owner, std::int64_t id,
                                                       Kind kind) const {
  auto bytes = get_wav(owner, id, kind);
  if (!bytes) {
    return std::nullopt;
  }
  auto parsed = media::parse_wav(*bytes);
  if (!parsed || parsed->channels != 1 || parsed->sample_format != media::SampleFormat::kS16) {
    spdlog::warn("audio event=unreadable path={}", log::Value{path_of(owner, id, kind)});
    return std::nullopt;
  }
  media::PromptAudio out;
  out.sample_rate = parsed->sample_rate;
  out.pcm.resize(parsed->data.size() / 2);
  for (std::size_t i = 0; i < out.pcm.size(); ++i) {
    out.pcm[i] = static_cast<std::int16_t>(parsed->data[2 * i] | parsed->data[2 * i + 1] << 8);
  }
  return out;
}

Result<bool> AudioStore::remove(Owner owner, std::int64_t id, Kind kind) {
  std::lock_guard write_lock(write_mu_);
  const std::string name = file_name(owner, id, kind);
  if (!info(owner, id, kind)) {
    return false;
  }
  const std::string path = dir_ + "/" + name;
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return fail(Error::internal(fmt::format("cannot delete the audio: {}", std::strerror(errno))));
  }
  sync_dir(dir_);
  {
    std::lock_guard lock(index_mu_);
    index_.erase(name);
  }
  spdlog::info("audio event=removed owner={} id={} kind={}", to_string(owner), id, to_string(kind));
  return true;
}

void AudioStore::remove_all(Owner owner, std::int64_t id) {
  for (Kind kind : {Kind::kGreeting, Kind::kWaitingMusic, Kind::kPrompt}) {
    if (has_kind(owner, kind)) {
      if (auto removed = remove(owner, id, kind); !removed) {
        spdlog::warn("audio event=remove_failed owner={} id={} error={}", to_string(owner), id,
                     log::Value{removed.error().message});
      }
    }
  }
}

}  // namespace cohort::audio
