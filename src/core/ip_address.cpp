// Parsing and printing of weir::IpAddress.
//
// The parsers run on every request (the socket peer, every X-Forwarded-For entry), on text an
// attacker writes, so they are hand-written single passes over the input: no allocation, no
// exceptions, every index checked against the view's size before it is read.
#include "weir/ip_address.hpp"

#include <algorithm>
#include <cstddef>

#include "weir/blanks.hpp"

namespace weir {
namespace {

constexpr std::size_t kV4Offset = 12;  // the IPv4 bytes sit at the end of ::ffff:a.b.c.d

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// The value of a hexadecimal digit, or -1.
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Exactly four decimal parts of 0..255 separated by dots, filling the whole of `text`. A part
// with a leading zero is rejected: some resolvers read "010" as octal, so it is ambiguous.
bool parse_v4(std::string_view text, std::uint8_t* out) {
  const std::size_t n = text.size();
  std::size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= n || text[i] != '.') return false;
      ++i;
    }

    const std::size_t start = i;
    unsigned value = 0;
    while (i < n && is_digit(text[i]) && i - start < 3) {
      value = value * 10 + static_cast<unsigned>(text[i] - '0');
      ++i;
    }
    if (i == start || value > 255) return false;
    if (i < n && is_digit(text[i])) return false;           // four or more digits
    if (i - start > 1 && text[start] == '0') return false;  // leading zero
    out[part] = static_cast<std::uint8_t>(value);
  }
  return i == n;
}

// RFC 4291 text: eight groups of 1..4 hex digits, at most one "::" standing for one or more
// zero groups, and optionally a dotted quad in place of the last two groups.
bool parse_v6(std::string_view text, IpAddress::Bytes& out) {
  const std::size_t n = text.size();
  std::uint16_t groups[8] = {};
  int count = 0;
  int gap = -1;  // number of groups written before the "::", if there is one
  std::size_t i = 0;

  if (n < 2) return false;
  if (text[0] == ':') {
    if (text[1] != ':') return false;
    gap = 0;
    i = 2;
  }

  while (i < n) {
    const std::size_t start = i;
    unsigned value = 0;
    while (i < n && i - start < 4 && hex_value(text[i]) >= 0) {
      value = value * 16 + static_cast<unsigned>(hex_value(text[i]));
      ++i;
    }
    if (i == start) return false;  // an empty group: ":::" or a stray ':'

    // A dotted quad: only as the last thing in the text, and only where two groups fit.
    if (i < n && text[i] == '.') {
      std::uint8_t quad[4];
      if (count > 6 || !parse_v4(text.substr(start), quad)) return false;
      groups[count++] = static_cast<std::uint16_t>(quad[0] << 8 | quad[1]);
      groups[count++] = static_cast<std::uint16_t>(quad[2] << 8 | quad[3]);
      i = n;
      break;
    }

    if (i < n && hex_value(text[i]) >= 0) return false;  // five or more hex digits
    if (count == 8) return false;
    groups[count++] = static_cast<std::uint16_t>(value);
    if (i == n) break;

    if (text[i] != ':') return false;
    ++i;
    if (i < n && text[i] == ':') {
      if (gap >= 0) return false;  // a second "::"
      gap = count;
      ++i;
    } else if (i == n) {
      return false;  // a trailing single ':'
    }
  }

  // Without "::" all eight groups are written; with it, it stands for at least one.
  if (gap < 0 ? count != 8 : count > 7) return false;

  out.fill(0);
  const int tail = gap < 0 ? 0 : count - gap;
  const int head = count - tail;
  for (int g = 0; g < head; ++g) {
    out[2 * g] = static_cast<std::uint8_t>(groups[g] >> 8);
    out[2 * g + 1] = static_cast<std::uint8_t>(groups[g]);
  }
  for (int g = 0; g < tail; ++g) {
    const int at = 8 - tail + g;
    out[2 * at] = static_cast<std::uint8_t>(groups[head + g] >> 8);
    out[2 * at + 1] = static_cast<std::uint8_t>(groups[head + g]);
  }
  return true;
}

// A port: 1..65535 in decimal, without a leading zero.
bool valid_port(std::string_view text) {
  if (text.empty() || text.size() > 5 || text[0] == '0') return false;
  unsigned value = 0;
  for (char c : text) {
    if (!is_digit(c)) return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value <= 65535;
}

std::optional<IpAddress> v4_address(std::string_view text) {
  IpAddress::Bytes bytes{};
  bytes[10] = 0xff;
  bytes[11] = 0xff;
  if (!parse_v4(text, bytes.data() + kV4Offset)) return std::nullopt;
  return IpAddress(bytes);
}

std::optional<IpAddress> v6_address(std::string_view text) {
  IpAddress::Bytes bytes;
  if (!parse_v6(text, bytes)) return std::nullopt;
  return IpAddress(bytes);
}

// Appends the decimal form of `value` (0..255) at `out`, returning the new end.
char* write_decimal(char* out, unsigned value) {
  if (value >= 100) *out++ = static_cast<char>('0' + value / 100);
  if (value >= 10) *out++ = static_cast<char>('0' + value / 10 % 10);
  *out++ = static_cast<char>('0' + value % 10);
  return out;
}

// Appends `value` in lowercase hex without leading zeros, returning the new end.
char* write_hex(char* out, unsigned value) {
  constexpr char kDigits[] = "0123456789abcdef";
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    const unsigned digit = (value >> shift) & 0xf;
    if (digit != 0 || started || shift == 0) {
      *out++ = kDigits[digit];
      started = true;
    }
  }
  return out;
}

}  // namespace

IpAddress IpAddress::from_v4(std::uint32_t host_order) {
  Bytes bytes{};
  bytes[10] = 0xff;
  bytes[11] = 0xff;
  bytes[12] = static_cast<std::uint8_t>(host_order >> 24);
  bytes[13] = static_cast<std::uint8_t>(host_order >> 16);
  bytes[14] = static_cast<std::uint8_t>(host_order >> 8);
  bytes[15] = static_cast<std::uint8_t>(host_order);
  return IpAddress(bytes);
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.find(':') == std::string_view::npos) return v4_address(text);
  return v6_address(text);
}

std::optional<IpAddress> IpAddress::parse_host_port(std::string_view text) {
  text = trim_blanks(text);
  if (text.empty()) return std::nullopt;

  // "[v6]" or "[v6]:port". Brackets hold IPv6 text only.
  if (text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !valid_port(rest.substr(1)))) {
      return std::nullopt;
    }
    return v6_address(text.substr(1, close - 1));
  }

  // Without brackets the number of colons decides: none is IPv4, exactly one is IPv4 with a
  // port, more is a bare IPv6 address (which has at least two). Splitting at the last colon
  // instead would cut every bare IPv6 address in two.
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return v4_address(text);
  if (text.find(':', colon + 1) == std::string_view::npos) {
    if (!valid_port(text.substr(colon + 1))) return std::nullopt;
    return v4_address(text.substr(0, colon));
  }
  return v6_address(text);
}

bool IpAddress::is_v4() const {
  for (std::size_t i = 0; i < 10; ++i) {
    if (bytes_[i] != 0) return false;
  }
  return bytes_[10] == 0xff && bytes_[11] == 0xff;
}

std::uint32_t IpAddress::v4() const {
  return static_cast<std::uint32_t>(bytes_[12]) << 24 |
         static_cast<std::uint32_t>(bytes_[13]) << 16 |
         static_cast<std::uint32_t>(bytes_[14]) << 8 | static_cast<std::uint32_t>(bytes_[15]);
}

IpAddress IpAddress::masked(int bits) const {
  bits = std::clamp(bits, 0, 128);
  Bytes out = bytes_;
  const int whole = bits / 8;
  const int partial = bits % 8;
  int i = whole;
  if (partial != 0) {
    out[i] = static_cast<std::uint8_t>(out[i] & (0xff << (8 - partial)));
    ++i;
  }
  for (; i < 16; ++i)
    out[i] = 0;
  return IpAddress(out);
}

std::string IpAddress::to_string() const {
  char buffer[40];  // "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" is 39 characters
  char* end = buffer;

  if (is_v4()) {
    for (std::size_t i = kV4Offset; i < 16; ++i) {
      if (i > kV4Offset) *end++ = '.';
      end = write_decimal(end, bytes_[i]);
    }
    return std::string(buffer, end);
  }

  unsigned groups[8];
  for (int g = 0; g < 8; ++g)
    groups[g] = static_cast<unsigned>(bytes_[2 * g] << 8 | bytes_[2 * g + 1]);

  // RFC 5952: compress the longest run of two or more zero groups, the first one on a tie.
  int best_start = -1;
  int best_length = 1;
  for (int g = 0; g < 8;) {
    if (groups[g] != 0) {
      ++g;
      continue;
    }
    int run = g;
    while (run < 8 && groups[run] == 0)
      ++run;
    if (run - g > best_length) {
      best_start = g;
      best_length = run - g;
    }
    g = run;
  }

  for (int g = 0; g < 8; ++g) {
    if (g == best_start) {
      *end++ = ':';
      if (g == 0) *end++ = ':';
      g += best_length - 1;
      continue;
    }
    end = write_hex(end, groups[g]);
    if (g < 7) *end++ = ':';
  }
  return std::string(buffer, end);
}

}  // namespace weir
