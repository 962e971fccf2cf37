// IoQueue, both backends: writes and syncs complete with liburing's results, and a sync queued after a
// write runs only when that write completed in full.
#include "io/io_queue.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <string>
#include <vector>

#include "tests/engine/test_dir.h"

namespace strata::io {
namespace {

using strata::testing::TestDir;

class IoQueueTest : public ::testing::TestWithParam<IoBackend> {
 protected:
  // Null when this kernel refuses io_uring (the test then skips).
  std::unique_ptr<IoQueue> make() {
    auto queue = make_io_queue(GetParam(), 16);
    if (!queue) return nullptr;
    return std::move(queue.value());
  }

  // Submits what is queued and reaps until nothing is in flight; results by user_data.
  static std::map<std::uint64_t, std::int32_t> run(IoQueue& queue) {
    EXPECT_TRUE(queue.submit().is_ok());
    std::map<std::uint64_t, std::int32_t> results;
    std::vector<Completion> completions(16);
    for (int pass = 0; pass < 1000 && queue.in_flight() > 0; ++pass) {
      auto reaped = queue.reap(completions, std::chrono::milliseconds(10));
      EXPECT_TRUE(reaped);
      for (std::size_t i = 0; i < *reaped; ++i) results[completions[i].user_data] = completions[i].result;
    }
    EXPECT_EQ(queue.in_flight(), 0u);
    return results;
  }

  TestDir dir_;
  const std::vector<std::byte> bytes_ = std::vector<std::byte>(4096, std::byte{'x'});
};

TEST_P(IoQueueTest, SyncAfterACompleteWriteRuns) {
  auto queue = make();
  if (queue == nullptr) GTEST_SKIP() << "io_uring unavailable here";
  const int fd = ::open(dir_.sub("file").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(queue->prep_write(fd, bytes_, 0, 1));
  ASSERT_TRUE(queue->prep_sync_after_previous(fd, 2));
  const auto results = run(*queue);
  EXPECT_EQ(results.at(1), 4096);
  EXPECT_EQ(results.at(2), 0);
  ::close(fd);
}

TEST_P(IoQueueTest, SyncAfterAFailedWriteIsCancelled) {
  auto queue = make();
  if (queue == nullptr) GTEST_SKIP() << "io_uring unavailable here";
  const std::string path = dir_.sub("file");
  ::close(::open(path.c_str(), O_RDWR | O_CREAT, 0644));
  const int read_only = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(read_only, 0);
  ASSERT_TRUE(queue->prep_write(read_only, bytes_, 0, 1));
  ASSERT_TRUE(queue->prep_sync_after_previous(read_only, 2));
  const auto results = run(*queue);
  EXPECT_EQ(results.at(1), -EBADF);
  EXPECT_EQ(results.at(2), -ECANCELED);
  ::close(read_only);
}

TEST_P(IoQueueTest, NothingToFollowAfterSubmit) {
  auto queue = make();
  if (queue == nullptr) GTEST_SKIP() << "io_uring unavailable here";
  const int fd = ::open(dir_.sub("file").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  EXPECT_FALSE(queue->prep_sync_after_previous(fd, 2));  // nothing queued at all
  ASSERT_TRUE(queue->prep_write(fd, bytes_, 0, 1));
  ASSERT_TRUE(queue->submit().is_ok());
  EXPECT_FALSE(queue->prep_sync_after_previous(fd, 2));  // the write is the kernel's already
  const auto results = run(*queue);
  EXPECT_EQ(results.at(1), 4096);
  EXPECT_EQ(results.count(2), 0u);
  ::close(fd);
}

INSTANTIATE_TEST_SUITE_P(Backends, IoQueueTest, ::testing::Values(IoBackend::kUring, IoBackend::kPwrite),
                         [](const auto& backend) {
                           return std::string(backend.param == IoBackend::kUring ? "Uring" : "Pwrite");
                         });

}  // namespace
}  // namespace strata::io
