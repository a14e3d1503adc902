// Black-box: proxy mode. The real weir binary forwards to a real upstream (TestUpstream) on
// loopback; the tests look at both ends.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

#include "support/http_client.hpp"
#include "support/test_upstream.hpp"
#include "support/weir_process.hpp"

namespace weir::test {
namespace {

using nlohmann::json;

// A configuration forwarding to `url`, on one thread so that one pool serves every request.
std::string proxy_config(const std::string& url, std::string_view extra = "") {
  return "threads: 1\nupstream: \"" + url + "\"\n" + std::string(extra);
}

std::string scrape(const WeirProcess& weir) {
  auto reply = http_exchange(weir.metrics_port(), get_request("/metrics"));
  return reply ? reply->body : std::string();
}

class ProxyBlackBox : public ::testing::Test {
 protected:
  TestUpstream upstream_;
  WeirProcess weir_{proxy_config(upstream_.url("/base"), R"(
limits:
  default: { requests: 1000, window: 60s }
  routes:
    - { prefix: /api, requests: 1000, window: 60s }
)")};
};

TEST_F(ProxyBlackBox, ForwardsMethodTargetHeadersAndBody) {
  auto reply = http_exchange(weir_.port(),
                             "PUT /api/items/7?color=red&size=2 HTTP/1.1\r\n"
                             "Host: shop.example\r\n"
                             "X-Request-Id: abc-123\r\n"
                             "Cookie: a=1\r\n"
                             "Content-Type: text/plain\r\n"
                             "Content-Length: 11\r\n\r\n"
                             "hello world");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->header("x-ratelimit-limit"), "1000");
  EXPECT_EQ(reply->header("ratelimit-policy"), R"("/api";q=1000;w=60)");

  // The upstream's echo and its own record agree on what arrived.
  json echo = json::parse(reply->body);
  EXPECT_EQ(echo["method"], "PUT");
  EXPECT_EQ(echo["target"], "/base/api/items/7?color=red&size=2");
  EXPECT_EQ(echo["body"], "hello world");
  ASSERT_EQ(upstream_.requests().size(), 1u);
  const auto request = upstream_.requests().front();
  EXPECT_EQ(request.version, "HTTP/1.1");
  EXPECT_EQ(request.header("host"), "shop.example");
  EXPECT_EQ(request.header("x-request-id"), "abc-123");
  EXPECT_EQ(request.header("cookie"), "a=1");
  EXPECT_EQ(request.header("content-type"), "text/plain");
  EXPECT_EQ(request.header("content-length"), "11");

  for (std::string method : {"GET", "DELETE", "OPTIONS", "PATCH"}) {
    auto r = http_exchange(weir_.port(), method + " /x HTTP/1.1\r\nHost: h\r\n\r\n");
    ASSERT_TRUE(r) << method;
    EXPECT_EQ(json::parse(r->body)["method"], method);
  }
}

TEST_F(ProxyBlackBox, RelaysUpstreamStatusHeadersAndBody) {
  auto missing = http_exchange(weir_.port(), get_request("/large?size=5"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 200);
  EXPECT_EQ(missing->body, "abcde");

  // HEAD: the upstream's length, no body, and the connection still usable.
  HttpConnection connection(weir_.port());
  connection.send("HEAD /large?size=5000 HTTP/1.1\r\nHost: h\r\n\r\n");
  auto head = connection.read(std::chrono::seconds(5), true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("content-length"), "5000");
  EXPECT_TRUE(head->body.empty());
  connection.send(get_request("/large?size=3"));
  auto next = connection.read();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "abc");
}

TEST_F(ProxyBlackBox, StreamsBodiesLargerThanTheWindowBothWays) {
  // 900 KB up (within max_body_bytes), 3 MB down (past any limit on requests): many windows.
  const std::string upload = pattern_bytes(900'000);
  auto reply = http_exchange(weir_.port(), post_request("/upload", upload));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  ASSERT_EQ(upstream_.requests().size(), 1u);
  EXPECT_EQ(upstream_.requests().front().body, upload);
  EXPECT_EQ(upstream_.requests().front().header("content-length"), "900000");

  auto download = http_exchange(weir_.port(), get_request("/large?size=3000000"));
  ASSERT_TRUE(download);
  EXPECT_EQ(download->header("content-length"), "3000000");
  EXPECT_TRUE(download->body == pattern_bytes(3'000'000));
}

TEST_F(ProxyBlackBox, StreamsChunkedBodiesBothWays) {
  // Up: a chunked body in uneven chunks, 200 KB in all.
  HttpConnection connection(weir_.port());
  connection.send("POST /chunks HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
  std::string sent;
  for (std::size_t size : {1u, 70000u, 3u, 130000u}) {
    std::string piece = pattern_bytes(size);
    char line[20];
    std::snprintf(line, sizeof line, "%zx\r\n", size);
    connection.send(line + piece + "\r\n");
    sent += piece;
  }
  connection.send("0\r\n\r\n");
  auto reply = connection.read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  const auto request = upstream_.requests().back();
  EXPECT_TRUE(request.chunked);
  EXPECT_EQ(request.count("content-length"), 0u);
  EXPECT_TRUE(request.body == sent);

  // Down: a chunked response of 300 KB stays chunked for an HTTP/1.1 client.
  connection.send(get_request("/chunked?size=300000"));
  auto chunked = connection.read();
  ASSERT_TRUE(chunked);
  EXPECT_EQ(chunked->header("transfer-encoding"), "chunked");
  EXPECT_TRUE(chunked->body == pattern_bytes(300'000));

  // A body framed by the upstream closing its connection reaches the client chunked.
  connection.send(get_request("/eof?size=100000"));
  auto eof = connection.read();
  ASSERT_TRUE(eof);
  EXPECT_EQ(eof->header("transfer-encoding"), "chunked");
  EXPECT_TRUE(eof->body == pattern_bytes(100'000));
}

TEST_F(ProxyBlackBox, HttpOneZeroClientGetsAnUnframedBodyUntilClose) {
  auto reply = http_exchange(weir_.port(), "GET /chunked?size=25000 HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->header("connection"), "close");
  EXPECT_EQ(reply->header("transfer-encoding"), "");
  EXPECT_TRUE(reply->body == pattern_bytes(25'000));
  // No Host from the client: the upstream gets its own authority.
  EXPECT_EQ(upstream_.requests().back().header("host"),
            "127.0.0.1:" + std::to_string(upstream_.port()));
}

TEST_F(ProxyBlackBox, DropsHopByHopFieldsBothWays) {
  auto reply = http_exchange(weir_.port(),
                             "GET /hop HTTP/1.1\r\n"
                             "Host: h\r\n"
                             "Connection: keep-alive, X-Client-Private\r\n"
                             "X-Client-Private: 1\r\n"
                             "Keep-Alive: timeout=5\r\n"
                             "TE: trailers\r\n"
                             "Proxy-Authorization: Basic eA==\r\n"
                             "Proxy-Connection: keep-alive\r\n"
                             "Upgrade: websocket\r\n"
                             "X-Client-Public: 2\r\n\r\n");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);

  const auto request = upstream_.requests().back();
  for (std::string name : {"connection", "x-client-private", "keep-alive", "te",
                           "proxy-authorization", "proxy-connection", "upgrade"}) {
    EXPECT_EQ(request.count(name), 0u) << name;
  }
  EXPECT_EQ(request.header("x-client-public"), "2");

  // The upstream's hop-by-hop fields stop at weir, and weir's rate headers replace its own.
  for (std::string name : {"x-upstream-private", "keep-alive", "proxy-authenticate"}) {
    EXPECT_EQ(reply->headers.count(name), 0u) << name;
  }
  EXPECT_EQ(reply->header("connection"), "");
  EXPECT_EQ(reply->header("x-kept"), "yes");
  EXPECT_EQ(reply->header("x-ratelimit-limit"), "1000");
}

TEST_F(ProxyBlackBox, DescribesTheClientInForwardingHeaders) {
  ASSERT_TRUE(http_exchange(weir_.port(), get_request("/a",
                                                      "X-Forwarded-For: 203.0.113.9\r\n"
                                                      "X-Forwarded-Proto: https\r\n"
                                                      "Forwarded: for=198.51.100.1\r\n")));
  auto request = upstream_.requests().back();
  EXPECT_EQ(request.header("x-forwarded-for"), "203.0.113.9, 127.0.0.1");
  EXPECT_EQ(request.count("x-forwarded-proto"), 1u);
  EXPECT_EQ(request.header("x-forwarded-proto"), "http");
  EXPECT_EQ(request.header("forwarded"), "for=198.51.100.1, for=127.0.0.1;proto=http");
  EXPECT_EQ(request.header("host"), "localhost");

  ASSERT_TRUE(http_exchange(weir_.port(), get_request("/b")));
  request = upstream_.requests().back();
  EXPECT_EQ(request.header("x-forwarded-for"), "127.0.0.1");
  EXPECT_EQ(request.header("forwarded"), "for=127.0.0.1;proto=http");
}

TEST(ProxyHost, UpstreamHostReplacesTheClientsHost) {
  TestUpstream upstream;
  WeirProcess weir(proxy_config(upstream.url(), "upstream_host: \"api.internal:8080\"\n"));
  ASSERT_TRUE(http_exchange(weir.port(), get_request("/x")));
  EXPECT_EQ(upstream.requests().back().header("host"), "api.internal:8080");
  EXPECT_EQ(upstream.requests().back().count("host"), 1u);
}

TEST(ProxyPool, ReusesUpstreamConnectionsAcrossRequestsAndClients) {
  TestUpstream upstream;
  WeirProcess weir(proxy_config(upstream.url(),
                                "limits: { default: { requests: 1000, "
                                "window: 60s } }\n"));
  // 60 requests on 6 client connections, one after another.
  for (int c = 0; c < 6; ++c) {
    HttpConnection connection(weir.port());
    for (int i = 0; i < 10; ++i) {
      connection.send(get_request("/r"));
      auto reply = connection.read();
      ASSERT_TRUE(reply);
      ASSERT_EQ(reply->status, 200);
    }
  }
  EXPECT_EQ(upstream.requests().size(), 60u);
  EXPECT_EQ(upstream.connections(), 1);

  // An upstream that closes after answering costs a new connection next time, not an error.
  ASSERT_EQ(http_exchange(weir.port(), get_request("/close"))->status, 200);
  ASSERT_EQ(http_exchange(weir.port(), get_request("/r"))->status, 200);
  EXPECT_EQ(upstream.connections(), 2);
  EXPECT_EQ(metric_value(scrape(weir), R"(weir_upstream_errors_total{kind="closed"})"), 0);
}

TEST(ProxyPool, IdleConnectionsTheUpstreamDroppedAreNotReused) {
  TestUpstream upstream;
  WeirProcess weir(proxy_config(upstream.url()));
  // Each /drop answer looks reusable, but the upstream closes right after it. A request with a
  // body could not be sent again, so only checking before reuse keeps these from failing.
  ASSERT_EQ(http_exchange(weir.port(), get_request("/drop"))->status, 200);
  EXPECT_EQ(http_exchange(weir.port(), post_request("/drop", "{\"n\":1}"))->status, 200);
  EXPECT_EQ(http_exchange(weir.port(), post_request("/r", "{\"n\":2}"))->status, 200);
  EXPECT_EQ(upstream.connections(), 3);
  EXPECT_EQ(upstream.requests().back().body, "{\"n\":2}");
  EXPECT_EQ(metric_value(scrape(weir), R"(weir_upstream_errors_total{kind="closed"})"), 0);
}

TEST(ProxyPool, WithoutIdleConnectionsEachRequestOpensOne) {
  TestUpstream upstream;
  WeirProcess weir(proxy_config(upstream.url(), "upstream_pool: { max_idle: 0 }\n"));
  HttpConnection connection(weir.port());
  for (int i = 0; i < 5; ++i) {
    connection.send(get_request("/r"));
    ASSERT_EQ(connection.read()->status, 200);
  }
  EXPECT_EQ(upstream.connections(), 5);
}

TEST(ProxyLimits, RejectedRequestsNeverReachTheUpstream) {
  TestUpstream upstream;
  WeirProcess weir(proxy_config(upstream.url(), R"(
limits:
  default: { requests: 2, window: 60s }
)"));
  EXPECT_EQ(http_exchange(weir.port(), get_request("/a"))->status, 200);
  EXPECT_EQ(http_exchange(weir.port(), post_request("/a", "{}"))->status, 200);
  auto limited = http_exchange(weir.port(), post_request("/a", "{\"x\":1}"));
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(json::parse(limited->body)["error"], "too many requests");
  EXPECT_EQ(upstream.requests().size(), 2u);

  const std::string metrics = scrape(weir);
  EXPECT_EQ(
      metric_value(metrics, R"(http_requests_total{method="GET",path="default",status="200"})"), 1);
  EXPECT_EQ(
      metric_value(metrics, R"(http_requests_total{method="POST",path="default",status="429"})"),
      1);
}

TEST(ProxyLimits, BlockedClientGetsForbiddenWithoutTouchingTheUpstream) {
  TestUpstream upstream;
  // A blocked client behind a trusted proxy gets 403 (a blocked peer itself is closed at accept).
  WeirProcess weir(proxy_config(upstream.url(),
                                "blocklist: [203.0.113.0/24]\n"
                                "client_ip: { trusted_proxies: [127.0.0.1/32] }\n"));
  auto reply = http_exchange(weir.port(), get_request("/a", "X-Forwarded-For: 203.0.113.7\r\n"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 403);
  EXPECT_EQ(upstream.requests().size(), 0u);
  EXPECT_EQ(upstream.connections(), 0);
}

TEST(ProxyMetrics, LabelsRequestsByRuleNeverByRawPath) {
  TestUpstream upstream;
  WeirProcess weir(proxy_config(upstream.url(), R"(
limits:
  routes:
    - { prefix: /api, requests: 100, window: 60s }
)"));
  ASSERT_TRUE(http_exchange(weir.port(), get_request("/api/users/123")));
  ASSERT_TRUE(http_exchange(weir.port(), get_request("/random/path/xyz987")));
  const std::string metrics = scrape(weir);
  EXPECT_EQ(metric_value(metrics, R"(http_requests_total{method="GET",path="/api",status="200"})"),
            1);
  EXPECT_EQ(
      metric_value(metrics, R"(http_requests_total{method="GET",path="default",status="200"})"), 1);
  EXPECT_EQ(metrics.find("xyz987"), std::string::npos);
  EXPECT_EQ(metrics.find("/api/users"), std::string::npos);
}

TEST(ProxyFailures, UnreachableUpstreamGetsBadGateway) {
  WeirProcess weir(proxy_config("http://127.0.0.1:" + std::to_string(unused_port())));
  HttpConnection connection(weir.port());
  connection.send(get_request("/a"));
  auto reply = connection.read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 502);
  EXPECT_EQ(reply->header("content-type"), "application/json");
  EXPECT_EQ(json::parse(reply->body), json::parse(R"({"error":"bad gateway"})"));
  EXPECT_EQ(reply->header("x-ratelimit-limit"), "100");

  // The request was read whole, so the connection goes on.
  connection.send(get_request("/b"));
  ASSERT_TRUE(connection.read());
  EXPECT_EQ(metric_value(scrape(weir), R"(weir_upstream_errors_total{kind="connect"})"), 2);
}

TEST(ProxyFailures, UnreachableUpstreamWithAPendingBodyClosesAfterAnswering) {
  WeirProcess weir(proxy_config("http://127.0.0.1:" + std::to_string(unused_port())));
  HttpConnection connection(weir.port());
  connection.send(
      "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n");
  auto reply = connection.read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 502);  // not 100: the body was never invited
  EXPECT_EQ(reply->header("connection"), "close");
}

TEST(ProxyFailures, SlowUpstreamGetsGatewayTimeout) {
  TestUpstream upstream;
  WeirProcess weir(proxy_config(upstream.url(), "upstream_timeouts: { response: 300ms }\n"));
  const auto start = std::chrono::steady_clock::now();
  auto reply = http_exchange(weir.port(), get_request("/slow?ms=5000"));
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 504);
  EXPECT_EQ(json::parse(reply->body), json::parse(R"({"error":"gateway timeout"})"));
  EXPECT_LT(waited, std::chrono::seconds(3));
  EXPECT_EQ(metric_value(scrape(weir), R"(weir_upstream_errors_total{kind="timeout"})"), 1);

  // The slow connection was given up; the next request is served on a new one.
  EXPECT_EQ(http_exchange(weir.port(), get_request("/fast"))->status, 200);
}

TEST(ProxyFailures, MalformedUpstreamAnswerGetsBadGateway) {
  TestUpstream upstream;
  WeirProcess weir(proxy_config(upstream.url()));
  auto reply = http_exchange(weir.port(), get_request("/garbage"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 502);
  EXPECT_EQ(metric_value(scrape(weir), R"(weir_upstream_errors_total{kind="protocol"})"), 1);
}

TEST(ProxyFailures, UpstreamResponseFramedTwoWaysGetsBadGatewayAndItsConnectionIsDropped) {
  TestUpstream upstream;
  WeirProcess weir(proxy_config(upstream.url()));
  HttpConnection connection(weir.port());
  connection.send(get_request("/two-framings"));
  auto reply = connection.read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 502);
  EXPECT_EQ(reply->body.find("forged"), std::string::npos);

  // The next request gets its own answer, on a new upstream connection.
  auto next = http_exchange(weir.port(), get_request("/r"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body.find("forged"), std::string::npos);
  EXPECT_EQ(upstream.connections(), 2);
  EXPECT_EQ(metric_value(scrape(weir), R"(weir_upstream_errors_total{kind="protocol"})"), 1);
}

TEST(ProxyFailures, UpstreamDyingMidBodyCutsTheClientOff) {
  TestUpstream upstream;
  WeirProcess weir(proxy_config(upstream.url()));
  HttpConnection connection(weir.port());
  connection.send(get_request("/truncate"));
  // The head (200, length 1000) may already be out; the body never completes.
  auto reply = connection.read(std::chrono::seconds(3));
  EXPECT_FALSE(reply && reply->body.size() == 1000);
  EXPECT_TRUE(connection.closed_by_peer());
  EXPECT_EQ(metric_value(scrape(weir), R"(weir_upstream_errors_total{kind="closed"})"), 1);
}

TEST(ProxyRequests, ExpectContinueIsAnsweredByWeir) {
  TestUpstream upstream;
  WeirProcess weir(proxy_config(upstream.url()));
  HttpConnection connection(weir.port());
  connection.send(
      "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  auto interim = connection.read();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  connection.send("hello");
  auto reply = connection.read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(upstream.requests().back().body, "hello");
  EXPECT_EQ(upstream.requests().back().count("expect"), 0u);
}

TEST(ProxyRequests, BodyOverTheLimitIsRefusedMidStream) {
  TestUpstream upstream;
  WeirProcess weir(proxy_config(upstream.url(), "limits_http: { max_body_bytes: 100000 }\n"));
  EXPECT_EQ(http_exchange(weir.port(), post_request("/a", pattern_bytes(100'001)))->status, 413);

  // Chunked: the limit is found only while streaming, before anything was answered.
  HttpConnection connection(weir.port());
  connection.send("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
  connection.send("15f90\r\n" + pattern_bytes(90'000) + "\r\n");
  connection.send("4e20\r\n" + pattern_bytes(20'000) + "\r\n0\r\n\r\n");
  auto reply = connection.read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 413);
}

}  // namespace
}  // namespace weir::test
