#include "http/admission.hpp"

#include <algorithm>
#include <charconv>

#include <chrono>
#include <cstdio>
#include <cstring>

#include <spdlog/spdlog.h>

#include "http/store_call.hpp"

namespace weir::http {

namespace {

// Lets a coroutine wait for a remote store's answer (see Store::decide).
boost::asio::awaitable<StoreResult> decide_async(Store& store, const RateKey& key,
                                                 const Limit& limit) {
  co_return co_await store_call<StoreResult>(
      [&store, &key, &limit](auto done) { store.decide(key, limit, std::move(done)); });
}

// Seconds until `until`, rounded up, at least 1: a Retry-After a client can obey.
std::int64_t seconds_until(Instant until) {
  const auto now = std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  return std::max<std::int64_t>(1, ceil_seconds(until - now));
}

// New bans are logged, but at most this many per period: a flood of offenders must not flood
// the log (weir_bans_total counts them all).
constexpr int kBanLogsPerPeriod = 10;
constexpr std::chrono::seconds kBanLogPeriod{10};

void log_ban(const IpAddress& client, Instant until) {
  static std::atomic<std::int64_t> period{0};
  static std::atomic<int> logged{0};
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count() /
                           kBanLogPeriod.count();
  if (period.exchange(now) != now) logged.store(0);
  if (logged.fetch_add(1) < kBanLogsPerPeriod) {
    spdlog::warn("banned client \"{}\" for {}s", client.to_string(), seconds_until(until));
  }
}

// Turns the store's answer into `a`, counting a refusal; a shadow rule's rejection is only
// counted as such.
void apply_verdict(Worker& worker, const Runtime& rt, const Classification& c,
                   const StoreResult& result, Admission& a) {
  a.verdict = Limiter::finish(c, result);
  a.shadow = rt.shadow[c.rule];
  if (a.verdict.outcome == Outcome::kUnavailable) {
    a.refusal = Refusal::kUnavailable;
  } else if (a.verdict.outcome == Outcome::kRateLimited) {
    if (a.shadow) {
      worker.shared.protection.count_shadow_rejection(c.client,
                                                      rt.limiter.rules().rule(c.rule).name);
      return;
    }
    a.refusal = Refusal::kRateLimited;
    worker.shared.metrics.count_rejection(RejectReason::kRateLimit);
  }
}

}  // namespace

InFlight::InFlight(ServerContext& context, std::uint32_t max_in_flight) : context_(context) {
  const long now = context_.in_flight.fetch_add(1, std::memory_order_relaxed) + 1;
  over_limit_ = max_in_flight != 0 && now > static_cast<long>(max_in_flight);
  context_.protection.in_flight().inc();
}

InFlight::~InFlight() {
  context_.in_flight.fetch_sub(1, std::memory_order_relaxed);
  context_.protection.in_flight().dec();
}

bool admit_now(Worker& worker, const Runtime& rt, const IpAddress& peer, std::string_view forwarded,
               std::string_view path, const InFlight& in_flight, Admission& a, Classification& c) {
  RequestMetrics& metrics = worker.shared.metrics;
  a = Admission();

  if (in_flight.over_limit()) {
    a.refusal = Refusal::kShed;
    metrics.count_rejection(RejectReason::kShed);
    return true;
  }

  c = rt.limiter.classify({.peer = peer, .forwarded = forwarded, .path = path});
  a.verdict = Limiter::finish(c, StoreResult{});
  // A dynamic block is an operator's explicit act: it wins over the allowlist.
  if (c.outcome == Outcome::kBlocked ||
      (!worker.dynamic_blocks().empty() && worker.dynamic_blocks().contains(c.client))) {
    a.refusal = Refusal::kBlocked;
    a.verdict.outcome = Outcome::kBlocked;
    metrics.count_rejection(RejectReason::kBlocklist);
    return true;
  }
  if (c.outcome == Outcome::kAllowlisted) return true;

  // A ban check and a ban record go through the store's callbacks: admit_rest.
  if (rt.ban) return false;
  std::optional<StoreResult> result =
      worker.shared.store->try_decide(c.key, rt.limiter.rules().rule(c.rule).limit);
  if (!result) return false;
  apply_verdict(worker, rt, c, *result, a);
  return true;
}

boost::asio::awaitable<void> admit_rest(Worker& worker, const Runtime& rt, Admission& a,
                                        const Classification& c) {
  ServerContext& shared = worker.shared;
  Store& store = *shared.store;
  if (rt.ban) {
    a.banned_until = co_await store_call<std::optional<Instant>>(
        [&store, &c](auto done) { store.check_ban(c.key.client, std::move(done)); });
    if (a.banned_until) {
      a.refusal = Refusal::kBanned;
      shared.metrics.count_rejection(RejectReason::kBan);
      co_return;
    }
  }

  const Limit& limit = rt.limiter.rules().rule(c.rule).limit;
  std::optional<StoreResult> result = store.try_decide(c.key, limit);
  if (!result) result = co_await decide_async(store, c.key, limit);
  apply_verdict(worker, rt, c, *result, a);

  if (a.refusal == Refusal::kRateLimited && rt.ban) {
    const BanPolicy& policy = *rt.ban;
    std::optional<Instant> until =
        co_await store_call<std::optional<Instant>>([&store, &c, &policy](auto done) {
          store.record_rejection(c.key.client, policy, std::move(done));
        });
    if (until) {
      shared.protection.count_ban_started();
      log_ban(c.key.client, *until);
    }
  }
}

namespace {

char* put(char* out, std::string_view text) {
  std::memcpy(out, text.data(), text.size());
  return out + text.size();
}

char* put(char* out, std::int64_t number) {
  return std::to_chars(out, out + 20, number).ptr;  // 20 characters hold any int64
}

}  // namespace

void write_rate_headers(Response& response, const Runtime& rt, const Verdict& verdict) {
  const Decision& d = verdict.decision;
  const RuleHeaders& rule = rt.rule_headers[verdict.rule];
  const std::int64_t limit = static_cast<std::int64_t>(d.limit);
  const std::int64_t remaining = static_cast<std::int64_t>(d.remaining);
  const std::int64_t reset = ceil_seconds(d.reset);

  // On every answer, so formatted in one pass into room reserved once: 106 bytes of names and
  // punctuation, five numbers of at most 20 characters, and the rule's two strings.
  char* p = response.begin_raw(224 + rule.policy.size() + rule.quoted_name.size());
  p = put(p, "X-RateLimit-Limit: ");
  p = put(p, limit);
  p = put(p, "\r\nX-RateLimit-Remaining: ");
  p = put(p, remaining);
  p = put(p, "\r\nX-RateLimit-Reset: ");
  p = put(p, reset);
  p = put(p, "\r\nRateLimit-Policy: ");
  p = put(p, rule.policy);
  // "name";r=REMAINING;t=RESET
  p = put(p, "\r\nRateLimit: ");
  p = put(p, rule.quoted_name);
  p = put(p, ";r=");
  p = put(p, remaining);
  p = put(p, ";t=");
  p = put(p, reset);
  p = put(p, "\r\n");
  response.end_raw(p);
}

int write_refusal(Response& response, const Admission& a, const Runtime& rt, bool keep_alive,
                  int version) {
  switch (a.refusal) {
    case Refusal::kNone:
      break;
    case Refusal::kBlocked:
      response.start(403, keep_alive, version);
      response.json_body(R"({"error":"forbidden"})");
      return 403;
    case Refusal::kBanned: {
      response.start(403, keep_alive, version);
      response.header("Retry-After", seconds_until(*a.banned_until));
      response.header("Cache-Control", "no-store");
      response.json_body(R"({"error":"forbidden","reason":"banned"})");
      return 403;
    }
    case Refusal::kShed:
      response.start(503, keep_alive, version);
      response.header("Retry-After", std::int64_t{1});
      response.header("Cache-Control", "no-store");
      response.json_body(R"({"error":"overloaded"})");
      return 503;
    case Refusal::kRateLimited: {
      const std::int64_t retry =
          std::max<std::int64_t>(1, ceil_seconds(a.verdict.decision.retry_after));
      response.start(429, keep_alive, version);
      response.header("Retry-After", retry);
      response.header("Cache-Control", "no-store");
      write_rate_headers(response, rt, a.verdict);
      constexpr std::string_view kPrefix = R"({"error":"too many requests","retry_after":)";
      char body[kPrefix.size() + 24];
      char* end = std::copy(kPrefix.begin(), kPrefix.end(), body);
      end = std::to_chars(end, body + sizeof body - 1, retry).ptr;
      *end++ = '}';
      response.json_body(std::string_view(body, static_cast<std::size_t>(end - body)));
      return 429;
    }
    case Refusal::kUnavailable: {
      const std::int64_t retry =
          std::max<std::int64_t>(1, ceil_seconds(a.verdict.decision.retry_after));
      response.start(503, keep_alive, version);
      response.header("Retry-After", retry);
      response.json_body(R"({"error":"rate limiter unavailable"})");
      return 503;
    }
  }
  return 0;
}

}  // namespace weir::http
