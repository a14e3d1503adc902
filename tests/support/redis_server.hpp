// weir::testing::RedisServer: a real redis-server on a free loopback port, for tests.
//
// Started by the constructor (no persistence, bound to 127.0.0.1 only) and killed by the
// destructor. stop() and start() simulate a crash and a restart on the same port; command()
// talks to it synchronously for setup and inspection.
//
//   weir::testing::RedisServer redis;
//   redis.command({"SET", "k", "v"});
//   EXPECT_EQ(redis.command({"GET", "k"}).str, "v");
#pragma once

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "config/redis_url.hpp"

namespace weir::testing {

// A reply, copied out of hiredis.
struct RedisValue {
  int type = REDIS_REPLY_NIL;
  long long integer = 0;
  std::string str;  // strings, status and error replies
  std::vector<RedisValue> elements;

  bool is_error() const { return type == REDIS_REPLY_ERROR; }
};

class RedisServer {
 public:
  // `extra` is appended to redis-server's arguments, e.g. {"--requirepass", "s3cret"}.
  explicit RedisServer(std::vector<std::string> extra = {})
      : port_(free_port()),
        unix_socket_("/tmp/weir-test-redis-" + std::to_string(port_) + ".sock"),
        extra_(std::move(extra)) {
    // Another process may take the free port before redis-server binds it: try another.
    for (int attempt = 0; attempt < 3 && pid_ <= 0; ++attempt) {
      if (attempt > 0) {
        port_ = free_port();
        unix_socket_ = "/tmp/weir-test-redis-" + std::to_string(port_) + ".sock";
      }
      launch();
    }
    if (pid_ <= 0) throw std::runtime_error("redis-server did not start");
  }
  ~RedisServer() {
    disconnect();
    stop();
    unlink(unix_socket_.c_str());
  }

  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  std::uint16_t port() const { return port_; }
  // The server also listens on this unix socket.
  const std::string& unix_socket() const { return unix_socket_; }

  config::RedisUrl url() const {
    config::RedisUrl url;
    url.host = "127.0.0.1";
    url.port = port_;
    return url;
  }

  // Starts redis-server on port() and waits until it answers PING. Throws if it does not
  // within five seconds, or if it exits (the port was taken meanwhile).
  void start() {
    if (pid_ > 0) return;
    if (!launch()) {
      throw std::runtime_error("redis-server did not start on port " + std::to_string(port_));
    }
  }

  // Kills the server at once, as a crash would; it forgets everything (no persistence).
  void stop() {
    disconnect();
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  bool running() const { return pid_ > 0; }

  // Freezes the server (SIGSTOP): connections stay open, nothing is answered. resume() thaws
  // it, and it then answers everything it was sent meanwhile.
  void pause() {
    if (pid_ > 0) kill(pid_, SIGSTOP);
  }
  void resume() {
    if (pid_ > 0) kill(pid_, SIGCONT);
  }

  // Runs one command on a connection of its own. Throws if the server cannot be reached.
  RedisValue command(std::initializer_list<std::string_view> args) {
    return command(std::vector<std::string_view>(args));
  }
  RedisValue command(const std::vector<std::string_view>& args) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (context_ == nullptr) connect();
      std::vector<const char*> argv;
      std::vector<std::size_t> lengths;
      for (const auto arg : args) {
        argv.push_back(arg.data());
        lengths.push_back(arg.size());
      }
      auto* reply = static_cast<redisReply*>(
          redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data()));
      if (reply != nullptr) {
        RedisValue value = copy(reply);
        freeReplyObject(reply);
        return value;
      }
      disconnect();  // stale connection after a restart: try once more
    }
    throw std::runtime_error("redis-server on port " + std::to_string(port_) + " unreachable");
  }

 private:
  // Forks redis-server and waits for its PING. False, with nothing left running, when it exits
  // or stays silent for five seconds.
  bool launch() {
    const std::string port = std::to_string(port_);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test
      const int null = open("/dev/null", O_WRONLY);
      dup2(null, STDOUT_FILENO);
      dup2(null, STDERR_FILENO);
      std::vector<std::string> args{"redis-server", "--port",       port,        "--bind",
                                    "127.0.0.1",    "--save",       "",          "--appendonly",
                                    "no",           "--unixsocket", unix_socket_};
      args.insert(args.end(), extra_.begin(), extra_.end());
      std::vector<char*> argv;
      for (auto& arg : args)
        argv.push_back(arg.data());
      argv.push_back(nullptr);
      execvp("redis-server", argv.data());
      _exit(127);
    }

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      if (ping()) return true;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {  // exited: the port was taken
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    stop();
    return false;
  }

  static std::uint16_t free_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof(address);
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      close(fd);
      throw std::runtime_error("cannot find a free loopback port");
    }
    close(fd);
    return ntohs(address.sin_port);
  }

  static RedisValue copy(const redisReply* reply) {
    RedisValue value;
    value.type = reply->type;
    value.integer = reply->integer;
    if (reply->str != nullptr) value.str.assign(reply->str, reply->len);
    for (std::size_t i = 0; i < reply->elements; ++i) {
      value.elements.push_back(copy(reply->element[i]));
    }
    return value;
  }

  // True when our server answers on the port: INFO names its process id, so another test's
  // server that took the port meanwhile is not mistaken for ours. A server that wants a
  // password answers NOAUTH, which is taken as up.
  bool ping() {
    timeval timeout{0, 200'000};
    redisContext* context = redisConnectWithTimeout("127.0.0.1", port_, timeout);
    bool ok = false;
    if (context != nullptr && context->err == 0) {
      auto* reply = static_cast<redisReply*>(redisCommand(context, "INFO server"));
      if (reply != nullptr && reply->type == REDIS_REPLY_ERROR) ok = true;
      if (reply != nullptr && reply->type == REDIS_REPLY_STRING) {
        const std::string info(reply->str, reply->len);
        ok = info.find("process_id:" + std::to_string(pid_) + "\r") != std::string::npos;
      }
      if (reply != nullptr) freeReplyObject(reply);
    }
    if (context != nullptr) redisFree(context);
    return ok;
  }

  void connect() {
    timeval timeout{2, 0};
    context_ = redisConnectWithTimeout("127.0.0.1", port_, timeout);
    if (context_ == nullptr || context_->err != 0) {
      disconnect();
      throw std::runtime_error("cannot connect to redis-server on port " + std::to_string(port_));
    }
    redisSetTimeout(context_, timeout);
  }

  void disconnect() {
    if (context_ != nullptr) redisFree(context_);
    context_ = nullptr;
  }

  std::uint16_t port_;
  std::string unix_socket_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
  redisContext* context_ = nullptr;
};

}  // namespace weir::testing
