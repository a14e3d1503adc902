// weir::http::Deadline: the time by which a socket's current operation must finish, kept by one
// timer that is re-armed rarely.
//
// Beast's tcp_stream arms a timer for every read and write: a timer-queue insert, a wait
// operation and a cancellation each time, several per request. Here moving the deadline only
// stores a time. The timer is armed at most `horizon` ahead; when it fires before the deadline
// it waits again for the rest, and when the deadline has passed it closes the socket, so a
// pending operation ends with an error and `expired()` tells that it was the deadline. As every
// deadline the owner sets is at least `horizon` away, setting one never needs the timer
// re-armed; only an earlier one does (a body falling behind its minimum rate).
//
//   Deadline deadline(socket, std::chrono::seconds(10));
//   deadline.expires_after(timeouts.header);
//   co_await socket.async_read_some(...);      // fails if the deadline passes first
//   if (ec && deadline.expired()) ...          // a timeout, not a peer's error
//   deadline.expires_never();                  // between operations, nothing may fire
//
// An idle socket whose deadline is far ahead costs a timer wake-up every `horizon`.
#pragma once

#include <chrono>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

namespace weir::http {

// Touched only from the socket's thread; not thread-safe.
class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  // `socket` must outlive the Deadline. `horizon` is the shortest span the owner sets with
  // expires_after (the timer's longest sleep); 0 is taken as 1 ms.
  Deadline(boost::asio::ip::tcp::socket& socket, Clock::duration horizon);
  // Stops the timer; the socket is left as it is.
  ~Deadline();

  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  void expires_at(Clock::time_point when);
  void expires_after(Clock::duration span) { expires_at(Clock::now() + span); }
  void expires_never();

  // True once the deadline passed and the socket was closed for it.
  bool expired() const;

 private:
  struct State;
  std::shared_ptr<State> state_;  // shared with the timer's pending wait
};

}  // namespace weir::http
