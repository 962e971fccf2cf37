// Fifo<T>: a bounded circular queue that grows by doubling up to capacity_max and never shrinks, so that
// after warm-up pushing and popping allocate nothing. full() is a normal answer: the caller stops producing
// (see PartitionWriter::acks_full); pushing onto a full Fifo is a programmer error. Single-threaded.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "strata/assert.h"

namespace strata::detail {

template <typename T>
class Fifo {
 public:
  // Capacities are rounded up to powers of two.
  Fifo(std::size_t initial_capacity, std::size_t capacity_max)
      : items_(round_up(std::min(initial_capacity, capacity_max))), capacity_max_(round_up(capacity_max)) {}

  bool empty() const { return head_ == tail_; }
  bool full() const { return size() == capacity_max_; }
  std::size_t size() const { return tail_ - head_; }
  T& front() {
    STRATA_ASSERT(!empty(), "front() of an empty Fifo");
    return items_[head_ & (items_.size() - 1)];
  }
  T& back() {
    STRATA_ASSERT(!empty(), "back() of an empty Fifo");
    return items_[(tail_ - 1) & (items_.size() - 1)];
  }
  // The i-th item from the front. REQUIRES: i < size().
  T& at(std::size_t i) {
    STRATA_ASSERT(i < size(), "at(%zu) of a Fifo of %zu", i, size());
    return items_[(head_ + i) & (items_.size() - 1)];
  }
  void pop() {
    STRATA_ASSERT(!empty(), "pop() of an empty Fifo");
    ++head_;
  }
  // REQUIRES: !full().
  void push(const T& item) {
    STRATA_ASSERT(!full(), "push() onto a full Fifo of %zu", size());
    if (size() == items_.size()) [[unlikely]]
      grow();
    items_[tail_++ & (items_.size() - 1)] = item;
  }

 private:
  static std::size_t round_up(std::size_t n) {
    std::size_t capacity = 1;
    while (capacity < n) capacity *= 2;
    return capacity;
  }
  [[gnu::cold]] void grow() {
    std::vector<T> bigger(items_.size() * 2);
    for (std::size_t i = 0; i < size(); ++i) bigger[i] = items_[(head_ + i) & (items_.size() - 1)];
    tail_ = size();
    head_ = 0;
    items_.swap(bigger);
  }
  std::vector<T> items_;
  std::size_t capacity_max_;
  std::size_t head_ = 0;
  std::size_t tail_ = 0;
};

}  // namespace strata::detail
