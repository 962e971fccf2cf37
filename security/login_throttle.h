// Slows down password guessing: each failed login from an address doubles the delay before the server
// answers that address's next failure (from `delay_first` up to `delay_max`); a success, or `forget_after`
// without failures, clears it. The delay is a value for the network layer to apply with a timer (a reactor
// must not sleep). Bounded: at most `addresses_max` addresses are tracked; when full, the one whose last
// failure is oldest is forgotten first. Thread-safe (one per server, shared by its connections).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace strata::security {

struct LoginThrottleOptions {
  std::chrono::milliseconds delay_first{100};
  std::chrono::milliseconds delay_max{5000};
  std::chrono::milliseconds forget_after{60'000};
  std::size_t addresses_max = 4096;
};

class LoginThrottle {
 public:
  using Options = LoginThrottleOptions;
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  explicit LoginThrottle(Options options = {}, Clock clock = [] { return std::chrono::steady_clock::now(); });

  // Records a failed login from `address` and returns how long to hold the failure's answer.
  std::chrono::milliseconds record_failure(std::string_view address);
  void record_success(std::string_view address);
  std::size_t tracked_addresses() const;

 private:
  struct Entry {
    std::uint32_t failures = 0;
    std::chrono::steady_clock::time_point last_failure;
  };
  void make_room_locked(std::chrono::steady_clock::time_point now);

  const Options options_;
  const Clock clock_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace strata::security
