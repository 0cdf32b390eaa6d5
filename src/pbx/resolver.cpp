#include "pbx/resolver.hpp"

#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <netdb.h>

#include <chrono>
#include <vector>

namespace cohort::pbx {

bool Resolver::is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

void Resolver::start() {
  std::lock_guard lock(mu_);
  if (!thread_.joinable()) {
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
  }
}

void Resolver::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

std::optional<std::string> Resolver::address(const std::string& host) {
  if (is_ip_literal(host)) {
    return host;
  }
  std::lock_guard lock(mu_);
  if (auto it = resolved_.find(host); it != resolved_.end()) {
    return it->second;
  }
  // A name that does not resolve is tried again every 60 s, not once per call.
  if (wanted_.insert(host).second) {
    cv_.notify_one();
  }
  return std::nullopt;
}

void Resolver::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const std::vector<std::string> names(wanted_.begin(), wanted_.end());
    lock.unlock();
    std::unordered_map<std::string, std::string> found;
    for (const std::string& name : names) {
      addrinfo hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_DGRAM;
      addrinfo* res = nullptr;
      if (::getaddrinfo(name.c_str(), nullptr, &hints, &res) == 0 && res != nullptr) {
        char buf[INET6_ADDRSTRLEN] = {};
        if (res->ai_family == AF_INET) {
          ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, buf,
                      sizeof buf);
        } else {
          ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(res->ai_addr)->sin6_addr, buf,
                      sizeof buf);
        }
        found[name] = buf;
        ::freeaddrinfo(res);
      } else {
        spdlog::warn("trunk event=resolve_failed host={}", name);
      }
    }
    lock.lock();
    resolved_ = std::move(found);
    if (wanted_.size() == names.size()) {
      cv_.wait_for(lock, std::chrono::seconds(60));
    }
  }
}

}  // namespace cohort::pbx
