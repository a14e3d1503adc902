// weir::http::Runtime: everything a request needs that comes from the configuration, built
// once and then shared read-only by every thread.
//
// A reload builds a new Runtime and swaps the pointer; requests in flight keep the one they
// started with.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/beast/http/field.hpp>

#include "http/request_parser.hpp"
#include "http/upstream_options.hpp"
#include "weir/ban_policy.hpp"
#include "weir/limiter.hpp"

namespace weir::config {
struct Config;
}

namespace weir::http {

struct Timeouts {
  std::chrono::milliseconds header{10'000};  // the whole request head
  std::chrono::milliseconds body{30'000};    // the whole body
  std::chrono::milliseconds idle{60'000};    // between requests on a kept-alive connection
  std::uint32_t body_min_rate = 0;           // bytes/s a body must average after the grace; 0 off
  std::chrono::milliseconds body_grace{5'000};
};

// Limits on connections and concurrency (config keys connections.*, max_in_flight).
struct ConcurrencyLimits {
  std::uint32_t max_connections = 100'000;  // open client connections, whole process
  std::uint32_t per_ip = 0;                 // open connections per client address; 0 unlimited
  std::uint32_t max_in_flight = 0;          // requests being handled, whole process; 0 unlimited
};

// Precomputed per rule, so the hot path only formats numbers.
struct RuleHeaders {
  std::string quoted_name;  // the rule's name as a structured-field string: "\"default\""
  std::string policy;       // RateLimit-Policy value: "default";q=100;w=60
};

struct Runtime {
  explicit Runtime(Limiter l) : limiter(std::move(l)) {}

  Limiter limiter;
  std::vector<RuleHeaders> rule_headers;  // indexed like limiter.rules()
  RequestLimits request_limits;
  std::string_view forwarded_header = "x-forwarded-for";  // or "forwarded"; lowercase
  Timeouts timeouts;
  std::uint32_t max_requests_per_connection = 1000;
  std::optional<UpstreamOptions> proxy;  // set in proxy mode; unset, the demo API answers

  ConcurrencyLimits concurrency;
  std::vector<bool> shadow;      // per rule, indexed like limiter.rules(): only count rejections
  std::optional<BanPolicy> ban;  // nullopt: no bans
  std::string admin_token;       // empty: the admin API is off
};

// Builds the runtime of a validated configuration. Throws only on a configuration the loader
// should already have refused.
std::shared_ptr<const Runtime> make_runtime(const config::Config& config);

// The per-rule header values, exposed for tests.
RuleHeaders make_rule_headers(const Rule& rule);

}  // namespace weir::http
