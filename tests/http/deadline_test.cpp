#include "http/deadline.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

namespace weir::http {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using Clock = Deadline::Clock;

// A real loopback connection: `socket_` is the side under a deadline, `peer_` the other end.
// Deadlines are tens of milliseconds and every check leaves a wide margin, so a loaded machine
// delays the tests without failing them.
class DeadlineTest : public ::testing::Test {
 protected:
  DeadlineTest() {
    socket_.connect(acceptor_.local_endpoint());
    peer_ = acceptor_.accept();
  }

  // Starts a read on socket_ and runs the io_context until it completes (at most `limit`).
  // The deadline's timer runs only meanwhile.
  // Returns the read's error and how long it took.
  std::pair<boost::system::error_code, Clock::duration> read(Clock::duration limit = 5s) {
    std::optional<boost::system::error_code> result;
    const Clock::time_point start = Clock::now();
    Clock::time_point end;
    socket_.async_read_some(asio::buffer(&byte_, 1),
                            [&](boost::system::error_code ec, std::size_t) {
                              result = ec;
                              end = Clock::now();
                              io_.stop();
                            });
    io_.restart();
    io_.run_for(std::chrono::duration_cast<std::chrono::nanoseconds>(limit));
    if (!result) return {asio::error::would_block, limit};
    return {*result, end - start};
  }

  asio::io_context io_;
  tcp::acceptor acceptor_{io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  tcp::socket socket_{io_};
  tcp::socket peer_{io_};
  char byte_ = 0;
};

TEST_F(DeadlineTest, APassedDeadlineClosesTheSocketAndEndsThePendingRead) {
  Deadline deadline(socket_, 1s);
  deadline.expires_after(50ms);
  const auto [ec, took] = read();
  EXPECT_TRUE(ec);
  EXPECT_TRUE(deadline.expired());
  EXPECT_FALSE(socket_.is_open());
  EXPECT_GE(took, 40ms);
}

TEST_F(DeadlineTest, DataBeforeTheDeadlineCompletesTheReadAndNothingExpires) {
  Deadline deadline(socket_, 1s);
  deadline.expires_after(2s);
  asio::write(peer_, asio::buffer("x", 1));
  const auto [ec, took] = read();
  EXPECT_FALSE(ec);
  EXPECT_FALSE(deadline.expired());
  EXPECT_TRUE(socket_.is_open());
}

TEST_F(DeadlineTest, ADeadlineBeyondTheHorizonStillFiresOnTime) {
  // The timer sleeps at most 20 ms at a time; the 150 ms deadline takes several wake-ups.
  Deadline deadline(socket_, 20ms);
  deadline.expires_after(150ms);
  const auto [ec, took] = read();
  EXPECT_TRUE(deadline.expired());
  EXPECT_GE(took, 140ms);
  EXPECT_LT(took, 3s);
}

TEST_F(DeadlineTest, MovingTheDeadlineLaterPostponesIt) {
  Deadline deadline(socket_, 1s);
  deadline.expires_after(50ms);
  deadline.expires_after(300ms);  // replaces the first, without re-arming the timer
  const auto [ec, took] = read();
  EXPECT_TRUE(deadline.expired());
  EXPECT_GE(took, 280ms);
}

TEST_F(DeadlineTest, AnEarlierDeadlineIsHonouredBeforeTheArmedOne) {
  Deadline deadline(socket_, 10s);
  deadline.expires_after(5s);
  deadline.expires_after(50ms);
  const auto [ec, took] = read();
  EXPECT_TRUE(deadline.expired());
  EXPECT_LT(took, 2s);
}

TEST_F(DeadlineTest, NoDeadlineLetsAReadWaitPastTheOldOne) {
  Deadline deadline(socket_, 20ms);
  deadline.expires_after(30ms);
  deadline.expires_never();
  const auto [ec, took] = read(300ms);
  EXPECT_EQ(ec, asio::error::would_block);  // still pending when the test stopped waiting
  EXPECT_FALSE(deadline.expired());
  EXPECT_TRUE(socket_.is_open());
}

TEST_F(DeadlineTest, DestroyingTheDeadlineLeavesTheSocketAlone) {
  {
    Deadline deadline(socket_, 1s);
    deadline.expires_after(30ms);
  }
  const auto [ec, took] = read(200ms);
  EXPECT_EQ(ec, asio::error::would_block);
  EXPECT_TRUE(socket_.is_open());
}

}  // namespace
}  // namespace weir::http
