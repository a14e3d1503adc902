#include "http/upstream_pool.hpp"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string_view>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

namespace weir::http {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// Real loopback connections: `client(i)` is weir's side, `server(i)` the upstream's.
class UpstreamPoolTest : public ::testing::Test {
 protected:
  std::unique_ptr<UpstreamConnection> open() {
    auto connection =
        std::make_unique<UpstreamConnection>(io_.get_executor(), std::chrono::seconds(1));
    connection->socket.connect(acceptor_.local_endpoint());
    servers_.push_back(acceptor_.accept());
    return connection;
  }

  asio::io_context io_;
  tcp::acceptor acceptor_{io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::vector<tcp::socket> servers_;
};

TEST_F(UpstreamPoolTest, HandsBackTheMostRecentlyUsedConnection) {
  UpstreamPool pool;
  auto first = open();
  auto second = open();
  UpstreamConnection* second_raw = second.get();
  pool.give("a:80", std::move(first), 4);
  pool.give("a:80", std::move(second), 4);
  EXPECT_EQ(pool.idle(), 2u);
  EXPECT_EQ(pool.take("a:80").get(), second_raw);
  EXPECT_EQ(pool.idle(), 1u);
}

TEST_F(UpstreamPoolTest, ClosesTheLeastRecentlyUsedPastMaxIdle) {
  UpstreamPool pool;
  auto oldest = open();
  UpstreamConnection* oldest_raw = oldest.get();
  pool.give("a:80", std::move(oldest), 2);
  pool.give("a:80", open(), 2);
  pool.give("a:80", open(), 2);
  EXPECT_EQ(pool.idle(), 2u);
  EXPECT_NE(pool.take("a:80").get(), oldest_raw);
  EXPECT_NE(pool.take("a:80").get(), oldest_raw);
  EXPECT_EQ(pool.take("a:80"), nullptr);

  // The dropped one was closed: its upstream side reads end of stream.
  boost::system::error_code ec;
  char byte;
  servers_[0].read_some(asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof);
}

TEST_F(UpstreamPoolTest, KeepsNothingWithMaxIdleZero) {
  UpstreamPool pool;
  pool.give("a:80", open(), 0);
  EXPECT_EQ(pool.idle(), 0u);
  EXPECT_EQ(pool.take("a:80"), nullptr);
}

// Peeks without blocking: 0 after a FIN, > 0 with bytes waiting, -1 with nothing yet.
ssize_t peek(UpstreamConnection& connection) {
  char byte;
  return ::recv(connection.socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
}

TEST_F(UpstreamPoolTest, SkipsConnectionsTheUpstreamClosedOrWroteTo) {
  UpstreamPool pool;
  auto healthy = open();
  auto closed = open();
  auto stray = open();
  UpstreamConnection* healthy_raw = healthy.get();
  UpstreamConnection* closed_raw = closed.get();
  UpstreamConnection* stray_raw = stray.get();
  pool.give("a:80", std::move(healthy), 8);
  pool.give("a:80", std::move(closed), 8);
  pool.give("a:80", std::move(stray), 8);

  servers_[1].close();
  asio::write(servers_[2], asio::buffer(std::string_view("HTTP/1.1 200 OK\r\n\r\n")));
  // Loopback delivers at once, but not necessarily before the next line runs.
  for (int i = 0; i < 1000 && (peek(*closed_raw) != 0 || peek(*stray_raw) <= 0); ++i)
    ::usleep(1000);

  EXPECT_EQ(pool.take("a:80").get(), healthy_raw);
  EXPECT_EQ(pool.idle(), 0u);
}

TEST_F(UpstreamPoolTest, ReturnsOnlyConnectionsToTheSameUpstream) {
  UpstreamPool pool;
  pool.give("a:80", open(), 8);
  EXPECT_EQ(pool.take("b:80"), nullptr);

  // A new upstream (after a reload) retires the old one's connections.
  pool.give("b:80", open(), 8);
  EXPECT_EQ(pool.idle(), 1u);
  EXPECT_EQ(pool.take("a:80"), nullptr);
  EXPECT_NE(pool.take("b:80"), nullptr);
}

}  // namespace
}  // namespace weir::http
