// Which header fields describe one connection rather than the message (RFC 9110 section 7.6.1),
// and so must not cross the proxy in either direction.
#pragma once

#include <string_view>

#include <boost/beast/http/field.hpp>

#include "weir/blanks.hpp"

namespace weir::http {

// Calls `visit` with each trimmed, non-empty element of a comma-separated list until it returns
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

// Connection, Keep-Alive, Transfer-Encoding, TE, Trailer, Upgrade and Proxy-*. Transfer-Encoding
// and Trailer count too, as weir frames each side itself and sends no trailers. `id` is Beast's
// code for `name`.
bool is_hop_by_hop(boost::beast::http::field id, std::string_view name);

// True when the comma-separated `list` (a Connection field's value) holds `token`, in any case.
bool lists_token(std::string_view list, std::string_view token);

// True when the Connection field value `list` names options other than "close", "keep-alive",
// "upgrade" and "te" (fields hop-by-hop anyway): fields that are then hop-by-hop too. Almost no
// message has one, so a proxy checks every field against the Connection fields only when this is
// true.
bool names_other_fields(std::string_view list);

}  // namespace weir::http
