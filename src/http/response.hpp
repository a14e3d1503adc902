// weir::http::Response: writes an HTTP/1.1 response head and JSON body straight into a
// connection-owned buffer.
//
// weir's answers are small and few (JSON bodies, a handful of headers), so they are formatted
// directly rather than through a generic message and serializer: one buffer, reused for every
// response on the connection, written with one send.
//
//   Response r(out);
//   r.start(429, keep_alive);
//   r.header("Retry-After", "17");
//   r.json_body(R"({"error":"too many requests"})");
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace weir::http {

std::string_view reason_phrase(int status);

class Response {
 public:
  // `out` is cleared; it keeps its capacity.
  explicit Response(std::string& out) : out_(out) { out_.clear(); }

  // Status line plus the headers every response carries (Date, Server, Connection).
  void start(int status, bool keep_alive, int version = 11);
  void header(std::string_view name, std::string_view value);
  void header(std::string_view name, std::int64_t value);

  // A header whose value is written in pieces, without a temporary string:
  // begin_header(name), then append_value() for each piece, then end_header().
  void begin_header(std::string_view name);
  void append_value(std::string_view text) { out_.append(text); }
  void append_value(std::int64_t number);
  void end_header() { out_.append("\r\n"); }

  // For a caller that formats many small pieces at once: room for at most `bound` more bytes,
  // written through the returned pointer, then end_raw(one past the last byte written) keeps
  // them. Nothing else may write to the response in between.
  char* begin_raw(std::size_t bound) {
    raw_start_ = out_.size();
    out_.resize(raw_start_ + bound);
    return out_.data() + raw_start_;
  }
  void end_raw(const char* end) { out_.resize(static_cast<std::size_t>(end - out_.data())); }

  // Content-Type: application/json, Content-Length, the blank line, then the body unless
  // `head_only` (a HEAD request).
  void json_body(std::string_view body, bool head_only = false);

  // An interim "100 Continue", written before a body the client is waiting to send.
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

 private:
  std::string& out_;
  std::size_t raw_start_ = 0;
};

}  // namespace weir::http
