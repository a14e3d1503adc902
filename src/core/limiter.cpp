#include "weir/limiter.hpp"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>

namespace weir {

namespace {

// FNV-1a, 32 bits: stable across processes and builds, unlike std::hash.
std::uint32_t fnv1a(std::string_view text) {
  std::uint32_t hash = 2166136261u;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 16777619u;
  }
  return hash;
}

}  // namespace

Limiter::Limiter(LimiterOptions options)
    : allowlist_(std::move(options.allowlist)),
      blocklist_(std::move(options.blocklist)),
      resolver_(std::move(options.client)),
      rules_(std::move(options.rules)) {
  // Budgets are keyed by the rule's name, not its position, so that a reload which adds or
  // reorders routes leaves every other rule's counts where they were. Names are unique; two
  // that hash alike (about one chance in 2^32 per pair) are told apart by probing.
  for (std::uint32_t i = 0; i < rules_.size(); ++i) {
    std::uint32_t id = fnv1a(rules_.rule(i).name);
    while (std::find(rule_ids_.begin(), rule_ids_.end(), id) != rule_ids_.end())
      ++id;
    rule_ids_.push_back(id);
  }
}

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
    c.key = RateKey{rule_ids_[c.rule], resolver_.key_of(c.client)};
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
