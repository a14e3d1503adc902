// Black-box: SIGHUP rereads the configuration and its list files, swaps it on every thread
// without dropping connections, and keeps the running one when the new one is invalid.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "support/http_client.hpp"
#include "support/protection_helpers.hpp"
#include "support/weir_process.hpp"

namespace weir::test {
namespace {

const std::string kSuccess = R"(weir_config_reloads_total{result="success"})";
const std::string kFailure = R"(weir_config_reloads_total{result="failure"})";

class ReloadBlackBox : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("weir-reload-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  // Sends SIGHUP and waits until the reload was counted under `series`.
  void reload(WeirProcess& weir, const std::string& series, double expected) {
    ::kill(weir.pid(), SIGHUP);
    ASSERT_TRUE(eventually([&] { return scrape(weir.metrics_port(), series) == expected; }))
        << weir.log();
  }

  std::filesystem::path dir_;
};

int admitted_of(const WeirProcess& weir, int attempts, const std::string& client = "") {
  int admitted = 0;
  const std::string header = client.empty() ? "" : "X-Forwarded-For: " + client + "\r\n";
  for (int i = 0; i < attempts; ++i)
    admitted += http_exchange(weir.port(), get_request("/api/data", header))->status == 200;
  return admitted;
}

TEST_F(ReloadBlackBox, SighupAppliesNewLimitsToNewAndOpenConnections) {
  const auto config = write("weir.yml", "limits: { default: { requests: 2, window: 60s } }\n");
  WeirProcess weir(std::nullopt, {"--config", config});
  HttpConnection kept(weir.port());  // open across the reload
  kept.send(get_request("/healthz-not-here"));
  ASSERT_TRUE(kept.read());

  write("weir.yml", "limits: { default: { requests: 5, window: 60s } }\n");
  reload(weir, kSuccess, 1);

  kept.send(get_request("/api/data"));
  auto reply = kept.read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->header("x-ratelimit-limit"), "5");
  EXPECT_EQ(http_exchange(weir.port(), get_request("/api/data"))->header("x-ratelimit-limit"), "5");
  EXPECT_NE(weir.log().find("reloaded configuration"), std::string::npos);
}

TEST_F(ReloadBlackBox, InvalidFileKeepsTheRunningConfigurationAndSaysWhy) {
  const auto config = write("weir.yml", "limits: { default: { requests: 2, window: 60s } }\n");
  WeirProcess weir(std::nullopt, {"--config", config});
  write("weir.yml", "limits: { default: { requests: 2, window: 90x } }\n");
  reload(weir, kFailure, 1);
  EXPECT_EQ(scrape(weir.metrics_port(), kSuccess), 0);
  EXPECT_NE(weir.log().find("90x"), std::string::npos) << weir.log();
  EXPECT_EQ(admitted_of(weir, 4), 2);
}

TEST_F(ReloadBlackBox, BlocklistFileIsRereadOnReloadAndABadLineIsRefused) {
  write("blocked.txt", "# nothing yet\n");
  const auto config = write("weir.yml", R"(
client_ip: { trusted_proxies: ["127.0.0.1/32"] }
blocklist_file: blocked.txt
)");
  WeirProcess weir(std::nullopt, {"--config", config});
  EXPECT_EQ(admitted_of(weir, 1, "198.51.100.7"), 1);

  write("blocked.txt", "# abusers\n198.51.100.0/24   # the whole range\n\n2001:db8::/32\n");
  reload(weir, kSuccess, 1);
  EXPECT_EQ(admitted_of(weir, 1, "198.51.100.7"), 0);
  EXPECT_EQ(admitted_of(weir, 1, "203.0.113.7"), 1);

  write("blocked.txt", "198.51.100.0/24\n300.1.2.3\n");
  reload(weir, kFailure, 1);
  EXPECT_NE(weir.log().find("blocked.txt:2"), std::string::npos) << weir.log();
  EXPECT_EQ(admitted_of(weir, 1, "198.51.100.7"), 0);  // the last good list stays
}

TEST_F(ReloadBlackBox, RequestInFlightDuringReloadCompletes) {
  const auto config = write("weir.yml", "limits: { default: { requests: 10, window: 60s } }\n");
  WeirProcess weir(std::nullopt, {"--config", config});
  const std::string body = R"({"username":"alice","password":"secret"})";
  HttpConnection connection(weir.port());
  connection.send("POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, 5));
  ASSERT_TRUE(
      eventually([&] { return scrape(weir.metrics_port(), "weir_in_flight_requests") == 1; }));

  write("weir.yml", "limits: { default: { requests: 3, window: 60s } }\n");
  reload(weir, kSuccess, 1);
  connection.send(body.substr(5));
  auto reply = connection.read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
}

TEST_F(ReloadBlackBox, ListenerChangeIsLoggedAsNeedingARestart) {
  const auto config = write("weir.yml", "threads: 1\n");
  WeirProcess weir(std::nullopt, {"--config", config});
  write("weir.yml", "threads: 2\n");
  reload(weir, kSuccess, 1);
  // The log reaches the test through a pipe read on another thread: wait for it.
  EXPECT_TRUE(eventually([&] {
    return weir.log().find("\"threads\" changed; it takes effect only after a restart") !=
           std::string::npos;
  })) << weir.log();
  EXPECT_EQ(http_exchange(weir.port(), get_request("/api/data"))->status, 200);
}

}  // namespace
}  // namespace weir::test
