#include "weir/limit.hpp"

namespace weir {

std::string_view to_string(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kSlidingLog:
      return "sliding_log";
    case Algorithm::kSlidingCounter:
      return "sliding_counter";
    case Algorithm::kGcra:
      return "gcra";
  }
  return "unknown";
}

}  // namespace weir
