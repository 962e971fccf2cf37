// An IO error at every call, as SQLite tests its IO errors: a clean run of a workload counts the writer's IO
// operations (write and fdatasync completions), then the workload runs once per operation N with a fault
// injected at the Nth. EIO and ENOSPC (writes and syncs) must fail the log with a clear error that names the
// operation and file, refuse appends after it, and leave every acknowledged event intact after a reopen.
// A short write and EAGAIN (writes) are retried: every event is acknowledged and stored.
// FileErrorEveryCall does the same for the calls the log makes outside the queue (io/file.cc: fallocate,
// fsync of new segments and directories, the index and metadata writes and renames): each in turn fails
// with EIO or ENOSPC, in Log::open or during the workload, and the same promises hold.
#include <gtest/gtest.h>

#include <filesystem>

#include "io/file.h"
#include "io/testing/fault_injecting_queue.h"
#include "strata/log.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

using testing::small_options;
using testing::TestDir;

constexpr std::size_t kEvents = 100;  // 12 KB each: the 1 MiB segment rolls once
// One append in flight at a time keeps the operation count nearly the same from run to run (a write and its
// sync per event), so the Nth operation of a run is the Nth of the counting run.
constexpr std::size_t kWindow = 1;
constexpr std::uint64_t kRunsPerFaultMax = 40;  // operations beyond are sampled evenly

std::string value_for(std::size_t i) {
  return "e" + std::to_string(i) + std::string(12000, static_cast<char>('a' + i % 26));
}

// tmpfs, where it exists, keeps the hundred-odd runs fast (the faults are injected, not the device's).
std::string scratch_base() {
  if (const char* base = std::getenv("STRATA_TEST_DIR")) return base;
  return std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/var/tmp";
}

LogOptions options_for(const std::string& dir) {
  LogOptions options = small_options(dir, Durability::kSync);
  options.allow_buffered_io = true;
  return options;
}

struct RunResult {
  std::size_t acknowledged = 0;
  Status error;  // the first error an append or wait returned
};

RunResult append_until_error(Log& log) {
  RunResult result;
  auto topic_id = log.topic("t");
  if (!topic_id) {
    result.error = topic_id.status();
    return result;
  }
  const TopicId topic = *topic_id;
  auto producer = log.producer();
  for (std::size_t begin = 0; begin < kEvents && result.error.is_ok(); begin += kWindow) {
    std::vector<Ticket> tickets;
    for (std::size_t i = begin; i < std::min(kEvents, begin + kWindow); ++i) {
      auto ticket = producer->append(topic, "", value_for(i));
      if (!ticket) {
        result.error = ticket.status();
        break;
      }
      tickets.push_back(*ticket);
    }
    // Appends made before a refused one may still be acknowledged; after a failed one, none is.
    bool failed_wait = false;
    for (const Ticket& ticket : tickets) {
      auto offset = producer->wait(ticket);
      if (!offset) {
        if (result.error.is_ok()) result.error = offset.status();
        failed_wait = true;
        continue;
      }
      EXPECT_FALSE(failed_wait) << "offset " << *offset << " acknowledged after an earlier append failed";
      EXPECT_EQ(*offset, result.acknowledged);
      ++result.acknowledged;
    }
  }
  return result;
}

// Events 0 .. at least `acknowledged` - 1 of t-0 are there and right; returns how many there are.
std::size_t expect_acknowledged_intact(const std::string& dir, std::size_t acknowledged,
                                       const std::string& where) {
  auto log = Log::open(options_for(dir));
  EXPECT_TRUE(log) << where << ": reopen: " << log.status().to_string();
  if (!log) return 0;
  auto reader = log.value()->reader("t", 0).value();
  std::size_t count = 0;
  while (true) {
    auto polled = reader->poll(256, [&](const Event& event) {
      EXPECT_EQ(event.offset, count) << where;
      EXPECT_EQ(std::string(reinterpret_cast<const char*>(event.value.data()), event.value.size()),
                value_for(count))
          << where << ": offset " << count;
      ++count;
    });
    EXPECT_TRUE(polled) << where << ": " << polled.status().to_string();
    if (!polled || *polled == 0) break;
  }
  EXPECT_GE(count, acknowledged) << where << ": an acknowledged event is missing after reopening";
  return count;
}

class IoErrorEveryCall : public ::testing::TestWithParam<io::Fault> {
 protected:
  void TearDown() override { io::set_io_queue_wrapper_for_testing(nullptr); }

  // Runs the workload with the fault at operation `at` (0: none); returns the operations it made that the
  // fault applies to.
  std::uint64_t run(std::uint64_t at) {
    TestDir dir(scratch_base());
    const std::string where =
        "fault " + std::to_string(static_cast<int>(GetParam())) + " at operation " + std::to_string(at);
    auto counters = std::make_shared<io::FaultCounters>();
    const io::FaultPlan plan{
        .fault = at == 0 ? io::Fault::kNone : GetParam(), .fault_at = at, .counters = counters};
    io::set_io_queue_wrapper_for_testing([plan](std::unique_ptr<io::IoQueue> queue) {
      return std::unique_ptr<io::IoQueue>(std::make_unique<io::FaultInjectingQueue>(std::move(queue), plan));
    });
    RunResult result;
    {
      auto log = Log::open(options_for(dir.path()));
      EXPECT_TRUE(log) << where << ": " << log.status().to_string();
      if (!log) return 0;
      result = append_until_error(**log);
      const bool injected = counters->injected.load() > 0;
      const bool fatal = injected && (GetParam() == io::Fault::kEio || GetParam() == io::Fault::kEnospc);
      const Status closed = log.value()->close();
      if (fatal) {
        // The log failed: appends after it are refused with the reason, and close reports it.
        EXPECT_FALSE(closed.is_ok()) << where;
        const StatusCode expected =
            GetParam() == io::Fault::kEio ? StatusCode::kIoError : StatusCode::kNoSpace;
        EXPECT_EQ(closed.code(), expected) << where << ": " << closed.to_string();
        const std::string message = closed.to_string();
        EXPECT_TRUE(message.find("write ") != std::string::npos ||
                    message.find("fdatasync ") != std::string::npos)
            << where << ": the error does not say which operation failed: " << message;
        EXPECT_NE(message.find(dir.path()), std::string::npos)
            << where << ": the error names no file: " << message;
        // A failure just before close() may reach the caller only there; otherwise an append saw it.
        if (!result.error.is_ok()) {
          EXPECT_EQ(result.error.code(), expected) << where << ": " << result.error.to_string();
        }
      } else {
        EXPECT_TRUE(result.error.is_ok()) << where << ": " << result.error.to_string();
        EXPECT_TRUE(closed.is_ok()) << where << ": " << closed.to_string();
        EXPECT_EQ(result.acknowledged, kEvents) << where;
      }
    }
    io::set_io_queue_wrapper_for_testing(nullptr);
    expect_acknowledged_intact(dir.path(), result.acknowledged, where);
    if (counters->injected.load() > 0) ++runs_injected_;
    const bool writes_only = GetParam() == io::Fault::kShortWrite || GetParam() == io::Fault::kEagain;
    return writes_only ? counters->writes.load() : counters->operations.load();
  }
  std::uint64_t runs_injected_ = 0;
};

TEST_P(IoErrorEveryCall, EachOperationInTurn) {
  const std::uint64_t operations = run(0);
  ASSERT_GT(operations, 10u) << "the clean run made too few IO operations";
  const std::uint64_t step = (operations + kRunsPerFaultMax - 1) / kRunsPerFaultMax;
  std::uint64_t runs = 0;
  for (std::uint64_t at = 1; at <= operations && !HasFailure(); at += step, ++runs) run(at);
  std::printf(
      "%llu operations (that the fault applies to) in the clean run; %llu runs, the fault reported in %llu\n",
      static_cast<unsigned long long>(operations), static_cast<unsigned long long>(runs),
      static_cast<unsigned long long>(runs_injected_));
  // Thread timing changes the count a little between runs, but most must have met their fault.
  EXPECT_GE(runs_injected_ * 10, runs * 9);
}

INSTANTIATE_TEST_SUITE_P(Faults, IoErrorEveryCall,
                         ::testing::Values(io::Fault::kEio, io::Fault::kEnospc, io::Fault::kShortWrite,
                                           io::Fault::kEagain),
                         [](const ::testing::TestParamInfo<io::Fault>& fault) {
                           switch (fault.param) {
                             case io::Fault::kEio:
                               return std::string("Eio");
                             case io::Fault::kEnospc:
                               return std::string("Enospc");
                             case io::Fault::kShortWrite:
                               return std::string("ShortWrite");
                             case io::Fault::kEagain:
                               return std::string("Eagain");
                             case io::Fault::kNone:
                               break;
                           }
                           return std::string("None");
                         });

class FileErrorEveryCall : public ::testing::TestWithParam<int> {
 protected:
  void TearDown() override { io::set_file_fault_hook_for_testing(nullptr); }

  // Runs the workload failing the `at`-th file call in the test's directory (0: none); returns the calls.
  std::uint64_t run(std::uint64_t at) {
    TestDir dir(scratch_base());
    const std::string where = "errno " + std::to_string(GetParam()) + " at file call " + std::to_string(at);
    auto calls = std::make_shared<std::atomic<std::uint64_t>>(0);
    auto failed = std::make_shared<std::atomic<bool>>(false);
    io::set_file_fault_hook_for_testing([=, prefix = dir.path() + "/", error = GetParam()](
                                            std::string_view, const std::string& path) {
      if (!path.starts_with(prefix)) return 0;
      if (++*calls != at) return 0;
      failed->store(true);
      return error;
    });
    RunResult result;
    {
      auto log = Log::open(options_for(dir.path()));
      if (log) {
        result = append_until_error(**log);
        const Status closed = log.value()->close();
        if (failed->load()) {
          // A failed topic creation is that call's error (the log goes on); any other failure fails the log.
          EXPECT_FALSE(closed.is_ok() && result.error.is_ok()) << where << ": the failure never reached the caller";
          check_error(result.error.is_ok() ? closed : result.error, dir.path(), where);
        } else {
          EXPECT_TRUE(closed.is_ok()) << where << ": " << closed.to_string();
          EXPECT_EQ(result.acknowledged, kEvents) << where;
        }
      } else {
        EXPECT_TRUE(failed->load()) << where << ": " << log.status().to_string();
        check_error(log.status(), dir.path(), where);
      }
    }
    io::set_file_fault_hook_for_testing(nullptr);
    expect_acknowledged_intact(dir.path(), result.acknowledged, where);
    if (failed->load()) ++runs_failed_;
    return calls->load();
  }

  void check_error(const Status& error, const std::string& dir, const std::string& where) {
    EXPECT_EQ(error.code(), GetParam() == ENOSPC ? StatusCode::kNoSpace : StatusCode::kIoError)
        << where << ": " << error.to_string();
    EXPECT_NE(error.to_string().find(dir), std::string::npos) << where << ": names no file: " << error.to_string();
  }

  std::uint64_t runs_failed_ = 0;
};

TEST_P(FileErrorEveryCall, EachCallInTurn) {
  const std::uint64_t calls = run(0);
  ASSERT_GT(calls, 5u) << "the clean run made too few file calls";
  for (std::uint64_t at = 1; at <= calls && !HasFailure(); ++at) run(at);
  std::printf("%llu file calls in the clean run, each failed in turn (%llu runs met it)\n",
              static_cast<unsigned long long>(calls), static_cast<unsigned long long>(runs_failed_));
  EXPECT_GE(runs_failed_ * 10, calls * 9);
}

INSTANTIATE_TEST_SUITE_P(Errors, FileErrorEveryCall, ::testing::Values(EIO, ENOSPC),
                         [](const ::testing::TestParamInfo<int>& error) {
                           return std::string(error.param == EIO ? "Eio" : "Enospc");
                         });

}  // namespace
}  // namespace strata
