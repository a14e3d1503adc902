// Test helpers around weir::RedisStore: io_contexts each run by a thread, as in the server, and
// a blocking decide (and any other store call) for tests that want one answer at a time.
//
//   weir::testing::IoThreads io(2);
//   weir::RedisStore store(io.contexts(), options, local);
//   auto result = weir::testing::decide_on(io[0], store, key, limit);
//   io.stop();   // before the store is destroyed
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "store/redis_store.hpp"
#include "weir/limit.hpp"

namespace weir::testing {

class IoThreads {
 public:
  explicit IoThreads(int count) {
    for (int i = 0; i < count; ++i) {
      contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
      guards_.emplace_back(contexts_.back()->get_executor());
    }
    for (auto& context : contexts_) {
      threads_.emplace_back([c = context.get()] { c->run(); });
    }
  }
  ~IoThreads() { stop(); }

  std::vector<boost::asio::io_context*> contexts() const {
    std::vector<boost::asio::io_context*> out;
    for (const auto& context : contexts_)
      out.push_back(context.get());
    return out;
  }
  boost::asio::io_context& operator[](std::size_t i) { return *contexts_[i]; }
  std::size_t size() const { return contexts_.size(); }

  // Stops every context and joins its thread. Idempotent.
  void stop() {
    guards_.clear();
    for (auto& context : contexts_)
      context->stop();
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

 private:
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
};

// Calls store.decide (or decide_at when `at` is set) on a thread running `context`, and waits
// for the callback. nullopt if it has not come within five seconds: a hang.
inline std::optional<StoreResult> decide_on(boost::asio::io_context& context, RedisStore& store,
                                            const RateKey& key, const Limit& limit,
                                            std::optional<Instant> at = std::nullopt) {
  auto promise = std::make_shared<std::promise<StoreResult>>();
  std::future<StoreResult> future = promise->get_future();
  boost::asio::post(context, [&store, key, limit, at, promise] {
    auto done = [promise](StoreResult result) { promise->set_value(result); };
    if (at) {
      store.decide_at(key, limit, *at, std::move(done));
    } else {
      store.decide(key, limit, std::move(done));
    }
  });
  if (future.wait_for(std::chrono::seconds(5)) != std::future_status::ready) return std::nullopt;
  return future.get();
}

// Runs `start(done)` on a thread running `context` and waits for the value given to `done`,
// for the store's callback operations (bans, blocks):
//
//   auto until = call_on<std::optional<Instant>>(io[0], [&](auto done) {
//     store.check_ban(client, std::move(done));
//   });
//
// A value that has not come within five seconds (a hang) fails the test; T{} is returned.
template <typename T, typename Start>
T call_on(boost::asio::io_context& context, Start start) {
  auto promise = std::make_shared<std::promise<T>>();
  std::future<T> future = promise->get_future();
  boost::asio::post(context, [start = std::move(start), promise]() mutable {
    start([promise](T value) { promise->set_value(std::move(value)); });
  });
  if (future.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    ADD_FAILURE() << "no answer within five seconds";
    return T{};
  }
  return future.get();
}

// Names the instances of a test parameterised by algorithm: "SlidingLog", "SlidingCounter",
// "Gcra".
inline std::string algorithm_param_name(const ::testing::TestParamInfo<Algorithm>& info) {
  switch (info.param) {
    case Algorithm::kSlidingLog:
      return "SlidingLog";
    case Algorithm::kSlidingCounter:
      return "SlidingCounter";
    case Algorithm::kGcra:
      return "Gcra";
  }
  return "Unknown";
}

}  // namespace weir::testing
