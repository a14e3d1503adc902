#include "weir/space_saving.hpp"

#include <algorithm>
#include <utility>

namespace weir {

SpaceSaving::SpaceSaving(std::size_t capacity) : capacity_(std::max<std::size_t>(1, capacity)) {}

void SpaceSaving::add(const IpAddress& client, std::uint64_t weight) {
  total_ += weight;

  if (auto it = position_.find(client); it != position_.end()) {
    heap_[it->second].count += weight;
    sift_down(it->second);
    return;
  }

  if (heap_.size() < capacity_) {
    heap_.push_back(Entry{client, weight, 0});
    position_.emplace(client, heap_.size() - 1);
    sift_up(heap_.size() - 1);
    return;
  }

  // Full: the newcomer takes over the smallest counter and inherits its count as error, so no
  // count ever underestimates.
  Entry& root = heap_.front();
  position_.erase(root.client);
  root = Entry{client, root.count + weight, root.count};
  position_.emplace(client, 0);
  sift_down(0);
}

std::vector<SpaceSaving::Entry> SpaceSaving::top(std::size_t n) const {
  std::vector<Entry> out = heap_;
  const auto by_count = [](const Entry& a, const Entry& b) {
    return a.count != b.count ? a.count > b.count : a.client < b.client;
  };
  n = std::min(n, out.size());
  std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n), out.end(), by_count);
  out.resize(n);
  return out;
}

void SpaceSaving::clear() {
  heap_.clear();
  position_.clear();
  total_ = 0;
}

void SpaceSaving::sift_up(std::size_t i) {
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (heap_[parent].count <= heap_[i].count) return;
    swap_entries(i, parent);
    i = parent;
  }
}

void SpaceSaving::sift_down(std::size_t i) {
  for (;;) {
    const std::size_t left = 2 * i + 1;
    const std::size_t right = left + 1;
    std::size_t smallest = i;
    if (left < heap_.size() && heap_[left].count < heap_[smallest].count) smallest = left;
    if (right < heap_.size() && heap_[right].count < heap_[smallest].count) smallest = right;
    if (smallest == i) return;
    swap_entries(i, smallest);
    i = smallest;
  }
}

void SpaceSaving::swap_entries(std::size_t a, std::size_t b) {
  std::swap(heap_[a], heap_[b]);
  position_[heap_[a].client] = a;
  position_[heap_[b].client] = b;
}

}  // namespace weir
