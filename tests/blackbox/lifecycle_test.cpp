// Black-box: start-up, configuration errors and graceful shutdown.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "support/command.hpp"
#include "support/http_client.hpp"
#include "support/weir_process.hpp"

namespace weir::test {
namespace {

struct WeirResult {
  int status;
  std::string output;
};

WeirResult run_weir(const std::string& args) {
  CommandResult result = run_command(std::string(WEIR_BINARY) + " " + args);
  return {result.exit_status, result.output};
}

std::string write_temp(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

TEST(LifecycleBlackBox, CheckConfigAcceptsAValidFile) {
  std::string path = write_temp("good.yml", "limits:\n  default: { requests: 5, window: 1m }\n");
  auto result = run_weir("--check-config " + path);
  EXPECT_EQ(result.status, 0) << result.output;
}

TEST(LifecycleBlackBox, BadConfigStopsStartUpNamingKeyAndValue) {
  std::string path = write_temp("bad.yml", "limits:\n  default: { requests: 5, window: 90x }\n");
  auto check = run_weir("--check-config " + path);
  EXPECT_EQ(check.status, 1);
  EXPECT_NE(check.output.find("bad.yml:2"), std::string::npos) << check.output;
  EXPECT_NE(check.output.find("limits.default.window"), std::string::npos) << check.output;
  EXPECT_NE(check.output.find("90x"), std::string::npos) << check.output;

  auto start = run_weir("--config " + path + " --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0");
  EXPECT_EQ(start.status, 1);
  EXPECT_NE(start.output.find("90x"), std::string::npos) << start.output;

  std::string cidr = write_temp("cidr.yml", "blocklist: [\"10.0.0.0/33\"]\n");
  auto bad_cidr = run_weir("--check-config " + cidr);
  EXPECT_EQ(bad_cidr.status, 1);
  EXPECT_NE(bad_cidr.output.find("blocklist[0]"), std::string::npos) << bad_cidr.output;
  EXPECT_NE(bad_cidr.output.find("10.0.0.0/33"), std::string::npos) << bad_cidr.output;
}

TEST(LifecycleBlackBox, VersionAndHelp) {
  EXPECT_EQ(run_weir("--version").output.rfind("weir ", 0), 0u);
  auto help = run_weir("--help");
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.output.find("--check-config"), std::string::npos);
}

TEST(LifecycleBlackBox, StartUpLogNamesListenersStoreAndRules) {
  WeirProcess weir(std::nullopt);
  std::string log = weir.log();
  EXPECT_NE(log.find("store \"memory\""), std::string::npos) << log;
  EXPECT_NE(log.find("3 rules"), std::string::npos) << log;
}

TEST(LifecycleBlackBox, SigtermLetsInFlightRequestFinishAndExitsZero) {
  WeirProcess weir(R"(
shutdown_grace: 5s
limits:
  default: { requests: 100, window: 60s }
)");
  // A request whose body is still arriving when the signal comes.
  HttpConnection connection(weir.port());
  std::string body = R"({"username":"dora"})";
  connection.send("POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, 5));
  // Let weir read the head before the signal arrives.
  ASSERT_FALSE(connection.closed_by_peer(std::chrono::milliseconds(200)));
  ::kill(weir.pid(), SIGTERM);
  ASSERT_FALSE(connection.closed_by_peer(std::chrono::milliseconds(200)));
  connection.send(body.substr(5));
  auto reply = connection.read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->header("connection"), "close");
  EXPECT_EQ(weir.wait_exit(std::chrono::seconds(10)), 0);

  // And new connections are refused once it has gone.
  EXPECT_THROW(HttpConnection refused(weir.port()), std::runtime_error);
}

}  // namespace
}  // namespace weir::test
