// What the C API's files share: the handles behind strata.h's opaque types, and how a C++ Status or an
// exception becomes a code plus this thread's last-error message. Internal to capi/.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "strata/log.h"
#include "strata/reader.h"
#include "strata/status.h"
#include "strata/strata.h"

struct strata_log {
  std::unique_ptr<strata::Log> log;
};

struct strata_producer {
  std::unique_ptr<strata::Producer> producer;
  strata::AppendClaim claim;  // the open claim, when claim_open (a producer() holds at most one)
  bool claim_open = false;
  std::vector<strata::EventHeader> headers;  // the call's headers as C++ views; reused to avoid allocating
};

struct strata_reader {
  std::unique_ptr<strata::Reader> reader;
  std::vector<strata_header> headers;  // an event's headers as C views, valid during its callback
};

namespace strata::capi {

// Records the error as this thread's last one and returns its code.
int fail(const Status& status);
int fail(strata_code code, std::string message);
// Clears this thread's last error; returns STRATA_OK.
int succeed();
// STRATA_OK for a status that is OK, else fail(status).
int report(const Status& status);

// Returns STRATA_INVALID_ARGUMENT naming `what` when `pointer` is NULL, else STRATA_OK.
int require(const void* pointer, const char* what);

// Runs `body` (which returns a strata_code) and turns an exception that escapes it into a code: nothing
// crosses into C. std::bad_alloc (a producer's ring) is STRATA_OUT_OF_MEMORY.
template <typename Body>
int guarded(Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return fail(STRATA_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& error) {
    return fail(STRATA_IO_ERROR, std::string("unexpected error: ") + error.what());
  } catch (...) {
    return fail(STRATA_IO_ERROR, "unexpected error");
  }
}

// A C timeout in microseconds as a C++ duration; negative counts as 0.
inline std::chrono::microseconds timeout_from_us(std::int64_t timeout_us) {
  return std::chrono::microseconds(timeout_us < 0 ? 0 : timeout_us);
}

}  // namespace strata::capi
