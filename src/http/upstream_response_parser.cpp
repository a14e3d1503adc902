#include "http/upstream_response_parser.hpp"

#include <charconv>
#include <limits>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

#include "http/header_line.hpp"
#include "http/hop_by_hop.hpp"
#include "http/response.hpp"

namespace weir::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

// The rate-limit fields weir writes itself; the upstream's own are dropped when weir does.
bool is_rate_limit_field(std::string_view name) {
  return (name.size() >= 12 && beast::iequals(name.substr(0, 12), "x-ratelimit-")) ||
         beast::iequals(name, "ratelimit") || beast::iequals(name, "ratelimit-policy");
}

}  // namespace

UpstreamResponseParser::UpstreamResponseParser(std::string& head, int client_version,
                                               bool drop_rate_limit_fields)
    : head_(head),
      client_version_(client_version),
      drop_rate_limit_fields_(drop_rate_limit_fields) {
  head_.clear();
  header_limit(kMaxHeadBytes);
  // The upstream's bodies are its business; weir only relays them. (Not boost::none: Beast
  // 1.74 compares the length against the optional, and every length exceeds an empty one.)
  body_limit(std::numeric_limits<std::uint64_t>::max());
}

void UpstreamResponseParser::on_response_impl(int code, std::string_view reason, int,
                                              beast::error_code&) {
  status_ = code;
  head_.append(client_version_ == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  char digits[8];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, code);
  head_.append(digits, end);
  head_.push_back(' ');
  head_.append(reason.empty() ? reason_phrase(code) : reason);
  head_.append("\r\n");
  fields_start_ = head_.size();
}

void UpstreamResponseParser::on_field_impl(bhttp::field id, std::string_view name,
                                           std::string_view value, beast::error_code&) {
  if (id == bhttp::field::connection && names_other_fields(value)) {
    connection_options_.append(value);
    connection_options_.push_back(',');
  }
  if (is_hop_by_hop(id, name)) return;
  if (drop_rate_limit_fields_ && id == bhttp::field::unknown && is_rate_limit_field(name)) return;
  // Beast has joined any obs-fold into one value with a space, which is what RFC 9112 asks of
  // a recipient that forwards the message.
  append_header_line(head_, name, value);
}

void UpstreamResponseParser::on_header_impl(beast::error_code&) {
  if (connection_options_.empty()) return;
  // Rare: drop the fields the Connection options named, whichever order they came in.
  std::string kept(head_, 0, fields_start_);
  std::string_view rest = std::string_view(head_).substr(fields_start_);
  while (!rest.empty()) {
    const std::size_t end = rest.find("\r\n") + 2;
    const std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end);
    if (!lists_token(connection_options_, line.substr(0, line.find(':')))) kept.append(line);
  }
  head_.swap(kept);
}

std::size_t UpstreamResponseParser::on_body_impl(std::string_view body, beast::error_code& ec) {
  if (window_ == nullptr) return body.size();
  return window_->fill(body, ec);
}

std::size_t UpstreamResponseParser::on_chunk_body_impl(std::uint64_t, std::string_view body,
                                                       beast::error_code& ec) {
  return on_body_impl(body, ec);
}

}  // namespace weir::http
