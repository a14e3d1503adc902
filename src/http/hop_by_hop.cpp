#include "http/hop_by_hop.hpp"

#include <boost/beast/core/string.hpp>

namespace weir::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

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
