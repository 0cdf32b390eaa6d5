#include "api/metrics.hpp"

#include <malloc.h>

#include <unistd.h>

#include <array>
#include <cassert>
#include <cmath>
#include <fstream>
#include <map>
#include <mutex>
#include <tuple>

#include <fmt/format.h>

namespace cohort::api {

namespace {

// Upper bounds of the latency buckets in seconds; the implicit last bucket is +Inf. Dense
// below 10 ms because most API calls read an in-memory snapshot.
constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                             0.05,   0.1,   0.25,   0.5,   1,    2.5};

// Prometheus text format 0.0.4: label values escape backslash, double quote and newline.
void append_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out.push_back(c);
    }
  }
}

// HELP text escapes backslash and newline only.
std::string escape_help(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Go's ParseFloat spellings, which the format requires for the special values.
std::string format_value(double v) {
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  return fmt::format("{}", v);
}

void append_header(std::string& out, std::string_view name, std::string_view help,
                   std::string_view type) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(help), name, type);
}

double resident_memory_bytes() {
  // statm: size resident shared text lib data dt, in pages (proc(5)).
  std::ifstream statm("/proc/self/statm");
  long size = 0;
  long resident = 0;
  if (!(statm >> size >> resident)) {
    return 0;
  }
  long page = sysconf(_SC_PAGESIZE);
  return static_cast<double>(resident) * static_cast<double>(page > 0 ? page : 4096);
}

struct Histogram {
  std::array<std::uint64_t, kBuckets.size() + 1> counts{};  // per bucket, not cumulative
  double sum = 0;
  std::uint64_t count = 0;
};

/// A family computed at scrape time: a gauge or a counter.
struct Family {
  std::string name;
  std::string help;
  std::string_view type;  ///< "gauge" or "counter"
  Metrics::GaugeFn fn;
};

}  // namespace

struct Metrics::Impl {
  mutable std::mutex mutex;
  // std::map keeps the exposition in a stable order, which makes scrapes diffable.
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests;
  std::map<std::pair<std::string, std::string>, Histogram> durations;
  std::vector<Family> families;
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

void Metrics::observe_request(std::string_view method, std::string_view route, int status,
                              std::chrono::nanoseconds duration) {
  std::string route_label = route.empty() ? std::string("unmatched") : std::string(route);
  double seconds = std::chrono::duration<double>(duration).count();
  std::size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) {
    ++bucket;
  }

  std::lock_guard lock(impl_->mutex);
  ++impl_->requests[{std::string(method), route_label, status}];
  auto& h = impl_->durations[{std::string(method), std::move(route_label)}];
  ++h.counts[bucket];
  h.sum += seconds;
  ++h.count;
}

void Metrics::add_gauge(std::string name, std::string help, GaugeFn fn) {
  assert(!name.ends_with("_total") && "a gauge is not a count: name it without _total");
  std::lock_guard lock(impl_->mutex);
  impl_->families.push_back(Family{std::move(name), std::move(help), "gauge", std::move(fn)});
}

void Metrics::add_counter(std::string name, std::string help, GaugeFn fn) {
  assert(name.ends_with("_total") && "a counter's name ends in _total");
  std::lock_guard lock(impl_->mutex);
  impl_->families.push_back(Family{std::move(name), std::move(help), "counter", std::move(fn)});
}

std::string Metrics::render() const {
  std::string out;
  std::vector<Family> families;
  {
    std::lock_guard lock(impl_->mutex);
    families = impl_->families;

    append_header(out, "cohort_http_requests_total", "HTTP requests served.", "counter");
    for (const auto& [key, n] : impl_->requests) {
      const auto& [method, route, status] = key;
      out += "cohort_http_requests_total{method=\"";
      append_label_value(out, method);
      out += "\",route=\"";
      append_label_value(out, route);
      out += fmt::format("\",status=\"{}\"}} {}\n", status, n);
    }

    append_header(out, "cohort_http_request_duration_seconds",
                  "Time from a complete request to its response written.", "histogram");
    for (const auto& [key, h] : impl_->durations) {
      std::string labels = "method=\"";
      append_label_value(labels, key.first);
      labels += "\",route=\"";
      append_label_value(labels, key.second);
      labels += '"';
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < h.counts.size(); ++i) {
        cumulative += h.counts[i];
        std::string le = i < kBuckets.size() ? format_value(kBuckets[i]) : "+Inf";
        out += fmt::format("cohort_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n",
                           labels, le, cumulative);
      }
      out += fmt::format("cohort_http_request_duration_seconds_sum{{{}}} {}\n", labels,
                         format_value(h.sum));
      out += fmt::format("cohort_http_request_duration_seconds_count{{{}}} {}\n", labels, h.count);
    }
  }

  // The callbacks run without the lock: they may read the store or the snapshot, and one of
  // them observing a request must not deadlock the scrape.
  for (const auto& g : families) {
    append_header(out, g.name, g.help, g.type);
    for (const auto& [labels, value] : g.fn()) {
      if (labels.empty()) {
        out += fmt::format("{} {}\n", g.name, format_value(value));
      } else {
        out += fmt::format("{}{{{}}} {}\n", g.name, labels, format_value(value));
      }
    }
  }

  append_header(out, "process_resident_memory_bytes", "Resident memory size in bytes.", "gauge");
  out += fmt::format("process_resident_memory_bytes {}\n", format_value(resident_memory_bytes()));
  // The allocator's view: bytes in live allocations, and bytes it holds free. Their sum
  // against the RSS tells live data from fragmentation.
  struct mallinfo2 mi = ::mallinfo2();
  append_header(out, "process_heap_bytes", "malloc heap: in-use and free bytes.", "gauge");
  out += fmt::format("process_heap_bytes{{kind=\"in_use\"}} {}\n",
                     format_value(static_cast<double>(mi.uordblks + mi.hblkhd)));
  out += fmt::format("process_heap_bytes{{kind=\"free\"}} {}\n",
                     format_value(static_cast<double>(mi.fordblks)));
  return out;
}

}  // namespace cohort::api
