// weir::normalize_path: one pass over the target, writing the canonical path as it goes.
#include "weir/path.hpp"

#include <cstddef>

namespace weir {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

// RFC 3986 unreserved characters: the only ones whose escaped and plain forms are equivalent.
bool is_unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

bool normalize_path(std::string_view target, std::string& out) {
  if (target.empty() || target.front() != '/') return false;

  // The query and fragment are dropped, but a control character anywhere still rejects the
  // target: no well-behaved client sends one.
  std::size_t path_end = target.find_first_of("?#");
  if (path_end == std::string_view::npos) path_end = target.size();
  for (std::size_t i = path_end; i < target.size(); ++i) {
    if (is_control(target[i])) return false;
  }
  const std::string_view path = target.substr(0, path_end);

  out.clear();
  out.reserve(path.size());
  out.push_back('/');

  // One segment per round. `out` always ends with '/' when a segment starts.
  std::size_t i = 1;
  while (true) {
    const std::size_t segment_start = out.size();
    for (; i < path.size() && path[i] != '/'; ++i) {
      const char c = path[i];
      if (is_control(c)) return false;
      if (c != '%') {
        out.push_back(c);
        continue;
      }

      if (path.size() - i < 3) return false;
      const int high = hex_value(path[i + 1]);
      const int low = hex_value(path[i + 2]);
      if (high < 0 || low < 0) return false;
      const auto decoded = static_cast<unsigned char>(high << 4 | low);
      if (is_unreserved(decoded)) {
        out.push_back(static_cast<char>(decoded));
      } else {
        constexpr char kHex[] = "0123456789ABCDEF";
        out.push_back('%');
        out.push_back(kHex[high]);
        out.push_back(kHex[low]);
      }
      i += 2;
    }
    const bool last = i >= path.size();

    const std::string_view segment(out.data() + segment_start, out.size() - segment_start);
    if (segment == ".") {
      out.resize(segment_start);
    } else if (segment == "..") {
      out.resize(segment_start);
      // Drop the previous segment too, unless already at the root.
      if (segment_start > 1) out.resize(out.rfind('/', segment_start - 2) + 1);
    } else if (!segment.empty() && !last) {
      out.push_back('/');
    }

    if (last) return true;
    ++i;  // the '/' between segments
  }
}

std::optional<std::string> normalize_path(std::string_view target) {
  std::string out;
  if (!normalize_path(target, out)) return std::nullopt;
  return out;
}

}  // namespace weir
