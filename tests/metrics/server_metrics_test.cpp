#include "metrics/server_metrics.hpp"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace weir::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ServerMetricsTest, ExportsEveryDocumentedName) {
  Registry registry;
  ServerMetrics metrics(registry);
  const std::string text = registry.render();

  EXPECT_THAT(text, HasSubstr("# TYPE http_requests_total counter\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE http_rate_limited_total counter\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE http_active_connections gauge\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE http_request_duration_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE weir_decision_duration_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE process_resident_memory_bytes gauge\n"));
}

TEST(ServerMetricsTest, StartsEveryRejectionReasonAtZero) {
  Registry registry;
  ServerMetrics metrics(registry);

  EXPECT_THAT(registry.render(),
              HasSubstr("# TYPE http_rate_limited_total counter\n"
                        "http_rate_limited_total{reason=\"rate_limit\"} 0\n"
                        "http_rate_limited_total{reason=\"blocklist\"} 0\n"
                        "http_rate_limited_total{reason=\"ban\"} 0\n"
                        "http_rate_limited_total{reason=\"shed\"} 0\n"
                        "http_rate_limited_total{reason=\"connection_limit\"} 0\n"));
}

TEST(ServerMetricsTest, CountsAnUnknownReasonAsOther) {
  Registry registry;
  ServerMetrics metrics(registry);

  metrics.rate_limited.with({"invented"}).inc();

  EXPECT_THAT(registry.render(), HasSubstr("http_rate_limited_total{reason=\"other\"} 1\n"));
  EXPECT_THAT(registry.render(), Not(HasSubstr("invented")));
}

TEST(ServerMetricsTest, BucketsDecisionsFromOneMicrosecondToTenMilliseconds) {
  Registry registry;
  ServerMetrics metrics(registry);

  metrics.decision_duration.observe(std::chrono::nanoseconds(700));
  metrics.decision_duration.observe(std::chrono::milliseconds(20));

  const std::string text = registry.render();
  EXPECT_THAT(text, HasSubstr("weir_decision_duration_seconds_bucket{le=\"1e-06\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("weir_decision_duration_seconds_bucket{le=\"0.01\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("weir_decision_duration_seconds_bucket{le=\"+Inf\"} 2\n"));
}

TEST(ServerMetricsTest, BoundsRequestSeries) {
  Registry registry;
  ServerMetrics metrics(registry, 2);

  metrics.requests.with({"GET", "/api", "200"}).inc();
  metrics.requests.with({"GET", "/api", "429"}).inc();
  metrics.requests.with({"GET", "/api", "503"}).inc();

  EXPECT_THAT(
      registry.render(),
      HasSubstr("http_requests_total{method=\"other\",path=\"other\",status=\"other\"} 1\n"));
}

TEST(ServerMetricsTest, LabelsOnlyStandardMethods) {
  EXPECT_EQ(method_label("GET"), "GET");
  EXPECT_EQ(method_label("PATCH"), "PATCH");
  EXPECT_EQ(method_label("get"), "other");
  EXPECT_EQ(method_label("BREW"), "other");
  EXPECT_EQ(method_label(""), "other");
}

}  // namespace
}  // namespace weir::metrics
