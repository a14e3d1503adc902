// Which header fields describe one connection rather than the message (RFC 9110 section 7.6.1),
// and so must not cross the proxy in either direction.
#pragma once

#include <string_view>

#include <boost/beast/http/field.hpp>

namespace weir::http {

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
