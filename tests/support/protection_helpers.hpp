// Helpers for the black-box tests of weir's defences: scraping one metric, calling the admin
// API, connecting from another loopback source address, raising the descriptor limit, and
// polling for a condition with a deadline.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "support/http_client.hpp"

namespace weir::test {

// One sample from weir's /metrics, or nullopt.
inline std::optional<double> scrape(std::uint16_t metrics_port, const std::string& series) {
  auto reply = http_exchange(metrics_port, get_request("/metrics"));
  if (!reply) return std::nullopt;
  return metric_value(reply->body, series);
}

// Polls `condition` every 20ms until it holds or `limit` passes; true when it held.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

// A request to the admin API with a bearer token (none when empty).
inline std::optional<HttpResponse> admin_request(std::uint16_t metrics_port,
                                                 std::string_view method, std::string_view target,
                                                 std::string_view token) {
  std::string request(method);
  request.append(" ").append(target).append(" HTTP/1.1\r\nHost: localhost\r\n");
  if (!token.empty()) request.append("Authorization: Bearer ").append(token).append("\r\n");
  request.append("Content-Length: 0\r\n\r\n");
  return http_exchange(metrics_port, request);
}

// A socket connected to 127.0.0.1:port from `source` (another loopback address such as
// 127.0.0.2); -1 on failure. The caller closes it.
inline int connect_from(std::uint16_t port, const char* source) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends one GET on `fd` and reads the whole reply until the peer closes or 2s pass. Empty when
// weir closed the connection without answering.
inline std::string get_on(int fd, std::string_view target) {
  std::string request = get_request(target, "Connection: close\r\n");
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string reply;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  char chunk[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    timeval tv{0, 200'000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) break;
    if (n > 0) reply.append(chunk, static_cast<std::size_t>(n));
  }
  return reply;
}

// Lets this process (and the weir it starts) hold many sockets.
inline void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// Resident memory of a process in KiB (VmRSS), or -1.
inline long resident_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace weir::test
