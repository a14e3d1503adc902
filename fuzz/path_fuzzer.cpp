// Fuzzes request path normalisation (weir/path.hpp). A normalised path must start with '/',
// hold no "." or ".." segment and no empty segment, and normalise to itself: otherwise two
// spellings of one resource could meet different rules.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "weir/path.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view target(reinterpret_cast<const char*>(data), size);
  std::string out;
  if (!weir::normalize_path(target, out)) return 0;

  if (out.empty() || out.front() != '/') std::abort();
  if (out.find("//") != std::string::npos) std::abort();
  if (out.find("/./") != std::string::npos || out.find("/../") != std::string::npos) std::abort();
  if (out.ends_with("/.") || out.ends_with("/..")) std::abort();

  std::string twice;
  if (!weir::normalize_path(out, twice) || twice != out) std::abort();
  return 0;
}
