// weir::Store: where rate-limit state lives.
//
// The embedded MemoryStore answers at once; a remote store (Redis) answers later. Callers try
// the synchronous path first and fall back to the asynchronous one:
//
//   if (auto d = store.try_decide(key, limit)) use(*d);
//   else store.decide(key, limit, [](weir::StoreResult r) { use(r); });
#pragma once

#include <optional>

#include <absl/functional/any_invocable.h>

#include "weir/decision.hpp"
#include "weir/limit.hpp"
#include "weir/rate_key.hpp"

namespace weir {

struct StoreResult {
  Decision decision;
  // True when the store could not decide (a remote store down and the failure policy says to
  // refuse). The caller answers 503; `decision.retry_after` says when to try again.
  bool unavailable = false;
};

// Implementations are thread-safe: any thread may call any method concurrently.
class Store {
 public:
  using Callback = absl::AnyInvocable<void(StoreResult) &&>;

  virtual ~Store() = default;

  // Counts one request for `key` under `limit` and decides it, when this can be done without
  // waiting. Returns nullopt when the store must wait (a remote store), and then counts nothing.
  virtual std::optional<StoreResult> try_decide(const RateKey& key, const Limit& limit) = 0;

  // Counts and decides, calling `done` exactly once, possibly before returning. A remote store
  // calls it on the executor of the thread that called decide().
  virtual void decide(const RateKey& key, const Limit& limit, Callback done) = 0;

  // Number of keys currently held (for metrics and tests); may be approximate.
  virtual std::size_t size() const = 0;
};

}  // namespace weir
