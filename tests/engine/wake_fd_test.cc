// Producer::watch_acknowledgements and Log::watch_appends: the eventfd of an event loop that cannot block in
// wait() (the Kafka server's reactors) is written to at the next acknowledgement (or the next events made
// visible) after each arm, and never after unwatch.
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "strata/log.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

using testing::small_options;
using testing::TestDir;

class EventFd {
 public:
  EventFd() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  ~EventFd() { ::close(fd_); }
  int get() const { return fd_; }
  // Waits up to `timeout_ms` for a write; true when one came (and consumes it).
  bool wait(int timeout_ms) const {
    pollfd watched{fd_, POLLIN, 0};
    if (::poll(&watched, 1, timeout_ms) != 1) return false;
    eventfd_t count = 0;
    return eventfd_read(fd_, &count) == 0 && count > 0;
  }

 private:
  int fd_;
};

TEST(AcknowledgementFd, AnArmedFdIsWrittenAtTheNextAcknowledgementOnly) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path(), Durability::kSync)).value();
  const TopicId topic = log->topic("t").value();
  Producer& producer = log->shared_producer();
  EventFd armed;
  EventFd never_armed;
  ASSERT_TRUE(producer.watch_acknowledgements(armed.get()).is_ok());
  const Ticket ticket = producer.append(topic, "k", "v").value();
  EXPECT_TRUE(armed.wait(10'000));
  EXPECT_TRUE(producer.wait(ticket).is_ok());
  EXPECT_FALSE(never_armed.wait(0));
  // Not armed again: the next acknowledgement does not write.
  const Ticket second = producer.append(topic, "k", "v2").value();
  EXPECT_TRUE(producer.wait(second).is_ok());
  EXPECT_FALSE(armed.wait(50));
  producer.unwatch_acknowledgements(armed.get());
}

TEST(AcknowledgementFd, UnwatchedFdsAreNotWrittenAndSlotsAreReused) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path(), Durability::kSync)).value();
  const TopicId topic = log->topic("t").value();
  Producer& producer = log->shared_producer();
  std::vector<std::unique_ptr<EventFd>> fds;
  for (int i = 0; i < 64; ++i) {
    fds.push_back(std::make_unique<EventFd>());
    ASSERT_TRUE(producer.watch_acknowledgements(fds.back()->get()).is_ok()) << i;
  }
  EventFd one_too_many;
  const Status refused = producer.watch_acknowledgements(one_too_many.get());
  EXPECT_EQ(refused.code(), StatusCode::kFull) << refused.to_string();
  producer.unwatch_acknowledgements(fds[10]->get());
  ASSERT_TRUE(producer.watch_acknowledgements(one_too_many.get()).is_ok());  // takes the freed slot
  const Ticket ticket = producer.append(topic, "k", "v").value();
  EXPECT_TRUE(producer.wait(ticket).is_ok());
  EXPECT_TRUE(one_too_many.wait(10'000));
  EXPECT_TRUE(fds[11]->wait(10'000));
  EXPECT_FALSE(fds[10]->wait(50));
  // Before the fds close (the API's rule: a writer may write to a watched fd at any moment).
  for (const auto& fd : fds) producer.unwatch_acknowledgements(fd->get());
  producer.unwatch_acknowledgements(one_too_many.get());
}

// The loop of an event loop: arm, look, then sleep on the fd. With appends racing from other threads, no
// acknowledgement is missed: every sleep ends by a write well before the 10 s the poll allows.
TEST(AcknowledgementFd, ArmLookSleepMissesNoAcknowledgement) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path(), Durability::kBatch)).value();
  const TopicId topic = log->topic("t", {.partitions = 4}).value();
  Producer& producer = log->shared_producer();
  constexpr int kThreads = 3;
  constexpr int kAppends = 2000;
  std::mutex mutex;
  std::deque<Ticket> waiting;  // guarded by mutex
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kAppends; ++i) {
        const Ticket ticket = producer.append(topic, std::to_string(i), "value").value();
        std::lock_guard lock(mutex);
        waiting.push_back(ticket);
      }
    });
  }
  EventFd fd;
  int sleeps = 0;
  int acknowledged = 0;
  while (acknowledged < kThreads * kAppends) {
    ASSERT_TRUE(producer.watch_acknowledgements(fd.get()).is_ok());
    std::optional<Ticket> oldest;
    {
      std::lock_guard lock(mutex);
      if (!waiting.empty()) oldest = waiting.front();
    }
    if (!oldest) {
      std::this_thread::yield();  // nothing appended yet: nothing to sleep for
      continue;
    }
    if (producer.is_acknowledged(*oldest)) {
      ++acknowledged;
      std::lock_guard lock(mutex);
      waiting.pop_front();
      continue;
    }
    ++sleeps;
    ASSERT_TRUE(fd.wait(10'000)) << "no write after " << acknowledged << " acknowledgements";
  }
  for (std::thread& thread : threads) thread.join();
  producer.unwatch_acknowledgements(fd.get());
  EXPECT_GT(sleeps, 0);
}

// A reader's loop over the log's appends: arm, look at end_offset(), sleep on the fd; it sees every event a
// producer thread appends (sync durability: events become visible at each fdatasync), and no sleep lasts
// the 10 s the poll allows.
TEST(AppendFd, ArmLookSleepSeesEveryEvent) {
  TestDir dir;
  auto log = Log::open(small_options(dir.path(), Durability::kSync)).value();
  const TopicId topic = log->topic("t", {.partitions = 2}).value();
  auto reader = log->reader("t", 1).value();
  EventFd fd;
  constexpr std::uint64_t kEvents = 300;
  std::thread producer_thread([&] {
    auto producer = log->producer();
    for (std::uint64_t i = 0; i < kEvents; ++i) {
      const Ticket ticket = producer->append(topic, 1, {}, std::as_bytes(std::span("v", 1))).value();
      if (i % 7 == 0) {
        ASSERT_TRUE(producer->wait(ticket).is_ok());  // some appends one at a time
      }
    }
    ASSERT_TRUE(producer->wait_all().is_ok());
  });
  int sleeps = 0;
  while (true) {
    ASSERT_TRUE(log->watch_appends(fd.get()).is_ok());
    if (reader->end_offset() >= kEvents) break;
    ++sleeps;
    ASSERT_TRUE(fd.wait(10'000)) << "no write at end offset " << reader->end_offset();
  }
  producer_thread.join();
  EXPECT_GT(sleeps, 0);
  log->unwatch_appends(fd.get());
  (void)fd.wait(0);  // a write from before the unwatch
  ASSERT_TRUE(log->shared_producer().wait(log->shared_producer().append(topic, "k", "v").value()).is_ok());
  EXPECT_FALSE(fd.wait(50));
}

}  // namespace
}  // namespace strata
