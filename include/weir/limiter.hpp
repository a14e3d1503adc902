// weir::Limiter: the rate-limit core's front door. Given a request's facts it says whether the
// request is blocked, passes unlimited, or spends which budget; a Store then decides the last.
//
// It does no I/O and knows no HTTP, so any C++ server can embed it:
//
//   weir::Limiter limiter(std::move(options));
//   weir::MemoryStore store(clock, {});
//   weir::Verdict v = limiter.check({.peer = peer, .path = "/api/data"}, store);
//   if (v.outcome == weir::Outcome::kRateLimited) reply_429(v.decision.retry_after);
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "weir/cidr_set.hpp"
#include "weir/client_resolver.hpp"
#include "weir/decision.hpp"
#include "weir/rate_key.hpp"
#include "weir/rule_set.hpp"
#include "weir/store.hpp"

namespace weir {

// What the server knows of a request before the rate-limit decision.
struct RequestFacts {
  IpAddress peer;              // the socket's remote address
  std::string_view forwarded;  // the configured forwarding header, all lines joined by ", "
  std::string_view path;       // normalised path (see normalize_path)
};

enum class Outcome : std::uint8_t {
  kBlocked,      // the client is in the blocklist: answer 403, no store work
  kAllowlisted,  // the client is in the allowlist: pass without counting
  kAllowed,      // within its limit
  kRateLimited,  // over its limit: answer 429
  kUnavailable,  // the store could not decide and its failure policy refuses: answer 503
};

// Before the store: which of the first three outcomes applies, and for kAllowed/kRateLimited
// whose budget the store must spend.
struct Classification {
  Outcome outcome = Outcome::kAllowed;  // kBlocked, kAllowlisted, or kAllowed meaning "ask"
  IpAddress client;                     // the resolved client address
  std::uint32_t rule = 0;               // the matched rule (always set)
  RateKey key;                          // the budget to spend when outcome is kAllowed
};

struct Verdict {
  Outcome outcome = Outcome::kAllowed;
  IpAddress client;
  std::uint32_t rule = 0;
  Decision decision;  // meaningful for kAllowed and kRateLimited
};

struct LimiterOptions {
  CidrSet allowlist;
  CidrSet blocklist;
  ClientResolverOptions client;
  RuleSet rules;
};

// Immutable after construction; safe to share between threads.
class Limiter {
 public:
  explicit Limiter(LimiterOptions options);

  // Order: blocklist, then allowlist, then the matched rule. Never touches a store.
  Classification classify(const RequestFacts& facts) const;

  // classify() then, when needed, the store's synchronous path. Returns kUnavailable when the
  // store cannot answer synchronously; servers with remote stores use classify() and
  // Store::decide() instead.
  Verdict check(const RequestFacts& facts, Store& store) const;

  // Turns a store's answer into the verdict for a classified request.
  static Verdict finish(const Classification& c, const StoreResult& result);

  const RuleSet& rules() const { return rules_; }
  const ClientResolver& resolver() const { return resolver_; }
  const CidrSet& allowlist() const { return allowlist_; }
  const CidrSet& blocklist() const { return blocklist_; }

 private:
  CidrSet allowlist_;
  CidrSet blocklist_;
  ClientResolver resolver_;
  RuleSet rules_;
  std::vector<std::uint32_t> rule_ids_;  // RateKey::rule of each rule, indexed like rules_
};

}  // namespace weir
