// weir::testing::RedisCluster: a real Redis Cluster of three masters with one replica each,
// on free loopback ports, for tests.
//
// The constructor starts six redis-servers in cluster mode (node timeout 1 s, no persistence,
// files in a temporary directory of their own), joins them with `redis-cli --cluster create`
// and waits until every node reports cluster_state:ok. The destructor kills every node and
// removes the directory.
//
//   weir::testing::RedisCluster cluster;
//   options.url = weir::config::parse_redis_url(cluster.url());
//   cluster.command(cluster.master_of(slot), {"CLUSTER", "COUNTKEYSINSLOT", "42"});
//   cluster.kill(cluster.master_of(slot));   // a replica takes over after the node timeout
#pragma once

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support/redis_server.hpp"

namespace weir::testing {

class RedisCluster {
 public:
  static constexpr int kNodes = 6;

  RedisCluster() {
    char pattern[] = "/tmp/weir-test-cluster-XXXXXX";
    if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    try {
      start();
    } catch (...) {
      teardown();
      throw;
    }
  }
  ~RedisCluster() { teardown(); }

  RedisCluster(const RedisCluster&) = delete;
  RedisCluster& operator=(const RedisCluster&) = delete;

  // "redis-cluster://127.0.0.1:P1,...,127.0.0.1:P6".
  std::string url() const {
    std::string out = "redis-cluster://";
    for (int i = 0; i < kNodes; ++i) {
      if (i > 0) out += ',';
      out += "127.0.0.1:" + std::to_string(ports_[i]);
    }
    return out;
  }

  std::uint16_t port(int node) const { return ports_[node]; }
  bool running(int node) const { return pids_[node] > 0; }

  // One command on a fresh connection to `node`. A reply with type REDIS_REPLY_NIL and an
  // empty `str` when the node cannot be reached.
  RedisValue command(int node, const std::vector<std::string_view>& args) const {
    RedisValue value;
    timeval timeout{2, 0};
    redisContext* context = redisConnectWithTimeout("127.0.0.1", ports_[node], timeout);
    if (context != nullptr && context->err == 0) {
      redisSetTimeout(context, timeout);
      std::vector<const char*> argv;
      std::vector<std::size_t> lengths;
      for (const auto arg : args) {
        argv.push_back(arg.data());
        lengths.push_back(arg.size());
      }
      auto* reply = static_cast<redisReply*>(
          redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data()));
      if (reply != nullptr) {
        value = copy(reply);
        freeReplyObject(reply);
      }
    }
    if (context != nullptr) redisFree(context);
    return value;
  }

  std::string id(int node) const { return command(node, {"CLUSTER", "MYID"}).str; }

  // The node currently serving `slot` as master, asked of every live node until one knows;
  // -1 when none does.
  int master_of(int slot) const {
    for (int asked = 0; asked < kNodes; ++asked) {
      if (!running(asked)) continue;
      const RedisValue slots = command(asked, {"CLUSTER", "SLOTS"});
      for (const RedisValue& range : slots.elements) {
        if (range.elements.size() < 3 || slot < range.elements[0].integer ||
            slot > range.elements[1].integer) {
          continue;
        }
        const auto port = range.elements[2].elements.at(1).integer;
        for (int node = 0; node < kNodes; ++node) {
          if (ports_[node] == port) return node;
        }
      }
    }
    return -1;
  }

  // The nodes that are masters now, by ROLE.
  std::vector<int> masters() const {
    std::vector<int> out;
    for (int node = 0; node < kNodes; ++node) {
      if (!running(node)) continue;
      const RedisValue role = command(node, {"ROLE"});
      if (!role.elements.empty() && role.elements[0].str == "master") out.push_back(node);
    }
    return out;
  }

  // SIGKILL, as a crash. The node's replica is promoted after the node timeout.
  void kill(int node) {
    if (pids_[node] <= 0) return;
    ::kill(pids_[node], SIGKILL);
    int status = 0;
    waitpid(pids_[node], &status, 0);
    pids_[node] = -1;
  }

  // True once every live node reports cluster_state:ok within `limit`.
  bool wait_ok(std::chrono::milliseconds limit) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      bool ok = true;
      for (int node = 0; node < kNodes && ok; ++node) {
        if (!running(node)) continue;
        ok = command(node, {"CLUSTER", "INFO"}).str.find("cluster_state:ok") != std::string::npos;
      }
      if (ok) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

 private:
  void start() {
    pick_ports();
    for (int node = 0; node < kNodes; ++node) {
      // Another process may take a port between the check and redis-server's bind: move on.
      for (int attempt = 0;; ++attempt) {
        try {
          launch(node);
          break;
        } catch (const std::runtime_error&) {
          if (attempt == 2) throw;
          kill(node);
          ports_[node] = pick_port();
        }
      }
    }

    std::vector<std::string> args{"redis-cli", "--cluster", "create"};
    for (int node = 0; node < kNodes; ++node)
      args.push_back("127.0.0.1:" + std::to_string(ports_[node]));
    for (const char* arg : {"--cluster-replicas", "1", "--cluster-yes"})
      args.emplace_back(arg);
    if (run(args) != 0) throw std::runtime_error("redis-cli --cluster create failed");
    if (!wait_ok(std::chrono::seconds(15))) {
      throw std::runtime_error("the test cluster did not reach cluster_state:ok");
    }
    // Every replica must know its master before a test may kill one.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (masters().size() != kNodes / 2 || !replicas_synced()) {
      if (std::chrono::steady_clock::now() > deadline) {
        throw std::runtime_error("the test cluster's replicas did not attach");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  bool replicas_synced() const {
    for (int node = 0; node < kNodes; ++node) {
      const RedisValue role = command(node, {"ROLE"});
      if (role.elements.size() >= 4 && role.elements[0].str == "slave" &&
          role.elements[3].str != "connected") {
        return false;
      }
    }
    return true;
  }

  // Each node needs its port and the cluster bus port (port + 10000) free.
  // Below the kernel's ephemeral range, so outgoing connections rarely take them.
  void pick_ports() {
    for (int node = 0; node < kNodes; ++node)
      ports_[node] = pick_port();
  }

  std::uint16_t pick_port() {
    std::uniform_int_distribution<int> candidate(20000, 29999);
    while (true) {
      const auto port = static_cast<std::uint16_t>(candidate(random_));
      bool taken = false;
      for (const std::uint16_t used : ports_)
        taken = taken || used == port;
      if (!taken && bindable(port) && bindable(static_cast<std::uint16_t>(port + 10000))) {
        return port;
      }
    }
  }

  static bool bindable(std::uint16_t port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    close(fd);
    return ok;
  }

  void launch(int node) {
    const std::string port = std::to_string(ports_[node]);
    pids_[node] =
        spawn({"redis-server", "--port", port, "--bind", "127.0.0.1", "--cluster-enabled", "yes",
               "--cluster-config-file", "nodes-" + port + ".conf", "--cluster-node-timeout", "1000",
               "--save", "", "--appendonly", "no", "--dir", dir_});
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (command(node, {"PING"}).str != "PONG") {
      int status = 0;
      if (waitpid(pids_[node], &status, WNOHANG) == pids_[node]) {
        pids_[node] = -1;
        throw std::runtime_error("cluster node on port " + port + " exited at start");
      }
      if (std::chrono::steady_clock::now() > deadline) {
        throw std::runtime_error("cluster node on port " + port + " did not answer");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  static pid_t spawn(std::vector<std::string> args) {
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test
      const int null = open("/dev/null", O_RDWR);
      dup2(null, STDIN_FILENO);
      dup2(null, STDOUT_FILENO);
      dup2(null, STDERR_FILENO);
      std::vector<char*> argv;
      for (auto& arg : args)
        argv.push_back(arg.data());
      argv.push_back(nullptr);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    return pid;
  }

  static int run(std::vector<std::string> args) {
    const pid_t pid = spawn(std::move(args));
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  static RedisValue copy(const redisReply* reply) {
    RedisValue value;
    value.type = reply->type;
    value.integer = reply->integer;
    if (reply->str != nullptr) value.str.assign(reply->str, reply->len);
    for (std::size_t i = 0; i < reply->elements; ++i)
      value.elements.push_back(copy(reply->element[i]));
    return value;
  }

  void teardown() {
    for (int node = 0; node < kNodes; ++node)
      kill(node);
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  std::mt19937 random_{std::random_device{}()};
  std::string dir_;
  std::uint16_t ports_[kNodes] = {};
  pid_t pids_[kNodes] = {-1, -1, -1, -1, -1, -1};
};

}  // namespace weir::testing
