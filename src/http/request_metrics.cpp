#include "http/request_metrics.hpp"

#include <charconv>

namespace weir::http {

metrics::Counter& RequestCounterCache::get(metrics::Family<metrics::Counter>& family,
                                           std::string_view method, std::string_view route,
                                           int status) {
  char digits[12];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, status);
  std::string_view status_text(digits, static_cast<std::size_t>(end - digits));

  key_.clear();
  key_.append(method).push_back('\0');
  key_.append(route).push_back('\0');
  key_.append(status_text);
  if (auto it = children_.find(key_); it != children_.end()) return *it->second;

  metrics::Counter& child = family.with({method, route, status_text});
  children_.emplace(key_, &child);
  return child;
}

RequestMetrics::RequestMetrics(metrics::ServerMetrics& metrics) : metrics_(metrics) {
  rejections_[static_cast<int>(RejectReason::kRateLimit)] =
      &metrics.rate_limited.with({metrics::reason::kRateLimit});
  rejections_[static_cast<int>(RejectReason::kBlocklist)] =
      &metrics.rate_limited.with({metrics::reason::kBlocklist});
  rejections_[static_cast<int>(RejectReason::kBan)] =
      &metrics.rate_limited.with({metrics::reason::kBan});
  rejections_[static_cast<int>(RejectReason::kShed)] =
      &metrics.rate_limited.with({metrics::reason::kShed});
  rejections_[static_cast<int>(RejectReason::kConnectionLimit)] =
      &metrics.rate_limited.with({metrics::reason::kConnectionLimit});
}

}  // namespace weir::http
