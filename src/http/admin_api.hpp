// weir::http::AdminApi: the operator's live controls, served on the metrics listener under
// /admin/ when a token is configured (admin.token or WEIR_ADMIN_TOKEN). docs/admin.md is the
// reference; in short:
//
//   GET    /admin/blocks               dynamic blocks in force
//   PUT    /admin/blocks/{cidr}?ttl=10m  block a network (the '/' may be sent as %2F)
//   DELETE /admin/blocks/{cidr}        unblock it
//   GET    /admin/bans                 bans in force
//   DELETE /admin/bans/{ip}            lift a ban
//   GET    /admin/top?n=20             clients shadow rules would have rejected most
//
// Every request carries "Authorization: Bearer TOKEN"; the token is compared in constant time.
// Missing or wrong: 401. With no token configured the whole API answers 404.
#pragma once

#include <utility>  // before Asio's coroutine headers (Boost 1.74 with GCC 12)

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>

#include "http/protection.hpp"
#include "http/runtime.hpp"
#include "weir/store.hpp"

namespace weir::http {

struct AdminReply {
  int status = 200;
  std::string body;  // JSON
};

class AdminApi {
 public:
  // `runtime` returns the runtime in force (for the token and the client key); it is called on
  // the thread serving the request. `store` and `protection` outlive this.
  AdminApi(Store& store, Protection& protection,
           std::function<std::shared_ptr<const Runtime>()> runtime);

  // True for targets this API answers (the /admin/ prefix).
  static bool owns(std::string_view target);

  // Answers one request. `authorization` is the Authorization header's value (empty if none).
  boost::asio::awaitable<AdminReply> handle(boost::beast::http::verb method,
                                            std::string_view target,
                                            std::string_view authorization);

  // Reads the dynamic blocks from the store into the protection snapshot, so that a change
  // applies at once on this instance (others pick it up on their next periodic refresh).
  boost::asio::awaitable<void> refresh_blocks();

 private:
  boost::asio::awaitable<AdminReply> blocks(boost::beast::http::verb method, std::string_view rest,
                                            std::string_view query);
  boost::asio::awaitable<AdminReply> bans(boost::beast::http::verb method, std::string_view rest,
                                          const Runtime& rt);
  AdminReply top(std::string_view query) const;

  Store& store_;
  Protection& protection_;
  std::function<std::shared_ptr<const Runtime>()> runtime_;
};

// Constant-time comparison of a presented secret with the expected one: the time taken
// depends on the lengths only, never on where the first difference is.
bool secrets_equal(std::string_view presented, std::string_view expected);

// "10m", "30s", "1h", "2d", "500ms" (a positive whole number and a unit). nullopt otherwise.
std::optional<std::chrono::milliseconds> parse_ttl(std::string_view text);

// Decodes %XX escapes; nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace weir::http
