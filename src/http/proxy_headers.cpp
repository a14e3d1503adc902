#include "http/proxy_headers.hpp"

#include <boost/beast/core/string.hpp>

namespace weir::http {

void ProxyHeaders::add(boost::beast::http::field id, std::string_view name,
                       std::string_view value) {
  // The parsers' header limits (at most 1 MiB) keep every offset far inside 32 bits.
  fields_.push_back(Field{id, static_cast<std::uint32_t>(bytes_.size()),
                          static_cast<std::uint32_t>(name.size()),
                          static_cast<std::uint32_t>(value.size())});
  bytes_.append(name);
  bytes_.append(value);
}

bool ProxyHeaders::contains(std::string_view name) const {
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    if (boost::beast::iequals(this->name(i), name)) return true;
  }
  return false;
}

}  // namespace weir::http
