// strata.h's log, topics and consumer-group offsets over strata/log.h and strata/consumer_group.h.
#include <cstring>
#include <string>

#include "capi/c_api.h"
#include "strata/consumer_group.h"

namespace strata::capi {

namespace {

// The durability and compression enums are range-checked here: a C caller may pass any int.
bool to_durability(int value, strata::Durability* durability) {
  switch (value) {
    case STRATA_DURABILITY_NONE: *durability = strata::Durability::kNone; return true;
    case STRATA_DURABILITY_BATCH: *durability = strata::Durability::kBatch; return true;
    case STRATA_DURABILITY_SYNC: *durability = strata::Durability::kSync; return true;
    default: return false;
  }
}

bool to_compression(int value, strata::Compression* compression) {
  if (value < STRATA_COMPRESSION_NONE || value > STRATA_COMPRESSION_ZSTD) return false;
  *compression = static_cast<strata::Compression>(value);  // the C values are Kafka's, as the C++ ones
  return true;
}

int check_log(const strata_log* log) {
  if (int code = require(log, "log"); code != STRATA_OK) return code;
  if (!log->log) return fail(STRATA_CLOSED, "the log is closed");
  return STRATA_OK;
}

}  // namespace

extern "C" const char* strata_version(void) {
  return STRATA_VERSION_STRING;
}

extern "C" void strata_log_options_init(strata_log_options* options) {
  if (options == nullptr) return;
  const strata::LogOptions defaults;
  options->directory = nullptr;
  options->durability = static_cast<int>(defaults.durability);
  options->batch_sync_bytes = defaults.batch_sync_bytes;
  options->batch_sync_interval_us = defaults.batch_sync_interval.count();
  options->segment_bytes = defaults.segment_bytes;
  options->retention_bytes = defaults.retention_bytes;
  options->retention_age_us = defaults.retention_age.count();
  options->producer_ring_bytes = defaults.producer_ring_bytes;
  options->writer_threads = defaults.writer_threads;
}

extern "C" int strata_log_open(const strata_log_options* options, strata_log** log) {
  return guarded([&] {
    if (int code = require(options, "options"); code != STRATA_OK) return code;
    if (int code = require(options->directory, "options->directory"); code != STRATA_OK) return code;
    if (int code = require(log, "the log out-pointer"); code != STRATA_OK) return code;
    strata::LogOptions cxx;
    cxx.directory = options->directory;
    if (!to_durability(options->durability, &cxx.durability)) {
      return fail(STRATA_INVALID_ARGUMENT, "options->durability: " + std::to_string(options->durability) +
                                               " is not a strata_durability");
    }
    cxx.batch_sync_bytes = options->batch_sync_bytes;
    cxx.batch_sync_interval = std::chrono::microseconds(options->batch_sync_interval_us);
    cxx.segment_bytes = options->segment_bytes;
    cxx.retention_bytes = options->retention_bytes;
    cxx.retention_age = std::chrono::microseconds(options->retention_age_us);
    cxx.producer_ring_bytes = options->producer_ring_bytes;
    cxx.writer_threads = options->writer_threads;
    auto opened = strata::Log::open(std::move(cxx));
    if (!opened) return fail(opened.status());
    *log = new strata_log{std::move(opened.value())};
    return succeed();
  });
}

extern "C" int strata_log_flush(strata_log* log) {
  return guarded([&] {
    if (int code = check_log(log); code != STRATA_OK) return code;
    return report(log->log->flush());
  });
}

extern "C" int strata_log_close(strata_log* log) {
  return guarded([&] {
    if (int code = require(log, "log"); code != STRATA_OK) return code;
    if (!log->log) return succeed();  // idempotent
    const strata::Status closed = log->log->close();
    // Producers hold the log's shared state, so destroying the Log now is safe: they answer kClosed.
    log->log.reset();
    return report(closed);
  });
}

extern "C" void strata_log_destroy(strata_log* log) {
  if (log == nullptr) return;
  (void)strata_log_close(log);
  delete log;
}

extern "C" int strata_topic(strata_log* log, const char* name, const strata_topic_options* options,
                            uint32_t* topic) {
  return guarded([&] {
    if (int code = check_log(log); code != STRATA_OK) return code;
    if (int code = require(name, "the topic name"); code != STRATA_OK) return code;
    if (int code = require(topic, "the topic out-pointer"); code != STRATA_OK) return code;
    strata::TopicOptions cxx;
    if (options != nullptr) {
      cxx.partitions = options->partitions;
      if (!to_compression(options->compression, &cxx.compression)) {
        return fail(STRATA_INVALID_ARGUMENT, "options->compression: " + std::to_string(options->compression) +
                                                 " is not a strata_compression");
      }
      if (options->key_index != 0) cxx.configs["strata.key-index"] = "true";
    }
    auto id = log->log->topic(name, cxx);
    if (!id) return fail(id.status());
    *topic = *id;
    return succeed();
  });
}

extern "C" int strata_find_topic(strata_log* log, const char* name, uint32_t* topic) {
  return guarded([&] {
    if (int code = check_log(log); code != STRATA_OK) return code;
    if (int code = require(name, "the topic name"); code != STRATA_OK) return code;
    if (int code = require(topic, "the topic out-pointer"); code != STRATA_OK) return code;
    auto id = log->log->find_topic(name);
    if (!id) return fail(id.status());
    *topic = *id;
    return succeed();
  });
}

extern "C" int strata_topic_partitions(strata_log* log, uint32_t topic, uint32_t* partitions) {
  return guarded([&] {
    if (int code = check_log(log); code != STRATA_OK) return code;
    if (int code = require(partitions, "the partitions out-pointer"); code != STRATA_OK) return code;
    // topic_info() REQUIRES an id from topic(): look the id up among the log's topics first.
    for (const strata::TopicInfo& info : log->log->topics()) {
      auto id = log->log->find_topic(info.name);
      if (id && *id == topic) {
        *partitions = info.partitions;
        return succeed();
      }
    }
    return fail(STRATA_INVALID_ARGUMENT, "topic id " + std::to_string(topic) + " is not a topic of this log");
  });
}

extern "C" int strata_partition_offsets_get(strata_log* log, uint32_t topic, uint32_t partition,
                                            strata_partition_offsets* offsets) {
  return guarded([&] {
    if (int code = check_log(log); code != STRATA_OK) return code;
    if (int code = require(offsets, "the offsets out-pointer"); code != STRATA_OK) return code;
    auto got = log->log->offsets(topic, partition);
    if (!got) return fail(got.status());
    *offsets = {got->log_start, got->durable, got->written};
    return succeed();
  });
}

extern "C" int strata_group_commit(const char* directory, const char* group, const char* topic,
                                   uint32_t partition, uint64_t offset, const char* metadata) {
  return guarded([&] {
    if (int code = require(directory, "directory"); code != STRATA_OK) return code;
    if (int code = require(group, "group"); code != STRATA_OK) return code;
    if (int code = require(topic, "topic"); code != STRATA_OK) return code;
    const strata::GroupOffset committed{offset, metadata == nullptr ? std::string() : std::string(metadata)};
    return report(strata::commit_group_offset(directory, group, topic, partition, committed));
  });
}

extern "C" int strata_group_fetch(const char* directory, const char* group, const char* topic,
                                  uint32_t partition, uint64_t* offset, char* metadata, size_t metadata_capacity) {
  return guarded([&] {
    if (int code = require(directory, "directory"); code != STRATA_OK) return code;
    if (int code = require(group, "group"); code != STRATA_OK) return code;
    if (int code = require(topic, "topic"); code != STRATA_OK) return code;
    if (int code = require(offset, "the offset out-pointer"); code != STRATA_OK) return code;
    auto committed = strata::read_group_offset(directory, group, topic, partition);
    if (!committed) return fail(committed.status());
    if (metadata != nullptr) {
      const std::string& text = committed->metadata;
      if (text.size() >= metadata_capacity) {
        return fail(STRATA_TOO_LARGE, "the metadata has " + std::to_string(text.size()) +
                                          " bytes; the buffer holds " + std::to_string(metadata_capacity) +
                                          " with its NUL");
      }
      std::memcpy(metadata, text.c_str(), text.size() + 1);
    }
    *offset = committed->offset;
    return succeed();
  });
}

}  // namespace strata::capi
