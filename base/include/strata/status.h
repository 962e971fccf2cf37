// Status and Result<T>: how strata reports operating errors (a full disk, a corrupt file, a bad argument).
// Programmer errors are not Statuses; they are STRATA_ASSERT failures (strata/assert.h).
//
// A Status is cheap when OK (one byte code, empty string) and carries a message a user can act on when not:
// what failed, where (file and position, or argument name), and what was expected.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "strata/assert.h"

namespace strata {

enum class StatusCode : std::uint8_t {
  kOk = 0,
  kInvalidArgument,  // a caller's or a user's input is malformed
  kNotFound,
  kAlreadyExists,
  kBusy,         // a resource (the log's lock file) is held by someone else
  kCorruption,   // bytes read from disk failed a check
  kIoError,      // EIO and other device errors
  kNoSpace,      // ENOSPC / EDQUOT
  kUnsupported,  // the kernel or filesystem lacks something we require (io_uring, O_DIRECT)
  kClosed,       // the log or producer has been closed
  kTimedOut,
  kFull,  // a bounded queue is full (normal backpressure, not a failure of the log)
  kTooLarge,            // an event or batch exceeds a size limit
  kOutOfOrderSequence,  // an idempotent producer's batch does not follow its previous one (Kafka error 45)
  kProducerFenced,      // an idempotent producer's epoch is older than one already seen (Kafka error 47)
  kOutOfMemory,         // an allocation failed (Log::open's rings and buffers)
  kConflict,  // a conditional append's expectation failed: nothing stored (Status::conflict_offset says why)
};

std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }
  // kConflict: a conditional append refused because its key's last offset is `last_offset` (-1: the key has
  // no event).
  static Status conflict(std::int64_t last_offset, std::string message) {
    Status status(StatusCode::kConflict, std::move(message));
    status.conflict_offset_ = last_offset;
    return status;
  }

  bool is_ok() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // kConflict only: the key's last offset when the append was refused; -1 when the key had no event.
  std::int64_t conflict_offset() const { return conflict_offset_; }

  // "<code name>: <message>", for logs and the command line.
  std::string to_string() const;

  // Prefixes the message with context ("opening /d/t/0.seg: ") and returns the same status.
  Status with_context(std::string_view context) &&;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::int64_t conflict_offset_ = -1;
  std::string message_;
};

inline Status invalid_argument(std::string message) {
  return {StatusCode::kInvalidArgument, std::move(message)};
}
inline Status corruption(std::string message) {
  return {StatusCode::kCorruption, std::move(message)};
}
inline Status io_error(std::string message) {
  return {StatusCode::kIoError, std::move(message)};
}

// Result<T> holds a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor): returned like a T
  Result(Status status) : state_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    STRATA_ASSERT(!std::get<Status>(state_).is_ok(), "a Result built from a Status must carry an error");
  }

  bool is_ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return is_ok(); }

  // REQUIRES: is_ok().
  T& value() & {
    STRATA_ASSERT(is_ok(), "value() of a failed Result: %s", std::get<Status>(state_).to_string().c_str());
    return std::get<T>(state_);
  }
  const T& value() const& {
    STRATA_ASSERT(is_ok(), "value() of a failed Result: %s", std::get<Status>(state_).to_string().c_str());
    return std::get<T>(state_);
  }
  T&& value() && {
    STRATA_ASSERT(is_ok(), "value() of a failed Result: %s", std::get<Status>(state_).to_string().c_str());
    return std::get<T>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

  // The error, or OK when a value is held.
  Status status() const { return is_ok() ? Status::ok() : std::get<Status>(state_); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace strata

// Returns early from the enclosing function when `expr` (a Status) is not OK.
#define STRATA_RETURN_IF_ERROR(expr)          \
  do {                                        \
    ::strata::Status strata_status_ = (expr); \
    if (!strata_status_.is_ok()) [[unlikely]] \
      return strata_status_;                  \
  } while (0)
