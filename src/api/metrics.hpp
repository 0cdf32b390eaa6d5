#pragma once
// Prometheus metrics of the HTTP API and the process, rendered in text format 0.0.4.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cohort::api {

class Metrics {
 public:
  Metrics();
  ~Metrics();

  /// Counts one request (cohort_http_requests_total{method,route,status}) and its latency
  /// (cohort_http_request_duration_seconds{method,route} histogram). Any thread.
  void observe_request(std::string_view method, std::string_view route, int status,
                       std::chrono::nanoseconds duration);

  /// Labelled values computed at scrape time, e.g. {{"kind=\"users\"", 12}}.
  using GaugeFn = std::function<std::vector<std::pair<std::string, double>>()>;
  /// Registers a gauge family (a value that goes up and down, named without `_total`)
  /// rendered on every scrape. Start-up only.
  void add_gauge(std::string name, std::string help, GaugeFn fn);
  /// Registers a counter family (a count since start that only goes up; the name ends in
  /// `_total`, as Prometheus requires) read from `fn` on every scrape. Start-up only.
  void add_counter(std::string name, std::string help, GaugeFn fn);

  /// The exposition text, including process_resident_memory_bytes. Any thread.
  std::string render() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cohort::api
