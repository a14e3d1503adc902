// weir::config::quote: a value as it appears in an error message, in double quotes.
//
//   quote("90x")       // "\"90x\""
//   quote("a\nb")      // "\"a\\nb\"": control characters escaped, so a message stays one line
#pragma once

#include <string>
#include <string_view>

namespace weir::config {

// Quotes and escapes `value`; values longer than 120 bytes are cut and end in "...", so a
// pasted blob cannot flood the start-up output.
std::string quote(std::string_view value);

}  // namespace weir::config
