// weir::RuleSet: which rule a request path falls under.
//
// Routes are chosen by path prefix, whole segments at a time, the longest prefix winning; a path
// no route matches falls under the default rule.
//
//   weir::RuleSet rules({"default", "/", default_limit},
//                       {{"/api/auth", "/api/auth", login_limit}, {"/api", "/api", api_limit}});
//   rules.match("/api/auth/login");  // 1: "/api/auth"
//   rules.match("/api/authx");       // 2: "/api"
//   rules.match("/static/a.css");    // 0: the default rule
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "weir/limit.hpp"

namespace weir {

struct Rule {
  std::string name;    // for logs, metrics and headers: "default", or the route's prefix
  std::string prefix;  // an absolute path; unused for the default rule
  Limit limit;

  friend bool operator==(const Rule&, const Rule&) = default;
};

// Immutable after construction; thread-safe for concurrent readers.
class RuleSet {
 public:
  // Each route's prefix is normalised as request paths are (weir/path.hpp), and a trailing slash
  // is dropped, so "/api/", "/api" and "//api/." are the same route; rule(i).prefix holds the
  // normalised form. Throws std::invalid_argument, naming the rule and the prefix, when a prefix
  // is not an absolute path, holds a query or fragment, or has a bad percent escape. Duplicate
  // prefixes are not rejected here (the configuration loader reports them); of two routes with
  // one prefix, the first listed wins.
  RuleSet(Rule default_rule, std::vector<Rule> routes);

  // The index of the rule for `normalized_path` (the output of normalize_path): the route with
  // the longest prefix matching whole segments, so "/api/auth" matches "/api/auth" and
  // "/api/auth/login" but not "/api/authx"; a prefix "/" matches every path. 0, the default rule,
  // when no route matches. Allocates nothing; costs one comparison per route at worst.
  std::uint32_t match(std::string_view normalized_path) const;

  // Index 0 is the default rule; routes follow in the order given. `index` < size().
  const Rule& rule(std::uint32_t index) const { return rules_[index]; }
  std::size_t size() const { return rules_.size(); }

 private:
  struct Route {
    std::string prefix;
    std::uint32_t index = 0;
  };

  std::vector<Rule> rules_;
  std::vector<Route> by_length_;  // routes, longest prefix first
};

}  // namespace weir
