// weir::http::append_header_line: appends "name: value\r\n" to a message head being built.
//
// The proxy writes about a dozen such lines per request, in each direction. Four string
// appends per line each check the capacity and copy on their own; this grows the string once
// and copies into it.
#pragma once

#include <cstring>
#include <string>
#include <string_view>

namespace weir::http {

inline void append_header_line(std::string& out, std::string_view name, std::string_view value) {
  const std::size_t at = out.size();
  out.resize(at + name.size() + value.size() + 4);
  char* p = out.data() + at;
  std::memcpy(p, name.data(), name.size());
  p += name.size();
  *p++ = ':';
  *p++ = ' ';
  std::memcpy(p, value.data(), value.size());
  p += value.size();
  *p++ = '\r';
  *p = '\n';
}

}  // namespace weir::http
