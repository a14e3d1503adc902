#include "store/redis_store.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>

#include "store/redis_circuit_breaker.hpp"
#include "store/redis_cluster_router.hpp"
#include "store/redis_cluster_slot.hpp"
#include "store/redis_connection.hpp"
#include "store/redis_protection.hpp"
#include "store/redis_request.hpp"
#include "store/redis_store_metrics.hpp"

namespace weir {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

// hiredis writes with write(2), not send(MSG_NOSIGNAL): a write to a connection Redis has just
// closed would raise SIGPIPE, whose default action ends the process. weir handles the error
// instead, so the signal is ignored, unless the program has already chosen what to do with it.
void ignore_sigpipe() {
  struct sigaction current {};
  if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    signal(SIGPIPE, SIG_IGN);
  }
}

// How long a client told "unavailable" under on_error: deny should wait.
constexpr Duration kDenyRetryAfter = std::chrono::seconds(1);
// At most one log line per this interval about unusable replies: their rate is the traffic's.
constexpr std::chrono::seconds kErrorLogInterval{10};

std::string_view policy_name(RedisFailurePolicy policy) {
  switch (policy) {
    case RedisFailurePolicy::kAllow:
      return "allow";
    case RedisFailurePolicy::kDeny:
      return "deny";
    case RedisFailurePolicy::kLocal:
      return "local";
  }
  return "?";
}

}  // namespace

// io_contexts with a thread each, for a store that runs its connections on threads of its own.
class OwnedIo {
 public:
  explicit OwnedIo(unsigned threads) {
    for (unsigned i = 0; i < std::max(1u, threads); ++i) {
      contexts_.push_back(std::make_unique<asio::io_context>(1));
      guards_.emplace_back(contexts_.back()->get_executor());
    }
    for (auto& context : contexts_) {
      threads_.emplace_back([c = context.get()] { c->run(); });
    }
  }
  ~OwnedIo() { stop(); }

  std::vector<asio::io_context*> contexts() const {
    std::vector<asio::io_context*> out;
    for (const auto& context : contexts_)
      out.push_back(context.get());
    return out;
  }

  void stop() {
    guards_.clear();
    for (auto& context : contexts_)
      context->stop();
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

 private:
  using Guard = asio::executor_work_guard<asio::io_context::executor_type>;
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
};

class RedisStore::Impl final : public RedisRequestSink, public RedisCallSender {
 public:
  Impl(std::unique_ptr<OwnedIo> owned, std::vector<asio::io_context*> contexts,
       RedisStoreOptions options, Store& local, RedisStoreMetrics* metrics)
      : owned_(std::move(owned)),
        options_(std::move(options)),
        local_(local),
        contexts_(std::move(contexts)),
        metrics_(metrics),
        breaker_(options_.failures_to_open, options_.probe_interval,
                 [this](RedisCircuitBreaker::State state, int failures) {
                   on_breaker_change(state, failures);
                 }),
        protection_(options_, local_, *this, clock_) {
    if (contexts_.empty()) throw std::invalid_argument("redis store: no io_context given");
    if (options_.connections == 0) {
      throw std::invalid_argument("redis store: connections is 0, need at least 1");
    }
    if (options_.instances == 0) {
      throw std::invalid_argument("redis store: instances is 0, need at least 1");
    }

    if (metrics_ != nullptr) {
      writes_.round_trips = &metrics_->round_trips;
      metrics_->fallback_active.set(0);
    }

    ignore_sigpipe();

    if (options_.url.scheme == config::RedisUrl::Scheme::kCluster) {
      // One set of connections per master, chosen per key by its slot.
      cluster_ = std::make_unique<RedisClusterRouter>(contexts_, options_, *this, writes_);
      return;
    }
    by_context_.resize(contexts_.size());
    for (std::uint32_t i = 0; i < options_.connections; ++i) {
      const std::size_t home = i % contexts_.size();
      connections_.push_back(std::make_shared<RedisConnection>(*contexts_[home], options_, *this,
                                                               writes_, static_cast<int>(i)));
      by_context_[home].push_back(i);
      all_.push_back(i);
    }
    for (auto& connection : connections_)
      connection->start();
  }

  ~Impl() override {
    // Own threads stop first; then each connection frees its hiredis context, dropping the
    // requests still in flight.
    if (cluster_) cluster_->stop_refreshing();
    if (owned_) owned_->stop();
    connections_.clear();
    cluster_.reset();
  }

  std::optional<StoreResult> try_decide(const RateKey& key, const Limit& limit) {
    if (!breaker_.bypassing(SteadyClock::now())) return std::nullopt;
    std::optional<StoreResult> result = policy_now(key, limit);
    if (result) count(Result::kFallback);
    return result;
  }

  void decide(const RateKey& key, const Limit& limit, std::optional<Instant> at, Callback done) {
    const auto now = SteadyClock::now();
    if (!breaker_.try_acquire(now)) {
      count(Result::kFallback);
      apply_policy(key, limit, std::move(done));
      return;
    }

    asio::io_context* home = home_context();
    RedisConnection* connection =
        cluster_ ? cluster_->pick(slot_of(key, limit), home) : pick_connection(home);
    if (connection == nullptr) {
      if (cluster_) cluster_->note_failure();
      // Every connection is down and reconnecting: that is a failure like any other.
      breaker_.record_failure(now);
      count(Result::kError);
      apply_policy(key, limit, std::move(done));
      return;
    }

    auto request = std::make_unique<RedisRequest>();
    request->key = key;
    request->limit = limit;
    request->at = at;
    request->done = std::move(done);
    dispatch(std::move(request), *connection, home, now);
  }

  // RedisCallSender: a ban or block call, on the same connections as decisions. It is not
  // counted among the decisions' outcomes, but its failures and successes move the circuit
  // breaker like theirs.
  void send(std::unique_ptr<RedisCall> call) override {
    const auto now = SteadyClock::now();
    if (!breaker_.try_acquire(now)) {
      std::move(*call).complete(false);
      return;
    }

    asio::io_context* home = home_context();
    RedisConnection* connection =
        cluster_ ? cluster_->pick(redis_cluster_slot(call->command().keys.front()), home)
                 : pick_connection(home);
    if (connection == nullptr) {
      if (cluster_) cluster_->note_failure();
      breaker_.record_failure(now);
      std::move(*call).complete(false);
      return;
    }

    auto request = std::make_unique<RedisRequest>();
    request->call = std::move(call);
    dispatch(std::move(request), *connection, home, now);
  }

  // RedisRequestSink: on the connection's thread.
  void finish(RedisRequest& request, RedisOutcome outcome, const ParsedReply* reply) override {
    // A cluster redirect (MOVED, ASK) is not an outcome: the request goes on to another node.
    if (cluster_ && outcome == RedisOutcome::kReply && reply->kind == RedisReplyKind::kError &&
        cluster_->redirect(request, reply->detail)) {
      return;
    }
    if (cluster_ &&
        (outcome != RedisOutcome::kReply || reply->kind == RedisReplyKind::kUnavailable)) {
      cluster_->note_failure();  // a failed master or a cluster without quorum: read the map
    }

    const auto now = SteadyClock::now();
    if (request.call) {
      finish_call(request, outcome, reply, now);
      return;
    }
    if (metrics_ != nullptr && outcome != RedisOutcome::kLost) {
      metrics_->latency.observe(now - request.started);
    }
    switch (outcome) {
      case RedisOutcome::kReply:
        if (reply->kind == RedisReplyKind::kDecision) {
          count(Result::kOk);  // before the breaker may close: readers see ok counted first
          breaker_.record_success();
          deliver(request, StoreResult{reply->decision, false});
          return;
        }
        // An error reply: the server is reachable unless it says it cannot serve now.
        if (reply->kind == RedisReplyKind::kUnavailable) {
          breaker_.record_failure(now);
        } else {
          breaker_.record_success();
        }
        count(Result::kError);
        log_bad_reply(*reply, /*decision=*/true);
        break;
      case RedisOutcome::kTimeout:
        breaker_.record_failure(now);
        count(Result::kTimeout);
        break;
      case RedisOutcome::kLost:
        breaker_.record_failure(now);
        count(Result::kError);
        break;
    }

    if (std::optional<StoreResult> result = policy_now(request.key, request.limit)) {
      deliver(request, *result);
    } else {
      local_.decide(request.key, local_limit(request.limit), std::move(request.done));
    }
  }

  RedisProtection& protection() { return protection_; }

  RedisStoreStats stats() const {
    RedisStoreStats s;
    s.ok = ok_.load(std::memory_order_relaxed);
    s.errors = errors_.load(std::memory_order_relaxed);
    s.timeouts = timeouts_.load(std::memory_order_relaxed);
    s.fallbacks = fallbacks_.load(std::memory_order_relaxed);
    s.writes = writes_.writes.load(std::memory_order_relaxed);
    return s;
  }

  bool fallback_active() const { return breaker_.state() == RedisCircuitBreaker::State::kOpen; }

  const RedisStoreOptions& options() const { return options_; }

 private:
  // Sends `request` on `connection`, from this thread when it runs the connection's context;
  // the answer comes back to `home` (the caller's context) when there is one.
  void dispatch(std::unique_ptr<RedisRequest> request, RedisConnection& connection,
                asio::io_context* home, SteadyClock::time_point now) {
    request->reply_context = home != nullptr ? home : &connection.context();
    request->started = now;
    request->deadline = now + options_.timeout;

    if (&connection.context() == home) {
      connection.send(request.release());
      return;
    }
    asio::post(connection.context(),
               [weak = std::weak_ptr<RedisConnection>(connection.shared_from_this()),
                request = std::move(request)]() mutable {
                 if (auto target = weak.lock()) target->send(request.release());
               });
  }

  // A call's outcome: the breaker learns from it as from a decision's, and the call completes
  // on the caller's context, answered only when Redis gave a reply the call could read.
  void finish_call(RedisRequest& request, RedisOutcome outcome, const ParsedReply* reply,
                   SteadyClock::time_point now) {
    bool answered = false;
    switch (outcome) {
      case RedisOutcome::kReply:
        answered = reply->kind == RedisReplyKind::kAnswer;
        if (reply->kind == RedisReplyKind::kUnavailable) {
          breaker_.record_failure(now);
        } else {
          breaker_.record_success();
        }
        if (!answered) log_bad_reply(*reply, /*decision=*/false);
        break;
      case RedisOutcome::kTimeout:
      case RedisOutcome::kLost:
        breaker_.record_failure(now);
        break;
    }
    asio::post(*request.reply_context, [call = std::move(request.call), answered]() mutable {
      std::move(*call).complete(answered);
    });
  }

  asio::io_context* home_context() const {
    for (asio::io_context* context : contexts_) {
      if (context->get_executor().running_in_this_thread()) return context;
    }
    return nullptr;
  }

  // The cluster slot of the keys deciding `key` under `limit`'s algorithm.
  std::uint16_t slot_of(const RateKey& key, const Limit& limit) const {
    return redis_cluster_slot(redis_keys(options_.key_prefix, key, limit.algorithm).front());
  }

  // A ready connection if there is one, else one still connecting (hiredis queues requests
  // until the socket is up); round robin spreads the load. Prefers the caller's context.
  RedisConnection* pick_connection(asio::io_context* home) {
    const std::vector<std::size_t>* candidates = &all_;
    if (home != nullptr) {
      const auto index = static_cast<std::size_t>(
          std::find(contexts_.begin(), contexts_.end(), home) - contexts_.begin());
      if (!by_context_[index].empty()) candidates = &by_context_[index];
    }

    const std::size_t start = next_.fetch_add(1, std::memory_order_relaxed);
    for (const auto wanted :
         {RedisConnection::State::kReady, RedisConnection::State::kConnecting}) {
      for (std::size_t i = 0; i < candidates->size(); ++i) {
        RedisConnection* connection =
            connections_[(*candidates)[(start + i) % candidates->size()]].get();
        if (connection->state() == wanted) return connection;
      }
    }
    return nullptr;
  }

  // Each instance enforces its share while they cannot coordinate: together they stay within
  // the limit, at the price of a tighter one for any single client.
  Limit local_limit(const Limit& limit) const {
    Limit local = limit;
    local.requests = std::max<std::uint32_t>(1, limit.requests / options_.instances);
    if (limit.burst != 0)
      local.burst = std::max<std::uint32_t>(1, limit.burst / options_.instances);
    return local;
  }

  // The policy's answer if it has one at once (always, unless the local store is remote).
  std::optional<StoreResult> policy_now(const RateKey& key, const Limit& limit) {
    switch (options_.on_error) {
      case RedisFailurePolicy::kAllow: {
        // Nothing is known of the quota: admitted, with nothing promised.
        Decision decision;
        decision.allowed = true;
        decision.limit = limit.requests;
        return StoreResult{decision, false};
      }
      case RedisFailurePolicy::kDeny: {
        Decision decision;
        decision.allowed = false;
        decision.limit = limit.requests;
        decision.retry_after = kDenyRetryAfter;
        return StoreResult{decision, true};
      }
      case RedisFailurePolicy::kLocal:
        return local_.try_decide(key, local_limit(limit));
    }
    return std::nullopt;
  }

  void apply_policy(const RateKey& key, const Limit& limit, Callback done) {
    if (std::optional<StoreResult> result = policy_now(key, limit)) {
      std::move(done)(*result);
    } else {
      local_.decide(key, local_limit(limit), std::move(done));
    }
  }

  // Runs `done` on the caller's io_context, outside hiredis's reply processing.
  static void deliver(RedisRequest& request, StoreResult result) {
    asio::post(*request.reply_context,
               [done = std::move(request.done), result]() mutable { std::move(done)(result); });
  }

  enum class Result { kOk, kError, kTimeout, kFallback };

  void count(Result result) {
    switch (result) {
      case Result::kOk:
        ok_.fetch_add(1, std::memory_order_relaxed);
        if (metrics_ != nullptr) metrics_->ok.inc();
        break;
      case Result::kError:
        errors_.fetch_add(1, std::memory_order_relaxed);
        if (metrics_ != nullptr) metrics_->error.inc();
        break;
      case Result::kTimeout:
        timeouts_.fetch_add(1, std::memory_order_relaxed);
        if (metrics_ != nullptr) metrics_->timeout.inc();
        break;
      case Result::kFallback:
        fallbacks_.fetch_add(1, std::memory_order_relaxed);
        if (metrics_ != nullptr) metrics_->fallback.inc();
        break;
    }
  }

  void on_breaker_change(RedisCircuitBreaker::State state, int failures) {
    if (metrics_ != nullptr) {
      metrics_->fallback_active.set(state == RedisCircuitBreaker::State::kOpen ? 1 : 0);
    }
    if (state == RedisCircuitBreaker::State::kOpen) {
      spdlog::warn(
          "redis store: {} consecutive failures; deciding with on_error '{}' and probing every "
          "{}ms until redis answers",
          failures, policy_name(options_.on_error), options_.probe_interval.count());
    } else {
      spdlog::info("redis store: redis answers again; decisions come from redis");
    }
  }

  // `decision`: the reply was to a decision, else to a ban or block call.
  void log_bad_reply(const ParsedReply& reply, bool decision) {
    suppressed_.fetch_add(1, std::memory_order_relaxed);
    const auto now = SteadyClock::now().time_since_epoch().count();
    auto last = last_error_log_.load(std::memory_order_relaxed);
    const auto interval =
        std::chrono::duration_cast<SteadyClock::duration>(kErrorLogInterval).count();
    if (last != 0 && now - last < interval) return;
    if (!last_error_log_.compare_exchange_strong(last, now, std::memory_order_relaxed)) return;
    spdlog::warn("redis store: unusable reply {:?}; {} '{}' ({} such replies in the last {}s)",
                 reply.detail,
                 decision ? "decided by on_error" : "ban or block operation failed, on_error",
                 policy_name(options_.on_error), suppressed_.exchange(0, std::memory_order_relaxed),
                 kErrorLogInterval.count());
  }

  std::unique_ptr<OwnedIo> owned_;  // outlives the connections that run on it
  const RedisStoreOptions options_;
  Store& local_;
  const std::vector<asio::io_context*> contexts_;
  RedisStoreMetrics* const metrics_;

  std::atomic<std::uint64_t> ok_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<std::uint64_t> timeouts_{0};
  std::atomic<std::uint64_t> fallbacks_{0};
  RedisWriteCount writes_;
  std::atomic<std::uint64_t> suppressed_{0};
  std::atomic<SteadyClock::rep> last_error_log_{0};

  RedisCircuitBreaker breaker_;
  std::vector<std::shared_ptr<RedisConnection>> connections_;
  std::vector<std::vector<std::size_t>> by_context_;  // connection indices per context
  std::vector<std::size_t> all_;
  std::atomic<std::size_t> next_{0};
  std::unique_ptr<RedisClusterRouter> cluster_;  // set for a redis-cluster:// url

  // Bans and blocks: their answers are durations on Redis's clock, turned into Instants on
  // this one (the wall clock, as everywhere in weir outside tests).
  SystemClock clock_;
  RedisProtection protection_;
};

RedisStore::RedisStore(std::vector<asio::io_context*> contexts, RedisStoreOptions options,
                       Store& local, RedisStoreMetrics* metrics)
    : impl_(std::make_unique<Impl>(nullptr, std::move(contexts), std::move(options), local,
                                   metrics)) {}

RedisStore::RedisStore(RedisStoreOptions options, Store& local, RedisStoreMetrics* metrics,
                       unsigned io_threads) {
  auto owned = std::make_unique<OwnedIo>(io_threads);
  std::vector<asio::io_context*> contexts = owned->contexts();
  impl_ = std::make_unique<Impl>(std::move(owned), std::move(contexts), std::move(options), local,
                                 metrics);
}

RedisStore::~RedisStore() = default;

std::optional<StoreResult> RedisStore::try_decide(const RateKey& key, const Limit& limit) {
  return impl_->try_decide(key, limit);
}

void RedisStore::decide(const RateKey& key, const Limit& limit, Callback done) {
  impl_->decide(key, limit, std::nullopt, std::move(done));
}

void RedisStore::decide_at(const RateKey& key, const Limit& limit, Instant at, Callback done) {
  impl_->decide(key, limit, at, std::move(done));
}

bool RedisStore::supports_protection() const {
  return true;
}

void RedisStore::check_ban(const IpAddress& client, BanCallback done) {
  impl_->protection().check_ban(client, std::move(done));
}

void RedisStore::record_rejection(const IpAddress& client, const BanPolicy& policy,
                                  BanCallback done) {
  impl_->protection().record_rejection(client, policy, std::move(done));
}

void RedisStore::list_bans(std::size_t max,
                           absl::AnyInvocable<void(std::optional<BanList>) &&> done) {
  impl_->protection().list_bans(max, std::move(done));
}

void RedisStore::lift_ban(const IpAddress& client, ChangeCallback done) {
  impl_->protection().lift_ban(client, std::move(done));
}

void RedisStore::put_block(const DynamicBlock& block, absl::AnyInvocable<void(bool) &&> done) {
  impl_->protection().put_block(block, std::move(done));
}

void RedisStore::remove_block(const Cidr& network, ChangeCallback done) {
  impl_->protection().remove_block(network, std::move(done));
}

void RedisStore::list_blocks(
    absl::AnyInvocable<void(std::optional<std::vector<DynamicBlock>>) &&> done) {
  impl_->protection().list_blocks(std::move(done));
}

RedisStoreStats RedisStore::stats() const {
  return impl_->stats();
}

bool RedisStore::fallback_active() const {
  return impl_->fallback_active();
}

const RedisStoreOptions& RedisStore::options() const {
  return impl_->options();
}

}  // namespace weir
