// weir::config::YamlField: one node of a parsed YAML document, together with the key path that
// reached it ("limits.routes[1].window") and the file it came from, and typed reads that throw
// weir::ConfigError naming both.
//
//   YamlField root(YAML::Load(text), "weir.yml");
//   root.expect_map({"threads", "store"});
//   if (auto threads = root.child("threads"); threads.given()) n = threads.as_integer(0, 1024);
//
// Internal to the configuration loader. Not thread-safe; lives only while a file is loaded.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/quote.hpp"

namespace weir::config {

class YamlField {
 public:
  // The document root. `source` names the file in messages and must outlive this field.
  YamlField(const YAML::Node& root, std::string_view source);

  // True when the key was written, even with no value ("threads:").
  bool given() const { return node_.IsDefined(); }

  const std::string& path() const { return path_; }

  // Throws ConfigError "source:line:column: path: message".
  [[noreturn]] void fail(std::string_view message) const;

  // Checks that this is a map whose keys are all in `allowed`, none written twice. Absent or
  // empty ("store:") counts as an empty map, so every key takes its default.
  void expect_map(std::initializer_list<std::string_view> allowed) const;

  // The value under `key` of a map checked by expect_map; not given() when the key is missing.
  YamlField child(std::string_view key) const;

  // The elements of a list; empty when the key is absent or has no value.
  std::vector<YamlField> items() const;

  // Scalar reads. Each fails on a list, a map or a missing value, and quotes the bad value.
  std::string as_string() const;
  std::int64_t as_integer(std::int64_t min, std::int64_t max) const;
  std::chrono::milliseconds as_duration(std::chrono::milliseconds min,
                                        std::chrono::milliseconds max) const;

  template <typename Enum>
  Enum as_choice(std::initializer_list<std::pair<std::string_view, Enum>> choices) const {
    const std::string text = as_string();
    std::string names;
    for (const auto& [name, value] : choices) {
      if (name == text) return value;
      names += names.empty() ? std::string(name) : ", " + std::string(name);
    }
    fail(quote(text) + " is not one of " + names);
  }

 private:
  YamlField(YAML::Node node, std::string path, YAML::Mark fallback, std::string_view source);

  // The scalar text, or a failure naming what was found instead of `wanted`.
  const std::string& scalar(std::string_view wanted) const;

  YAML::Node node_;
  std::string path_;
  YAML::Mark mark_;  // where the value starts, or its parent when the key is missing
  std::string_view source_;
};

// Formats a duration the way the configuration writes it: "500ms", "60s", "10m", "24h".
std::string format_duration(std::chrono::milliseconds duration);

}  // namespace weir::config
