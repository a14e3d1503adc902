// weir::normalize_path: the canonical form of a request target's path, the one rules match.
//
// Two spellings of one resource must meet the same rule, or a client escapes a limit by writing
// "/api//auth", "/api/./auth", "/x/../api/auth" or "/api/%61uth" instead of "/api/auth".
//
//   std::string path;
//   if (!weir::normalize_path("/api//v1/../auth?user=x", path)) reject();  // path == "/api/auth"
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace weir {

// Normalises an origin-form request target into `out` (replacing its contents; reusing its
// capacity, so a caller that keeps one string per connection allocates nothing after warm-up):
//   - the query ("?...") and fragment ("#...") are dropped;
//   - percent escapes of unreserved characters (ALPHA DIGIT - . _ ~) are decoded; every other
//     escape stays encoded, in uppercase hex, because decoding "%2F" would turn one segment into
//     two and decoding "%3F" would start a query;
//   - empty segments collapse ("//" becomes "/");
//   - "." and ".." segments are resolved after decoding, never climbing above the root;
//   - a trailing slash is kept ("/a/" stays "/a/", "/a/." becomes "/a/").
// Returns false, leaving `out` unspecified, when the target does not start with '/' (absolute-
// form, authority-form, "*"), when the path holds a '%' not followed by two hex digits, or when
// the target holds a control character (0x00..0x1F, 0x7F). Never throws except std::bad_alloc.
// Thread-safe: a pure function.
bool normalize_path(std::string_view target, std::string& out);

// The same, returning the path or nullopt. Allocates the result.
std::optional<std::string> normalize_path(std::string_view target);

}  // namespace weir
