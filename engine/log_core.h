// LogCore: everything a Log owns — the directory lock, topics, producers, the shared ring and the writer
// thread — and what producers and the writer need from each other. Internal; the public face is strata/log.h.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "engine/producer_state.h"
#include "engine/topic_writer.h"
#include "ring/consumer_signal.h"
#include "ring/striped_mpsc_ring.h"
#include "strata/log.h"

namespace strata::detail {

inline constexpr std::size_t kTopicsMax = 4096;

class LogCore {
 public:
  static Result<std::unique_ptr<LogCore>> open(LogOptions options);
  ~LogCore();

  Result<TopicId> topic(std::string_view name);
  std::shared_ptr<ProducerState> new_producer(bool shared);
  Status flush();
  Status close();
  LogStats stats() const;
  const LogOptions& options() const { return options_; }

  // ---- for producers (any thread) ----
  bool accepting() const {
    return !closing_.load(std::memory_order_acquire) && !failed_.load(std::memory_order_acquire);
  }
  TopicId topic_count() const { return topic_count_.load(std::memory_order_acquire); }
  void wake_writer() { writer_signal_.notify(); }
  Status failure() const;

  // ---- for the writer thread ----
  TopicWriter& topic_writer(TopicId id) { return *topics_[id]; }
  ring::StripedMpscRing& shared_ring() { return shared_ring_; }
  ProducerState& shared_state() { return *shared_state_; }
  ring::ConsumerSignal& writer_signal() { return writer_signal_; }
  // Snapshot of the per-thread producers if it changed since `*version`.
  bool producers_changed(std::uint64_t* version, std::vector<std::shared_ptr<ProducerState>>* out);
  void forget_producer(const ProducerState* state);
  void fail(Status status);
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  bool closing() const { return closing_.load(std::memory_order_acquire); }
  std::uint64_t flush_requested() const { return flush_requested_.load(std::memory_order_acquire); }
  void flush_done(std::uint64_t epoch);
  void set_io_description(std::string description);

 private:
  explicit LogCore(LogOptions options);
  Status open_directory();
  Status recover_topics();
  Result<TopicId> add_topic(const std::string& name);  // REQUIRES: topics_mutex_ held
  TopicConfig topic_config() const;

  const LogOptions options_;
  int lock_fd_ = -1;
  bool direct_io_ = true;
  std::string recovery_report_;

  mutable std::mutex topics_mutex_;
  std::unordered_map<std::string, TopicId> topic_ids_;
  std::array<std::unique_ptr<TopicWriter>, kTopicsMax> topics_;
  std::atomic<TopicId> topic_count_{0};

  std::mutex producers_mutex_;
  std::vector<std::shared_ptr<ProducerState>> producers_;
  std::atomic<std::uint64_t> producers_version_{0};

  ring::StripedMpscRing shared_ring_;
  std::shared_ptr<ProducerState> shared_state_;
  ring::ConsumerSignal writer_signal_;

  mutable std::mutex state_mutex_;  // failure_, io_description_, flush completion
  std::condition_variable flush_cv_;
  Status failure_;
  std::string io_description_;
  std::atomic<bool> failed_{false};
  std::atomic<bool> closing_{false};
  std::atomic<std::uint64_t> flush_requested_{0};
  std::uint64_t flush_epochs_ = 0;  // flush() calls so far
  std::uint64_t flush_completed_ = 0;
  bool closed_ = false;

  std::thread writer_thread_;
};

}  // namespace strata::detail
