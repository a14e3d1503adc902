// Black-box: the admin API on the metrics listener: authentication and live blocks.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>

#include "support/http_client.hpp"
#include "support/protection_helpers.hpp"
#include "support/weir_process.hpp"

namespace weir::test {
namespace {

const std::string kToken = "admin-test-token-abcdef0123";

const std::string kConfig = R"(
client_ip: { trusted_proxies: ["127.0.0.1/32"] }
admin: { token: "admin-test-token-abcdef0123" }
)";

int status_for(const WeirProcess& weir, const std::string& client) {
  auto reply =
      http_exchange(weir.port(), get_request("/api/data", "X-Forwarded-For: " + client + "\r\n"));
  return reply ? reply->status : 0;
}

TEST(AdminApiBlackBox, MissingOrWrongTokenIs401) {
  WeirProcess weir(kConfig);
  auto none = admin_request(weir.metrics_port(), "GET", "/admin/blocks", "");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(none->header("www-authenticate"), "Bearer");
  EXPECT_EQ(admin_request(weir.metrics_port(), "GET", "/admin/blocks", "wrong")->status, 401);
  EXPECT_EQ(admin_request(weir.metrics_port(), "GET", "/admin/blocks", kToken + "x")->status, 401);
  EXPECT_EQ(admin_request(weir.metrics_port(), "PUT", "/admin/blocks/10.0.0.0%2F8", "nope")->status,
            401);
  EXPECT_EQ(admin_request(weir.metrics_port(), "GET", "/admin/blocks", kToken)->status, 200);
}

TEST(AdminApiBlackBox, WithoutATokenTheApiIsAbsent) {
  WeirProcess weir(R"(limits: { default: { requests: 5, window: 60s } })");
  EXPECT_EQ(admin_request(weir.metrics_port(), "GET", "/admin/blocks", "anything")->status, 404);
  // The rest of the listener is unaffected.
  EXPECT_EQ(http_exchange(weir.metrics_port(), get_request("/healthz"))->status, 200);
}

TEST(AdminApiBlackBox, TokenFromTheEnvironmentEnablesTheApi) {
  ::setenv("WEIR_ADMIN_TOKEN", "token-from-the-environment-42", 1);
  WeirProcess weir(R"(limits: { default: { requests: 5, window: 60s } })");
  ::unsetenv("WEIR_ADMIN_TOKEN");
  EXPECT_EQ(
      admin_request(weir.metrics_port(), "GET", "/admin/bans", "token-from-the-environment-42")
          ->status,
      200);
  EXPECT_EQ(admin_request(weir.metrics_port(), "GET", "/admin/bans", kToken)->status, 401);
}

TEST(AdminApiBlackBox, BlockedNetworkIsRefusedAtOnceAndUnblockedOnDelete) {
  WeirProcess weir(kConfig);
  ASSERT_EQ(status_for(weir, "198.51.100.9"), 200);

  auto put = admin_request(weir.metrics_port(), "PUT", "/admin/blocks/198.51.100.0%2F24", kToken);
  ASSERT_TRUE(put);
  ASSERT_EQ(put->status, 200) << put->body;
  EXPECT_EQ(nlohmann::json::parse(put->body)["cidr"], "198.51.100.0/24");

  EXPECT_EQ(status_for(weir, "198.51.100.9"), 403);
  EXPECT_EQ(status_for(weir, "203.0.113.1"), 200);
  EXPECT_EQ(scrape(weir.metrics_port(), "weir_dynamic_blocks"), 1);

  auto list = admin_request(weir.metrics_port(), "GET", "/admin/blocks", kToken);
  auto blocks = nlohmann::json::parse(list->body)["blocks"];
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0]["cidr"], "198.51.100.0/24");
  EXPECT_TRUE(blocks[0]["expires_at"].is_null());

  // A literal '/' works as well as %2F.
  auto del = admin_request(weir.metrics_port(), "DELETE", "/admin/blocks/198.51.100.0/24", kToken);
  EXPECT_EQ(del->status, 200) << del->body;
  EXPECT_EQ(status_for(weir, "198.51.100.9"), 200);
  EXPECT_EQ(admin_request(weir.metrics_port(), "DELETE", "/admin/blocks/198.51.100.0%2F24", kToken)
                ->status,
            404);
}

TEST(AdminApiBlackBox, BlockWithTtlExpiresByItself) {
  WeirProcess weir(kConfig);
  auto put =
      admin_request(weir.metrics_port(), "PUT", "/admin/blocks/198.51.100.0%2F24?ttl=1s", kToken);
  ASSERT_EQ(put->status, 200) << put->body;
  EXPECT_EQ(nlohmann::json::parse(put->body)["expires_in_seconds"], 1);
  EXPECT_EQ(status_for(weir, "198.51.100.9"), 403);
  EXPECT_TRUE(
      eventually([&] { return status_for(weir, "198.51.100.9") == 200; }, std::chrono::seconds(4)));
  EXPECT_TRUE(eventually([&] { return scrape(weir.metrics_port(), "weir_dynamic_blocks") == 0; }));
}

TEST(AdminApiBlackBox, BlockedPeerIsClosedAtAccept) {
  WeirProcess weir(kConfig);
  ASSERT_EQ(admin_request(weir.metrics_port(), "PUT", "/admin/blocks/127.0.0.2", kToken)->status,
            200);
  int blocked = connect_from(weir.port(), "127.0.0.2");
  EXPECT_EQ(get_on(blocked, "/api/data"), "");
  ::close(blocked);
  int other = connect_from(weir.port(), "127.0.0.3");
  EXPECT_EQ(get_on(other, "/api/data").rfind("HTTP/1.1 200", 0), 0u);
  ::close(other);
}

TEST(AdminApiBlackBox, BadRequestsAreRefusedWithReasons) {
  WeirProcess weir(kConfig);
  auto port = weir.metrics_port();
  EXPECT_EQ(admin_request(port, "PUT", "/admin/blocks/not-a-cidr", kToken)->status, 400);
  EXPECT_EQ(admin_request(port, "PUT", "/admin/blocks/10.0.0.1%2F8", kToken)->status, 400);
  EXPECT_EQ(admin_request(port, "PUT", "/admin/blocks/10.0.0.0%2F8?ttl=soon", kToken)->status, 400);
  EXPECT_EQ(admin_request(port, "DELETE", "/admin/bans/nobody", kToken)->status, 400);
  EXPECT_EQ(admin_request(port, "POST", "/admin/blocks", kToken)->status, 405);
  EXPECT_EQ(admin_request(port, "GET", "/admin/nothing", kToken)->status, 404);
}

}  // namespace
}  // namespace weir::test
