#include "http/proxy_buffer.hpp"

#include <algorithm>
#include <cstring>

#include <boost/beast/http/error.hpp>

namespace weir::http {

std::size_t ProxyBuffer::fill(std::string_view body, boost::beast::error_code& ec) {
  if (size_ == capacity_) {
    ec = boost::beast::http::error::need_buffer;
    return 0;
  }
  const std::size_t n = std::min(body.size(), capacity_ - size_);
  std::memcpy(bytes_.get() + size_, body.data(), n);
  size_ += n;
  return n;
}

}  // namespace weir::http
