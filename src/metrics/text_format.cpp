#include "metrics/text_format.hpp"

#include <cmath>
#include <iterator>

#include <fmt/format.h>

namespace weir::metrics {
namespace {

// Doubles hold every integer up to 2^53 exactly; within that range an integral value prints as
// an integer so that counts read "3" rather than "3.0" or "3e+00".
constexpr double kMaxExactInteger = 9007199254740992.0;

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

void append_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  if (value == std::trunc(value) && std::fabs(value) <= kMaxExactInteger) {
    // Also turns -0.0 into "0".
    fmt::format_to(std::back_inserter(out), "{}", static_cast<std::int64_t>(value));
    return;
  }

  // fmt's default is the shortest representation that round-trips; Go's ParseFloat, which
  // Prometheus uses, reads every form it produces ("0.001", "1e-06", "1.5e+20").
  fmt::format_to(std::back_inserter(out), "{}", value);
}

void append_value(std::string& out, std::uint64_t value) {
  fmt::format_to(std::back_inserter(out), "{}", value);
}

void append_value(std::string& out, std::int64_t value) {
  fmt::format_to(std::back_inserter(out), "{}", value);
}

void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void append_help(std::string& out, std::string_view help) {
  for (char c : help) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void append_labels(std::string& out, std::span<const std::string> names,
                   std::span<const std::string> values, std::string_view extra_name,
                   std::string_view extra_value) {
  if (names.empty() && extra_name.empty()) return;

  out += '{';
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    append_label_value(out, values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out += ',';
    out += extra_name;
    out += "=\"";
    append_label_value(out, extra_value);
    out += '"';
  }
  out += '}';
}

bool is_valid_metric_name(std::string_view name) {
  if (name.empty() || !(is_name_start(name[0]) || name[0] == ':')) return false;
  for (char c : name) {
    if (!(is_name_start(c) || is_digit(c) || c == ':')) return false;
  }
  return true;
}

bool is_valid_label_name(std::string_view name) {
  if (name.empty() || !is_name_start(name[0]) || name.starts_with("__")) return false;
  for (char c : name) {
    if (!(is_name_start(c) || is_digit(c))) return false;
  }
  return true;
}

}  // namespace weir::metrics
