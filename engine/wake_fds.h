// WakeFds: the eventfds of event loops (the Kafka server's reactors) that wait for something the writers do
// and cannot sleep in Producer::wait() or Reader::wait(). A loop arms its eventfd, looks at what it waits for,
// then waits for the fd with everything else it watches; the writer that next does the thing (acknowledges
// one of a producer's appends: ProducerState::ack_fds; makes events visible to readers: LogCore's
// visible_fds) writes to every armed fd once, and disarms it.
//
#pragma once

#include <sys/eventfd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>

#include "ring/record_header.h"

namespace strata::detail {

class WakeFds {
 public:
  static constexpr std::size_t kFdsMax = 64;

  // False when kFdsMax other fds are already registered.
  bool arm(int fd) {
    Entry* entry = find_or_add(fd);
    if (entry == nullptr) return false;
    entry->armed.store(1, std::memory_order_relaxed);
    // Acq_rel: release publishes the entry's arm to the writer; acquire pairs with the writer's exchange,
    // so the caller's re-check that follows sees what the writer published before it.
    armed_any_.exchange(1, std::memory_order_acq_rel);
    return true;
  }

  // The writers no longer write to `fd` once this returns.
  void forget(int fd) {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < count_.load(std::memory_order_relaxed); ++i) {
      if (entries_[i].fd.load(std::memory_order_relaxed) == fd) entries_[i].fd.store(-1, std::memory_order_relaxed);
    }
  }

  // A writer, after publishing what the fds wait for.
  void notify() {
    if (armed_any_.exchange(0, std::memory_order_acq_rel) != 0) [[unlikely]]
      notify_slow();
  }

 private:
  struct Entry {
    std::atomic<int> fd{-1};
    std::atomic<std::uint32_t> armed{0};
  };

  Entry* find_or_add(int fd) {
    const std::size_t count = count_.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < count; ++i) {
      if (entries_[i].fd.load(std::memory_order_relaxed) == fd) return &entries_[i];
    }
    std::lock_guard lock(mutex_);
    Entry* free_entry = nullptr;
    for (std::size_t i = 0; i < count_.load(std::memory_order_relaxed); ++i) {
      const int registered = entries_[i].fd.load(std::memory_order_relaxed);
      if (registered == fd) return &entries_[i];
      if (registered < 0 && free_entry == nullptr) free_entry = &entries_[i];
    }
    if (free_entry == nullptr) {
      const std::size_t next = count_.load(std::memory_order_relaxed);
      if (next == kFdsMax) return nullptr;
      free_entry = &entries_[next];
      free_entry->fd.store(fd, std::memory_order_relaxed);
      count_.store(next + 1, std::memory_order_release);
      return free_entry;
    }
    free_entry->fd.store(fd, std::memory_order_relaxed);
    return free_entry;
  }

  [[gnu::cold]] void notify_slow() {
    // Under the mutex: forget() returns only once no write to its fd can follow.
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < count_.load(std::memory_order_relaxed); ++i) {
      Entry& entry = entries_[i];
      if (entry.armed.exchange(0, std::memory_order_acq_rel) == 0) continue;
      const int fd = entry.fd.load(std::memory_order_relaxed);
      if (fd >= 0) (void)eventfd_write(fd, 1);
    }
  }

  alignas(ring::kCacheLineBytes) std::atomic<std::uint32_t> armed_any_{0};
  alignas(ring::kCacheLineBytes) std::mutex mutex_;  // adding, forgetting and writing to fds
  std::atomic<std::size_t> count_{0};
  std::array<Entry, kFdsMax> entries_;
};

}  // namespace strata::detail
