// Waiter: where the server's waiting requests park, so that no network thread blocks. A JoinGroup or
// SyncGroup waiting for the rest of its group is a continuation (PendingResponse::ready):
// one waiter thread asks each parked request's ready() every kPollInterval and hands it back to its reactor
// (resume) once ready() is true or its deadline passed. The same thread calls the group coordinator's tick()
// every 100 ms. Only group waits (JoinGroup, SyncGroup) come here: a Produce waiting for acknowledgements
// and a Fetch waiting for events are watched by their reactor (Reactor::park_here), woken by the engine
// through an eventfd, which saves a thread hop per response and the millisecond poll. Every check is a few
// atomic loads.
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
