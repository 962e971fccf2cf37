// What the projector's thread publishes to other threads (Projector::wait_until, positions, summary): per
// stream the smallest committed position over the projections reading it, the summary of the run, and
// whether the projector finished. Internal to projection/.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "projection/projector.h"

namespace strata::projection {

// A projection's position for a topic it does not read (and a stream no projection has committed).
inline constexpr std::uint64_t kUnread = UINT64_MAX;

class Published {
 public:
  using StreamKey = std::pair<std::string, std::uint32_t>;  // (topic, partition)

  // The streams, in the projector's order; their positions start at 0.
  void set_streams(std::vector<StreamKey> keys);
  // The projector's thread only (it alone writes them): no lock.
  const std::vector<StreamKey>& streams() const { return keys_; }
  // Per stream, in set_streams' order; wakes wait_until.
  void set_positions(std::vector<std::uint64_t> positions);
  // The projector stopped (`finished`: by an error or stop(), so that wait_until gives up).
  void finish(bool finished);
  template <typename Fn>
  void update_summary(Fn&& fn) {
    std::lock_guard lock(mutex_);
    fn(summary_);
  }

  // Any thread. `topic` empty: the first topic (positions) or any (wait_until).
  Status wait_until(const std::string& topic, std::uint32_t partition, std::uint64_t offset,
                    std::chrono::nanoseconds timeout);
  std::vector<std::uint64_t> positions(const std::string& topic) const;
  RunSummary summary() const;

 private:
  std::size_t index_locked(const std::string& topic, std::uint32_t partition) const;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<StreamKey> keys_;
  std::vector<std::uint64_t> positions_;
  bool finished_ = false;
  RunSummary summary_;
};

}  // namespace strata::projection
