#include "http/deadline.hpp"

#include <algorithm>

namespace weir::http {

namespace asio = boost::asio;

struct Deadline::State {
  State(asio::ip::tcp::socket& s, Clock::duration h)
      : socket(&s),
        timer(s.get_executor()),
        horizon(std::max<Clock::duration>(h, std::chrono::milliseconds(1))) {}

  // Waits until the earlier of the deadline and one horizon from now.
  static void arm(const std::shared_ptr<State>& self, Clock::time_point now) {
    self->armed_until = std::min(self->deadline, now + self->horizon);
    self->timer.expires_at(self->armed_until);
    self->timer.async_wait([self](const boost::system::error_code& ec) { fired(self, ec); });
  }

  static void fired(const std::shared_ptr<State>& self, const boost::system::error_code& ec) {
    State& state = *self;
    // A re-arm or the owner's end cancelled this wait; a newer one, if any, is in charge.
    if (ec || state.socket == nullptr) return;
    state.armed = false;
    if (state.deadline == Clock::time_point::max()) return;
    const Clock::time_point now = Clock::now();
    if (now < state.deadline) {
      state.armed = true;
      arm(self, now);
      return;
    }
    state.expired = true;
    boost::system::error_code ignored;
    state.socket->close(ignored);
  }

  asio::ip::tcp::socket* socket;  // null once the owner is gone
  asio::steady_timer timer;
  Clock::duration horizon;
  Clock::time_point deadline = Clock::time_point::max();
  Clock::time_point armed_until;
  bool armed = false;
  bool expired = false;
};

Deadline::Deadline(asio::ip::tcp::socket& socket, Clock::duration horizon)
    : state_(std::make_shared<State>(socket, horizon)) {}

Deadline::~Deadline() {
  state_->socket = nullptr;
  state_->timer.cancel();
}

void Deadline::expires_at(Clock::time_point when) {
  State& s = *state_;
  s.deadline = when;
  s.expired = false;
  // An armed timer that fires no later than `when` will find it; only an earlier deadline
  // needs the wait moved.
  if (s.armed && s.armed_until <= when) return;
  s.armed = true;
  State::arm(state_, Clock::now());
}

void Deadline::expires_never() {
  state_->deadline = Clock::time_point::max();
  state_->expired = false;
}

bool Deadline::expired() const {
  return state_->expired;
}

}  // namespace weir::http
