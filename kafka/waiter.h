// Waiter: where the server's waiting requests park, so that no network thread blocks. A Produce waiting for
// its acknowledgements, a long-polling Fetch and a JoinGroup or SyncGroup waiting for the rest of its group
// are continuations (PendingResponse::ready): one waiter thread asks each parked request's ready() after
// every wake-up and hands it back to its reactor (resume) once ready() is true or its deadline passed. The
// same thread calls the group coordinator's tick() every 100 ms.
//
// Why one thread that polls rather than a callback from the engine: the engine's public API signals an
// acknowledgement only to a thread blocked in Producer::wait(), and new data only to one in Reader::wait().
// The waiter sleeps in Producer::wait() on the oldest unacknowledged ticket when a Produce is parked (an
// acknowledgement wakes it at once; acknowledgements arrive nearly in ticket order), else on its own condition
// variable for at most kPollInterval, so a parked Fetch sees new data within a millisecond. Every check is a
// few atomic loads.
//
// Threads: park() and stop() from any thread; ready(), block() and resume() run on the waiter thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace strata::kafka {

class GroupCoordinator;

struct ParkedRequest {
  std::function<bool()> ready;                       // non-blocking
  std::function<void(std::chrono::nanoseconds)> block;  // optional: sleeps until ready() may be true
  std::chrono::steady_clock::time_point deadline;
  std::function<void()> resume;  // hands the request back to its reactor
};

class Waiter {
 public:
  static constexpr auto kPollInterval = std::chrono::milliseconds(1);
  static constexpr auto kTickInterval = std::chrono::milliseconds(100);

  explicit Waiter(GroupCoordinator& coordinator);
  ~Waiter();  // stop()
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;

  void park(ParkedRequest request);
  // Resumes every request still parked (their deadlines are ignored) and joins the thread. Call it once the
  // reactors no longer park anything.
  void stop();

 private:
  void run();
  // Resumes the parked requests that are ready or due; true when one was.
  bool sweep(bool resume_all);
  void sleep();

  GroupCoordinator& coordinator_;
  std::mutex mutex_;
  std::condition_variable parked_;
  std::vector<ParkedRequest> incoming_;  // guarded by mutex_
  bool stopping_ = false;                // guarded by mutex_
  std::vector<ParkedRequest> waiting_;   // the waiter thread's own
  std::thread thread_;
};

}  // namespace strata::kafka
