// weir::test::TestUpstream: a small HTTP/1.1 server on a free loopback port for proxy tests. It
// records every request it receives, counts the TCP connections it accepts, and answers
// according to the request path (anywhere in the target, so a base path does not matter):
//
//   .../chunked?size=N   N pattern bytes, chunked in pieces of 10000
//   .../large?size=N     N pattern bytes with Content-Length
//   .../eof?size=N       N pattern bytes, framed by closing the connection
//   .../slow?ms=N        waits N ms, then echoes
//   .../hop              echoes, adding hop-by-hop fields and its own rate-limit header
//   .../garbage          answers bytes that are not HTTP
//   .../truncate         promises 1000 bytes, sends 10, closes
//   .../close            echoes with Connection: close, then closes the connection
//   .../drop             echoes as if keeping the connection, then closes it anyway
//   anything else        200 with a JSON echo: {"method","target","headers":[[n,v],...],"body"}
//
// Pattern byte i is 'a' + i % 26 (pattern_bytes(n)). Connections are kept alive otherwise.
//
//   TestUpstream upstream;
//   WeirProcess weir("upstream: \"http://127.0.0.1:" + std::to_string(upstream.port()) + "\"");
//   ... upstream.requests().back().header("x-forwarded-for") ...
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir::test {

inline std::string pattern_bytes(std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    out[i] = static_cast<char>('a' + i % 26);
  return out;
}

// A loopback port nothing listens on (bound, then released): connecting to it is refused.
inline std::uint16_t unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class TestUpstream {
 public:
  struct Request {
    std::string method;
    std::string target;
    std::string version;
    std::vector<std::pair<std::string, std::string>> headers;  // as received, in order
    std::string body;                                          // de-chunked
    bool chunked = false;

    // The value of the first field named `name` (any case); empty when absent.
    std::string header(std::string_view name) const {
      for (const auto& [n, v] : headers) {
        if (iequals(n, name)) return v;
      }
      return {};
    }
    std::size_t count(std::string_view name) const {
      return static_cast<std::size_t>(std::count_if(
          headers.begin(), headers.end(), [&](const auto& h) { return iequals(h.first, name); }));
    }
  };

  TestUpstream() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 128) != 0) {
      throw std::runtime_error("test upstream cannot listen");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~TestUpstream() { stop(); }
  TestUpstream(const TestUpstream&) = delete;
  TestUpstream& operator=(const TestUpstream&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url(std::string_view base_path = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(base_path);
  }
  int connections() const { return connections_.load(); }

  std::vector<Request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
      for (int fd : open_fds_)
        ::shutdown(fd, SHUT_RDWR);
    }
    stop_cv_.notify_all();
    ::shutdown(listen_fd_, SHUT_RDWR);
    if (acceptor_.joinable()) acceptor_.join();
    ::close(listen_fd_);
    for (auto& t : workers_)
      t.join();
  }

 private:
  static bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  }

  static std::size_t query_number(std::string_view target, std::string_view key) {
    auto at = target.find(std::string(key) + "=");
    if (at == std::string_view::npos) return 0;
    return std::stoul(std::string(target.substr(at + key.size() + 1)));
  }

  void accept_loop() {
    for (;;) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard lock(mutex_);
      if (stopping_) {
        ::close(fd);
        return;
      }
      connections_.fetch_add(1);
      open_fds_.insert(fd);
      workers_.emplace_back([this, fd] {
        serve(fd);
        std::lock_guard inner(mutex_);
        open_fds_.erase(fd);
        ::close(fd);
      });
    }
  }

  // Reads until `buffer` holds `n` bytes; false when the peer closed or the upstream stops.
  static bool fill_to(int fd, std::string& buffer, std::size_t n) {
    while (buffer.size() < n) {
      char chunk[65536];
      ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
      if (got <= 0) return false;
      buffer.append(chunk, static_cast<std::size_t>(got));
    }
    return true;
  }

  // Reads until `buffer` holds `delimiter`; returns its position or npos.
  static std::size_t fill_until(int fd, std::string& buffer, std::string_view delimiter,
                                std::size_t from = 0) {
    for (;;) {
      auto at = buffer.find(delimiter, from);
      if (at != std::string::npos) return at;
      char chunk[65536];
      ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
      if (got <= 0) return std::string::npos;
      buffer.append(chunk, static_cast<std::size_t>(got));
    }
  }

  static bool send_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // One request from `buffer` (consumed); false when the connection ended first.
  static bool read_request(int fd, std::string& buffer, Request& request) {
    auto head_end = fill_until(fd, buffer, "\r\n\r\n");
    if (head_end == std::string::npos) return false;
    std::string_view head(buffer.data(), head_end);
    auto line_end = head.find("\r\n");
    std::string_view line = head.substr(0, line_end);
    auto sp1 = line.find(' ');
    auto sp2 = line.rfind(' ');
    request.method = std::string(line.substr(0, sp1));
    request.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
    request.version = std::string(line.substr(sp2 + 1));
    while (line_end != std::string_view::npos) {
      head.remove_prefix(line_end + 2);
      line_end = head.find("\r\n");
      std::string_view field = head.substr(0, line_end);
      auto colon = field.find(':');
      std::string_view value = field.substr(colon + 1);
      while (!value.empty() && value.front() == ' ')
        value.remove_prefix(1);
      request.headers.emplace_back(std::string(field.substr(0, colon)), std::string(value));
    }
    buffer.erase(0, head_end + 4);

    request.chunked = iequals(request.header("transfer-encoding"), "chunked");
    if (request.chunked) {
      for (;;) {
        auto size_end = fill_until(fd, buffer, "\r\n");
        if (size_end == std::string::npos) return false;
        std::size_t size = std::stoul(buffer.substr(0, size_end), nullptr, 16);
        buffer.erase(0, size_end + 2);
        if (size == 0) {
          // No trailers are expected: just the final CRLF.
          if (!fill_to(fd, buffer, 2)) return false;
          buffer.erase(0, 2);
          return true;
        }
        if (!fill_to(fd, buffer, size + 2)) return false;
        request.body.append(buffer, 0, size);
        buffer.erase(0, size + 2);
      }
    }
    std::string length = request.header("content-length");
    std::size_t n = length.empty() ? 0 : std::stoul(length);
    if (!fill_to(fd, buffer, n)) return false;
    request.body = buffer.substr(0, n);
    buffer.erase(0, n);
    return true;
  }

  static std::string echo(const Request& request) {
    nlohmann::json headers = nlohmann::json::array();
    for (const auto& [n, v] : request.headers)
      headers.push_back({n, v});
    return nlohmann::json{{"method", request.method},
                          {"target", request.target},
                          {"headers", headers},
                          {"body", request.body}}
        .dump();
  }

  static std::string response(std::string_view extra_headers, std::string_view body) {
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n" + std::string(extra_headers) + "\r\n" +
           std::string(body);
  }

  // Answers one request; false when the connection must end after it.
  bool answer(int fd, const Request& request) {
    const std::string& target = request.target;
    if (target.find("/chunked") != std::string::npos) {
      std::string body = pattern_bytes(query_number(target, "size"));
      std::string out = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
      for (std::size_t at = 0; at < body.size(); at += 10000) {
        std::string_view piece = std::string_view(body).substr(at, 10000);
        char size[20];
        std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
        out += size;
        out += piece;
        out += "\r\n";
      }
      out += "0\r\n\r\n";
      return send_all(fd, out);
    }
    if (target.find("/large") != std::string::npos) {
      std::string body = pattern_bytes(query_number(target, "size"));
      return send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                              "\r\n\r\n" + body);
    }
    if (target.find("/eof") != std::string::npos) {
      send_all(fd, "HTTP/1.1 200 OK\r\n\r\n" + pattern_bytes(query_number(target, "size")));
      return false;
    }
    if (target.find("/slow") != std::string::npos) {
      std::unique_lock lock(mutex_);
      const auto wait = std::chrono::milliseconds(query_number(target, "ms"));
      if (stop_cv_.wait_for(lock, wait, [this] { return stopping_; })) return false;
    }
    if (target.find("/hop") != std::string::npos) {
      return send_all(fd, response("Connection: X-Upstream-Private\r\n"
                                   "X-Upstream-Private: secret\r\n"
                                   "Keep-Alive: timeout=5\r\n"
                                   "Proxy-Authenticate: Basic\r\n"
                                   "X-RateLimit-Limit: 999\r\n"
                                   "X-Kept: yes\r\n",
                                   echo(request)));
    }
    if (target.find("/garbage") != std::string::npos) {
      send_all(fd, "this is not http\r\n\r\n");
      return false;
    }
    if (target.find("/two-framings") != std::string::npos) {
      // A response smuggling a second one past a proxy that reads the length: the connection
      // stays open, so only weir's refusal keeps it from being reused.
      return send_all(fd,
                      "HTTP/1.1 200 OK\r\nContent-Length: 45\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged");
    }
    if (target.find("/truncate") != std::string::npos) {
      send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
      return false;
    }
    if (target.find("/close") != std::string::npos) {
      send_all(fd, response("Connection: close\r\n", echo(request)));
      return false;
    }
    if (target.find("/drop") != std::string::npos) {
      send_all(fd, response("", echo(request)));
      return false;
    }
    return send_all(fd, response("", echo(request)));
  }

  void serve(int fd) {
    std::string buffer;
    for (;;) {
      Request request;
      if (!read_request(fd, buffer, request)) return;
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      if (!answer(fd, request)) return;
    }
  }

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::set<int> open_fds_;
  std::vector<Request> requests_;
  std::vector<std::thread> workers_;
  std::thread acceptor_;
};

}  // namespace weir::test
