#include "http/upstream_options.hpp"

#include <fmt/format.h>

#include "config/config.hpp"

namespace weir::http {

std::optional<UpstreamOptions> make_upstream_options(const config::Config& config) {
  if (!config.upstream) return std::nullopt;
  const config::UpstreamUrl& url = *config.upstream;

  UpstreamOptions options;
  options.host = url.host;
  options.port = url.port;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(url.host, ec);
  if (!ec) options.address = address;
  options.pool_key = fmt::format("{}:{}", url.host, url.port);
  options.base_path = url.base_path;
  options.authority = url.authority();
  options.host_header = config.upstream_host;
  options.max_idle = config.upstream_pool.max_idle;
  options.connect_timeout = config.upstream_timeouts.connect;
  options.response_timeout = config.upstream_timeouts.response;
  return options;
}

}  // namespace weir::http
