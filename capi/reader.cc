// strata.h's readers over strata::Reader: seek, poll with a C callback, wait.
#include <string>

#include "capi/c_api.h"

namespace strata::capi {

namespace {

bool to_read_level(int value, strata::ReadLevel* level) {
  switch (value) {
    case STRATA_READ_DURABLE: *level = strata::ReadLevel::kDurable; return true;
    case STRATA_READ_WRITTEN: *level = strata::ReadLevel::kWritten; return true;
    default: return false;
  }
}

int bad_read_level(int value) {
  return fail(STRATA_INVALID_ARGUMENT, "read_level: " + std::to_string(value) + " is not a strata_read_level");
}

int adopt(strata::Result<std::unique_ptr<strata::Reader>> opened, strata_reader** reader) {
  if (!opened) return fail(opened.status());
  *reader = new strata_reader{std::move(opened.value()), {}};
  return succeed();
}

}  // namespace

extern "C" int strata_reader_open(strata_log* log, const char* topic, uint32_t partition, int read_level,
                                  strata_reader** reader) {
  return guarded([&] {
    if (int code = require(log, "log"); code != STRATA_OK) return code;
    if (int code = require(topic, "topic"); code != STRATA_OK) return code;
    if (int code = require(reader, "the reader out-pointer"); code != STRATA_OK) return code;
    if (!log->log) return fail(STRATA_CLOSED, "the log is closed");
    strata::ReadLevel level;
    if (!to_read_level(read_level, &level)) return bad_read_level(read_level);
    return adopt(log->log->reader(topic, partition, level), reader);
  });
}

extern "C" int strata_reader_open_directory(const char* directory, const char* topic, uint32_t partition,
                                            int read_level, strata_reader** reader) {
  return guarded([&] {
    if (int code = require(directory, "directory"); code != STRATA_OK) return code;
    if (int code = require(topic, "topic"); code != STRATA_OK) return code;
    if (int code = require(reader, "the reader out-pointer"); code != STRATA_OK) return code;
    strata::ReadLevel level;
    if (!to_read_level(read_level, &level)) return bad_read_level(read_level);
    return adopt(strata::Reader::open(directory, topic, partition, level), reader);
  });
}

extern "C" void strata_reader_destroy(strata_reader* reader) {
  delete reader;
}

extern "C" int strata_reader_seek(strata_reader* reader, uint64_t offset) {
  return guarded([&] {
    if (int code = require(reader, "reader"); code != STRATA_OK) return code;
    return report(reader->reader->seek(offset));
  });
}

extern "C" int strata_reader_seek_time(strata_reader* reader, int64_t timestamp_us) {
  return guarded([&] {
    if (int code = require(reader, "reader"); code != STRATA_OK) return code;
    return report(reader->reader->seek_time(timestamp_us));
  });
}

extern "C" int strata_reader_seek_to_end(strata_reader* reader) {
  return guarded([&] {
    if (int code = require(reader, "reader"); code != STRATA_OK) return code;
    return report(reader->reader->seek_to_end());
  });
}

extern "C" uint64_t strata_reader_position(const strata_reader* reader) {
  return reader == nullptr ? 0 : reader->reader->position();
}

extern "C" int strata_reader_poll(strata_reader* reader, size_t max, strata_event_fn fn, void* context,
                                  size_t* count) {
  return guarded([&] {
    if (int code = require(reader, "reader"); code != STRATA_OK) return code;
    if (fn == nullptr) return fail(STRATA_INVALID_ARGUMENT, "the callback is NULL");
    auto polled = reader->reader->poll(max, [&](const strata::Event& event) {
      reader->headers.clear();
      for (const strata::EventHeader& header : event.headers) {
        reader->headers.push_back({header.key.data(), header.key.size(), header.value.data(), header.value.size()});
      }
      const strata_event view{event.offset,
                              event.timestamp_us,
                              event.partition,
                              event.key.empty() ? nullptr : event.key.data(),
                              event.key.size(),
                              event.value.data(),
                              event.value.size(),
                              reader->headers.data(),
                              reader->headers.size()};
      fn(&view, context);
    });
    if (!polled) return fail(polled.status());
    if (count != nullptr) *count = *polled;
    return succeed();
  });
}

extern "C" int strata_reader_wait(strata_reader* reader, int64_t timeout_us) {
  return guarded([&] {
    if (int code = require(reader, "reader"); code != STRATA_OK) return code;
    if (!reader->reader->wait(timeout_from_us(timeout_us))) {
      return fail(STRATA_TIMED_OUT, "no event at offset " + std::to_string(reader->reader->position()) +
                                        " became visible in time");
    }
    return succeed();
  });
}

}  // namespace strata::capi
