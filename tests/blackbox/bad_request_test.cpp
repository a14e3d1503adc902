// Black-box: malformed and oversized requests get a clear status and cost the server nothing.
#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/weir_process.hpp"

namespace weir::test {
namespace {

class BadRequestBlackBox : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    weir_ = new WeirProcess(R"(
limits:
  default: { requests: 100000, window: 60s }
timeouts: { header: 1s, body: 1s, idle: 2s }
)");
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(weir_->stop(), 0);
    delete weir_;
  }

  static int status_of(std::string_view request) {
    auto reply = http_exchange(weir_->port(), request);
    return reply ? reply->status : -1;
  }

  static inline WeirProcess* weir_ = nullptr;
};

TEST_F(BadRequestBlackBox, GarbageGetsBadRequest) {
  EXPECT_EQ(status_of("this is not http\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET /api/data HTTP/9.9\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET /api/data HTTP/1.1\r\nNo colon here\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET api/data HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET /api/%zz HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
}

TEST_F(BadRequestBlackBox, LongUriGetsUriTooLong) {
  EXPECT_EQ(status_of(get_request("/api/data?q=" + std::string(9000, 'a'))), 414);
  EXPECT_EQ(status_of(get_request("/" + std::string(20000, 'a'))), 414);
}

TEST_F(BadRequestBlackBox, LargeHeadGetsHeaderFieldsTooLarge) {
  EXPECT_EQ(status_of(get_request("/api/data", "X-Big: " + std::string(17000, 'b') + "\r\n")), 431);
  std::string many;
  for (int i = 0; i < 101; ++i)
    many += "X-H" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(status_of(get_request("/api/data", many)), 431);
}

TEST_F(BadRequestBlackBox, LargeBodyGetsContentTooLarge) {
  std::string request =
      "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n";
  EXPECT_EQ(status_of(request), 413);

  // A chunked body that grows past the limit is cut off too.
  HttpConnection connection(weir_->port());
  connection.send("POST /api/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  std::string chunk = "100000\r\n" + std::string(0x100000, 'x') + "\r\n";
  connection.send(chunk);
  connection.send(chunk);
  auto reply = connection.read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 413);
}

TEST_F(BadRequestBlackBox, ConflictingFramingIsRefused) {
  EXPECT_EQ(status_of("POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n{}"),
            400);
  EXPECT_EQ(status_of("POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                      "Content-Length: 3\r\n\r\n{}"),
            400);
}

TEST_F(BadRequestBlackBox, SilentClientIsDisconnectedAfterHeaderDeadline) {
  HttpConnection connection(weir_->port());
  connection.send("GET /api/data HTTP/1.1\r\nHost: x\r\n");  // never finishes the head
  EXPECT_TRUE(connection.closed_by_peer(std::chrono::seconds(5)));
}

TEST_F(BadRequestBlackBox, ServerStillAnswersAfterAbuse) {
  EXPECT_EQ(status_of(get_request("/api/data")), 200);
}

}  // namespace
}  // namespace weir::test
