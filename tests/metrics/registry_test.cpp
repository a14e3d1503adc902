#include "metrics/registry.hpp"

#include <stdexcept>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace weir::metrics {
namespace {

using ::testing::HasSubstr;

TEST(RegistryTest, RendersUnlabelledCounterAndGaugeExactly) {
  Registry registry;
  Counter& served = registry.counter("served_total", "Requests served.");
  Gauge& open = registry.gauge("open_connections", "Connections open now.");

  served.inc();
  served.inc(4);
  open.set(7);
  open.dec(2);

  EXPECT_EQ(registry.render(),
            "# HELP served_total Requests served.\n"
            "# TYPE served_total counter\n"
            "served_total 5\n"
            "# HELP open_connections Connections open now.\n"
            "# TYPE open_connections gauge\n"
            "open_connections 5\n");
}

TEST(RegistryTest, RendersFamiliesInRegistrationOrderAndChildrenInCreationOrder) {
  Registry registry;
  auto& requests = registry.counter_family("requests_total", "Requests.", {"method", "status"});
  auto& queue = registry.gauge_family("queue_depth", "Queued items.", {"queue"});

  requests.with({"POST", "500"}).inc();
  requests.with({"GET", "200"}).inc(3);
  requests.with({"POST", "500"}).inc();
  queue.with({"b"}).set(-1);
  queue.with({"a"}).set(2);

  EXPECT_EQ(registry.render(),
            "# HELP requests_total Requests.\n"
            "# TYPE requests_total counter\n"
            "requests_total{method=\"POST\",status=\"500\"} 2\n"
            "requests_total{method=\"GET\",status=\"200\"} 3\n"
            "# HELP queue_depth Queued items.\n"
            "# TYPE queue_depth gauge\n"
            "queue_depth{queue=\"b\"} -1\n"
            "queue_depth{queue=\"a\"} 2\n");
}

TEST(RegistryTest, RendersHelpAndTypeForFamilyWithoutChildren) {
  Registry registry;
  registry.counter_family("empty_total", "Nothing yet.", {"kind"});

  EXPECT_EQ(registry.render(),
            "# HELP empty_total Nothing yet.\n"
            "# TYPE empty_total counter\n");
}

TEST(RegistryTest, EscapesHelpAndLabelValues) {
  Registry registry;
  auto& paths = registry.counter_family("paths_total",
                                        "Paths seen.\nBackslash \\ stays \"quoted\".", {"path"});
  paths.with({"/a\"b\\c\nd"}).inc();

  EXPECT_EQ(registry.render(),
            "# HELP paths_total Paths seen.\\nBackslash \\\\ stays \"quoted\".\n"
            "# TYPE paths_total counter\n"
            "paths_total{path=\"/a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(RegistryTest, RendersHistogramBucketsCumulativelyWithSumAndCount) {
  Registry registry;
  Histogram& latency = registry.histogram("latency_seconds", "Latency.", {0.001, 0.01, 0.1});

  latency.observe(0.0005);  // le=0.001
  latency.observe(0.001);   // le=0.001: a value equal to a bound belongs to that bucket
  latency.observe(0.05);    // le=0.1
  latency.observe(2.0);     // +Inf only

  EXPECT_EQ(registry.render(),
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{le=\"0.001\"} 2\n"
            "latency_seconds_bucket{le=\"0.01\"} 2\n"
            "latency_seconds_bucket{le=\"0.1\"} 3\n"
            "latency_seconds_bucket{le=\"+Inf\"} 4\n"
            "latency_seconds_sum 2.0515\n"
            "latency_seconds_count 4\n");
}

TEST(RegistryTest, RendersLabelledHistogramWithLeLast) {
  Registry registry;
  auto& latency = registry.histogram_family("step_seconds", "Step time.", {"step"}, {1e-6, 0.5});
  latency.with({"parse"}).observe(0.25);

  EXPECT_EQ(registry.render(),
            "# HELP step_seconds Step time.\n"
            "# TYPE step_seconds histogram\n"
            "step_seconds_bucket{step=\"parse\",le=\"1e-06\"} 0\n"
            "step_seconds_bucket{step=\"parse\",le=\"0.5\"} 1\n"
            "step_seconds_bucket{step=\"parse\",le=\"+Inf\"} 1\n"
            "step_seconds_sum{step=\"parse\"} 0.25\n"
            "step_seconds_count{step=\"parse\"} 1\n");
}

TEST(RegistryTest, ComputesCallbackMetricsAtEachScrape) {
  Registry registry;
  double keys = 3;
  registry.callback_gauge("store_keys", "Keys held.", [&keys] { return keys; });
  registry.callback_counter("work_seconds_total", "Work done.", [] { return 1.5; });

  EXPECT_EQ(registry.render(),
            "# HELP store_keys Keys held.\n"
            "# TYPE store_keys gauge\n"
            "store_keys 3\n"
            "# HELP work_seconds_total Work done.\n"
            "# TYPE work_seconds_total counter\n"
            "work_seconds_total 1.5\n");

  keys = 42;
  EXPECT_THAT(registry.render(), HasSubstr("store_keys 42\n"));
}

TEST(RegistryTest, LeavesOutTheSampleOfACallbackThatThrows) {
  Registry registry;
  registry.callback_gauge("broken", "Always fails.",
                          []() -> double { throw std::runtime_error("unreadable"); });
  registry.gauge("after", "Still rendered.").set(1);

  EXPECT_EQ(registry.render(),
            "# HELP broken Always fails.\n"
            "# TYPE broken gauge\n"
            "# HELP after Still rendered.\n"
            "# TYPE after gauge\n"
            "after 1\n");
}

TEST(RegistryTest, RejectsDuplicateNamesAcrossKinds) {
  Registry registry;
  registry.counter("taken", "First.");
  EXPECT_THROW(registry.gauge("taken", "Second."), std::invalid_argument);
  EXPECT_THROW(registry.callback_gauge("taken", "Third.", [] { return 0.0; }),
               std::invalid_argument);
}

TEST(RegistryTest, RejectsBadNamesWithTheValueInTheMessage) {
  Registry registry;
  try {
    registry.counter("bad-name", "Dash.");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& error) {
    EXPECT_THAT(error.what(), HasSubstr("'bad-name'"));
  }
  EXPECT_THROW(registry.counter_family("ok_total", "Bad label.", {"__reserved"}),
               std::invalid_argument);
  EXPECT_THROW(registry.counter_family("ok2_total", "Twice.", {"a", "a"}), std::invalid_argument);
  EXPECT_THROW(registry.histogram_family("h_seconds", "le.", {"le"}, {1}), std::invalid_argument);
  EXPECT_THROW(registry.counter_family("none_total", "Zero.", {"a"}, 0), std::invalid_argument);
}

TEST(RegistryTest, RejectsHistogramBoundsThatAreNotIncreasing) {
  Registry registry;
  EXPECT_THROW(registry.histogram("h1", "Unsorted.", {0.1, 0.01}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("h2", "Repeated.", {0.1, 0.1}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("h3", "Empty.", {}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("h4", "NaN.", {std::nan("")}), std::invalid_argument);
}

}  // namespace
}  // namespace weir::metrics
