#include "api/metrics.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace cohort::api {
namespace {

using namespace std::chrono_literals;

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l == line) {
      return true;
    }
  }
  return false;
}

// The value of the sample line starting with `series` followed by a space; -1 when absent.
double sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l.rfind(series + " ", 0) == 0) {
      return std::stod(l.substr(series.size() + 1));
    }
  }
  return -1;
}

TEST(Metrics, CountsRequestsByMethodRouteStatus) {
  Metrics m;
  m.observe_request("GET", "/api/v1/users/{id}", 200, 1ms);
  m.observe_request("GET", "/api/v1/users/{id}", 200, 2ms);
  m.observe_request("GET", "/api/v1/users/{id}", 404, 1ms);
  m.observe_request("POST", "/api/v1/users", 201, 1ms);
  m.observe_request("GET", "", 404, 1ms);
  std::string text = m.render();

  EXPECT_TRUE(has_line(text, "# HELP cohort_http_requests_total HTTP requests served."));
  EXPECT_TRUE(has_line(text, "# TYPE cohort_http_requests_total counter"));
  EXPECT_TRUE(has_line(
      text,
      R"(cohort_http_requests_total{method="GET",route="/api/v1/users/{id}",status="200"} 2)"));
  EXPECT_TRUE(has_line(
      text,
      R"(cohort_http_requests_total{method="GET",route="/api/v1/users/{id}",status="404"} 1)"));
  EXPECT_TRUE(has_line(
      text, R"(cohort_http_requests_total{method="POST",route="/api/v1/users",status="201"} 1)"));
  EXPECT_TRUE(has_line(
      text, R"(cohort_http_requests_total{method="GET",route="unmatched",status="404"} 1)"));
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Metrics m;
  // One observation per interesting place: below the first bound, exactly on a bound (le is
  // inclusive), between bounds, and above the last finite bound.
  m.observe_request("GET", "/h", 200, 100us);   // ≤ 0.0005
  m.observe_request("GET", "/h", 200, 1ms);     // = 0.001
  m.observe_request("GET", "/h", 200, 30ms);    // ≤ 0.05
  m.observe_request("GET", "/h", 200, 3000ms);  // +Inf only
  m.observe_request("POST", "/h", 200, 200ms);  // other label set
  std::string text = m.render();

  EXPECT_TRUE(has_line(text, "# TYPE cohort_http_request_duration_seconds histogram"));
  const std::string b =
      R"(cohort_http_request_duration_seconds_bucket{method="GET",route="/h",le=")";
  struct Want {
    std::string le;
    int count;
  };
  const std::vector<Want> wants = {
      {"0.0005", 1}, {"0.001", 2}, {"0.0025", 2}, {"0.005", 2}, {"0.01", 2},
      {"0.025", 2},  {"0.05", 3},  {"0.1", 3},    {"0.25", 3},  {"0.5", 3},
      {"1", 3},      {"2.5", 3},   {"+Inf", 4},
  };
  for (const auto& w : wants) {
    SCOPED_TRACE(w.le);
    EXPECT_EQ(sample(text, b + w.le + "\"}"), w.count);
  }
  EXPECT_EQ(sample(text, R"(cohort_http_request_duration_seconds_count{method="GET",route="/h"})"),
            4);
  EXPECT_NEAR(sample(text, R"(cohort_http_request_duration_seconds_sum{method="GET",route="/h"})"),
              3.0311, 1e-9);
  EXPECT_EQ(
      sample(text,
             R"(cohort_http_request_duration_seconds_bucket{method="POST",route="/h",le="0.1"})"),
      0);
  EXPECT_EQ(
      sample(text,
             R"(cohort_http_request_duration_seconds_bucket{method="POST",route="/h",le="0.25"})"),
      1);
  EXPECT_EQ(sample(text, R"(cohort_http_request_duration_seconds_count{method="POST",route="/h"})"),
            1);
}

TEST(Metrics, LabelValuesAreEscaped) {
  Metrics m;
  m.observe_request("GET", "/a\"b\\c\nd", 200, 1ms);
  std::string text = m.render();
  EXPECT_TRUE(has_line(
      text, R"(cohort_http_requests_total{method="GET",route="/a\"b\\c\nd",status="200"} 1)"))
      << text;
}

TEST(Metrics, GaugesAreComputedAtScrapeTime) {
  Metrics m;
  int users = 3;
  m.add_gauge("cohort_objects", "Configured objects by kind.", [&users] {
    return std::vector<std::pair<std::string, double>>{{"kind=\"users\"", users},
                                                       {"kind=\"groups\"", 1.5}};
  });
  m.add_gauge("cohort_up", "Whether the node serves.", [] {
    return std::vector<std::pair<std::string, double>>{{"", 1}};
  });
  std::string text = m.render();
  EXPECT_TRUE(has_line(text, "# HELP cohort_objects Configured objects by kind."));
  EXPECT_TRUE(has_line(text, "# TYPE cohort_objects gauge"));
  EXPECT_TRUE(has_line(text, R"(cohort_objects{kind="users"} 3)"));
  EXPECT_TRUE(has_line(text, R"(cohort_objects{kind="groups"} 1.5)"));
  EXPECT_TRUE(has_line(text, "cohort_up 1"));

  users = 12;
  EXPECT_TRUE(has_line(m.render(), R"(cohort_objects{kind="users"} 12)"));
}

// Counts since start are counters (issue 12: they were declared as gauges), so that rate()
// and increase() treat a restart as a reset instead of a fall.
TEST(Metrics, CountersAreDeclaredAsCounters) {
  Metrics m;
  std::uint64_t registrations = 4;
  m.add_counter("cohort_sip_events_total", "SIP events since start, by kind.", [&] {
    return std::vector<std::pair<std::string, double>>{
        {"event=\"registrations\"", static_cast<double>(registrations)}};
  });
  m.add_gauge("cohort_sip_state", "Current SIP state.", [] {
    return std::vector<std::pair<std::string, double>>{{"kind=\"bindings\"", 2}};
  });
  const std::string text = m.render();
  EXPECT_TRUE(has_line(text, "# HELP cohort_sip_events_total SIP events since start, by kind."));
  EXPECT_TRUE(has_line(text, "# TYPE cohort_sip_events_total counter"));
  EXPECT_TRUE(has_line(text, R"(cohort_sip_events_total{event="registrations"} 4)"));
  EXPECT_TRUE(has_line(text, "# TYPE cohort_sip_state gauge"));
  EXPECT_FALSE(has_line(text, "# TYPE cohort_sip_events_total gauge"));
}

TEST(Metrics, ResidentMemoryIsReported) {
  Metrics m;
  std::string text = m.render();
  EXPECT_TRUE(has_line(text, "# TYPE process_resident_memory_bytes gauge"));
  double rss = sample(text, "process_resident_memory_bytes");
  EXPECT_GT(rss, 0);
}

TEST(Metrics, ConcurrentObservationsAreAllCounted) {
  Metrics m;
  constexpr int kThreads = 4;
  constexpr int kEach = 2000;
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      while (!go.load()) {
        std::this_thread::yield();
      }
      for (int i = 0; i < kEach; ++i) {
        m.observe_request("GET", "/c", 200, 1ms);
      }
    });
  }
  go = true;
  // A scrape in the middle must not deadlock or tear.
  (void)m.render();
  for (auto& t : threads) {
    t.join();
  }
  std::string text = m.render();
  EXPECT_EQ(sample(text, R"(cohort_http_requests_total{method="GET",route="/c",status="200"})"),
            kThreads * kEach);
  EXPECT_EQ(sample(text, R"(cohort_http_request_duration_seconds_count{method="GET",route="/c"})"),
            kThreads * kEach);
}

TEST(Metrics, EmptyRegistryStillHasFamilies) {
  Metrics m;
  std::string text = m.render();
  EXPECT_TRUE(has_line(text, "# TYPE cohort_http_requests_total counter"));
  EXPECT_EQ(text.back(), '\n');
}

}  // namespace
}  // namespace cohort::api
