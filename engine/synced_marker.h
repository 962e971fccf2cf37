// SyncedMarker: a partition's acknowledged offset (every offset below it is written and, under sync and batch
// durability, fdatasynced; under `none`, written, which is all `none` promises), published by the writer
// through a shared mapping of <partition dir>/strata-synced so that readers in other processes (a projection
// beside the writer) stop at what the log acknowledged. One word, stored
// with release order, read with acquire: no system call on either side.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "io/shared_mapping.h"

namespace strata::detail {

class SyncedMarker {
 public:
  SyncedMarker() = default;
  // Writer: creates or reopens the file and stores `offset`.
  static Result<SyncedMarker> create(const std::string& partition_dir, std::uint64_t offset);
  // Reader: kNotFound when no writer ever published one here.
  static Result<SyncedMarker> open(const std::string& partition_dir);

  bool is_open() const { return word_ != nullptr; }
  // Writer thread. Offsets only grow.
  void publish(std::uint64_t offset) {
    if (offset > last_) {
      last_ = offset;
      std::atomic_ref<std::uint64_t>(*word_).store(offset, std::memory_order_release);
    }
  }
  std::uint64_t load() const { return std::atomic_ref<std::uint64_t>(*word_).load(std::memory_order_acquire); }

 private:
  io::SharedMapping mapping_;
  std::uint64_t* word_ = nullptr;
  std::uint64_t last_ = 0;
};

}  // namespace strata::detail
