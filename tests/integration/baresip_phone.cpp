#include "baresip_phone.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace cohort::testing {
namespace {

using nlohmann::json;

void put_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
}

std::uint32_t get_u32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
  }
  return v;
}

std::uint16_t get_u16(const std::string& s, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(s[at]) |
                                    (static_cast<unsigned char>(s[at + 1]) << 8));
}

}  // namespace

void write_tone_wav(const std::string& path, double hz, double seconds) {
  constexpr int kRate = 8000;
  const auto n = static_cast<std::uint32_t>(seconds * kRate);
  std::string data;
  data.reserve(n * 2);
  for (std::uint32_t i = 0; i < n; ++i) {
    const double v = 16000.0 * std::sin(2.0 * M_PI * hz * i / kRate);
    put_u16(data, static_cast<std::uint16_t>(static_cast<std::int16_t>(std::lround(v))));
  }
  std::string out = "RIFF";
  put_u32(out, static_cast<std::uint32_t>(36 + data.size()));
  out += "WAVEfmt ";
  put_u32(out, 16);
  put_u16(out, 1);  // PCM
  put_u16(out, 1);  // mono
  put_u32(out, kRate);
  put_u32(out, kRate * 2);
  put_u16(out, 2);
  put_u16(out, 16);
  out += "data";
  put_u32(out, static_cast<std::uint32_t>(data.size()));
  out += data;
  write_text(path, out);
}

std::string WavStats::describe() const {
  std::ostringstream s;
  s << "wav ok=" << ok << " rate=" << sample_rate << " samples=" << samples << " rms=" << rms
    << " loud_s=" << loud_seconds << " freq_hz=" << frequency_hz;
  return s.str();
}

WavStats analyse_wav(const std::string& path) {
  WavStats st;
  const std::string f = read_text(path);
  if (f.size() < 12 || f.compare(0, 4, "RIFF") != 0 || f.compare(8, 4, "WAVE") != 0) {
    return st;
  }
  int channels = 0, bits = 0, format = 0;
  std::size_t at = 12;
  std::string pcm;
  while (at + 8 <= f.size()) {
    const std::string id = f.substr(at, 4);
    std::size_t size = get_u32(f, at + 4);
    const std::size_t body = at + 8;
    if (id == "data" && (size == 0 || size == 0xffffffff)) {
      size = f.size() - body;  // a dump whose header was never finalised
    }
    size = std::min(size, f.size() - body);  // a dump cut short still counts
    if (id == "fmt " && size >= 16) {
      format = get_u16(f, body);
      channels = get_u16(f, body + 2);
      st.sample_rate = static_cast<int>(get_u32(f, body + 4));
      bits = get_u16(f, body + 14);
    } else if (id == "data") {
      pcm = f.substr(body, size);
    }
    at = body + size + (size & 1);
  }
  if (format != 1 || bits != 16 || channels < 1 || st.sample_rate <= 0) {
    return st;
  }
  st.ok = true;
  const std::size_t frame = 2 * static_cast<std::size_t>(channels);
  std::vector<double> x;
  for (std::size_t i = 0; i + frame <= pcm.size(); i += frame) {
    x.push_back(static_cast<std::int16_t>(get_u16(pcm, i)));
  }
  st.samples = x.size();
  if (x.empty()) {
    return st;
  }
  double sum = 0;
  for (double v : x) {
    sum += v * v;
  }
  st.rms = std::sqrt(sum / static_cast<double>(x.size()));
  // 20 ms blocks: the loud ones give the duration of audio and its rough frequency.
  const std::size_t block = static_cast<std::size_t>(st.sample_rate) / 50;
  std::size_t loud = 0, crossings = 0;
  for (std::size_t b = 0; b + block <= x.size(); b += block) {
    double e = 0;
    for (std::size_t i = b; i < b + block; ++i) {
      e += x[i] * x[i];
    }
    if (std::sqrt(e / static_cast<double>(block)) < 1000) {
      continue;
    }
    ++loud;
    for (std::size_t i = b + 1; i < b + block; ++i) {
      if ((x[i - 1] < 0) != (x[i] < 0)) {
        ++crossings;
      }
    }
  }
  st.loud_seconds = static_cast<double>(loud * block) / st.sample_rate;
  if (loud > 0) {
    st.frequency_hz = static_cast<double>(crossings) / 2.0 / st.loud_seconds;
  }
  return st;
}

// ---- BaresipPhone -------------------------------------------------------------------------

BaresipPhone::Options BaresipPhone::demo(const std::string& work_dir, const std::string& ext,
                                         std::uint16_t server_port, double tone_hz) {
  Options o;
  o.work_dir = work_dir;
  o.extension = ext;
  o.password = "demo-" + ext;
  o.server_port = server_port;
  o.tone_hz = tone_hz;
  return o;
}

BaresipPhone::BaresipPhone(Options options) : options_(std::move(options)) {
  dir_ = options_.work_dir + "/baresip-" + options_.extension;
  const std::string conf = dir_ + "/.baresip";
  dump_dir_ = dir_ + "/dumps";
  std::filesystem::create_directories(conf);
  std::filesystem::create_directories(dump_dir_);
  // SIP on P (UDP and TCP) and TLS on P+1; ctrl_tcp on P+2.
  sip_port_ = free_port(3);
  ctrl_port_ = static_cast<std::uint16_t>(sip_port_ + 2);
  const std::string tone = dir_ + "/tone.wav";
  // Longer than any call: baresip ends the call when its aufile source runs out.
  write_tone_wav(tone, options_.tone_hz, 60);
  const std::vector<std::string> config = {
      "poll_method poll",
      "sip_listen 127.0.0.1:" + std::to_string(sip_port_),
      "net_interface 127.0.0.1",
      "dns_server 127.0.0.1:53",
      "module_path /usr/lib/baresip/modules",
      "module g711.so",
      "module aufile.so",
      "module aubridge.so",
      "module sndfile.so",
      "module_app account.so",
      "module_app menu.so",  // the commands: dial, hangup, accept …
      "module_app ctrl_tcp.so",
      "ctrl_tcp_listen 127.0.0.1:" + std::to_string(ctrl_port_),
      "audio_player aubridge,none",
      "audio_source aufile," + tone,
      "snd_path " + dump_dir_,
  };
  std::string text;
  for (const std::string& line : config) {
    text += line + "\n";
  }
  write_text(conf + "/config", text);
  write_text(conf + "/accounts",
             "<sip:" + options_.extension + "@127.0.0.1:" + std::to_string(options_.server_port) +
                 ">;auth_pass=" + options_.password +
                 (options_.auto_answer ? ";answermode=auto" : ";answermode=manual") +
                 ";regint=600;audio_codecs=pcmu,pcma\n");
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{kBaresipBinary, "-f", conf, "-t",
                               std::to_string(options_.max_seconds)},
      dir_ + "/baresip.log", std::vector<std::pair<std::string, std::string>>{{"HOME", dir_}});
}

BaresipPhone::~BaresipPhone() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
  stop();
}

std::vector<std::string> BaresipPhone::dumps(const std::string& suffix) const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dump_dir_, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(e.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string BaresipPhone::output() const {
  return read_text(dir_ + "/baresip.log");
}

bool BaresipPhone::connect(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(ctrl_port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      fd_ = fd;
      return true;
    }
    ::close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::optional<json> BaresipPhone::read_message(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // A netstring: "<length>:<payload>,".
    auto colon = buffer_.find(':');
    if (colon != std::string::npos) {
      const std::size_t len = std::strtoul(buffer_.substr(0, colon).c_str(), nullptr, 10);
      if (buffer_.size() >= colon + 1 + len + 1) {
        std::string payload = buffer_.substr(colon + 1, len);
        buffer_.erase(0, colon + 1 + len + 1);
        json j = json::parse(payload, nullptr, false);
        seen_.push_back(j);
        return j;
      }
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (fd_ < 0 || left.count() <= 0) {
      return std::nullopt;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      return std::nullopt;
    }
    char buf[4096];
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) {
      return std::nullopt;
    }
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

std::optional<json> BaresipPhone::command(const std::string& name, const std::string& params,
                                          std::chrono::milliseconds timeout) {
  if (fd_ < 0) {
    return std::nullopt;
  }
  const std::string token = "t" + std::to_string(++token_);
  const std::string payload = json{{"command", name}, {"params", params}, {"token", token}}.dump();
  const std::string frame = std::to_string(payload.size()) + ":" + payload + ",";
  if (::send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(frame.size())) {
    return std::nullopt;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto m = read_message(std::max(left, std::chrono::milliseconds(0)));
    if (!m) {
      return std::nullopt;
    }
    if (m->value("response", false) && m->value("token", "") == token) {
      return m;
    }
    if (m->value("event", false)) {
      pending_events_.push_back(*m);
    }
  }
}

std::optional<json> BaresipPhone::wait_event(const std::string& type,
                                             std::chrono::milliseconds timeout) {
  for (auto it = pending_events_.begin(); it != pending_events_.end(); ++it) {
    if (it->value("type", "") == type) {
      json j = *it;
      pending_events_.erase(pending_events_.begin(), it + 1);
      return j;
    }
  }
  pending_events_.clear();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto m = read_message(std::max(left, std::chrono::milliseconds(0)));
    if (!m) {
      return std::nullopt;
    }
    if (m->value("event", false) && m->value("type", "") == type) {
      return m;
    }
  }
}

std::string BaresipPhone::events() const {
  std::string out;
  for (const json& j : seen_) {
    out += j.dump() + "\n";
  }
  return out;
}

int BaresipPhone::stop() {
  if (!process_) {
    return -1;
  }
  process_->signal(SIGTERM);
  const int code = process_->wait_or_kill(std::chrono::seconds(10));
  process_.reset();
  return code;
}

}  // namespace cohort::testing
