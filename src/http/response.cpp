#include "http/response.hpp"

#include <charconv>
#include <ctime>

namespace weir::http {

namespace {

// An IMF-fixdate for the current second, formatted once per second per thread.
std::string_view http_date() {
  thread_local std::time_t cached_second = 0;
  thread_local char text[40];
  thread_local std::size_t length = 0;

  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    length = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_second = now;
  }
  return {text, length};
}

void append_number(std::string& out, std::int64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

}  // namespace

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

void Response::start(int status, bool keep_alive, int version) {
  out_.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  append_number(out_, status);
  out_.push_back(' ');
  out_.append(reason_phrase(status));
  out_.append("\r\nServer: weir\r\nDate: ");
  out_.append(http_date());
  out_.append("\r\n");

  // HTTP/1.1 is persistent unless told otherwise; HTTP/1.0 only when asked.
  if (!keep_alive) {
    out_.append("Connection: close\r\n");
  } else if (version == 10) {
    out_.append("Connection: keep-alive\r\n");
  }
}

void Response::header(std::string_view name, std::string_view value) {
  out_.append(name);
  out_.append(": ");
  out_.append(value);
  out_.append("\r\n");
}

void Response::header(std::string_view name, std::int64_t value) {
  out_.append(name);
  out_.append(": ");
  append_number(out_, value);
  out_.append("\r\n");
}

void Response::begin_header(std::string_view name) {
  out_.append(name);
  out_.append(": ");
}

void Response::append_value(std::int64_t number) {
  append_number(out_, number);
}

void Response::json_body(std::string_view body, bool head_only) {
  out_.append("Content-Type: application/json\r\nContent-Length: ");
  append_number(out_, static_cast<std::int64_t>(body.size()));
  out_.append("\r\n\r\n");
  if (!head_only) out_.append(body);
}

}  // namespace weir::http
