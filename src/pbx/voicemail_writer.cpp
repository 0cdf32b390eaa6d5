// Voicemail messages to disk, atomically (voicemail_writer.hpp).

#include "pbx/voicemail_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "common/crypto.hpp"
#include "common/log.hpp"
#include "media/wav.hpp"

namespace cohort::pbx {

namespace fs = std::filesystem;

namespace {

constexpr char kChunk[5] = "cmsg";

void put_le32(std::vector<std::uint8_t>& out, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    out[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
  }
}
std::uint32_t le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

std::string box_dir(const model::DestVoicemail& box) {
  return fmt::format("{}-{}", box.box == model::DestVoicemail::Box::kUser ? "user" : "group",
                     box.id);
}

nlohmann::json record_of(const VoicemailMessage& m) {
  nlohmann::json j{
      {"box", m.box.box == model::DestVoicemail::Box::kUser ? "user" : "group"},
      {"box_id", m.box.id},
      {"call_id", m.call_id},
      {"caller", {{"number", m.caller}, {"name", m.caller_name}}},
      {"called", m.called},
      {"group", m.group ? nlohmann::json(*m.group) : nlohmann::json(nullptr)},
      {"started_at_ms", m.started_at_ms},
      {"duration_ms", m.sample_rate == 0 ? 0 : m.pcm.size() * 1000 / m.sample_rate},
      {"sample_rate", m.sample_rate},
  };
  return j;
}

// Writes all of `bytes` to a new file at `path` and flushes it to disk.
bool write_durably(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) {
    return false;
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    const auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      ::close(fd);
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  return ::close(fd) == 0 && synced;
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

}  // namespace

VoicemailWriter::VoicemailWriter(std::string dir)
    : dir_(std::move(dir)),
      writer_(
          [this](Batch& batch) {
            for (const VoicemailMessage& m : batch.messages) {
              if (auto path = write(m)) {
                saved_.fetch_add(1, std::memory_order_relaxed);
                if (on_written_) {
                  on_written_(m, *path);  // the file first, then its row (mailboxes.hpp)
                }
              } else {
                failed_.fetch_add(1, std::memory_order_relaxed);
              }
            }
            return true;
          },
          {.linger = std::chrono::milliseconds(50), .max_batch = 64, .spacing = {}}) {}

void VoicemailWriter::start() {
  std::error_code ec;
  fs::create_directories(dir_ + "/.incoming", ec);
  if (ec) {
    spdlog::error("voicemail dir={} error={}", log::Value{dir_}, log::Value{ec.message()});
  }
  // What a crash left half-written: never renamed into a mailbox, so never a message.
  for (const auto& entry : fs::directory_iterator(dir_ + "/.incoming", ec)) {
    fs::remove(entry.path(), ec);
  }
  writer_.start();
}

void VoicemailWriter::stop() {
  writer_.stop();
}

void VoicemailWriter::save(VoicemailMessage message) {
  writer_.add([&](Batch& b) { b.messages.push_back(std::move(message)); }, [](bool) {});
}

std::optional<std::string> VoicemailWriter::write(const VoicemailMessage& m) {
  std::vector<std::uint8_t> bytes = media::write_wav(m.pcm, m.sample_rate);
  const std::string json = record_of(m).dump();
  const std::size_t at = bytes.size();
  bytes.resize(at + 8 + json.size() + (json.size() % 2));  // chunks are padded to even
  std::memcpy(&bytes[at], kChunk, 4);
  put_le32(bytes, at + 4, static_cast<std::uint32_t>(json.size()));
  std::memcpy(&bytes[at + 8], json.data(), json.size());
  put_le32(bytes, 4, static_cast<std::uint32_t>(bytes.size() - 8));  // the RIFF size

  const std::string name = fmt::format("{}-{}.wav", m.started_at_ms, crypto::random_hex(4));
  const std::string incoming = dir_ + "/.incoming/" + name;
  const std::string box = dir_ + "/" + box_dir(m.box);
  const std::string final_path = box + "/" + name;
  std::error_code ec;
  fs::create_directories(box, ec);
  if (ec || !write_durably(incoming, bytes) ||
      ::rename(incoming.c_str(), final_path.c_str()) != 0 || !sync_dir(box)) {
    spdlog::error("voicemail event=write_failed path={} error={}", log::Value{final_path},
                  log::Value{std::strerror(errno)});
    fs::remove(incoming, ec);
    return std::nullopt;
  }
  spdlog::info("voicemail event=saved box={} path={} duration_ms={}", log::Value{box_dir(m.box)},
               log::Value{final_path}, m.sample_rate ? m.pcm.size() * 1000 / m.sample_rate : 0);
  return final_path;
}

std::optional<VoicemailMessage> read_voicemail(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
  auto wav = media::parse_wav(bytes);
  if (!wav || wav->channels != 1 || wav->bits_per_sample != 16) {
    return std::nullopt;
  }
  VoicemailMessage m;
  m.sample_rate = wav->sample_rate;
  m.pcm.resize(wav->frames);
  std::memcpy(m.pcm.data(), wav->data.data(), m.pcm.size() * 2);
  for (std::size_t at = 12; at + 8 <= bytes.size();) {
    const std::uint32_t size = le32(&bytes[at + 4]);
    if (std::memcmp(&bytes[at], kChunk, 4) == 0 && at + 8 + size <= bytes.size()) {
      const auto j = nlohmann::json::parse(
          bytes.begin() + static_cast<std::ptrdiff_t>(at + 8),
          bytes.begin() + static_cast<std::ptrdiff_t>(at + 8 + size), nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        return std::nullopt;
      }
      m.box.box = j.value("box", "") == "user" ? model::DestVoicemail::Box::kUser
                                               : model::DestVoicemail::Box::kGroup;
      m.box.id = j.value("box_id", std::int64_t{0});
      m.call_id = j.value("call_id", "");
      if (j.contains("caller") && j["caller"].is_object()) {
        m.caller = j["caller"].value("number", "");
        m.caller_name = j["caller"].value("name", "");
      }
      m.called = j.value("called", "");
      if (j.contains("group") && j["group"].is_number_integer()) {
        m.group = j["group"].get<std::int64_t>();
      }
      m.started_at_ms = j.value("started_at_ms", std::int64_t{0});
      return m;
    }
    at += 8 + size + (size % 2);
  }
  return std::nullopt;
}

}  // namespace cohort::pbx
