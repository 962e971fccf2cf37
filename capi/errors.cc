// strata.h's error reporting: codes (the same values as StatusCode) and a message per thread.
#include <string>

#include "capi/c_api.h"

namespace strata::capi {

namespace {

// Per thread, so that threads calling at once each see their own failure; the pointer strata_last_error()
// returns stays valid until the thread's next call changes the string.
thread_local std::string last_error;

// The C codes are the C++ ones: a Status converts by value.
static_assert(STRATA_INVALID_ARGUMENT == static_cast<int>(StatusCode::kInvalidArgument));
static_assert(STRATA_CLOSED == static_cast<int>(StatusCode::kClosed));
static_assert(STRATA_PRODUCER_FENCED == static_cast<int>(StatusCode::kProducerFenced));
static_assert(STRATA_OUT_OF_MEMORY == static_cast<int>(StatusCode::kOutOfMemory));
static_assert(STRATA_CONFLICT == static_cast<int>(StatusCode::kConflict));

}  // namespace

int fail(strata_code code, std::string message) {
  last_error = std::move(message);
  return code;
}

int fail(const Status& status) {
  return fail(static_cast<strata_code>(status.code()), status.message());
}

int succeed() {
  last_error.clear();
  return STRATA_OK;
}

int report(const Status& status) {
  return status.is_ok() ? succeed() : fail(status);
}

int require(const void* pointer, const char* what) {
  if (pointer == nullptr) return fail(STRATA_INVALID_ARGUMENT, std::string(what) + " is NULL");
  return STRATA_OK;
}

}  // namespace strata::capi

extern "C" const char* strata_code_name(int code) {
  if (code < 0 || code > STRATA_CONFLICT) return "unknown";
  // A string_view of a literal: NUL-terminated.
  return strata::status_code_name(static_cast<strata::StatusCode>(code)).data();
}

extern "C" const char* strata_last_error(void) {
  return strata::capi::last_error.c_str();
}
