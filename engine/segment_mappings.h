// Sealed segments mapped once per process and shared by every reader (invariant 5: only sealed segments are
// mapped while a writer runs). A mapping also stays after its last reader lets go, up to a bound: the next
// reader of the segment (a replay from the start again, a consumer that reconnects, a Kafka fetch of old data)
// finds its page tables populated instead of faulting the whole segment in again. A kept mapping holds its
// file open, so one whose file is removed (retention, a deleted topic, a compaction or repair swapping a new
// file in) is let go at once through forget_segment_mappings() where this process removes it, and at the next
// lookup where another process did. Closing a Log lets go of the kept mappings under its directory.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "io/file.h"
#include "io/read_only_mapping.h"
#include "strata/status.h"

namespace strata::detail {

class SegmentMapping {
 public:
  SegmentMapping(std::string path, io::File file, io::ReadOnlyMapping mapping)
      : path_(std::move(path)), file_(std::move(file)), mapping_(std::move(mapping)) {}
  std::span<const std::byte> bytes() const { return mapping_.bytes(); }
  int fd() const { return file_.fd(); }  // for sendfile
  const std::string& path() const { return path_; }
  // The path no longer names this file (removed, or renamed over).
  bool unlinked() const;

 private:
  std::string path_;
  io::File file_;
  io::ReadOnlyMapping mapping_;
};

// The first `data_end` bytes of the sealed segment at `path` (never past its end), populated, shared.
Result<std::shared_ptr<const SegmentMapping>> map_sealed_segment(const std::string& path, std::uint64_t data_end);

// Lets go of the kept mappings of files at `path`, or under it when it is a directory (readers that hold
// one keep it). Call before removing or replacing sealed segment files.
void forget_segment_mappings(const std::string& path);

// How many mappings of files at or under `path` are kept with no reader, and their bytes (for tests).
struct KeptMappings {
  std::size_t count = 0;
  std::uint64_t bytes = 0;
};
KeptMappings kept_segment_mappings(const std::string& path);

}  // namespace strata::detail
