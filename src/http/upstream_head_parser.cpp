#include "http/upstream_head_parser.hpp"

#include <array>
#include <charconv>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "http/header_line.hpp"
#include "http/hop_by_hop.hpp"
#include "http/response.hpp"
#include "weir/blanks.hpp"

namespace weir::http {

namespace {

// RFC 9110 section 5.6.2: the characters of a field name.
constexpr std::array<bool, 256> kTokenChars = [] {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c)
    table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c)
    table[c] = table[c - 'a' + 'A'] = true;
  for (const char c : std::string_view("!#$%&'*+-.^_`|~"))
    table[static_cast<unsigned char>(c)] = true;
  return table;
}();

// Whether `head` holds no control character but HTAB, CR and LF (RFC 9110 section 5.5: field
// values and the reason phrase are HTAB, SP, VCHAR and obs-text; NUL and DEL are refused with
// the rest), with every CR followed by an LF and every LF after a CR. One pass over the whole
// head, 16 bytes at a time where SSE2 is there, instead of a check per byte of each line.
bool well_formed_bytes(std::string_view head) {
  const char* p = head.data();
  const char* const end = p + head.size();
  unsigned carry = 0;  // 1 when the byte before `p` was a CR
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i all_ones = _mm_set1_epi8(-1);
  for (; end - p >= 16; p += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Unsigned bytes below 0x20 are those that the maximum with 0x20 changes.
    const __m128i below_space =
        _mm_xor_si128(_mm_cmpeq_epi8(_mm_max_epu8(bytes, space), bytes), all_ones);
    const __m128i is_cr = _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\r'));
    const __m128i is_lf = _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\n'));
    const __m128i allowed =
        _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('\t')), _mm_or_si128(is_cr, is_lf));
    const __m128i bad = _mm_or_si128(_mm_andnot_si128(allowed, below_space),
                                     _mm_cmpeq_epi8(bytes, _mm_set1_epi8(0x7f)));
    if (_mm_movemask_epi8(bad) != 0) return false;
    // Bit i of each mask is byte i: an LF wherever a CR was one byte before, and nowhere else.
    const auto cr = static_cast<unsigned>(_mm_movemask_epi8(is_cr));
    const auto lf = static_cast<unsigned>(_mm_movemask_epi8(is_lf));
    if ((((cr << 1) | carry) & 0xffff) != lf) return false;
    carry = cr >> 15;
  }
#endif
  for (; p < end; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if ((c == '\n') != (carry == 1)) return false;
    if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) return false;
    carry = c == '\r' ? 1 : 0;
  }
  return carry == 0;
}

bool all_of(std::string_view text, const std::array<bool, 256>& table) {
  for (const char c : text) {
    if (!table[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

// Whether the token `name` (checked already) equals `lower`, a lower-case name, in any case.
// OR-ing 0x20 lowers ASCII letters, keeps digits and '-', and maps no other token character
// onto a letter or '-', so it is exact for the names below.
bool is_named(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if ((name[i] | 0x20) != lower[i]) return false;
  }
  return true;
}

bool starts_named(std::string_view name, std::string_view lower) {
  return name.size() >= lower.size() && is_named(name.substr(0, lower.size()), lower);
}

// The fields weir treats specially; everything else is forwarded as it is.
enum class Kind : std::uint8_t {
  kOther,
  kContentLength,
  kTransferEncoding,
  kConnection,
  kHopByHop,   // Keep-Alive, TE, Trailer, Upgrade, Proxy-*
  kRateLimit,  // RateLimit, RateLimit-Policy, X-RateLimit-*
};

Kind kind_of(std::string_view name) {
  switch (name.size()) {
    case 2:
      if (is_named(name, "te")) return Kind::kHopByHop;
      break;
    case 7:
      if (is_named(name, "trailer") || is_named(name, "upgrade")) return Kind::kHopByHop;
      break;
    case 9:
      if (is_named(name, "ratelimit")) return Kind::kRateLimit;
      break;
    case 10:
      if (is_named(name, "connection")) return Kind::kConnection;
      if (is_named(name, "keep-alive")) return Kind::kHopByHop;
      break;
    case 14:
      if (is_named(name, "content-length")) return Kind::kContentLength;
      break;
    case 16:
      if (is_named(name, "ratelimit-policy")) return Kind::kRateLimit;
      break;
    case 17:
      if (is_named(name, "transfer-encoding")) return Kind::kTransferEncoding;
      break;
    default:
      break;
  }
  const char first = static_cast<char>(name[0] | 0x20);
  if (first == 'p' && starts_named(name, "proxy-")) return Kind::kHopByHop;
  if (first == 'x' && starts_named(name, "x-ratelimit-")) return Kind::kRateLimit;
  return Kind::kOther;
}

}  // namespace

UpstreamHeadParser::UpstreamHeadParser(std::string& head, int client_version,
                                       bool drop_rate_limit_fields)
    : head_(head),
      client_version_(client_version),
      drop_rate_limit_fields_(drop_rate_limit_fields) {
  head_.clear();
}

std::size_t UpstreamHeadParser::find_end(std::string_view bytes) {
  // The head ends at the first empty line. Each line end is found with memchr, and the bytes
  // after it tell whether the next line is empty. A bare LF ends a line here too, so that a
  // head using them is refused at once instead of waiting for a CRLF that never comes.
  std::size_t at = scanned_;
  while (at < bytes.size()) {
    const void* found = std::memchr(bytes.data() + at, '\n', bytes.size() - at);
    if (found == nullptr) {
      scanned_ = bytes.size();
      return 0;
    }
    const std::size_t lf = static_cast<const char*>(found) - bytes.data();
    if (lf + 1 >= bytes.size()) break;
    if (bytes[lf + 1] == '\n') return lf + 2;
    if (bytes[lf + 1] == '\r') {
      if (lf + 2 >= bytes.size()) break;
      if (bytes[lf + 2] == '\n') return lf + 3;
    }
    at = lf + 1;
    scanned_ = at;
  }
  return 0;
}

UpstreamHeadParser::Result UpstreamHeadParser::parse(std::string_view bytes, bool no_body) {
  const std::size_t end = find_end(bytes.substr(0, kMaxHeadBytes));
  if (end == 0) return bytes.size() >= kMaxHeadBytes ? kBad : kNeedMore;

  const std::string_view view = bytes.substr(0, end);
  if (!well_formed_bytes(view)) return kBad;

  // Line by line; each must end in CRLF. The last line, before `end`, is the empty one. Kept
  // fields already written as weir writes them ("Name: value") are copied as they came, a run
  // of neighbouring lines at a time.
  const char* run_begin = nullptr;
  const char* run_end = nullptr;
  const auto flush = [&] {
    if (run_begin != run_end) head_.append(run_begin, run_end);
    run_begin = run_end = nullptr;
  };
  std::size_t at = 0;
  for (bool first = true;; first = false) {
    const std::size_t lf = view.find('\n', at);
    if (lf == at || view[lf - 1] != '\r') return kBad;
    const std::string_view line = view.substr(at, lf - 1 - at);
    at = lf + 1;
    if (first) {
      if (!parse_status_line(line)) return kBad;
      continue;
    }
    if (line.empty()) break;

    // A line that starts with a blank continues the one before (obs-fold): refused, as a
    // field name must start with a token character.
    std::size_t colon = 0;
    while (colon < line.size() && kTokenChars[static_cast<unsigned char>(line[colon])])
      ++colon;
    if (colon == 0 || colon == line.size() || line[colon] != ':') return kBad;
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim_blanks(line.substr(colon + 1));
    switch (take_field(name, value)) {
      case FieldAction::kRefuse:
        return kBad;
      case FieldAction::kDrop:
        flush();
        break;
      case FieldAction::kKeep:
        if (colon + 1 < line.size() && line[colon + 1] == ' ' &&
            colon + 2 + value.size() == line.size()) {
          if (run_end != line.data()) {
            flush();
            run_begin = line.data();
          }
          run_end = line.data() + line.size() + 2;  // with its CRLF
        } else {
          flush();
          append_header_line(head_, name, value);
        }
        break;
    }
  }
  flush();

  // Two framings at once would let weir and the client read different bodies.
  if (has_length_ && has_transfer_encoding_) return kBad;
  if (!connection_options_.empty()) drop_connection_options();

  if (no_body || status_ / 100 == 1 || status_ == 204 || status_ == 304) {
    framing_ = Framing::kNoBody;
  } else if (has_transfer_encoding_) {
    // RFC 9112 section 6.3: a response whose last coding is not chunked ends with the
    // connection.
    framing_ = chunked_ ? Framing::kChunked : Framing::kUntilClose;
  } else if (has_length_) {
    framing_ = Framing::kLength;
  } else {
    framing_ = Framing::kUntilClose;
  }
  keep_alive_ =
      framing_ != Framing::kUntilClose && !close_ && (minor_version_ >= 1 || keep_alive_token_);
  head_bytes_ = end;
  return kDone;
}

bool UpstreamHeadParser::parse_status_line(std::string_view line) {
  // HTTP/1.x SP 3DIGIT [SP reason]; a missing space before an empty reason is let pass.
  constexpr std::string_view kPrefix = "HTTP/1.";
  if (line.size() < 12 || line.substr(0, kPrefix.size()) != kPrefix) return false;
  const char minor = line[7];
  if (minor < '0' || minor > '9' || line[8] != ' ') return false;
  minor_version_ = minor - '0';
  int code = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return false;
    code = code * 10 + (line[i] - '0');
  }
  if (code < 100) return false;
  std::string_view reason = line.substr(12);
  if (!reason.empty()) {
    if (reason.front() != ' ') return false;
    reason.remove_prefix(1);
  }
  status_ = code;

  head_.append(client_version_ == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  head_.append(line.substr(9, 3));
  head_.push_back(' ');
  head_.append(reason.empty() ? reason_phrase(code) : reason);
  head_.append("\r\n");
  fields_start_ = head_.size();
  return true;
}

UpstreamHeadParser::FieldAction UpstreamHeadParser::take_field(std::string_view name,
                                                               std::string_view value) {
  switch (kind_of(name)) {
    case Kind::kContentLength: {
      std::uint64_t length = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (ec != std::errc() || end != value.data() + value.size() || value.empty()) {
        return FieldAction::kRefuse;
      }
      if (has_length_) {  // a repeat: kept once
        return length == content_length_ ? FieldAction::kDrop : FieldAction::kRefuse;
      }
      has_length_ = true;
      content_length_ = length;
      break;
    }
    case Kind::kTransferEncoding: {
      // Each coding must be a token, with parameters after ';' for any but chunked, and
      // chunked comes at most once (RFC 9112 section 7.1): a coding read two ways, or chunked
      // applied twice, frames nothing for sure.
      has_transfer_encoding_ = true;
      const bool bad = any_token(value, [this](std::string_view element) {
        const std::size_t semicolon = element.find(';');
        const std::string_view coding = trim_blanks(element.substr(0, semicolon));
        if (coding.empty() || !all_of(coding, kTokenChars)) return true;
        const bool chunked = is_named(coding, "chunked");
        if (chunked && (seen_chunked_ || semicolon != std::string_view::npos)) return true;
        seen_chunked_ = seen_chunked_ || chunked;
        chunked_ = chunked;
        return false;
      });
      return bad ? FieldAction::kRefuse : FieldAction::kDrop;
    }
    case Kind::kConnection:
      close_ = close_ || lists_token(value, "close");
      keep_alive_token_ = keep_alive_token_ || lists_token(value, "keep-alive");
      if (names_other_fields(value)) {
        connection_options_.append(value);
        connection_options_.push_back(',');
      }
      return FieldAction::kDrop;
    case Kind::kHopByHop:
      return FieldAction::kDrop;
    case Kind::kRateLimit:
      if (drop_rate_limit_fields_) return FieldAction::kDrop;
      break;
    case Kind::kOther:
      break;
  }
  return FieldAction::kKeep;
}

void UpstreamHeadParser::drop_connection_options() {
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

}  // namespace weir::http
