#include "config/quote.hpp"

#include <fmt/format.h>

namespace weir::config {

namespace {

constexpr std::size_t kMaxQuotedBytes = 120;

}  // namespace

std::string quote(std::string_view value) {
  const bool cut = value.size() > kMaxQuotedBytes;
  if (cut) value = value.substr(0, kMaxQuotedBytes);

  std::string out = "\"";
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  out += cut ? "...\"" : "\"";
  return out;
}

}  // namespace weir::config
