// STRATA_ASSERT: an always-on check for programmer errors (a broken invariant, a misuse of an API contract).
// It prints the condition, the place and a printf-style message with the object's state, then aborts.
// Never use it on input read from disk or given by a user: those are operating errors and return a Status.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace strata::detail {

[[noreturn, gnu::cold]] inline void assert_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "strata: assertion failed: %s\n  at %s:%d\n", condition, file, line);
  std::fflush(stderr);
  std::abort();
}

template <typename... Args>
[[noreturn, gnu::cold]] void assert_failed(const char* condition, const char* file, int line,
                                           const char* format, Args... args) {
  std::fprintf(stderr, "strata: assertion failed: %s\n  at %s:%d\n  ", condition, file, line);
  if constexpr (sizeof...(Args) == 0) {
    std::fputs(format, stderr);
  } else {
    std::fprintf(stderr, format, args...);  // NOLINT(clang-diagnostic-format-security)
  }
  std::fputc('\n', stderr);
  std::fflush(stderr);
  std::abort();
}

}  // namespace strata::detail

#define STRATA_ASSERT(condition, ...)                                                             \
  do {                                                                                            \
    if (!(condition)) [[unlikely]]                                                                \
      ::strata::detail::assert_failed(#condition, __FILE__, __LINE__ __VA_OPT__(, ) __VA_ARGS__); \
  } while (0)
