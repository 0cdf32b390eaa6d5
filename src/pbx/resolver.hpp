#pragma once
// Host names of trunks resolved off the SIP threads: a lookup that is not cached yet queues
// the name and returns nullopt at once (the call fails over meanwhile); a thread resolves
// the queued names at once and every name again every 60 s. Only names something asked
// for are looked up (a trunk nobody uses never causes a DNS query).
//
// Threading: address() from any thread; one resolver thread.

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace cohort::pbx {

class Resolver {
 public:
  Resolver() = default;
  ~Resolver() { stop(); }
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  void start();
  void stop();

  /// The IP address of `host`: itself when it is an IP literal, else its last resolution;
  /// nullopt (and the name is queued) when it has none yet.
  std::optional<std::string> address(const std::string& host);

  static bool is_ip_literal(const std::string& host);

 private:
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, std::string> resolved_;  ///< name → address
  std::unordered_set<std::string> wanted_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cohort::pbx
