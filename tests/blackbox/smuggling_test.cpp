// Black-box: requests whose framing or headers two HTTP readers could understand differently
// (request smuggling) are refused with 400, in demo mode and in proxy mode, and in proxy mode
// none of them reaches the upstream.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "support/http_client.hpp"
#include "support/test_upstream.hpp"
#include "support/weir_process.hpp"

namespace weir::test {
namespace {

struct SmugglingCase {
  const char* name;
  const char* request;
};

// Each is complete as far as a lenient reader is concerned, and carries a second request
// ("GET /smuggled") that such a reader might serve.
const SmugglingCase kCases[] = {
    {"ContentLengthThenTransferEncoding",
     "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
     "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n"},
    {"TransferEncodingThenContentLength",
     "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
     "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n"},
    {"DifferingContentLengths",
     "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nContent-Length: 38\r\n\r\n"
     "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n"},
    {"DifferingContentLengthsInOneField",
     "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0, 38\r\n\r\n"
     "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n"},
    {"ObsFoldWithSpace", "GET /a HTTP/1.1\r\nHost: h\r\nX-Long: one\r\n two\r\n\r\n"},
    {"ObsFoldWithTabAfterEmptyValue", "GET /a HTTP/1.1\r\nHost: h\r\nX-Long:\r\n\ttwo\r\n\r\n"},
    {"ObsFoldHidingTransferEncoding",
     "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nX-Pad: x\r\n Transfer-Encoding: "
     "chunked\r\n\r\n0\r\n\r\n"},
    {"FoldedTransferEncodingValue",
     "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"},
    {"BareLfBetweenFields", "GET /a HTTP/1.1\r\nHost: h\nX-B: 2\r\n\r\n"},
    {"BareCrBetweenFields", "GET /a HTTP/1.1\r\nHost: h\rX-B: 2\r\n\r\n"},
    {"BareLfEndingTheRequestLine", "GET /a HTTP/1.1\nHost: h\r\n\r\n"},
    {"BareLfEndingTheHead", "GET /a HTTP/1.1\r\nHost: h\n\n"},
    {"SpaceBeforeColon",
     "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n"
     "0\r\n\r\n"},
    {"TwoHosts", "GET /a HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n"},
};

enum class Mode { kDemo, kProxy };

class SmugglingBlackBox : public ::testing::TestWithParam<Mode> {
 protected:
  static void SetUpTestSuite() {
    upstream_ = new TestUpstream();
    const std::string limits = "limits: { default: { requests: 100000, window: 60s } }\n";
    demo_ = new WeirProcess(limits);
    proxy_ = new WeirProcess(limits + "upstream: \"" + upstream_->url() + "\"\n");
  }
  static void TearDownTestSuite() {
    delete demo_;
    delete proxy_;
    delete upstream_;
  }

  static WeirProcess& weir() { return GetParam() == Mode::kDemo ? *demo_ : *proxy_; }

  static inline TestUpstream* upstream_ = nullptr;
  static inline WeirProcess* demo_ = nullptr;
  static inline WeirProcess* proxy_ = nullptr;
};

TEST_P(SmugglingBlackBox, EachAmbiguousRequestGetsBadRequestAndTheConnectionCloses) {
  const std::size_t forwarded_before = upstream_->requests().size();
  for (const SmugglingCase& c : kCases) {
    HttpConnection connection(weir().port());
    connection.send(c.request);
    auto reply = connection.read(std::chrono::seconds(5));
    ASSERT_TRUE(reply) << c.name;
    EXPECT_EQ(reply->status, 400) << c.name;
    EXPECT_EQ(reply->header("connection"), "close") << c.name;
    EXPECT_TRUE(connection.closed_by_peer()) << c.name;
  }
  EXPECT_EQ(upstream_->requests().size(), forwarded_before);
}

TEST_P(SmugglingBlackBox, WellFormedNeighboursAreServed) {
  // The same shapes without the ambiguity: folding-free values with spaces, one length given
  // twice alike, a field whose value merely contains "chunked".
  for (const char* request :
       {"GET /healthz HTTP/1.1\r\nHost: h\r\nX-Long: one two\r\n\r\n",
        "POST /healthz HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
        "GET /healthz HTTP/1.1\r\nHost: h\r\nX-Note: Transfer-Encoding: chunked\r\n\r\n"}) {
    auto reply = http_exchange(weir().port(), request);
    ASSERT_TRUE(reply) << request;
    EXPECT_NE(reply->status, 400) << request;
  }
}

INSTANTIATE_TEST_SUITE_P(BothModes, SmugglingBlackBox, ::testing::Values(Mode::kDemo, Mode::kProxy),
                         [](const auto& info) {
                           return info.param == Mode::kDemo ? std::string("Demo")
                                                            : std::string("Proxy");
                         });

}  // namespace
}  // namespace weir::test
