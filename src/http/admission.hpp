// weir::http::admit: the whole admission decision for one request head, in the order that
// makes each refusal as cheap as it can be:
//
//   1. shed     over max_in_flight: 503, before any store work
//   2. blocked  the client is in the blocklist or a dynamic block: 403
//   3. allowed  the client is in the allowlist: no limit
//   4. banned   the client is serving a ban: 403, its limit untouched
//   5. limited  the rule's limit in the store: 429, or admitted when the rule is in shadow mode
//
// and the response for each refusal.
//
//   InFlight in_flight(worker.shared);
//   Admission a;
//   Classification c;
//   if (!admit_now(worker, runtime, peer, head.forwarded, path, in_flight, a, c))
//     co_await admit_rest(worker, runtime, a, c);
//   if (!a.admitted()) { Response r(out); write_refusal(r, a, runtime, keep_alive, version); }
//
// The decision is split in two so that the common case (no bans, the embedded store) is an
// ordinary call: a coroutine costs a heap-allocated frame and a resumption per request.
#pragma once

#include <utility>  // before Asio's coroutine headers (Boost 1.74 with GCC 12)

#include <optional>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "http/response.hpp"
#include "http/runtime.hpp"
#include "http/worker.hpp"
#include "weir/limiter.hpp"

namespace weir::http {

// Counts one request as in flight for its lifetime (ServerContext::in_flight), and knows
// whether it arrived over the limit. One per request, on the worker's thread.
class InFlight {
 public:
  InFlight(ServerContext& context, std::uint32_t max_in_flight);
  ~InFlight();
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

  bool over_limit() const { return over_limit_; }

 private:
  ServerContext& context_;
  bool over_limit_;
};

enum class Refusal : std::uint8_t {
  kNone,         // admitted (verdict says whether allowlisted or within its limit)
  kShed,         // 503, reason "shed"
  kBlocked,      // 403, reason "blocklist"
  kBanned,       // 403, reason "ban"
  kRateLimited,  // 429, reason "rate_limit"
  kUnavailable,  // 503: the store could not decide
};

struct Admission {
  Refusal refusal = Refusal::kNone;
  Verdict verdict;  // verdict.decision is meaningful for admitted and rate-limited requests
  // The request's rule is in shadow mode: its verdict is only counted, and the response carries
  // no rate headers, so a dry run changes nothing a client sees.
  bool shadow = false;
  std::optional<Instant> banned_until;  // for kBanned

  bool admitted() const { return refusal == Refusal::kNone; }
  // Rate-limit headers belong on the response: an enforced rule decided it.
  bool rate_headers() const {
    return !shadow && (refusal == Refusal::kRateLimited ||
                       (refusal == Refusal::kNone && verdict.outcome == Outcome::kAllowed));
  }
};

// Takes every step of the decision that needs no wait into `a`, counting refusals and shadow
// rejections in the worker's metrics. True when that decided the request; false when the rest
// needs the store's callbacks (bans are on, or the store is remote): nothing has been counted
// in the store then, `c` holds the request's classification, and admit_rest must be awaited.
bool admit_now(Worker& worker, const Runtime& rt, const IpAddress& peer, std::string_view forwarded,
               std::string_view path, const InFlight& in_flight, Admission& a, Classification& c);

// Finishes what admit_now left: the ban check, the store's decision and a new ban's record.
// `rt`, `a` and `c` must stay alive until the await completes. Never throws, except
// std::bad_alloc.
boost::asio::awaitable<void> admit_rest(Worker& worker, const Runtime& rt, Admission& a,
                                        const Classification& c);

// Starts `response` with the refusal's status, headers and JSON body. Returns the status.
int write_refusal(Response& response, const Admission& a, const Runtime& rt, bool keep_alive,
                  int version);

// X-RateLimit-*, RateLimit-Policy and RateLimit headers of a decided request.
void write_rate_headers(Response& response, const Runtime& rt, const Verdict& verdict);

}  // namespace weir::http
