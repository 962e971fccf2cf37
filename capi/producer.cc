// strata.h's producers over strata::Producer: appends, the zero-copy claim, waits.
#include <span>
#include <string>
#include <string_view>

#include "capi/c_api.h"

namespace strata::capi {

namespace {

std::span<const std::byte> bytes_of(const void* data, size_t size) {
  return {static_cast<const std::byte*>(data), size};
}

int check_producer(const strata_producer* producer) {
  return require(producer, "producer");
}

// Checks the caller's buffers (NULL only with a zero size) and converts the headers into the producer's
// reused vector of C++ views.
int prepare(strata_producer* producer, const void* key, size_t key_bytes, const void* value, size_t value_bytes,
            const strata_header* headers, size_t header_count) {
  if (key == nullptr && key_bytes > 0) return fail(STRATA_INVALID_ARGUMENT, "key is NULL but key_bytes is not 0");
  if (value == nullptr && value_bytes > 0) {
    return fail(STRATA_INVALID_ARGUMENT, "value is NULL but value_bytes is not 0");
  }
  if (headers == nullptr && header_count > 0) {
    return fail(STRATA_INVALID_ARGUMENT, "headers is NULL but header_count is not 0");
  }
  producer->headers.clear();
  for (size_t i = 0; i < header_count; ++i) {
    const strata_header& header = headers[i];
    if ((header.key == nullptr && header.key_bytes > 0) || (header.value == nullptr && header.value_bytes > 0)) {
      return fail(STRATA_INVALID_ARGUMENT, "header " + std::to_string(i) + " has a NULL pointer with a size");
    }
    producer->headers.push_back({std::string_view(header.key == nullptr ? "" : header.key, header.key_bytes),
                                 bytes_of(header.value, header.value_bytes)});
  }
  return STRATA_OK;
}

// An AppendStatus that is not kOk as a code and a message.
int append_failure(strata::AppendStatus status, uint32_t topic, uint32_t partition) {
  switch (status) {
    case strata::AppendStatus::kOk:
      return succeed();
    case strata::AppendStatus::kFull:
      return fail(STRATA_FULL, "the producer's ring or in-flight window is full");
    case strata::AppendStatus::kTooLarge:
      return fail(STRATA_TOO_LARGE, "the event exceeds the size limits or does not fit the producer's ring");
    case strata::AppendStatus::kBadTopic:
      return fail(STRATA_INVALID_ARGUMENT, "topic id " + std::to_string(topic) + " partition " +
                                               std::to_string(partition) + " is not a partition of this log");
    case strata::AppendStatus::kClosed:
      return fail(STRATA_CLOSED, "the log is closed or failed");
    case strata::AppendStatus::kBadExpectation:
      return fail(STRATA_INVALID_ARGUMENT, "an expected offset needs a key and a topic with strata.key-index=true");
  }
  return fail(STRATA_INVALID_ARGUMENT, "unknown append status");
}

strata_ticket to_c(const strata::Ticket& ticket) {
  return {ticket.sequence, ticket.partition};
}

}  // namespace

extern "C" int strata_producer_open(strata_log* log, strata_producer** producer) {
  return guarded([&] {
    if (int code = require(log, "log"); code != STRATA_OK) return code;
    if (int code = require(producer, "the producer out-pointer"); code != STRATA_OK) return code;
    if (!log->log) return fail(STRATA_CLOSED, "the log is closed");
    auto handle = std::make_unique<strata_producer>();
    handle->producer = log->log->producer();  // may throw std::bad_alloc (its ring): guarded
    *producer = handle.release();
    return succeed();
  });
}

extern "C" void strata_producer_destroy(strata_producer* producer) {
  if (producer != nullptr && producer->claim_open) producer->producer->abort(producer->claim);
  delete producer;
}

extern "C" int strata_producer_append(strata_producer* producer, uint32_t topic, uint32_t partition,
                                      const void* key, size_t key_bytes, const void* value, size_t value_bytes,
                                      const strata_header* headers, size_t header_count, int64_t timeout_us,
                                      strata_ticket* ticket) {
  return guarded([&] {
    if (int code = check_producer(producer); code != STRATA_OK) return code;
    if (int code = require(ticket, "the ticket out-pointer"); code != STRATA_OK) return code;
    if (int code = prepare(producer, key, key_bytes, value, value_bytes, headers, header_count); code != STRATA_OK) {
      return code;
    }
    auto appended = producer->producer->append(topic, partition, bytes_of(key, key_bytes), bytes_of(value, value_bytes),
                                               producer->headers, timeout_from_us(timeout_us));
    if (!appended) return fail(appended.status());
    *ticket = to_c(*appended);
    return succeed();
  });
}

extern "C" int strata_producer_append_expecting(strata_producer* producer, uint32_t topic, uint32_t partition,
                                                const void* key, size_t key_bytes, const void* value,
                                                size_t value_bytes, const strata_header* headers, size_t header_count,
                                                int64_t expected, int64_t timeout_us, strata_ticket* ticket) {
  return guarded([&] {
    if (int code = check_producer(producer); code != STRATA_OK) return code;
    if (int code = require(ticket, "the ticket out-pointer"); code != STRATA_OK) return code;
    if (expected < STRATA_EXPECT_ANY) {
      return fail(STRATA_INVALID_ARGUMENT, "expected offset " + std::to_string(expected) +
                                               ": an offset, STRATA_EXPECT_NO_EVENT or STRATA_EXPECT_ANY");
    }
    if (int code = prepare(producer, key, key_bytes, value, value_bytes, headers, header_count); code != STRATA_OK) {
      return code;
    }
    const strata::Expected expectation = expected == STRATA_EXPECT_ANY       ? strata::Expected::any()
                                         : expected == STRATA_EXPECT_NO_EVENT ? strata::Expected::no_event()
                                                                              : strata::Expected::offset(
                                                                                    static_cast<uint64_t>(expected));
    auto appended =
        producer->producer->append(topic, partition, bytes_of(key, key_bytes), bytes_of(value, value_bytes),
                                   producer->headers, {.expected = expectation}, timeout_from_us(timeout_us));
    if (!appended) return fail(appended.status());
    *ticket = to_c(*appended);
    return succeed();
  });
}

extern "C" int strata_producer_try_append(strata_producer* producer, uint32_t topic, uint32_t partition,
                                          const void* key, size_t key_bytes, const void* value, size_t value_bytes,
                                          const strata_header* headers, size_t header_count, strata_ticket* ticket) {
  return guarded([&] {
    if (int code = check_producer(producer); code != STRATA_OK) return code;
    if (int code = require(ticket, "the ticket out-pointer"); code != STRATA_OK) return code;
    if (int code = prepare(producer, key, key_bytes, value, value_bytes, headers, header_count); code != STRATA_OK) {
      return code;
    }
    strata::Ticket appended;
    const strata::AppendStatus status = producer->producer->try_append(
        topic, partition, bytes_of(key, key_bytes), bytes_of(value, value_bytes), producer->headers, &appended);
    if (status != strata::AppendStatus::kOk) return append_failure(status, topic, partition);
    *ticket = to_c(appended);
    return succeed();
  });
}

extern "C" int strata_producer_try_claim(strata_producer* producer, uint32_t topic, uint32_t partition,
                                         size_t key_bytes, size_t value_bytes, const strata_header* headers,
                                         size_t header_count, strata_claim* claim) {
  return guarded([&] {
    if (int code = check_producer(producer); code != STRATA_OK) return code;
    if (int code = require(claim, "the claim out-pointer"); code != STRATA_OK) return code;
    if (producer->claim_open) {
      return fail(STRATA_INVALID_ARGUMENT, "the producer already has an open claim: commit or abort it first");
    }
    // The key and value are written later, into the ring: only the headers are checked now.
    if (int code = prepare(producer, nullptr, 0, nullptr, 0, headers, header_count); code != STRATA_OK) return code;
    const strata::AppendStatus status = producer->producer->try_claim(topic, partition, key_bytes, value_bytes,
                                                                      producer->headers, &producer->claim);
    if (status != strata::AppendStatus::kOk) return append_failure(status, topic, partition);
    producer->claim_open = true;
    claim->key = producer->claim.key.data();
    claim->value = producer->claim.value.data();
    return succeed();
  });
}

extern "C" int strata_producer_commit(strata_producer* producer, strata_ticket* ticket) {
  return guarded([&] {
    if (int code = check_producer(producer); code != STRATA_OK) return code;
    if (int code = require(ticket, "the ticket out-pointer"); code != STRATA_OK) return code;
    if (!producer->claim_open) return fail(STRATA_INVALID_ARGUMENT, "the producer has no open claim to commit");
    producer->claim_open = false;
    *ticket = to_c(producer->producer->commit(producer->claim));
    return succeed();
  });
}

extern "C" int strata_producer_abort(strata_producer* producer) {
  return guarded([&] {
    if (int code = check_producer(producer); code != STRATA_OK) return code;
    if (!producer->claim_open) return fail(STRATA_INVALID_ARGUMENT, "the producer has no open claim to abort");
    producer->claim_open = false;
    producer->producer->abort(producer->claim);
    return succeed();
  });
}

extern "C" int strata_producer_wait(strata_producer* producer, strata_ticket ticket, int64_t timeout_us,
                                    uint64_t* offset) {
  return guarded([&] {
    if (int code = check_producer(producer); code != STRATA_OK) return code;
    if (int code = require(offset, "the offset out-pointer"); code != STRATA_OK) return code;
    auto acknowledged = producer->producer->wait({ticket.sequence, ticket.partition},
                                                 timeout_from_us(timeout_us));
    if (!acknowledged && acknowledged.status().code() == strata::StatusCode::kConflict) {
      const std::int64_t last = acknowledged.status().conflict_offset();
      *offset = last < 0 ? UINT64_MAX : static_cast<uint64_t>(last);
    }
    if (!acknowledged) return fail(acknowledged.status());
    *offset = *acknowledged;
    return succeed();
  });
}

extern "C" int strata_producer_wait_all(strata_producer* producer, int64_t timeout_us) {
  return guarded([&] {
    if (int code = check_producer(producer); code != STRATA_OK) return code;
    return report(producer->producer->wait_all(timeout_from_us(timeout_us)));
  });
}

}  // namespace strata::capi
