// Black-box: over max_in_flight, weir sheds requests with 503 before any store work.
#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/protection_helpers.hpp"
#include "support/weir_process.hpp"

namespace weir::test {
namespace {

TEST(SheddingBlackBox, RequestOverMaxInFlightGets503WithRetryAfterAndNoStoreWork) {
  WeirProcess weir(R"(
max_in_flight: 1
timeouts: { body_min_rate: 0 }
limits:
  default: { requests: 100, window: 60s }
)");
  // One request in flight: its head is read, its body still arriving.
  const std::string body = R"({"username":"alice","password":"secret"})";
  HttpConnection slow(weir.port());
  slow.send("POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, 4));
  ASSERT_TRUE(
      eventually([&] { return scrape(weir.metrics_port(), "weir_in_flight_requests") == 1; }));
  const double keys = *scrape(weir.metrics_port(), "weir_store_keys");

  auto shed = http_exchange(weir.port(), get_request("/api/data"));
  ASSERT_TRUE(shed);
  EXPECT_EQ(shed->status, 503);
  EXPECT_EQ(shed->header("retry-after"), "1");
  EXPECT_EQ(shed->body, R"({"error":"overloaded"})");
  EXPECT_EQ(scrape(weir.metrics_port(), R"(http_rate_limited_total{reason="shed"})"), 1);
  EXPECT_EQ(scrape(weir.metrics_port(), "weir_store_keys"), keys);

  // The request in flight completes, and then there is room again.
  slow.send(body.substr(4));
  auto done = slow.read();
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, 200);
  EXPECT_TRUE(eventually([&] {
    auto again = http_exchange(weir.port(), get_request("/api/data"));
    return again && again->status == 200;
  }));
}

}  // namespace
}  // namespace weir::test
