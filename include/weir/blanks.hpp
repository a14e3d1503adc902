// weir::trim_blanks: a header value or list element without the optional whitespace (spaces and
// tabs, RFC 9110's OWS) around it. Other characters, CR and LF among them, are left for the
// caller's own checks.
#pragma once

#include <string_view>

namespace weir {

inline std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

}  // namespace weir
