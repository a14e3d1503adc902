// Fuzzes the configuration loader (load_config_string): any text must either load or throw
// weir::ConfigError, never crash or throw anything else. A configuration that loads must load
// again identically (the loader is deterministic and reads no other file).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view yaml(reinterpret_cast<const char*>(data), size);
  try {
    weir::config::Config config = weir::config::load_config_string(yaml, "fuzz.yml");
    weir::config::Config again = weir::config::load_config_string(yaml, "fuzz.yml");
    if (!(config == again)) std::abort();
  } catch (const weir::ConfigError&) {
    // The expected way to refuse.
  }
  return 0;
}
