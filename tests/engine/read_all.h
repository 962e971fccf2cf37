// Reads every event of a topic straight from its segment files, checking every batch: what recovery and
// readers would trust. For tests of the write path.
#pragma once

#include <dirent.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/format.h"
#include "io/file.h"

namespace strata::testing {

struct Event {
  std::uint64_t offset;
  std::string key;
  std::string value;
};

inline std::vector<Event> read_all(const std::string& topic_dir, std::string* problem = nullptr) {
  std::vector<std::uint64_t> bases;
  if (DIR* listing = ::opendir(topic_dir.c_str())) {
    while (const dirent* entry = ::readdir(listing)) {
      std::uint64_t base = 0;
      if (format::parse_segment_file_name(entry->d_name, &base)) bases.push_back(base);
    }
    ::closedir(listing);
  }
  std::sort(bases.begin(), bases.end());
  std::vector<Event> events;
  for (const std::uint64_t base : bases) {
    auto file = io::File::open(topic_dir + "/" + format::segment_file_name(base), io::OpenMode::kReadOnly);
    if (!file) continue;
    std::vector<std::byte> bytes(file->size().value());
    (void)file->read_at(bytes, 0).value();
    std::uint64_t expected = base;
    for (std::size_t position = format::kSegmentHeaderBytes; position < bytes.size();) {
      format::BatchInfo info{};
      std::string reason;
      const auto check = format::check_batch(std::span(bytes).subspan(position), expected, &info, &reason);
      if (check != format::BatchCheck::kValid) {
        if (check == format::BatchCheck::kInvalid && problem != nullptr) *problem = reason;
        break;
      }
      format::for_each_record(
          std::span(bytes).subspan(position), info.header, [&](const format::RecordView& r) {
            events.push_back({r.offset,
                              std::string(reinterpret_cast<const char*>(r.key.data()), r.key.size()),
                              std::string(reinterpret_cast<const char*>(r.value.data()), r.value.size())});
          });
      expected += info.header.record_count;
      position += info.padded_bytes;
      if (info.header.kind == format::BatchKind::kSeal) break;
    }
  }
  return events;
}

}  // namespace strata::testing
