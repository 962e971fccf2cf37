// Under `sync`, a pass with one active partition and a small write makes the write and its fdatasync in the
// writer thread (the pwrite queue); bigger writes, and the other durabilities, go through io_uring
// (DurabilityPolicy::syncs_inline_when_alone). Counted with a wrapper around every queue the writers make.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <string>

#include "engine/format.h"
#include "io/io_queue.h"
#include "strata/log.h"
#include "tests/engine/read_all.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

using testing::read_all;
using testing::small_options;
using testing::TestDir;

// What the writers asked of each kind of queue.
struct QueueCounts {
  std::atomic<int> pwrite_queues{0};
  std::atomic<int> uring_queues{0};
  std::atomic<int> pwrite_syncs{0};
  std::atomic<int> uring_syncs{0};
  std::atomic<int> pwrite_writes{0};
  std::atomic<int> uring_writes{0};
};

class CountingQueue final : public io::IoQueue {
 public:
  CountingQueue(std::unique_ptr<io::IoQueue> inner, std::shared_ptr<QueueCounts> counts)
      : inner_(std::move(inner)), counts_(std::move(counts)), pwrite_(inner_->description().starts_with("pwrite")) {
    (pwrite_ ? counts_->pwrite_queues : counts_->uring_queues).fetch_add(1);
  }
  std::string_view description() const override { return inner_->description(); }
  bool prep_write(int fd, std::span<const std::byte> bytes, std::uint64_t offset, std::uint64_t user_data) override {
    return wrote(inner_->prep_write(fd, bytes, offset, user_data));
  }
  bool register_buffer(unsigned index, std::span<std::byte> bytes) override {
    return inner_->register_buffer(index, bytes);
  }
  void unregister_buffer(unsigned index) override { inner_->unregister_buffer(index); }
  bool prep_write_fixed(int fd, std::span<const std::byte> bytes, std::uint64_t offset, std::uint64_t user_data,
                        unsigned index) override {
    return wrote(inner_->prep_write_fixed(fd, bytes, offset, user_data, index));
  }
  bool prep_sync(int fd, std::uint64_t user_data) override { return synced(inner_->prep_sync(fd, user_data)); }
  bool prep_sync_after_previous(int fd, std::uint64_t user_data) override {
    return synced(inner_->prep_sync_after_previous(fd, user_data));
  }
  Status submit() override { return inner_->submit(); }
  Result<std::size_t> reap(std::span<io::Completion> out, std::chrono::microseconds timeout) override {
    return inner_->reap(out, timeout);
  }
  std::size_t in_flight() const override { return inner_->in_flight(); }

 private:
  bool wrote(bool queued) {
    if (queued) (pwrite_ ? counts_->pwrite_writes : counts_->uring_writes).fetch_add(1);
    return queued;
  }
  bool synced(bool queued) {
    if (queued) (pwrite_ ? counts_->pwrite_syncs : counts_->uring_syncs).fetch_add(1);
    return queued;
  }
  std::unique_ptr<io::IoQueue> inner_;
  std::shared_ptr<QueueCounts> counts_;
  bool pwrite_;
};

class InlineSync : public ::testing::Test {
 protected:
  void SetUp() override {
    io::set_io_queue_wrapper_for_testing([counts = counts_](std::unique_ptr<io::IoQueue> queue) {
      return std::make_unique<CountingQueue>(std::move(queue), counts);
    });
  }
  void TearDown() override { io::set_io_queue_wrapper_for_testing(nullptr); }

  // The log's writers run on io_uring (else there is nothing to compare with).
  std::unique_ptr<Log> open(LogOptions options) {
    options.io_mode = IoMode::kRequireUring;
    auto log = Log::open(options);
    if (!log) return nullptr;
    return std::move(log.value());
  }

  std::shared_ptr<QueueCounts> counts_ = std::make_shared<QueueCounts>();
};

TEST_F(InlineSync, ALonePartitionsSmallSyncedAppendsAreWrittenAndSyncedInTheWriterThread) {
  TestDir dir;
  auto log = open(small_options(dir.path(), Durability::kSync));
  if (log == nullptr) GTEST_SKIP() << "io_uring is unavailable here";
  EXPECT_EQ(counts_->pwrite_queues.load(), counts_->uring_queues.load());  // one of each per writer
  const std::string backend = log->stats().io_backend;
  EXPECT_NE(backend.find("pwrite in the writer thread"), std::string::npos) << backend;
  const TopicId topic = log->topic("t").value();
  auto producer = log->producer();
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(producer->wait(producer->append(topic, "", "event " + std::to_string(i)).value()).is_ok());
  }
  // Each acknowledged append waited for its own write and sync, made in the writer thread.
  EXPECT_GE(counts_->pwrite_syncs.load(), 200);
  EXPECT_GE(counts_->pwrite_writes.load(), 200);
  ASSERT_TRUE(log->close().is_ok());
  const auto events = read_all(dir.sub("t-0"));
  ASSERT_EQ(events.size(), 200u);
  EXPECT_EQ(events[199].value, "event 199");
}

// The zeros written ahead of the data stay within the preallocation: a partition with one synced event keeps
// the first 256 KiB of disk, as without them.
TEST_F(InlineSync, ZerosAheadOfTheDataTakeNoMoreDisk) {
  TestDir dir;
  auto log = open(small_options(dir.path(), Durability::kSync));
  if (log == nullptr) GTEST_SKIP() << "io_uring is unavailable here";
  const TopicId topic = log->topic("t").value();
  auto producer = log->producer();
  ASSERT_TRUE(producer->wait(producer->append(topic, "", "one").value()).is_ok());
  EXPECT_GE(counts_->pwrite_syncs.load(), 1);
  struct stat file {};
  ASSERT_EQ(::stat((dir.sub("t-0") + "/" + format::segment_file_name(0)).c_str(), &file), 0);
  EXPECT_LE(file.st_blocks * 512, 256 << 10);
  ASSERT_TRUE(log->close().is_ok());
}

TEST_F(InlineSync, AWriteOverTheInlineLimitGoesThroughIoUring) {
  TestDir dir;
  LogOptions options = small_options(dir.path(), Durability::kSync);
  options.producer_ring_bytes = 1u << 20;
  auto log = open(options);
  if (log == nullptr) GTEST_SKIP() << "io_uring is unavailable here";
  const TopicId topic = log->topic("t").value();
  auto producer = log->producer();
  const std::string value(200u << 10, 'v');  // over DurabilityPolicy::kInlineWriteBytesMax (64 KiB)
  ASSERT_TRUE(producer->wait(producer->append(topic, "", value).value()).is_ok());
  EXPECT_GE(counts_->uring_writes.load(), 1);
  EXPECT_GE(counts_->uring_syncs.load(), 1);
  EXPECT_EQ(counts_->pwrite_writes.load(), 0);
  ASSERT_TRUE(log->close().is_ok());
  EXPECT_EQ(read_all(dir.sub("t-0")).size(), 1u);
}

TEST_F(InlineSync, OtherDurabilitiesHaveNoInlineQueue) {
  for (const Durability durability : {Durability::kNone, Durability::kBatch}) {
    TestDir dir;
    auto log = open(small_options(dir.path(), durability));
    if (log == nullptr) GTEST_SKIP() << "io_uring is unavailable here";
    const TopicId topic = log->topic("t").value();
    auto producer = log->producer();
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(producer->wait(producer->append(topic, "", "x").value()).is_ok());
    ASSERT_TRUE(log->close().is_ok());
  }
  EXPECT_EQ(counts_->pwrite_queues.load(), 0);
  EXPECT_GT(counts_->uring_writes.load(), 0);
  TestDir dir;
  auto log = open(small_options(dir.path(), Durability::kNone));
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->stats().io_backend.find("pwrite"), std::string::npos) << log->stats().io_backend;
}

}  // namespace
}  // namespace strata
