#include "metrics/text_format.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace weir::metrics {
namespace {

std::string value_text(double value) {
  std::string out;
  append_value(out, value);
  return out;
}

TEST(TextFormatTest, PrintsIntegralDoublesWithoutExponentOrFraction) {
  EXPECT_EQ(value_text(0), "0");
  EXPECT_EQ(value_text(-0.0), "0");
  EXPECT_EQ(value_text(3), "3");
  EXPECT_EQ(value_text(-12), "-12");
  EXPECT_EQ(value_text(1e6), "1000000");
  EXPECT_EQ(value_text(1e15), "1000000000000000");
  EXPECT_EQ(value_text(9007199254740992.0), "9007199254740992");
}

TEST(TextFormatTest, PrintsFractionsAsShortestRoundTrip) {
  EXPECT_EQ(value_text(0.25), "0.25");
  EXPECT_EQ(value_text(0.1), "0.1");
  EXPECT_EQ(value_text(2.5), "2.5");
  EXPECT_EQ(value_text(0.001), "0.001");
  EXPECT_EQ(value_text(1e-6), "1e-06");
  EXPECT_EQ(value_text(2.5e-6), "2.5e-06");
  EXPECT_EQ(std::stod(value_text(0.1 + 0.2)), 0.1 + 0.2);
}

TEST(TextFormatTest, PrintsSpecialValuesAsPrometheusSpellsThem) {
  EXPECT_EQ(value_text(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(value_text(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(value_text(std::nan("")), "NaN");
}

TEST(TextFormatTest, PrintsIntegersExactly) {
  std::string out;
  append_value(out, std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(out, "18446744073709551615");
  out.clear();
  append_value(out, std::int64_t{-5});
  EXPECT_EQ(out, "-5");
}

TEST(TextFormatTest, EscapesBackslashQuoteAndNewlineInLabelValues) {
  std::string out;
  append_label_value(out, "a\\b\"c\nd'e\tf");
  EXPECT_EQ(out, "a\\\\b\\\"c\\nd'e\tf");
}

TEST(TextFormatTest, EscapesBackslashAndNewlineButNotQuotesInHelp) {
  std::string out;
  append_help(out, "say \"hi\"\\\nbye");
  EXPECT_EQ(out, "say \"hi\"\\\\\\nbye");
}

TEST(TextFormatTest, WritesLabelsWithExtraLabelLast) {
  const std::vector<std::string> names = {"a", "b"};
  const std::vector<std::string> values = {"1", "x\"y"};
  std::string out;
  append_labels(out, names, values, "le", "+Inf");
  EXPECT_EQ(out, R"({a="1",b="x\"y",le="+Inf"})");

  out.clear();
  append_labels(out, {}, {}, "le", "0.5");
  EXPECT_EQ(out, R"({le="0.5"})");

  out.clear();
  append_labels(out, {}, {});
  EXPECT_EQ(out, "");
}

TEST(TextFormatTest, AcceptsOnlyValidMetricNames) {
  EXPECT_TRUE(is_valid_metric_name("http_requests_total"));
  EXPECT_TRUE(is_valid_metric_name("job:rate:5m"));
  EXPECT_TRUE(is_valid_metric_name("_x9"));
  EXPECT_FALSE(is_valid_metric_name(""));
  EXPECT_FALSE(is_valid_metric_name("9lives"));
  EXPECT_FALSE(is_valid_metric_name("has-dash"));
  EXPECT_FALSE(is_valid_metric_name("has space"));
}

TEST(TextFormatTest, AcceptsOnlyValidLabelNames) {
  EXPECT_TRUE(is_valid_label_name("method"));
  EXPECT_TRUE(is_valid_label_name("_private"));
  EXPECT_FALSE(is_valid_label_name(""));
  EXPECT_FALSE(is_valid_label_name("__name__"));
  EXPECT_FALSE(is_valid_label_name("with:colon"));
  EXPECT_FALSE(is_valid_label_name("1st"));
}

}  // namespace
}  // namespace weir::metrics
