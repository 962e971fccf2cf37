// Published: the projector's committed positions and summary, as other threads see them.
#include "projection/published.h"

namespace strata::projection {

void Published::set_streams(std::vector<StreamKey> keys) {
  std::lock_guard lock(mutex_);
  keys_ = std::move(keys);
  positions_.assign(keys_.size(), 0);
}

void Published::set_positions(std::vector<std::uint64_t> positions) {
  {
    std::lock_guard lock(mutex_);
    positions_ = std::move(positions);
  }
  changed_.notify_all();
}

void Published::finish(bool finished) {
  std::lock_guard lock(mutex_);
  finished_ = finished;
  changed_.notify_all();
}

std::size_t Published::index_locked(const std::string& topic, std::uint32_t partition) const {
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if ((topic.empty() || keys_[i].first == topic) && keys_[i].second == partition) return i;
  }
  return SIZE_MAX;
}

Status Published::wait_until(const std::string& topic, std::uint32_t partition, std::uint64_t offset,
                             std::chrono::nanoseconds timeout) {
  std::unique_lock lock(mutex_);
  auto applied = [&] {
    const std::size_t i = index_locked(topic, partition);
    return i != SIZE_MAX && positions_[i] != kUnread && positions_[i] > offset;
  };
  const bool reached = changed_.wait_for(lock, timeout, [&] { return applied() || finished_; });
  if (applied()) return Status::ok();
  const std::string what = "topic " + topic + " partition " + std::to_string(partition) + " offset " + std::to_string(offset);
  if (!reached) {
    const std::size_t i = index_locked(topic, partition);
    return Status(StatusCode::kTimedOut, what + " not applied yet" +
                                             (i == SIZE_MAX ? std::string(" (the projector does not read it yet)")
                                                            : " (at " + std::to_string(positions_[i]) + ")"));
  }
  return Status(StatusCode::kClosed, "the projector stopped before applying " + what);
}

std::vector<std::uint64_t> Published::positions(const std::string& topic) const {
  std::lock_guard lock(mutex_);
  std::vector<std::uint64_t> result;
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (topic.empty() ? keys_[i].first == keys_[0].first : keys_[i].first == topic) result.push_back(positions_[i]);
  }
  return result;
}

RunSummary Published::summary() const {
  std::lock_guard lock(mutex_);
  return summary_;
}

}  // namespace strata::projection
