// weir::ConfigError: the one exception the configuration loader throws.
//
// The message is meant for an operator reading weir's start-up output, so it is complete on its
// own: the file, the line and column, the full key path and the bad value, then what would be
// accepted instead.
//
//   weir.yml:7:12: limits.routes[1].window: "90x" is not a duration (use 500ms, 60s, 10m, 1h)
#pragma once

#include <stdexcept>
#include <string>

namespace weir {

class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace weir
