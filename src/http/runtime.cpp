#include "http/runtime.hpp"

#include <fmt/format.h>

#include "config/config.hpp"

namespace weir::http {

namespace {

// A structured-field string (RFC 8941): printable ASCII in quotes, '"' and '\' escaped; other
// bytes cannot be represented and become '?'.
std::string sf_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c >= 0x20 && c <= 0x7e ? c : '?');
  }
  out.push_back('"');
  return out;
}

CidrSet to_set(const std::vector<Cidr>& networks) {
  return CidrSet(networks);
}

}  // namespace

RuleHeaders make_rule_headers(const Rule& rule) {
  RuleHeaders headers;
  headers.quoted_name = sf_string(rule.name);
  // The window in whole seconds, rounded up, as the policy's `w` is an integer.
  headers.policy = fmt::format("{};q={};w={}", headers.quoted_name, rule.limit.requests,
                               ceil_seconds(rule.limit.window));
  return headers;
}

std::shared_ptr<const Runtime> make_runtime(const config::Config& config) {
  std::vector<Rule> routes;
  routes.reserve(config.limits.routes.size());
  for (const config::RouteLimit& route : config.limits.routes) {
    routes.push_back(Rule{route.prefix, route.prefix, route.limit});
  }

  ClientResolverOptions client;
  client.trusted_proxies = to_set(config.client_ip.trusted_proxies);
  client.ipv6_prefix = config.client_ip.ipv6_prefix;
  client.header = config.client_ip.header;

  LimiterOptions options{
      .allowlist = to_set(config.allowlist),
      .blocklist = to_set(config.blocklist),
      .client = std::move(client),
      .rules = RuleSet(Rule{"default", "/", config.limits.default_limit}, std::move(routes)),
  };

  auto runtime = std::make_shared<Runtime>(Limiter(std::move(options)));
  const RuleSet& rules = runtime->limiter.rules();
  for (std::uint32_t i = 0; i < rules.size(); ++i) {
    runtime->rule_headers.push_back(make_rule_headers(rules.rule(i)));
  }

  runtime->request_limits = RequestLimits{
      .max_header_bytes = config.limits_http.max_header_bytes,
      .max_headers = config.limits_http.max_headers,
      .max_uri_bytes = config.limits_http.max_uri_bytes,
      .max_body_bytes = config.limits_http.max_body_bytes,
  };
  runtime->forwarded_header =
      config.client_ip.header == ForwardedHeader::kForwarded ? "forwarded" : "x-forwarded-for";
  runtime->timeouts = Timeouts{config.timeouts.header, config.timeouts.body, config.timeouts.idle,
                               config.timeouts.body_min_rate, config.timeouts.body_grace};
  runtime->max_requests_per_connection = config.max_requests_per_connection;
  runtime->proxy = make_upstream_options(config);

  runtime->concurrency = ConcurrencyLimits{
      .max_connections = config.connections.max,
      .per_ip = config.connections.per_ip,
      .max_in_flight = config.max_in_flight,
  };
  // Index 0 is the default rule, then the routes in file order, as RuleSet numbers them.
  const bool all_shadow = config.mode == config::Mode::kShadow;
  runtime->shadow.push_back(all_shadow || config.limits.default_mode == config::Mode::kShadow);
  for (const config::RouteLimit& route : config.limits.routes) {
    runtime->shadow.push_back(all_shadow || route.mode == config::Mode::kShadow);
  }
  if (config.ban) {
    runtime->ban = BanPolicy{
        .after = config.ban->after,
        .within = config.ban->within,
        .duration = config.ban->duration,
        .max_duration = config.ban->max_duration,
    };
  }
  runtime->admin_token = config.admin.token;
  return runtime;
}

}  // namespace weir::http
