// weir::config::ListenAddress: a host and port to bind a listening socket to.
//
//   auto a = weir::config::ListenAddress::parse("[::1]:8000");   // host "::1", port 8000
//   a->to_string();                                             // "[::1]:8000"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weir::config {

struct ListenAddress {
  std::string host;        // an IP address without brackets ("0.0.0.0", "::1") or "localhost"
  std::uint16_t port = 0;  // 0 asks the kernel for a free port (useful in tests)

  // "host:port" or "[v6]:port", where host is an IP address or "localhost" and port is 0..65535.
  // Returns nullopt for anything else; never throws. The configuration loader explains the
  // failure to the operator.
  static std::optional<ListenAddress> parse(std::string_view text);

  // "0.0.0.0:8000", "[::1]:8000": the form parse() accepts.
  std::string to_string() const;

  friend bool operator==(const ListenAddress&, const ListenAddress&) = default;
};

}  // namespace weir::config
