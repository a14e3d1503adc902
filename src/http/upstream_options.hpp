// weir::http::UpstreamOptions: where and how proxy mode forwards requests, as the Runtime holds
// it: built once from the configuration (make_upstream_options), then read-only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <boost/asio/ip/address.hpp>

namespace weir::config {
struct Config;
}

namespace weir::http {

struct UpstreamOptions {
  std::string host;  // a host name or IP address, without brackets
  std::uint16_t port = 80;
  std::optional<boost::asio::ip::address> address;  // set when `host` is an IP address
  std::string pool_key;       // "host:port": which idle connections may serve this upstream
  std::string base_path;      // prepended to each target: "" or "/base"
  std::string authority;      // the Host sent when the client sent none
  std::string host_header;    // when set, the Host sent instead of the client's
  std::size_t max_idle = 64;  // idle connections kept per server thread
  std::chrono::milliseconds connect_timeout{5'000};    // name lookup plus TCP connect
  std::chrono::milliseconds response_timeout{60'000};  // each wait on the upstream
};

// The options of a configuration with an upstream; std::nullopt without one (demo mode).
std::optional<UpstreamOptions> make_upstream_options(const config::Config& config);

}  // namespace weir::http
