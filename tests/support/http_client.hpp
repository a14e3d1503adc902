// Minimal blocking HTTP/1.1 client for black-box tests: raw bytes out, a parsed response in.
// Raw bytes matter: tests send malformed and oversized requests no well-behaved client would.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace weir::test {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string{} : it->second;
  }
};

// A connected socket to a loopback port; closed on destruction.
class HttpConnection {
 public:
  explicit HttpConnection(std::uint16_t port, std::string_view host = "127.0.0.1") {
    bool v6 = host.find(':') != std::string_view::npos;
    fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    int rc = -1;
    if (v6) {
      sockaddr_in6 addr{};
      addr.sin6_family = AF_INET6;
      addr.sin6_port = htons(port);
      ::inet_pton(AF_INET6, std::string(host).c_str(), &addr.sin6_addr);
      rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    } else {
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(port);
      ::inet_pton(AF_INET, std::string(host).c_str(), &addr.sin_addr);
      rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    }
    if (rc != 0) throw std::runtime_error("connect failed");
  }
  ~HttpConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads one response; nullopt if the connection closed or nothing came within `timeout`.
  std::optional<HttpResponse> read(std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                   bool head_request = false) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) return std::nullopt;
    }
    HttpResponse response;
    std::string_view head(buffer_.data(), header_end);
    std::size_t line_end = head.find("\r\n");
    std::string_view status_line = head.substr(0, line_end);
    if (status_line.size() < 12) return std::nullopt;
    response.status = std::stoi(std::string(status_line.substr(9, 3)));
    while (line_end != std::string_view::npos) {
      head.remove_prefix(line_end + 2);
      line_end = head.find("\r\n");
      std::string_view line = head.substr(0, line_end);
      std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string name(line.substr(0, colon));
      for (char& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ')
        value.remove_prefix(1);
      response.headers[name] = std::string(value);
    }
    std::size_t body_start = header_end + 4;
    const bool has_body = !head_request && response.status / 100 != 1 && response.status != 204 &&
                          response.status != 304;
    if (has_body && response.header("transfer-encoding") == "chunked") {
      buffer_.erase(0, body_start);
      if (!read_chunks(response.body, deadline)) return std::nullopt;
      return response;
    }
    if (has_body && !response.headers.count("content-length") &&
        response.header("connection") == "close") {
      // The body runs to the end of the connection.
      while (fill(deadline)) {
      }
      response.body = buffer_.substr(body_start);
      buffer_.clear();
      return response;
    }

    std::size_t length = 0;
    if (has_body && response.headers.count("content-length")) {
      length = std::stoul(response.headers["content-length"]);
    }
    while (buffer_.size() < body_start + length) {
      if (!fill(deadline)) return std::nullopt;
    }
    response.body = buffer_.substr(body_start, length);
    buffer_.erase(0, body_start + length);
    return response;
  }

  // True when the peer closed the connection (reads EOF) within `timeout`.
  bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char c[4096];
      ssize_t n = ::recv(fd_, c, sizeof c, 0);
      if (n <= 0) return true;
    }
  }

  int fd() const { return fd_; }

 private:
  bool fill(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  // Decodes a chunked body at the front of buffer_ into `body`; trailers are skipped.
  bool read_chunks(std::string& body, std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      std::size_t line_end;
      while ((line_end = buffer_.find("\r\n")) == std::string::npos) {
        if (!fill(deadline)) return false;
      }
      std::size_t size = std::stoul(buffer_.substr(0, line_end), nullptr, 16);
      buffer_.erase(0, line_end + 2);
      if (size == 0) {
        std::size_t end;
        while ((end = buffer_.find("\r\n")) == std::string::npos) {
          if (!fill(deadline)) return false;
        }
        if (end == 0) {
          buffer_.erase(0, 2);
          return true;
        }
        buffer_.erase(0, end + 2);  // a trailer field; the blank line follows
        buffer_.insert(0, "0\r\n");
        continue;
      }
      while (buffer_.size() < size + 2) {
        if (!fill(deadline)) return false;
      }
      body.append(buffer_, 0, size);
      buffer_.erase(0, size + 2);
    }
  }

  int fd_ = -1;
  std::string buffer_;
};

// One request on a fresh connection.
inline std::optional<HttpResponse> http_exchange(std::uint16_t port, std::string_view request) {
  HttpConnection connection(port);
  if (!connection.send(request)) return std::nullopt;
  return connection.read();
}

inline std::string get_request(std::string_view target, std::string_view extra_headers = "") {
  std::string r = "GET ";
  r.append(target);
  r.append(" HTTP/1.1\r\nHost: localhost\r\n");
  r.append(extra_headers);
  r.append("\r\n");
  return r;
}

inline std::string post_request(std::string_view target, std::string_view body,
                                std::string_view extra_headers = "") {
  std::string r = "POST ";
  r.append(target);
  r.append(" HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ");
  r.append(std::to_string(body.size()));
  r.append("\r\n");
  r.append(extra_headers);
  r.append("\r\n");
  r.append(body);
  return r;
}

// The value of one sample in a Prometheus text exposition, e.g.
// metric_value(text, R"(http_rate_limited_total{reason="rate_limit"})"); nullopt if absent.
inline std::optional<double> metric_value(const std::string& exposition,
                                          const std::string& series) {
  std::size_t pos = 0;
  while ((pos = exposition.find(series, pos)) != std::string::npos) {
    bool line_start = pos == 0 || exposition[pos - 1] == '\n';
    std::size_t after = pos + series.size();
    if (line_start && after < exposition.size() && exposition[after] == ' ') {
      return std::stod(exposition.substr(after + 1, exposition.find('\n', after) - after - 1));
    }
    pos = after;
  }
  return std::nullopt;
}

}  // namespace weir::test
