// weir::config::is_host_name: whether text is a DNS host name as configuration files may write
// one (for a Redis server or an upstream), checked before any lookup is attempted.
#pragma once

#include <string_view>

namespace weir::config {

// Dot-separated labels of 1..63 letters, digits, '-' or '_', at most 253 characters in all.
// IP addresses are checked separately, with weir::IpAddress.
bool is_host_name(std::string_view host);

}  // namespace weir::config
