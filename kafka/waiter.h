// Waiter: where the server's waiting requests park, so that no network thread blocks. A long-polling Fetch
// and a JoinGroup or SyncGroup waiting for the rest of its group are continuations (PendingResponse::ready):
// one waiter thread asks each parked request's ready() every kPollInterval and hands it back to its reactor
// (resume) once ready() is true or its deadline passed. The same thread calls the group coordinator's tick()
// every 100 ms. (A Produce waiting for its acknowledgements does not come here: its reactor watches the
// producer's acknowledgements itself, which saves a thread hop per response; see Reactor::park_produce.)
//
// Why polling rather than a callback from the engine: the engine's public API signals new data only to a
// thread blocked in Reader::wait(), one reader at a time. Every check is a few atomic loads.
//
// Threads: park() and stop() from any thread; ready() and resume() run on the waiter thread.
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
  std::function<bool()> ready;  // non-blocking
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
