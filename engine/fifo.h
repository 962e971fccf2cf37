// Fifo<T>: a circular queue that grows by doubling and never shrinks, so that after warm-up pushing and
// popping allocate nothing. Single-threaded.
#pragma once

#include <cstddef>
#include <vector>

#include "strata/assert.h"

namespace strata::detail {

template <typename T>
class Fifo {
 public:
  explicit Fifo(std::size_t initial_capacity = 1024) : items_(round_up(initial_capacity)) {}

  bool empty() const { return head_ == tail_; }
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
  void push(const T& item) {
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
  std::size_t head_ = 0;
  std::size_t tail_ = 0;
};

}  // namespace strata::detail
