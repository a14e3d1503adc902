// weir::http::store_call: awaits one of the Store's callback operations from a coroutine.
//
//   std::optional<Instant> until = co_await store_call<std::optional<Instant>>(
//       [&](auto done) { store.check_ban(client, std::move(done)); });
//
// The coroutine always resumes through the thread's executor (a post), also when the store
// answered before returning, so a synchronous store never resumes a coroutine from inside
// its own initiation.
#pragma once

#include <utility>  // before Asio's coroutine headers (Boost 1.74 with GCC 12)

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace weir::http {

// `start` is called with a one-shot callback taking a Result; it must arrange for the callback
// to be called exactly once. References `start` captures must outlive the await.
template <typename Result, typename Start>
boost::asio::awaitable<Result> store_call(Start start) {
  namespace asio = boost::asio;
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Result)>(
      [&start](auto handler) {
        auto executor = asio::get_associated_executor(handler);
        start([handler = std::move(handler), executor](Result result) mutable {
          asio::post(executor,
                     [handler = std::move(handler), result = std::move(result)]() mutable {
                       std::move(handler)(std::move(result));
                     });
        });
      },
      asio::use_awaitable);
}

}  // namespace weir::http
