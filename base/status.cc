#include "strata/status.h"

namespace strata {

std::string_view status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "invalid argument";
    case StatusCode::kNotFound:
      return "not found";
    case StatusCode::kAlreadyExists:
      return "already exists";
    case StatusCode::kBusy:
      return "busy";
    case StatusCode::kCorruption:
      return "corruption";
    case StatusCode::kIoError:
      return "I/O error";
    case StatusCode::kNoSpace:
      return "no space left";
    case StatusCode::kUnsupported:
      return "unsupported";
    case StatusCode::kClosed:
      return "closed";
    case StatusCode::kTimedOut:
      return "timed out";
    case StatusCode::kFull:
      return "full";
    case StatusCode::kTooLarge:
      return "too large";
    case StatusCode::kOutOfOrderSequence:
      return "out of order sequence";
    case StatusCode::kProducerFenced:
      return "producer fenced";
    case StatusCode::kOutOfMemory:
      return "out of memory";
    case StatusCode::kConflict:
      return "conflict";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  std::string text(status_code_name(code_));
  text += ": ";
  text += message_;
  return text;
}

Status Status::with_context(std::string_view context) && {
  if (!is_ok()) message_.insert(0, std::string(context) + ": ");
  return std::move(*this);
}

}  // namespace strata
