// weir::RuleSet: routes kept longest prefix first, so the first match is the longest.
#include "weir/rule_set.hpp"

#include <algorithm>
#include <stdexcept>

#include "weir/path.hpp"

namespace weir {
namespace {

std::string normalized_prefix(const Rule& route) {
  const auto fail = [&route](std::string_view why) {
    throw std::invalid_argument("rule '" + route.name + "': prefix '" + route.prefix + "' " +
                                std::string(why));
  };

  if (route.prefix.find_first_of("?#") != std::string::npos) {
    fail("holds a query or fragment");
  }
  std::string prefix;
  if (!normalize_path(route.prefix, prefix)) {
    fail("is not an absolute path without control characters and bad percent escapes");
  }
  if (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  return prefix;
}

}  // namespace

RuleSet::RuleSet(Rule default_rule, std::vector<Rule> routes) {
  rules_.reserve(routes.size() + 1);
  rules_.push_back(std::move(default_rule));
  for (Rule& route : routes) {
    route.prefix = normalized_prefix(route);
    by_length_.push_back(Route{route.prefix, static_cast<std::uint32_t>(rules_.size())});
    rules_.push_back(std::move(route));
  }

  // Stable, so that of two equal prefixes the first listed is tried first.
  std::stable_sort(by_length_.begin(), by_length_.end(), [](const Route& a, const Route& b) {
    return a.prefix.size() > b.prefix.size();
  });
}

std::uint32_t RuleSet::match(std::string_view normalized_path) const {
  for (const Route& route : by_length_) {
    const std::string_view prefix = route.prefix;
    if (!normalized_path.starts_with(prefix)) continue;

    // Whole segments only: the prefix ends where the path does or just before a '/'. The root
    // prefix "/" ends with its own '/'.
    if (normalized_path.size() == prefix.size() || prefix.back() == '/' ||
        normalized_path[prefix.size()] == '/') {
      return route.index;
    }
  }
  return 0;
}

}  // namespace weir
