#include "weir/limiter.hpp"

#include <utility>

namespace weir {

Limiter::Limiter(LimiterOptions options)
    : allowlist_(std::move(options.allowlist)),
      blocklist_(std::move(options.blocklist)),
      resolver_(std::move(options.client)),
      rules_(std::move(options.rules)) {}

Classification Limiter::classify(const RequestFacts& facts) const {
  Classification c;
  c.client = resolver_.resolve(facts.peer, facts.forwarded);
  c.rule = rules_.match(facts.path);

  // Lists match the client's full address; only the budget is shared across an IPv6 prefix.
  if (!blocklist_.empty() && blocklist_.contains(c.client)) {
    c.outcome = Outcome::kBlocked;
  } else if (!allowlist_.empty() && allowlist_.contains(c.client)) {
    c.outcome = Outcome::kAllowlisted;
  } else {
    c.outcome = Outcome::kAllowed;
    c.key = RateKey{c.rule, resolver_.key_of(c.client)};
  }
  return c;
}

Verdict Limiter::check(const RequestFacts& facts, Store& store) const {
  Classification c = classify(facts);
  if (c.outcome != Outcome::kAllowed) return finish(c, StoreResult{});

  std::optional<StoreResult> result = store.try_decide(c.key, rules_.rule(c.rule).limit);
  if (!result) return finish(c, StoreResult{.decision = {}, .unavailable = true});
  return finish(c, *result);
}

Verdict Limiter::finish(const Classification& c, const StoreResult& result) {
  Verdict v{.outcome = c.outcome, .client = c.client, .rule = c.rule, .decision = {}};
  if (c.outcome != Outcome::kAllowed) return v;

  v.decision = result.decision;
  if (result.unavailable) {
    v.outcome = Outcome::kUnavailable;
  } else if (!result.decision.allowed) {
    v.outcome = Outcome::kRateLimited;
  }
  return v;
}

}  // namespace weir
