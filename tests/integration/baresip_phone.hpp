#pragma once
// baresip 1.0 as a real phone for the call tests: one instance per extension, its own config
// dir and HOME, registered with the server, driven over ctrl_tcp (netstring-framed JSON:
// commands in, command responses and events out, on one connection) and stopped by pid.
// Audio: a WAV source (aufile) and WAV dumps of what it sends and receives (sndfile).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sip_peers.hpp"

namespace cohort::testing {

/// Writes a WAV (8 kHz, mono, S16LE) holding a sine of `hz` at half scale for `seconds`.
void write_tone_wav(const std::string& path, double hz, double seconds);

/// What a WAV (PCM S16, first channel) holds, roughly.
struct WavStats {
  bool ok = false;  ///< a RIFF/WAVE file with 16-bit PCM data
  int sample_rate = 0;
  std::size_t samples = 0;
  double rms = 0;           ///< over the whole file, 0–32767
  double loud_seconds = 0;  ///< time in 20 ms blocks with an RMS above 1,000
  double frequency_hz = 0;  ///< zero crossings / 2 over the loud blocks
  std::string describe() const;
};
WavStats analyse_wav(const std::string& path);

class BaresipPhone {
 public:
  struct Options {
    std::string work_dir;  ///< the phone gets <work_dir>/baresip-<ext>/
    std::string extension;
    std::string password;
    std::uint16_t server_port = 0;  ///< Cohort's SIP UDP port on 127.0.0.1
    double tone_hz = 440;           ///< the audio it sends
    bool auto_answer = true;
    int max_seconds = 60;  ///< baresip -t: it quits by itself after this
  };

  /// The options of a phone for demo extension `ext` (password "demo-EXT") registering with
  /// the server on 127.0.0.1:`server_port`, its files under `work_dir`, sending `tone_hz`.
  static Options demo(const std::string& work_dir, const std::string& ext,
                      std::uint16_t server_port, double tone_hz = 440);

  explicit BaresipPhone(Options options);
  /// Stops it (SIGTERM, then SIGKILL after 10 s) if still running.
  ~BaresipPhone();
  BaresipPhone(const BaresipPhone&) = delete;
  BaresipPhone& operator=(const BaresipPhone&) = delete;

  bool started() const { return process_ && process_->started(); }
  std::uint16_t sip_port() const { return sip_port_; }
  const std::string& extension() const { return options_.extension; }
  /// The directory with its sndfile dumps (dump-<time>-enc.wav sent, -dec.wav received).
  const std::string& dump_dir() const { return dump_dir_; }
  std::vector<std::string> dumps(const std::string& suffix) const;
  std::string output() const;

  /// Connects to ctrl_tcp (retrying until baresip listens), up to `timeout`.
  bool connect(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// Sends a command ("dial", "hangup", "accept" …) and waits for its response; the
  /// response object, or nullopt without one in time.
  std::optional<nlohmann::json> command(
      const std::string& name, const std::string& params = {},
      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// The next event of `type` ("REGISTER_OK", "CALL_ESTABLISHED", "CALL_CLOSED" …),
  /// skipping others (kept in events()); nullopt without one in time.
  std::optional<nlohmann::json> wait_event(const std::string& type,
                                           std::chrono::milliseconds timeout);
  /// Every event received so far, for assertion messages.
  std::string events() const;

  /// SIGTERM (baresip un-registers first), then waits up to 10 s; the exit code or -1.
  int stop();

 private:
  /// Reads one netstring within `timeout`; nullopt on timeout or a closed connection.
  std::optional<nlohmann::json> read_message(std::chrono::milliseconds timeout);

  Options options_;
  std::string dir_;
  std::string dump_dir_;
  std::uint16_t sip_port_ = 0;
  std::uint16_t ctrl_port_ = 0;
  std::unique_ptr<ChildProcess> process_;
  int fd_ = -1;
  std::string buffer_;
  std::vector<nlohmann::json> seen_;
  std::vector<nlohmann::json> pending_events_;
  int token_ = 0;
};

}  // namespace cohort::testing
