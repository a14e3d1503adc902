// weir::http::DemoApi: the demo application weir serves when no upstream is configured.
//
//   GET  /api/data          {"data":"hello"}
//   POST /api/auth/login    JSON body {"username": ...}; answers a demo token
//   GET  /api/search?q=...  echoes the percent-decoded query
//   GET  /healthz           {"status":"ok"}
//
// Text from the request is echoed only through a JSON serializer, never pasted into a JSON
// string by hand, so a username or query cannot inject fields.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/beast/http/verb.hpp>

namespace weir::http {

struct DemoReply {
  int status = 200;
  std::string_view body;   // a constant, or `owned`
  std::string_view allow;  // for 405: the methods the route takes
  std::string owned;       // storage for a body built from the request

  static DemoReply constant(int status, std::string_view body, std::string_view allow = {}) {
    return {status, body, allow, {}};
  }
  static DemoReply built(int status, std::string text) {
    DemoReply reply{status, {}, {}, std::move(text)};
    reply.body = reply.owned;
    return reply;
  }
};

class DemoApi {
 public:
  // Route labels for metrics: every known route, plus one label for everything else, so the
  // label's cardinality is fixed.
  static constexpr std::string_view kOtherRoute = "other";

  // The metrics label of `path` (a normalised path): the route itself, or kOtherRoute.
  static std::string_view route_label(std::string_view path);

  // Answers a request that the limiter let through. `target` is the raw request target (for
  // the query string), `path` its normalised path. HEAD is answered as GET.
  static DemoReply handle(boost::beast::http::verb method, std::string_view path,
                          std::string_view target, std::string_view body);
};

// Decodes an application/x-www-form-urlencoded value: "+" is a space, "%XX" a byte. Malformed
// escapes are kept literally.
std::string decode_query_component(std::string_view text);

// The value of parameter `name` in the query part of `target`, decoded; empty when absent.
std::string query_parameter(std::string_view target, std::string_view name);

}  // namespace weir::http
