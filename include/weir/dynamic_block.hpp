// weir::DynamicBlock: a network blocked at run time through the admin API, as stores hold it.
#pragma once

#include <optional>

#include "weir/cidr.hpp"
#include "weir/clock.hpp"

namespace weir {

struct DynamicBlock {
  Cidr network;
  std::optional<Instant> expires;  // nullopt: until removed

  friend bool operator==(const DynamicBlock&, const DynamicBlock&) = default;
};

}  // namespace weir
