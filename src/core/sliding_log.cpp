#include "weir/sliding_log.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace weir {

SlidingLog::SlidingLog(const SlidingLog& other) : head_(0), count_(other.count_) {
  if (other.block_ == nullptr) return;
  const std::uint32_t cap = other.capacity();
  block_ = new std::int64_t[kHeader + cap];
  block_[0] = other.block_[0];
  block_[1] = cap;
  for (std::uint32_t i = 0; i < count_; ++i)
    block_[kHeader + i] = other.at(i);
}

SlidingLog& SlidingLog::operator=(const SlidingLog& other) {
  if (this != &other) *this = SlidingLog(other);
  return *this;
}

SlidingLog::SlidingLog(SlidingLog&& other) noexcept
    : block_(std::exchange(other.block_, nullptr)),
      head_(std::exchange(other.head_, 0)),
      count_(std::exchange(other.count_, 0)) {}

SlidingLog& SlidingLog::operator=(SlidingLog&& other) noexcept {
  if (this != &other) {
    delete[] block_;
    block_ = std::exchange(other.block_, nullptr);
    head_ = std::exchange(other.head_, 0);
    count_ = std::exchange(other.count_, 0);
  }
  return *this;
}

SlidingLog::~SlidingLog() {
  delete[] block_;
}

std::uint32_t SlidingLog::capacity() const {
  return block_ == nullptr ? 0 : static_cast<std::uint32_t>(block_[1]);
}

std::size_t SlidingLog::heap_bytes() const {
  return block_ == nullptr ? 0 : (kHeader + capacity()) * sizeof(std::int64_t);
}

std::int64_t SlidingLog::at(std::uint32_t i) const {
  std::uint32_t slot = head_ + i;
  const std::uint32_t cap = capacity();
  if (slot >= cap) slot -= cap;
  return block_[kHeader + slot];
}

// Doubles the ring (starting at one entry), never beyond `requests`, unrolling it so the
// oldest timestamp sits first.
void SlidingLog::grow(std::uint32_t requests) {
  const std::uint32_t cap = capacity();
  const std::uint32_t wanted = cap == 0 ? 1 : (cap > requests / 2 ? requests : cap * 2);
  const std::uint32_t next = std::max(std::min(wanted, requests), cap + 1);

  auto* block = new std::int64_t[kHeader + next];
  block[0] = block_ == nullptr ? 0 : block_[0];
  block[1] = next;
  for (std::uint32_t i = 0; i < count_; ++i)
    block[kHeader + i] = at(i);
  delete[] block_;
  block_ = block;
  head_ = 0;
}

Decision SlidingLog::decide(const Limit& limit, Instant now) {
  assert(limit.requests >= 1 && limit.window.count() >= 1);
  const std::int64_t window = limit.window.count();
  std::int64_t t = now.time_since_epoch().count();

  // Time never runs backwards for a key. The latest time lives in the heap block, which
  // exists once anything has been admitted; before that there is nothing to protect.
  if (block_ != nullptr) {
    t = std::max(t, block_[0]);
    block_[0] = t;
  }

  // Drop what has left the window: a timestamp counts while t - ts < W.
  while (count_ > 0 && t - at(0) >= window) {
    head_ = head_ + 1 == capacity() ? 0 : head_ + 1;
    --count_;
  }

  Decision decision;
  decision.limit = limit.requests;
  if (count_ < limit.requests) {
    if (count_ == capacity()) grow(limit.requests);
    if (count_ == 0) head_ = 0;
    std::uint32_t slot = head_ + count_;
    if (slot >= capacity()) slot -= capacity();
    block_[kHeader + slot] = t;
    block_[0] = t;
    ++count_;
    decision.allowed = true;
    decision.remaining = limit.requests - count_;
    decision.reset = Duration(window);
    return decision;
  }

  decision.allowed = false;
  decision.remaining = 0;
  decision.reset = Duration(at(count_ - 1) + window - t);
  decision.retry_after = Duration(at(0) + window - t);
  return decision;
}

Instant SlidingLog::expires_at(const Limit& limit) const {
  if (count_ == 0) return Instant{};
  return Instant(Duration(at(count_ - 1) + limit.window.count()));
}

}  // namespace weir
