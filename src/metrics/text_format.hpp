// Pieces of the Prometheus text exposition format 0.0.4 shared by every metric type: number
// formatting, escaping, and name validation.
//
//   std::string out;
//   weir::metrics::append_value(out, 0.25);            // "0.25"
//   weir::metrics::append_label_value(out, "a\"b");    // a\"b
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace weir::metrics {

// The media type a scrape endpoint must send with render()'s output.
inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// Appends a sample value the way Prometheus parses it: integral values without exponent or
// fraction ("3", "-12"), "+Inf", "-Inf", "NaN", and otherwise the shortest decimal that reads
// back as the same double ("0.25", "1e-06").
void append_value(std::string& out, double value);
void append_value(std::string& out, std::uint64_t value);
void append_value(std::string& out, std::int64_t value);

// Appends a label value with backslash, double quote and newline escaped.
void append_label_value(std::string& out, std::string_view value);

// Appends HELP text with backslash and newline escaped (quotes are legal in HELP).
void append_help(std::string& out, std::string_view help);

// Appends `{name1="value1",name2="value2"}`, or nothing when there are no labels. `extra_name`
// and `extra_value`, when extra_name is not empty, are appended as a last label (a histogram's
// `le`). names and values must have the same size.
void append_labels(std::string& out, std::span<const std::string> names,
                   std::span<const std::string> values, std::string_view extra_name = {},
                   std::string_view extra_value = {});

// Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*.
bool is_valid_metric_name(std::string_view name);

// Label names match [a-zA-Z_][a-zA-Z0-9_]* and do not start with "__" (reserved by
// Prometheus).
bool is_valid_label_name(std::string_view name);

}  // namespace weir::metrics
