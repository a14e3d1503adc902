#include "http/demo_api.hpp"

#include <nlohmann/json.hpp>

namespace weir::http {

namespace bhttp = boost::beast::http;
using nlohmann::json;

namespace {

constexpr std::string_view kData = "/api/data";
constexpr std::string_view kLogin = "/api/auth/login";
constexpr std::string_view kSearch = "/api/search";
constexpr std::string_view kHealth = "/healthz";

// Invalid UTF-8 from a client is replaced, not thrown on.
std::string to_text(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

constexpr std::string_view kMethodNotAllowed = R"({"error":"method not allowed"})";

bool is_get(bhttp::verb method) {
  return method == bhttp::verb::get || method == bhttp::verb::head;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

DemoReply login(std::string_view body) {
  json payload = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (payload.is_discarded() || !payload.is_object()) {
    return DemoReply::constant(400, R"({"error":"invalid json"})");
  }
  std::string user;
  if (auto it = payload.find("username"); it != payload.end() && it->is_string()) {
    user = it->get<std::string>();
  }
  return DemoReply::built(200, to_text(json{{"token", "eyJ...demo"}, {"user", user}}));
}

}  // namespace

std::string_view DemoApi::route_label(std::string_view path) {
  for (std::string_view route : {kData, kLogin, kSearch, kHealth}) {
    if (path == route) return route;
  }
  return kOtherRoute;
}

DemoReply DemoApi::handle(bhttp::verb method, std::string_view path, std::string_view target,
                          std::string_view body) {
  if (path == kData) {
    if (!is_get(method)) return DemoReply::constant(405, kMethodNotAllowed, "GET, HEAD");
    return DemoReply::constant(200, R"({"data":"hello"})");
  }
  if (path == kLogin) {
    if (method != bhttp::verb::post) return DemoReply::constant(405, kMethodNotAllowed, "POST");
    return login(body);
  }
  if (path == kSearch) {
    if (!is_get(method)) return DemoReply::constant(405, kMethodNotAllowed, "GET, HEAD");
    json reply{{"query", query_parameter(target, "q")}, {"results", json::array()}};
    return DemoReply::built(200, to_text(reply));
  }
  if (path == kHealth) {
    if (!is_get(method)) return DemoReply::constant(405, kMethodNotAllowed, "GET, HEAD");
    return DemoReply::constant(200, R"({"status":"ok"})");
  }
  return DemoReply::constant(404, R"({"error":"not found"})");
}

std::string decode_query_component(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string query_parameter(std::string_view target, std::string_view name) {
  std::size_t question = target.find('?');
  if (question == std::string_view::npos) return {};
  std::string_view query = target.substr(question + 1);
  query = query.substr(0, query.find('#'));

  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);

    std::size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    if (decode_query_component(key) != name) continue;
    return eq == std::string_view::npos ? std::string{}
                                        : decode_query_component(pair.substr(eq + 1));
  }
  return {};
}

}  // namespace weir::http
