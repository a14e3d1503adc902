// Black-box: connection limits and blocklisted peers are refused at accept, before a byte is
// read, and counted as http_rate_limited_total{reason="connection_limit"} or "blocklist".
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "support/http_client.hpp"
#include "support/protection_helpers.hpp"
#include "support/weir_process.hpp"

namespace weir::test {
namespace {

const std::string kConnectionLimit = R"(http_rate_limited_total{reason="connection_limit"})";
const std::string kBlocklist = R"(http_rate_limited_total{reason="blocklist"})";

bool served(int fd) {
  return get_on(fd, "/api/data").rfind("HTTP/1.1 200", 0) == 0;
}

TEST(ConnectionLimitBlackBox, ConnectionOverTheGlobalMaximumIsClosedUnread) {
  WeirProcess weir(R"(
connections: { max: 3 }
)");
  std::vector<std::unique_ptr<HttpConnection>> open;
  for (int i = 0; i < 3; ++i)
    open.push_back(std::make_unique<HttpConnection>(weir.port()));
  // Let weir accept the three before the fourth arrives.
  ASSERT_TRUE(
      eventually([&] { return scrape(weir.metrics_port(), "http_active_connections") == 3; }));

  HttpConnection extra(weir.port());
  extra.send(get_request("/api/data"));
  EXPECT_FALSE(extra.read(std::chrono::seconds(2)));
  EXPECT_EQ(scrape(weir.metrics_port(), kConnectionLimit), 1);

  // The three admitted ones are served, and once one leaves there is room again.
  open[0]->send(get_request("/api/data"));
  EXPECT_EQ(open[0]->read()->status, 200);
  open.pop_back();
  EXPECT_TRUE(eventually([&] {
    HttpConnection again(weir.port());
    again.send(get_request("/api/data"));
    auto reply = again.read(std::chrono::seconds(1));
    return reply && reply->status == 200;
  }));
}

TEST(ConnectionLimitBlackBox, PerIpLimitCountsEachPeerAddressSeparately) {
  WeirProcess weir(R"(
connections: { per_ip: 2 }
)");
  int a1 = connect_from(weir.port(), "127.0.0.1");
  int a2 = connect_from(weir.port(), "127.0.0.1");
  ASSERT_TRUE(
      eventually([&] { return scrape(weir.metrics_port(), "http_active_connections") == 2; }));

  int a3 = connect_from(weir.port(), "127.0.0.1");
  EXPECT_EQ(get_on(a3, "/api/data"), "");  // closed without an answer
  EXPECT_EQ(scrape(weir.metrics_port(), kConnectionLimit), 1);

  // Another address has its own allowance.
  int b1 = connect_from(weir.port(), "127.0.0.2");
  EXPECT_TRUE(served(b1));
  EXPECT_TRUE(served(a1));
  for (int fd : {a1, a2, a3, b1})
    ::close(fd);
}

TEST(ConnectionLimitBlackBox, TrustedProxyIsExemptFromThePerIpLimit) {
  WeirProcess weir(R"(
client_ip: { trusted_proxies: ["127.0.0.1/32"] }
connections: { per_ip: 1 }
)");
  std::vector<std::unique_ptr<HttpConnection>> open;
  for (int i = 0; i < 4; ++i) {
    open.push_back(std::make_unique<HttpConnection>(weir.port()));
  }
  for (auto& c : open) {
    c->send(get_request("/api/data"));
    auto reply = c->read();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 200);
  }
  EXPECT_EQ(scrape(weir.metrics_port(), kConnectionLimit), 0);
}

TEST(ConnectionLimitBlackBox, BlocklistedPeerIsClosedAtAcceptAndOthersAreServed) {
  WeirProcess weir(R"(
blocklist: ["127.0.0.2/32"]
)");
  int blocked = connect_from(weir.port(), "127.0.0.2");
  EXPECT_EQ(get_on(blocked, "/api/data"), "");
  ::close(blocked);
  EXPECT_EQ(scrape(weir.metrics_port(), kBlocklist), 1);
  EXPECT_EQ(scrape(weir.metrics_port(), "weir_store_keys"), 0);

  int fine = connect_from(weir.port(), "127.0.0.3");
  EXPECT_TRUE(served(fine));
  ::close(fine);
}

TEST(ConnectionLimitBlackBox, BlocklistedTrustedProxyStillCarriesItsClients) {
  // The proxy's own address is in a blocked range, but it is trusted: its connections are not
  // refused at accept, and each request is judged by the client it forwards.
  WeirProcess weir(R"(
client_ip: { trusted_proxies: ["127.0.0.1/32"] }
blocklist: ["127.0.0.0/8", "198.51.100.0/24"]
)");
  auto ok =
      http_exchange(weir.port(), get_request("/api/data", "X-Forwarded-For: 203.0.113.5\r\n"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  auto blocked =
      http_exchange(weir.port(), get_request("/api/data", "X-Forwarded-For: 198.51.100.5\r\n"));
  ASSERT_TRUE(blocked);
  EXPECT_EQ(blocked->status, 403);
}

}  // namespace
}  // namespace weir::test
