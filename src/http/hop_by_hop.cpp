#include "http/hop_by_hop.hpp"

#include <boost/beast/core/string.hpp>

#include "weir/blanks.hpp"

namespace weir::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

// Calls `visit` with each trimmed, non-empty token of a comma-separated list until it returns
// true; returns whether one did.
template <typename Visit>
bool any_token(std::string_view list, Visit visit) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view token = trim_blanks(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (!token.empty() && visit(token)) return true;
  }
  return false;
}

}  // namespace

bool is_hop_by_hop(bhttp::field id, std::string_view name) {
  switch (id) {
    case bhttp::field::connection:
    case bhttp::field::keep_alive:
    case bhttp::field::transfer_encoding:
    case bhttp::field::te:
    case bhttp::field::trailer:
    case bhttp::field::upgrade:
      return true;
    default:
      return name.size() >= 6 && beast::iequals(name.substr(0, 6), "proxy-");
  }
}

bool lists_token(std::string_view list, std::string_view token) {
  return any_token(list, [token](std::string_view t) { return beast::iequals(t, token); });
}

bool names_other_fields(std::string_view list) {
  return any_token(list, [](std::string_view t) {
    return !beast::iequals(t, "close") && !beast::iequals(t, "keep-alive") &&
           !beast::iequals(t, "upgrade") && !beast::iequals(t, "te");
  });
}

}  // namespace weir::http
