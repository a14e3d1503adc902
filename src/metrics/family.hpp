// weir::metrics::Family: one metric name with a fixed list of label names, and one child
// metric per distinct list of label values.
//
//   auto& requests = registry.counter_family("requests_total", "Requests.",
//                                            {"method", "path", "status"});
//   weir::metrics::Counter& ok = requests.with({"GET", "/api/data", "200"});
//   ok.inc();  // lock-free; keep `ok` and skip the lookup next time
//
// Cardinality is bounded: a family holds at most max_children children made from real label
// values. Once full, every new list of values maps to one overflow child whose label values are
// all "other" (kOverflowLabelValue), so a flood of distinct values costs one series, not one
// per value. Rendering that child tells the operator the bound was hit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "metrics/collector.hpp"
#include "metrics/text_format.hpp"

namespace weir::metrics {

// The value of every label of a family's overflow child.
inline constexpr std::string_view kOverflowLabelValue = "other";

// Metric is Counter, Gauge or Histogram: anything with kType and render().
//
// Thread-safe. with() takes a shared lock to find an existing child and an exclusive lock to
// create one; it allocates only when it creates. Children are never destroyed or moved while
// the family lives, so the returned reference stays valid and callers should cache it.
template <typename Metric>
class Family final : public Collector {
 public:
  // Builds one child; called under the family's lock, at most once per child.
  using Factory = std::function<std::unique_ptr<Metric>()>;

  // Only the Registry constructs families; it checks names and max_children >= 1 first.
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::size_t max_children, Factory make)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        max_children_(max_children),
        make_(std::move(make)) {}

  // Returns the child for these label values, creating it on first use. Values are given in
  // the order of label_names(). Never throws for bad input on the request path: a list of the
  // wrong length, like any list past the cardinality bound, yields the overflow child.
  Metric& with(std::initializer_list<std::string_view> values) {
    return with(std::span<const std::string_view>(values.begin(), values.size()));
  }

  Metric& with(std::span<const std::string_view> values) {
    if (values.size() != label_names_.size()) return overflow_child();

    // The key lives in a per-thread buffer so that finding an existing child allocates nothing
    // once the buffer has grown to fit.
    thread_local std::string key;
    build_key(key, values);

    {
      std::shared_lock lock(mutex_);
      if (auto found = index_.find(key); found != index_.end()) return *found->second;
      // A full family under a flood of new values stays on the shared lock.
      if (real_children_ >= max_children_ && overflow_ != nullptr) return *overflow_;
    }

    std::unique_lock lock(mutex_);
    if (auto found = index_.find(key); found != index_.end()) return *found->second;
    if (real_children_ >= max_children_) return overflow_child_locked();

    ++real_children_;
    return add_child_locked(key, std::vector<std::string>(values.begin(), values.end()));
  }

  const std::vector<std::string>& label_names() const noexcept { return label_names_; }
  std::size_t max_children() const noexcept { return max_children_; }

  // Number of children, the overflow child included.
  std::size_t size() const {
    std::shared_lock lock(mutex_);
    return children_.size();
  }

  std::string_view name() const override { return name_; }

  void collect(std::string& out) const override {
    out += "# HELP ";
    out += name_;
    out += ' ';
    append_help(out, help_);
    out += "\n# TYPE ";
    out += name_;
    out += ' ';
    out += Metric::kType;
    out += '\n';

    std::shared_lock lock(mutex_);
    for (const Child& child : children_) {
      child.metric->render(out, name_, label_names_, child.values);
    }
  }

 private:
  struct Child {
    std::vector<std::string> values;
    std::unique_ptr<Metric> metric;
  };

  // Length-prefixed values, so that ("a,b", "c") and ("a", "b,c") never share a key.
  static void build_key(std::string& key, std::span<const std::string_view> values) {
    key.clear();
    for (std::string_view value : values) {
      const auto size = static_cast<std::uint32_t>(value.size());
      key.append(reinterpret_cast<const char*>(&size), sizeof size);
      key.append(value);
    }
  }

  Metric& overflow_child() {
    {
      std::shared_lock lock(mutex_);
      if (overflow_ != nullptr) return *overflow_;
    }
    std::unique_lock lock(mutex_);
    return overflow_child_locked();
  }

  Metric& overflow_child_locked() {
    if (overflow_ != nullptr) return *overflow_;

    std::vector<std::string> values(label_names_.size(), std::string(kOverflowLabelValue));
    std::vector<std::string_view> views(values.begin(), values.end());
    std::string key;
    build_key(key, views);

    // A real child may already carry "other" everywhere; then it is the overflow child too.
    if (auto found = index_.find(key); found != index_.end()) {
      overflow_ = found->second;
    } else {
      overflow_ = &add_child_locked(key, std::move(values));
    }
    return *overflow_;
  }

  Metric& add_child_locked(const std::string& key, std::vector<std::string> values) {
    Child& child = children_.emplace_back(Child{std::move(values), make_()});
    index_.emplace(key, child.metric.get());
    return *child.metric;
  }

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::size_t max_children_;
  const Factory make_;

  mutable std::shared_mutex mutex_;
  std::vector<Child> children_;  // creation order, which is rendering order
  std::unordered_map<std::string, Metric*> index_;
  std::size_t real_children_ = 0;  // children made from caller values, not the overflow one
  Metric* overflow_ = nullptr;     // the all-"other" child, once something needed it
};

}  // namespace weir::metrics
