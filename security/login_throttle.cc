#include "security/login_throttle.h"

#include <algorithm>

namespace strata::security {

LoginThrottle::LoginThrottle(Options options, Clock clock) : options_(options), clock_(std::move(clock)) {}

std::chrono::milliseconds LoginThrottle::record_failure(std::string_view address) {
  const auto now = clock_();
  std::lock_guard lock(mutex_);
  auto found = entries_.find(std::string(address));
  if (found == entries_.end()) {
    make_room_locked(now);
    found = entries_.emplace(std::string(address), Entry{}).first;
  } else if (now - found->second.last_failure >= options_.forget_after) {
    found->second.failures = 0;
  }
  Entry& entry = found->second;
  entry.failures = std::min<std::uint32_t>(entry.failures + 1, 32);  // 2^31 times anything is past delay_max
  entry.last_failure = now;
  const auto doubled = options_.delay_first.count() << std::min<std::uint32_t>(entry.failures - 1, 20);
  return std::min(std::chrono::milliseconds(doubled), options_.delay_max);
}

void LoginThrottle::record_success(std::string_view address) {
  std::lock_guard lock(mutex_);
  entries_.erase(std::string(address));
}

std::size_t LoginThrottle::tracked_addresses() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void LoginThrottle::make_room_locked(std::chrono::steady_clock::time_point now) {
  if (entries_.size() < options_.addresses_max) return;
  std::erase_if(entries_, [&](const auto& entry) { return now - entry.second.last_failure >= options_.forget_after; });
  if (entries_.size() < options_.addresses_max) return;
  const auto oldest = std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
    return a.second.last_failure < b.second.last_failure;
  });
  entries_.erase(oldest);
}

}  // namespace strata::security
