// weir::http::UpstreamHeadParser: reads one response head from the upstream and writes, in the
// same pass, the head weir sends the client: the status line in the client's HTTP version and
// every field fit to forward. Hop-by-hop fields, those a Connection field names, and (when weir
// writes its own) the upstream's rate-limit fields are left out.
//
//   std::string head;
//   UpstreamHeadParser parser(head, client_version, /*drop_rate_limit_fields=*/true);
//   while (parser.parse(buffered_bytes, request_was_head) == UpstreamHeadParser::kNeedMore)
//     ... read more; buffered_bytes keeps what came before
//   buffer.consume(parser.head_bytes());
//   head += framing_fields + "\r\n";               // the caller ends the head
//
// Hand-written rather than Beast's parser: on a proxied request, Beast's parse of a 230-byte
// response head, which checks each byte through a table and a branch and looks each field name
// up in a hash table, was the largest single cost in weir (28% of its instructions). This one
// finds the end of the head with memchr, then checks each line once. The body is not its
// business: a chunked or unframed body goes to UpstreamBodyParser.
//
// It refuses (kBad, which the proxy answers 502) what could make weir and the client frame the
// response differently: Content-Length with Transfer-Encoding, differing Content-Length values,
// a length that is not a number, chunked applied twice, obsolete line folding (RFC 9112 section 5.2
// lets a proxy refuse it), bare CR or LF, control characters in a field, an HTTP version other
// than 1.x.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace weir::http {

class UpstreamHeadParser {
 public:
  // The largest response head (status line and fields) weir accepts from an upstream; a larger
  // one is a protocol error (502), as with nginx's proxy_buffer_size.
  static constexpr std::size_t kMaxHeadBytes = 32 * 1024;

  enum Result { kNeedMore, kDone, kBad };

  // How the body that follows the head is delimited.
  enum class Framing : std::uint8_t {
    kNoBody,      // a HEAD request's response, 1xx, 204 or 304
    kLength,      // Content-Length bytes
    kChunked,     // Transfer-Encoding ending in chunked
    kUntilClose,  // neither: the body ends when the upstream closes
  };

  // `head` (cleared here) receives the head for the client, without its final empty line; it
  // must outlive the parser. `client_version` is 10 or 11.
  UpstreamHeadParser(std::string& head, int client_version, bool drop_rate_limit_fields);

  // Parses the head at the start of `bytes`, which holds everything received since the head
  // began (each call sees the previous call's bytes again, and more). kNeedMore: no end yet,
  // and under kMaxHeadBytes. `no_body`: the request was HEAD.
  Result parse(std::string_view bytes, bool no_body);

  // After kDone:
  std::size_t head_bytes() const { return head_bytes_; }  // the head's length in `bytes`
  int status() const { return status_; }
  Framing framing() const { return framing_; }
  std::uint64_t content_length() const { return content_length_; }  // with Framing::kLength
  // The upstream connection may carry another exchange once this body is read.
  bool keep_alive() const { return keep_alive_; }

 private:
  // The length of the head in `bytes`, its final empty line included, or 0 while it is not
  // all there. Resumes where the previous call stopped.
  std::size_t find_end(std::string_view bytes);
  enum class FieldAction : std::uint8_t { kRefuse, kDrop, kKeep };

  bool parse_status_line(std::string_view line);
  // Reads what a field means for the framing and the connection, and whether the client gets it.
  FieldAction take_field(std::string_view name, std::string_view value);
  void drop_connection_options();

  std::string& head_;
  int client_version_;
  bool drop_rate_limit_fields_;

  std::size_t scanned_ = 0;  // bytes find_end has looked at for line ends
  std::size_t head_bytes_ = 0;
  std::size_t fields_start_ = 0;  // where the fields begin in head_
  int status_ = 0;
  int minor_version_ = 1;
  Framing framing_ = Framing::kUntilClose;
  std::uint64_t content_length_ = 0;
  bool has_length_ = false;
  bool has_transfer_encoding_ = false;
  bool chunked_ = false;       // the last transfer coding is chunked
  bool seen_chunked_ = false;  // any transfer coding so far was chunked
  bool close_ = false;         // Connection: close
  bool keep_alive_token_ = false;
  bool keep_alive_ = false;
  std::string connection_options_;  // Connection values naming other fields, comma-joined
};

}  // namespace weir::http
