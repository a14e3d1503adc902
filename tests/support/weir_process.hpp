// weir::test::WeirProcess: starts the real weir binary on free loopback ports with a given
// configuration, for black-box tests, and stops it with SIGTERM.
//
//   WeirProcess weir(R"(limits: { default: { requests: 2, window: 60s } })");
//   auto reply = http_request(weir.port(), "GET /api/data HTTP/1.1\r\nHost: x\r\n\r\n");
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace weir::test {

class WeirProcess {
 public:
  // `yaml` is written to a temporary file and passed with --config; std::nullopt runs the
  // built-in configuration. Listeners always go to 127.0.0.1 on ports the kernel picks.
  explicit WeirProcess(std::optional<std::string> yaml, std::vector<std::string> extra_args = {},
                       std::string listen_host = "127.0.0.1") {
    std::vector<std::string> args = {WEIR_BINARY};
    if (yaml) {
      config_path_ =
          std::filesystem::temp_directory_path() /
          ("weir-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) + ".yml");
      std::ofstream(config_path_) << *yaml;
      args.push_back("--config");
      args.push_back(config_path_.string());
    }
    std::string bracketed =
        listen_host.find(':') != std::string::npos ? "[" + listen_host + "]" : listen_host;
    args.insert(args.end(), {"--listen", bracketed + ":0", "--metrics-listen", bracketed + ":0"});
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    start(args);
  }

  ~WeirProcess() {
    stop();
    if (!config_path_.empty()) std::filesystem::remove(config_path_);
  }

  std::uint16_t port() const { return port_; }
  std::uint16_t metrics_port() const { return metrics_port_; }
  pid_t pid() const { return pid_; }

  // Sends SIGTERM and returns the exit status (-1 if killed by a signal or already reaped).
  int stop() {
    if (pid_ <= 0) return exit_status_;
    ::kill(pid_, SIGTERM);
    return wait_exit(std::chrono::seconds(20));
  }

  int wait_exit(std::chrono::milliseconds limit) {
    if (pid_ <= 0) return exit_status_;
    auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    if (reader_.joinable()) reader_.join();
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return exit_status_;
  }

  // Everything weir wrote to stderr so far.
  std::string log() const {
    std::lock_guard lock(mutex_);
    return log_;
  }

 private:
  void start(const std::vector<std::string>& args) {
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(pipe_fds[1], STDERR_FILENO);
      ::dup2(pipe_fds[1], STDOUT_FILENO);
      ::close(pipe_fds[0]);
      ::close(pipe_fds[1]);
      std::vector<char*> argv;
      for (const auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    reader_ = std::thread([this, fd = pipe_fds[0]] {
      char chunk[4096];
      for (;;) {
        ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n <= 0) break;
        std::lock_guard lock(mutex_);
        log_.append(chunk, static_cast<std::size_t>(n));
      }
      ::close(fd);
    });

    // weir logs one line naming both bound ports once it is ready.
    static const std::regex ready(R"(listening on \S+:(\d+) \(metrics on \S+:(\d+)\))");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      std::smatch match;
      std::string text = log();
      if (std::regex_search(text, match, ready)) {
        port_ = static_cast<std::uint16_t>(std::stoi(match[1]));
        metrics_port_ = static_cast<std::uint16_t>(std::stoi(match[2]));
        return;
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        if (reader_.joinable()) reader_.join();
        throw std::runtime_error("weir exited at start-up: " + log());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    throw std::runtime_error("weir did not start: " + log());
  }

  static inline std::atomic<int> counter_{0};
  std::filesystem::path config_path_;
  pid_t pid_ = -1;
  int exit_status_ = -1;
  std::uint16_t port_ = 0;
  std::uint16_t metrics_port_ = 0;
  mutable std::mutex mutex_;
  std::string log_;
  std::thread reader_;
};

}  // namespace weir::test
