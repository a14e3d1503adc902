#include "http/upstream_response_parser.hpp"

#include <limits>

#include <boost/beast/http/error.hpp>

namespace weir::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

UpstreamResponseParser::UpstreamResponseParser(ProxyHeaders& fields) : fields_(fields) {
  fields_.clear();
  header_limit(kMaxHeadBytes);
  // The upstream's bodies are its business; weir only relays them. (Not boost::none: Beast
  // 1.74 compares the length against the optional, and every length exceeds an empty one.)
  body_limit(std::numeric_limits<std::uint64_t>::max());
}

void UpstreamResponseParser::on_response_impl(int code, std::string_view reason, int version,
                                              beast::error_code&) {
  status_ = code;
  version_ = version;
  reason_.assign(reason);
}

void UpstreamResponseParser::on_field_impl(bhttp::field name, std::string_view name_string,
                                           std::string_view value, beast::error_code&) {
  // Beast has joined any obs-fold into one value with a space, which is what RFC 9112 asks of
  // a recipient that forwards the message.
  fields_.add(name, name_string, value);
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
