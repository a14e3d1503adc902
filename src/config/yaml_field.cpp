#include "config/yaml_field.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "config/config_error.hpp"

namespace weir::config {

namespace {

std::string_view kind_of(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a value";
    default:
      return "nothing";
  }
}

// A quoted scalar ('100' or "100") is a string even when it looks like a number, and so is one
// tagged !!str. yaml-cpp gives plain scalars the tag "?" and quoted ones "!".
bool is_quoted(const YAML::Node& node) {
  return node.Tag() != "?" && node.Tag() != "tag:yaml.org,2002:int";
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

YamlField::YamlField(const YAML::Node& root, std::string_view source)
    : YamlField(root, "", YAML::Mark(), source) {}

YamlField::YamlField(YAML::Node node, std::string path, YAML::Mark fallback,
                     std::string_view source)
    : node_(std::move(node)), path_(std::move(path)), mark_(fallback), source_(source) {
  if (node_.IsDefined() && !node_.Mark().is_null()) mark_ = node_.Mark();
}

void YamlField::fail(std::string_view message) const {
  const auto where = fmt::format("{}:{}:{}", source_, mark_.line + 1, mark_.column + 1);
  if (path_.empty()) throw ConfigError(fmt::format("{}: {}", where, message));
  throw ConfigError(fmt::format("{}: {}: {}", where, path_, message));
}

void YamlField::expect_map(std::initializer_list<std::string_view> allowed) const {
  if (!given() || node_.IsNull()) return;
  if (!node_.IsMap()) fail(fmt::format("expected a map of keys, got {}", kind_of(node_)));

  std::map<std::string, int, std::less<>> seen;  // key -> line it was first written on
  for (const auto& entry : node_) {
    const YAML::Node& key = entry.first;
    const YamlField key_field(key, path_, mark_, source_);
    if (!key.IsScalar()) key_field.fail("a key must be a plain name");

    const std::string& name = key.Scalar();
    const YamlField named(key, path_.empty() ? name : path_ + "." + name, mark_, source_);

    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::string valid;
      std::string_view closest;
      std::size_t closest_distance = 3;  // suggest only near misses
      for (const auto candidate : allowed) {
        valid += valid.empty() ? std::string(candidate) : ", " + std::string(candidate);
        const auto distance = edit_distance(name, candidate);
        if (distance < closest_distance) {
          closest = candidate;
          closest_distance = distance;
        }
      }
      auto message = fmt::format("unknown key (valid keys here: {})", valid);
      if (!closest.empty()) message += fmt::format("; did you mean {}?", quote(closest));
      named.fail(message);
    }

    const auto [first, inserted] = seen.emplace(name, key.Mark().line + 1);
    if (!inserted) named.fail(fmt::format("written twice (first on line {})", first->second));
  }
}

YamlField YamlField::child(std::string_view key) const {
  const auto path = path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
  if (!given() || !node_.IsMap())
    return YamlField(YAML::Node(YAML::NodeType::Undefined), path, mark_, source_);

  // Look the key up without operator[], which would compare against non-string keys.
  for (const auto& entry : node_) {
    if (entry.first.IsScalar() && entry.first.Scalar() == key) {
      return YamlField(entry.second, path, entry.first.Mark(), source_);
    }
  }
  return YamlField(YAML::Node(YAML::NodeType::Undefined), path, mark_, source_);
}

std::vector<YamlField> YamlField::items() const {
  std::vector<YamlField> out;
  if (!given() || node_.IsNull()) return out;
  if (!node_.IsSequence()) fail(fmt::format("expected a list, got {}", kind_of(node_)));

  std::size_t index = 0;
  for (const auto& element : node_) {
    out.push_back(YamlField(element, fmt::format("{}[{}]", path_, index++), mark_, source_));
  }
  return out;
}

const std::string& YamlField::scalar(std::string_view wanted) const {
  if (!given() || node_.IsNull()) fail(fmt::format("has no value; expected {}", wanted));
  if (!node_.IsScalar()) fail(fmt::format("expected {}, got {}", wanted, kind_of(node_)));
  return node_.Scalar();
}

std::string YamlField::as_string() const {
  return scalar("a string");
}

std::int64_t YamlField::as_integer(std::int64_t min, std::int64_t max) const {
  const std::string& text = scalar("an integer");

  // Decimal digits with an optional sign; no exponents, hex, underscores or fractions.
  const std::string_view digits = text.starts_with('-') ? std::string_view(text).substr(1) : text;
  const bool well_formed =
      !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
  if (!well_formed) fail(fmt::format("{} is not an integer", quote(text)));
  if (is_quoted(node_)) {
    fail(fmt::format("{} is a quoted string; write the number without quotes", quote(text)));
  }

  std::int64_t value = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || value < min || value > max) {
    fail(fmt::format("{} is out of range {}..{}", text, min, max));
  }
  return value;
}

std::chrono::milliseconds YamlField::as_duration(std::chrono::milliseconds min,
                                                 std::chrono::milliseconds max) const {
  const std::string& text = scalar("a duration");
  const auto fail_format = [&] {
    fail(fmt::format("{} is not a duration (use 500ms, 60s, 10m, 1h)", quote(text)));
  };

  const auto digits_end = text.find_first_not_of("0123456789");
  if (digits_end == 0 || digits_end == std::string::npos) fail_format();
  const std::string_view unit = std::string_view(text).substr(digits_end);

  std::int64_t unit_ms = 0;
  if (unit == "ms") {
    unit_ms = 1;
  } else if (unit == "s") {
    unit_ms = 1000;
  } else if (unit == "m") {
    unit_ms = 60 * 1000;
  } else if (unit == "h") {
    unit_ms = 60 * 60 * 1000;
  } else {
    fail_format();
  }

  // At most 12 digits, so that even hours fit in 64-bit milliseconds.
  const auto out_of_range = [&] {
    fail(
        fmt::format("{} is out of range {}..{}", text, format_duration(min), format_duration(max)));
  };
  if (digits_end > 12) out_of_range();
  std::int64_t count = 0;
  std::from_chars(text.data(), text.data() + digits_end, count);

  const std::chrono::milliseconds value(count * unit_ms);
  if (value < min || value > max) out_of_range();
  return value;
}

std::string format_duration(std::chrono::milliseconds duration) {
  const auto ms = duration.count();
  if (ms != 0 && ms % (60 * 60 * 1000) == 0) return fmt::format("{}h", ms / (60 * 60 * 1000));
  if (ms != 0 && ms % (60 * 1000) == 0) return fmt::format("{}m", ms / (60 * 1000));
  if (ms != 0 && ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

}  // namespace weir::config
