// Black-box: clients that send slowly, or stay too long, cannot hold weir's connections.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "support/http_client.hpp"
#include "support/protection_helpers.hpp"
#include "support/weir_process.hpp"

namespace weir::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

TEST(SlowClientBlackBox, SlowlorisConnectionsDoNotDelayANormalClientAndAreCutAtTheHeaderDeadline) {
  raise_descriptor_limit();
  WeirProcess weir(R"(
timeouts: { header: 1500ms }
connections: { max: 10000 }
)");

  // Three hundred connections that each start a request and then dribble header lines.
  constexpr int kSlow = 300;
  std::vector<std::unique_ptr<HttpConnection>> slow;
  for (int i = 0; i < kSlow; ++i) {
    slow.push_back(std::make_unique<HttpConnection>(weir.port()));
    slow.back()->send("GET /api/data HTTP/1.1\r\nHost: x\r\n");
  }
  for (auto& c : slow)
    c->send("X-Slow: 1\r\n");

  // Meanwhile a normal request is answered at once.
  const auto start = SteadyClock::now();
  auto reply = http_exchange(weir.port(), get_request("/api/data"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_LT(SteadyClock::now() - start, seconds(1));

  // Still dribbling, but the head's total deadline has passed: every one is closed.
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(milliseconds(300));
    for (auto& c : slow)
      c->send("X-Slow: 1\r\n");
  }
  int closed = 0;
  for (auto& c : slow)
    closed += c->closed_by_peer(seconds(3));
  EXPECT_EQ(closed, kSlow);
  EXPECT_EQ(http_exchange(weir.port(), get_request("/api/data"))->status, 200);
}

TEST(SlowClientBlackBox, BodyBelowTheMinimumRateIsCutLongBeforeTheBodyDeadline) {
  WeirProcess weir(R"(
timeouts: { body: 20s, body_min_rate: 100, body_grace: 500ms }
)");
  HttpConnection connection(weir.port());
  const auto start = SteadyClock::now();
  connection.send(
      "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n0123456789");
  EXPECT_TRUE(connection.closed_by_peer(seconds(5)));
  // The grace plus 10 bytes of credit at 100 bytes/s: about 0.6s, not 20s.
  EXPECT_LT(SteadyClock::now() - start, seconds(3));
}

TEST(SlowClientBlackBox, BodyAboveTheMinimumRateIsReadEvenWhenItTakesLongerThanTheGrace) {
  WeirProcess weir(R"(
timeouts: { body: 20s, body_min_rate: 1000, body_grace: 200ms }
)");
  const std::string body = R"({"username":"alice","password":")" + std::string(1500, 'x') + "\"}";
  HttpConnection connection(weir.port());
  connection.send("POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n");
  // About 3000 bytes/s for half a second: well above the minimum, longer than the grace.
  for (std::size_t sent = 0; sent < body.size(); sent += 300) {
    connection.send(body.substr(sent, 300));
    std::this_thread::sleep_for(milliseconds(100));
  }
  auto reply = connection.read(seconds(5));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
}

TEST(SlowClientBlackBox, IdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  WeirProcess weir(R"(
timeouts: { idle: 300ms }
)");
  HttpConnection connection(weir.port());
  connection.send(get_request("/api/data"));
  ASSERT_EQ(connection.read()->status, 200);
  const auto start = SteadyClock::now();
  EXPECT_TRUE(connection.closed_by_peer(seconds(3)));
  EXPECT_GE(SteadyClock::now() - start, milliseconds(200));
}

TEST(SlowClientBlackBox, ConnectionClosesAfterMaxRequestsPerConnection) {
  WeirProcess weir(R"(
max_requests_per_connection: 3
)");
  HttpConnection connection(weir.port());
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(connection.send(get_request("/api/data")));
    auto reply = connection.read();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->header("connection") == "close", i == 3) << i;
  }
  EXPECT_TRUE(connection.closed_by_peer());
}

}  // namespace
}  // namespace weir::test
