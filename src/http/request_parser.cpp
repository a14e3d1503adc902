#include "http/request_parser.hpp"

#include <boost/beast/http/error.hpp>

namespace weir::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

// True when the header line that starts at `name` continues on the next line (obs-fold, RFC
// 9112 section 5.2). Beast joins such lines into one value, so only the raw bytes show the
// fold. Beast hands on_field `name` as a view into its input, where the line runs on from the
// name to its CRLF, and it has already checked that one more byte follows that CRLF: the byte
// that decides a fold.
bool continues_on_next_line(std::string_view name) {
  // Beast refused any CR not followed by LF, so the first CR is the line's end.
  const char* p = name.data() + name.size();
  while (*p != '\r')
    ++p;
  return p[2] == ' ' || p[2] == '\t';
}

}  // namespace

void RequestHead::clear() {
  method = bhttp::verb::unknown;
  method_text.clear();
  target.clear();
  forwarded.clear();
  body.clear();
  fields.clear();
  version = 11;
  expect_continue = false;
  has_line = false;
}

RequestParser::RequestParser(RequestHead& head, const RequestLimits& limits,
                             std::string_view forwarded_header, bool keep_fields)
    : head_(head), limits_(limits), forwarded_header_(forwarded_header), keep_fields_(keep_fields) {
  header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  body_limit(limits.max_body_bytes);
}

RequestError RequestParser::classify(const beast::error_code& ec) const {
  if (error_ != RequestError::kNone) return error_;
  if (ec == bhttp::error::header_limit || ec == beast::error_code(bhttp::error::buffer_overflow)) {
    // The head outgrew its limit before the request line ended: the URI is what is too long.
    return head_.has_line ? RequestError::kHeaderTooLarge : RequestError::kUriTooLong;
  }
  if (ec == bhttp::error::body_limit) return RequestError::kBodyTooLarge;
  return RequestError::kMalformed;
}

void RequestParser::on_request_impl(bhttp::verb method, std::string_view method_str,
                                    std::string_view target, int version, beast::error_code& ec) {
  if (target.size() > limits_.max_uri_bytes) {
    error_ = RequestError::kUriTooLong;
    ec = bhttp::error::bad_target;
    return;
  }
  if (version != 10 && version != 11) {
    ec = bhttp::error::bad_version;
    return;
  }
  head_.method = method;
  head_.method_text.assign(method_str);
  head_.target.assign(target);
  head_.version = version;
  head_.has_line = true;
}

void RequestParser::on_field_impl(bhttp::field name, std::string_view name_string,
                                  std::string_view value, beast::error_code& ec) {
  if (++fields_ > limits_.max_headers) {
    error_ = RequestError::kHeaderTooLarge;
    ec = bhttp::error::header_limit;
    return;
  }
  if (continues_on_next_line(name_string)) {
    ec = bhttp::error::bad_value;
    return;
  }
  // Two Hosts could name two different sites to two different readers.
  if (name == bhttp::field::host) {
    if (seen_host_) {
      ec = bhttp::error::bad_value;
      return;
    }
    seen_host_ = true;
  }
  if (keep_fields_) head_.fields.add(name, name_string, value);

  if (name_string.size() == forwarded_header_.size() &&
      beast::iequals(name_string, forwarded_header_)) {
    if (!head_.forwarded.empty()) head_.forwarded.append(", ");
    head_.forwarded.append(value);
  } else if (name == bhttp::field::expect) {
    head_.expect_continue = beast::iequals(value, "100-continue");
  } else if (name == bhttp::field::transfer_encoding) {
    // Beast frames only chunked bodies; anything else cannot be read safely.
    if (!beast::iequals(value, "chunked")) {
      error_ = RequestError::kUnsupportedFraming;
      ec = bhttp::error::bad_transfer_encoding;
    }
  }
}

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                      beast::error_code& ec) {
  if (content_length && *content_length > limits_.max_body_bytes) {
    error_ = RequestError::kBodyTooLarge;
    ec = bhttp::error::body_limit;
    return;
  }
  if (content_length && !keep_fields_) {
    head_.body.reserve(static_cast<std::size_t>(*content_length));
  }
}

std::size_t RequestParser::on_body_impl(std::string_view body, beast::error_code& ec) {
  if (window_ != nullptr) return window_->fill(body, ec);
  if (!keep_fields_) head_.body.append(body);
  return body.size();
}

std::size_t RequestParser::on_chunk_body_impl(std::uint64_t, std::string_view body,
                                              beast::error_code& ec) {
  return on_body_impl(body, ec);
}

}  // namespace weir::http
