// Cleaner: the log's compaction of topics with cleanup.policy=compact (or compact,delete). A thread looks at
// them every LogOptions::compaction_interval and passes over each partition whose dirty ratio reached the
// topic's min.cleanable.dirty.ratio; Log::compact runs a pass now. One pass at a time per log. A pass works
// on sealed segments only (engine/compactor.h), beside the writers, which it never stops.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "engine/compactor.h"
#include "strata/log.h"

namespace strata::detail {

class LogCore;
struct TopicEntry;

class Cleaner {
 public:
  // Starts the thread unless interval is 0.
  Cleaner(LogCore& core, std::chrono::milliseconds interval);
  ~Cleaner() { stop(); }
  Cleaner(const Cleaner&) = delete;
  Cleaner& operator=(const Cleaner&) = delete;

  // Stops the thread (a pass in progress stops before its next segment). Idempotent.
  void stop();
  // Passes over every partition of `topic` now.
  Result<CompactionStats> compact_topic(TopicId topic);
  // While held, no pass runs (Log::delete_topic). Lock order: before the log's topics lock.
  std::unique_lock<std::mutex> hold_passes() { return std::unique_lock(pass_mutex_); }

 private:
  void run();
  // One pass over a partition; `only_if_dirty`: skipped unless its dirty ratio reached the topic's.
  Status pass(TopicId topic, std::uint32_t partition, bool only_if_dirty, CompactionStats* stats);

  LogCore& core_;
  const std::chrono::milliseconds interval_;
  std::mutex pass_mutex_;  // one pass at a time
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // under mutex_
  std::atomic<bool> stop_requested_{false};
  std::thread thread_;
};

}  // namespace strata::detail
