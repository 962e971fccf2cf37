// PowerLossQueue: wraps a real IoQueue and remembers, for every file, the writes that no completed fdatasync
// covers yet. At a simulated power cut it copies the log's directory and rewrites, in the copy, what those
// writes touched as a device with a volatile cache might have left it: every such write kept or dropped
// independently (a coin per write), the last one kept torn at a random 512-byte sector boundary. Everything
// a completed sync covers is kept whole. The copy is what recovery gets to open.
//
// What a sync covers follows the kernel's rule: the writes whose completions were reaped before it was
// queued, plus the write it is linked to (prep_sync_after_previous).
//
// The cut happens at the Nth call to reap() (the writer thread calls it every pass of its loop), before that
// call looks at the device; from then on every completion reports -EIO, so the log fails and acknowledges
// nothing the copy does not hold. A run that ends before the Nth reap is cut with crash_now() after close.
//
// Only files written through the queue are rewritten (segments); files the log writes and syncs itself
// (indexes, topic metadata, new segment files) are copied as they are, which is what their fsync promises.
// Not modelled: a preallocation (fallocate) whose size change was not yet synced; the copy keeps the size.
//
// Threads: the queue is driven by the one thread that owns it; PowerLossState is shared with the test and
// locked.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "io/io_queue.h"

namespace strata::io {

struct PowerLossPlan {
  std::string log_directory;        // what the writer writes in
  std::string crash_directory;      // created at the cut: the log as the power cut left it
  std::uint64_t crash_at_reap = 0;  // 1-based; 0: never on its own (crash_now() only)
  std::uint64_t seed = 0;           // which unsynced writes survive, and where the last one tears
};

class PowerLossState {
 public:
  explicit PowerLossState(PowerLossPlan plan) : plan_(std::move(plan)), random_(plan_.seed) {}

  // Cuts the power now (if it was not cut yet): writes plan.crash_directory.
  Status crash_now();
  bool crashed() const;
  std::uint64_t reaps() const;  // reap() calls so far: a run without a cut counts the crash points
  // Unsynced writes the last cut kept whole, tore, and dropped (for the test's report).
  struct CutSummary {
    std::uint64_t kept = 0;
    std::uint64_t torn = 0;
    std::uint64_t dropped = 0;
  };
  CutSummary summary() const;

 private:
  friend class PowerLossQueue;
  struct PendingWrite {
    std::uint64_t id;
    int fd;
    std::string path;  // resolved when queued: fds are reused after close
    std::uint64_t offset;
    std::vector<std::byte> bytes;     // what the write puts there
    std::vector<std::byte> previous;  // what was there before it
    bool completed = false;           // its completion was reaped
  };
  struct PendingSync {
    int fd;
    std::vector<std::uint64_t> covers;  // write ids
  };

  // Writer thread, under mutex_.
  void queued_write(int fd, std::span<const std::byte> bytes, std::uint64_t offset, std::uint64_t user_data);
  void queued_sync(int fd, std::uint64_t user_data, bool linked);
  // Returns true when the power is (now) out: the caller reports the completion as failed.
  bool on_reap_call();
  void completed(std::uint64_t user_data, std::int32_t result);

  Status cut_locked();
  Status copy_directory(const std::string& from, const std::string& to) const;
  Status rewrite_unsynced(const std::vector<const PendingWrite*>& writes, const std::string& copy_path);

  const PowerLossPlan plan_;
  mutable std::mutex mutex_;
  std::mt19937_64 random_;
  bool crashed_ = false;
  std::uint64_t reaps_ = 0;
  std::uint64_t next_write_id_ = 0;
  std::uint64_t last_queued_write_ = UINT64_MAX;                         // what a linked sync follows
  std::vector<PendingWrite> unsynced_;                                   // in the order queued
  std::unordered_map<std::uint64_t, std::uint64_t> write_by_user_data_;  // in flight
  std::unordered_map<std::uint64_t, PendingSync> sync_by_user_data_;     // in flight
  CutSummary summary_;
};

class PowerLossQueue final : public IoQueue {
 public:
  PowerLossQueue(std::unique_ptr<IoQueue> inner, std::shared_ptr<PowerLossState> state)
      : inner_(std::move(inner)), state_(std::move(state)) {}

  std::string_view description() const override { return inner_->description(); }
  bool prep_write(int fd, std::span<const std::byte> bytes, std::uint64_t offset,
                  std::uint64_t user_data) override;
  bool register_buffer(unsigned index, std::span<std::byte> bytes) override {
    return inner_->register_buffer(index, bytes);
  }
  void unregister_buffer(unsigned index) override { inner_->unregister_buffer(index); }
  bool prep_write_fixed(int fd, std::span<const std::byte> bytes, std::uint64_t offset,
                        std::uint64_t user_data, unsigned index) override;
  bool prep_sync(int fd, std::uint64_t user_data) override;
  bool prep_sync_after_previous(int fd, std::uint64_t user_data) override;
  Status submit() override { return inner_->submit(); }
  Result<std::size_t> reap(std::span<Completion> out, std::chrono::microseconds timeout) override;
  std::size_t in_flight() const override { return inner_->in_flight(); }

 private:
  std::unique_ptr<IoQueue> inner_;
  std::shared_ptr<PowerLossState> state_;
};

}  // namespace strata::io
