// Reads every event of a partition straight from its segment files, checking every batch: what recovery and
// readers would trust. For tests of the write path.
#pragma once

#include <dirent.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "engine/format.h"
#include "io/file.h"

namespace strata::testing {

struct Event {
  std::uint64_t offset;
  std::string key;
  std::string value;
  std::int64_t timestamp_ms = 0;
  std::vector<std::pair<std::string, std::string>> headers;
};

inline std::string text_of(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// `partition_dir` is <log dir>/<topic>-<partition>. Stops at the first invalid batch (its reason in *problem).
inline std::vector<Event> read_all(const std::string& partition_dir, std::string* problem = nullptr) {
  std::vector<std::uint64_t> bases;
  if (DIR* listing = ::opendir(partition_dir.c_str())) {
    while (const dirent* entry = ::readdir(listing)) {
      std::uint64_t base = 0;
      if (format::parse_segment_file_name(entry->d_name, &base)) bases.push_back(base);
    }
    ::closedir(listing);
  }
  std::sort(bases.begin(), bases.end());
  std::vector<Event> events;
  std::vector<std::byte> scratch;
  std::vector<EventHeader> headers;
  for (const std::uint64_t base : bases) {
    auto file = io::File::open(partition_dir + "/" + format::segment_file_name(base), io::OpenMode::kReadOnly);
    if (!file) continue;
    std::vector<std::byte> bytes(file->size().value());
    (void)file->read_at(bytes, 0).value();
    std::uint64_t expected = base;
    for (std::size_t position = 0; position < bytes.size();) {
      format::BatchHeader header;
      std::string reason;
      const auto check = format::check_batch(std::span(bytes).subspan(position), expected, &header, &reason);
      if (check != format::BatchCheck::kValid) {
        if (check == format::BatchCheck::kInvalid && problem != nullptr) *problem = reason;
        break;
      }
      const Status status = format::for_each_record(
          std::span(bytes).subspan(position, header.total_bytes()), header, &scratch,
          [&](const format::RecordFields& r, std::uint64_t offset, std::int64_t timestamp_ms) {
            Event event{offset, text_of(r.key), text_of(r.value), timestamp_ms, {}};
            if (r.header_count > 0 && format::decode_headers(r.headers, r.header_count, &headers)) {
              for (const EventHeader& h : headers) event.headers.emplace_back(std::string(h.key), text_of(h.value));
            }
            events.push_back(std::move(event));
          });
      if (!status.is_ok()) {
        if (problem != nullptr) *problem = status.to_string();
        break;
      }
      expected = header.next_offset();
      position += header.total_bytes();
    }
  }
  return events;
}

}  // namespace strata::testing
