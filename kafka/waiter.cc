// The waiter thread (see waiter.h).
#include "kafka/waiter.h"

#include <algorithm>

#include "kafka/group_coordinator.h"

namespace strata::kafka {

Waiter::Waiter(GroupCoordinator& coordinator) : coordinator_(coordinator) {
  thread_ = std::thread([this] { run(); });
}

Waiter::~Waiter() {
  stop();
}

void Waiter::park(ParkedRequest request) {
  std::lock_guard lock(mutex_);
  incoming_.push_back(std::move(request));
  parked_.notify_one();
}

void Waiter::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    parked_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

bool Waiter::sweep(bool resume_all) {
  const auto now = std::chrono::steady_clock::now();
  bool resumed = false;
  std::erase_if(waiting_, [&](ParkedRequest& request) {
    if (!resume_all && now < request.deadline && !request.ready()) return false;
    request.resume();
    resumed = true;
    return true;
  });
  return resumed;
}

void Waiter::sleep() {
  std::unique_lock lock(mutex_);
  const auto interval = waiting_.empty() ? std::chrono::duration_cast<std::chrono::milliseconds>(kTickInterval)
                                         : std::chrono::duration_cast<std::chrono::milliseconds>(kPollInterval);
  parked_.wait_for(lock, interval, [&] { return !incoming_.empty() || stopping_; });
}

void Waiter::run() {
  auto next_tick = std::chrono::steady_clock::now();
  for (;;) {
    bool stopping = false;
    {
      std::lock_guard lock(mutex_);
      for (ParkedRequest& request : incoming_) waiting_.push_back(std::move(request));
      incoming_.clear();
      stopping = stopping_;
    }
    (void)sweep(stopping);
    if (stopping) return;
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_tick) {
      coordinator_.tick();
      next_tick = now + kTickInterval;
    }
    sleep();
  }
}

}  // namespace strata::kafka
