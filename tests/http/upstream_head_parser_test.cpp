#include "http/upstream_head_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace weir::http {
namespace {

using Framing = UpstreamHeadParser::Framing;

// Parses `response`, all of it at once, and returns the head written for the client, or
// "bad" / "need more".
std::string client_head(std::string_view response, int client_version = 11,
                        bool drop_rate_limit_fields = true) {
  std::string head;
  UpstreamHeadParser parser(head, client_version, drop_rate_limit_fields);
  switch (parser.parse(response, false)) {
    case UpstreamHeadParser::kDone:
      return head;
    case UpstreamHeadParser::kBad:
      return "bad";
    case UpstreamHeadParser::kNeedMore:
      break;
  }
  return "need more";
}

// A parser that has read the whole of `response`; the test checks it reached kDone.
struct Parsed {
  explicit Parsed(std::string_view response, bool head_request = false)
      : parser(head, 11, true), result(parser.parse(response, head_request)) {}

  std::string head;
  UpstreamHeadParser parser;
  UpstreamHeadParser::Result result;
};

TEST(UpstreamHeadParser, WritesTheStatusLineInTheClientsVersionAndKeepsEndToEndFields) {
  const std::string response =
      "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nX-App:  a, b \r\n"
      "Content-Length: 2\r\n\r\nok";
  EXPECT_EQ(client_head(response),
            "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nX-App: a, b\r\n"
            "Content-Length: 2\r\n");
  EXPECT_EQ(client_head(response, 10).substr(0, 22), "HTTP/1.0 201 Created\r\n");
}

TEST(UpstreamHeadParser, WritesEachKeptFieldAsNameColonSpaceValue) {
  // Lines already in that form are copied as they came, those around a dropped field too.
  EXPECT_EQ(client_head("HTTP/1.1 200 OK\r\nA: 1\r\nB:2\r\nKeep-Alive: 5\r\nC: 3 \r\nD:\r\n"
                        "E: \t5\r\nF: 6\r\nConnection: close\r\nG: 7\r\n\r\n"),
            "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: \r\nE: 5\r\nF: 6\r\nG: 7\r\n");
}

TEST(UpstreamHeadParser, TellsWhereTheHeadEndsAndTheBodyBegins) {
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1";
  Parsed parsed(response);
  ASSERT_EQ(parsed.result, UpstreamHeadParser::kDone);
  EXPECT_EQ(parsed.parser.head_bytes(), response.find("ok"));
  EXPECT_EQ(parsed.parser.status(), 200);
  EXPECT_EQ(parsed.parser.framing(), Framing::kLength);
  EXPECT_EQ(parsed.parser.content_length(), 2u);
  EXPECT_TRUE(parsed.parser.keep_alive());
}

TEST(UpstreamHeadParser, AsksForMoreUntilTheEmptyLineArrivesWhateverThePieces) {
  const std::string response =
      "HTTP/1.1 200 OK\r\nServer: test\r\nContent-Length: 5\r\nX-Last: 1\r\n\r\nhello";
  const std::string whole = client_head(response);
  ASSERT_EQ(whole.substr(0, 17), "HTTP/1.1 200 OK\r\n");
  // Each call sees everything received so far, as the proxy's buffer holds it.
  for (std::size_t piece = 1; piece <= 7; ++piece) {
    std::string head;
    UpstreamHeadParser parser(head, 11, true);
    std::size_t received = 0;
    UpstreamHeadParser::Result result = UpstreamHeadParser::kNeedMore;
    while (result == UpstreamHeadParser::kNeedMore && received < response.size()) {
      received = std::min(response.size(), received + piece);
      result = parser.parse(std::string_view(response).substr(0, received), false);
    }
    ASSERT_EQ(result, UpstreamHeadParser::kDone) << "piece " << piece;
    EXPECT_EQ(head, whole) << "piece " << piece;
    EXPECT_EQ(parser.head_bytes(), response.size() - 5) << "piece " << piece;
  }
}

TEST(UpstreamHeadParser, FillsInAMissingReasonPhrase) {
  EXPECT_EQ(client_head("HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n"),
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n");
  EXPECT_EQ(client_head("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n"),
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n");
}

TEST(UpstreamHeadParser, DropsHopByHopFieldsAndThoseTheConnectionFieldNames) {
  const std::string head = client_head(
      "HTTP/1.1 200 OK\r\nX-Secret: 1\r\nConnection: keep-alive, X-Secret\r\n"
      "Keep-Alive: timeout=5\r\nProxy-Authenticate: Basic\r\nUpgrade: h2c\r\nTE: trailers\r\n"
      "Trailer: X-Sum\r\nTransfer-Encoding: chunked\r\nX-Kept: yes\r\n\r\n");
  EXPECT_EQ(head, "HTTP/1.1 200 OK\r\nX-Kept: yes\r\n");
}

TEST(UpstreamHeadParser, MatchesFieldNamesInAnyCase) {
  EXPECT_EQ(client_head("HTTP/1.1 200 OK\r\nkEEP-aLIVE: 5\r\nCONTENT-LENGTH: 0\r\n\r\n"),
            "HTTP/1.1 200 OK\r\nCONTENT-LENGTH: 0\r\n");
  // Close relatives of the special names are ordinary fields.
  EXPECT_EQ(client_head("HTTP/1.1 200 OK\r\nProxied: 1\r\nTEE: 2\r\nContent-Length: 0\r\n\r\n"),
            "HTTP/1.1 200 OK\r\nProxied: 1\r\nTEE: 2\r\nContent-Length: 0\r\n");
}

TEST(UpstreamHeadParser, DropsTheUpstreamsRateLimitFieldsOnlyWhenAsked) {
  const std::string response =
      "HTTP/1.1 200 OK\r\nX-RateLimit-Limit: 9\r\nRateLimit: \"a\";r=1;t=2\r\n"
      "RateLimit-Policy: \"a\";q=9;w=1\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(client_head(response, 11, true), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n");
  EXPECT_EQ(client_head(response, 11, false),
            "HTTP/1.1 200 OK\r\nX-RateLimit-Limit: 9\r\nRateLimit: \"a\";r=1;t=2\r\n"
            "RateLimit-Policy: \"a\";q=9;w=1\r\nContent-Length: 0\r\n");
}

TEST(UpstreamHeadParser, KeepsARepeatedEqualLengthOnce) {
  Parsed parsed("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n");
  ASSERT_EQ(parsed.result, UpstreamHeadParser::kDone);
  EXPECT_EQ(parsed.head, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n");
  EXPECT_EQ(parsed.parser.content_length(), 3u);
}

TEST(UpstreamHeadParser, RefusesAmbiguousFraming) {
  EXPECT_EQ(client_head("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n"),
            "bad");
  EXPECT_EQ(
      client_head("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"),
      "bad");
  EXPECT_EQ(
      client_head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n"),
      "bad");
  EXPECT_EQ(client_head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n"),
            "bad");
  EXPECT_EQ(client_head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip, chunked\r\n\r\n"),
            "bad");
  // A coding that is no token could be read as chunked by one reader and not by another.
  for (const std::string_view coding :
       {"chunked\xaf", "chunked;ext=1", "ch unked", ";x", "chunked, \""}) {
    EXPECT_EQ(
        client_head("HTTP/1.1 200 OK\r\nTransfer-Encoding: " + std::string(coding) + "\r\n\r\n"),
        "bad")
        << "Transfer-Encoding: " << coding;
  }
  EXPECT_NE(client_head("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip;level=9, chunked\r\n\r\n"),
            "bad");
  for (const std::string_view length :
       {"", "-1", "+1", "1 2", "0x10", "1,1", "99999999999999999999"}) {
    EXPECT_EQ(client_head("HTTP/1.1 200 OK\r\nContent-Length: " + std::string(length) + "\r\n\r\n"),
              "bad")
        << "Content-Length: " << length;
  }
}

TEST(UpstreamHeadParser, RefusesLinesThatCouldBeReadTwoWays) {
  // Obsolete line folding, a bare LF or CR, a field without a name or colon, a blank before
  // the colon, control characters in a value.
  for (const std::string_view bad : {
           "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n",
           "HTTP/1.1 200 OK\r\nX-A: 1\r\n\tfolded\r\nContent-Length: 0\r\n\r\n",
           "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\n",
           "HTTP/1.1 200 OK\r\nX-A: 1\r2\r\nContent-Length: 0\r\n\r\n",
           "HTTP/1.1 200 OK\r\n: nameless\r\nContent-Length: 0\r\n\r\n",
           "HTTP/1.1 200 OK\r\nNo-Colon\r\nContent-Length: 0\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n",
           "HTTP/1.1 200 OK\r\nX-A: a\x01z\r\nContent-Length: 0\r\n\r\n",
           "HTTP/1.1 200 OK\r\nX-A: a\x7fz\r\nContent-Length: 0\r\n\r\n",
       }) {
    EXPECT_EQ(client_head(bad), "bad") << bad;
  }
  EXPECT_EQ(client_head(std::string_view("HTTP/1.1 200 OK\r\nX-A: a\0z\r\n\r\n", 29)), "bad");
}

TEST(UpstreamHeadParser, RefusesABadStatusLine) {
  for (const std::string_view bad : {
           "HTTP/2.0 200 OK\r\n\r\n",
           "HTTP/1.1 20 OK\r\n\r\n",
           "HTTP/1.1 2000 OK\r\n\r\n",
           "HTTP/1.1 099 Low\r\n\r\n",
           "HTTP/1.1  200 OK\r\n\r\n",
           "http/1.1 200 OK\r\n\r\n",
           "ICY 200 OK\r\n\r\n",
           "HTTP/1.1 200 O\x01K\r\n\r\n",
       }) {
    EXPECT_EQ(client_head(bad), "bad") << bad;
  }
}

TEST(UpstreamHeadParser, RefusesAHeadLargerThanItsLimitWithoutWaitingForItsEnd) {
  std::string response = "HTTP/1.1 200 OK\r\nX-Big: ";
  response.append(UpstreamHeadParser::kMaxHeadBytes, 'a');
  EXPECT_EQ(client_head(response), "bad");
  // Just under the limit, it is still waiting.
  EXPECT_EQ(
      client_head(std::string_view(response).substr(0, UpstreamHeadParser::kMaxHeadBytes - 1)),
      "need more");
}

TEST(UpstreamHeadParser, ReadsHowTheBodyIsFramed) {
  EXPECT_EQ(Parsed("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").parser.framing(),
            Framing::kChunked);
  // A last coding other than chunked ends with the connection (RFC 9112 section 6.3).
  Parsed gzip("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
  EXPECT_EQ(gzip.parser.framing(), Framing::kUntilClose);
  EXPECT_FALSE(gzip.parser.keep_alive());
  Parsed unframed("HTTP/1.1 200 OK\r\nServer: x\r\n\r\nbody until close");
  EXPECT_EQ(unframed.parser.framing(), Framing::kUntilClose);
  EXPECT_FALSE(unframed.parser.keep_alive());

  // Bodiless whatever the fields say: 1xx, 204, 304, and any answer to HEAD.
  EXPECT_EQ(Parsed("HTTP/1.1 204 No Content\r\n\r\n").parser.framing(), Framing::kNoBody);
  EXPECT_EQ(Parsed("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n").parser.framing(),
            Framing::kNoBody);
  EXPECT_EQ(Parsed("HTTP/1.1 100 Continue\r\n\r\n").parser.framing(), Framing::kNoBody);
  Parsed head("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", /*head_request=*/true);
  EXPECT_EQ(head.parser.framing(), Framing::kNoBody);
  // The length a HEAD answer describes goes to the client as it came.
  EXPECT_EQ(head.head, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n");
  EXPECT_TRUE(head.parser.keep_alive());
}

TEST(UpstreamHeadParser, KeepsTheUpstreamConnectionOnlyWhenItMaySayAnotherResponse) {
  EXPECT_FALSE(Parsed("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
                   .parser.keep_alive());
  EXPECT_FALSE(
      Parsed("HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE\r\nContent-Length: 0\r\n\r\n")
          .parser.keep_alive());
  EXPECT_FALSE(Parsed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").parser.keep_alive());
  EXPECT_TRUE(Parsed("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")
                  .parser.keep_alive());
  EXPECT_TRUE(Parsed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").parser.keep_alive());
}

}  // namespace
}  // namespace weir::http
