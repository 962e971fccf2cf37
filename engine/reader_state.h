// The state behind a Reader, and how a Log makes one that sees only what it acknowledged.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/format.h"
#include "io/aligned_buffer.h"
#include "io/direct_read_ahead.h"
#include "io/file.h"
#include "ring/consumer_signal.h"
#include "strata/reader.h"

namespace strata::detail {

class SegmentMapping;

struct ReaderState {
  std::string partition_dir;
  std::uint32_t partition = 0;
  // The offset below which events are visible. Attached readers read the writer's counters; detached ones
  // see every valid record (UINT64_MAX).
  std::function<std::uint64_t()> visible_limit;
  ring::ConsumerSignal* visible_signal = nullptr;  // attached: notified when the limit moves
  // Attached: notified when the limit of any partition of the log moves (Reader::wait_any).
  ring::ConsumerSignal* log_visible_signal = nullptr;
  // Attached: set when the topic is deleted (Log::delete_topic); the reader then answers kNotFound.
  const std::atomic<bool>* topic_deleted = nullptr;
  std::string topic;  // for messages

  std::uint64_t next_offset = 0;

  // The segment holding next_offset, once located.
  bool have_segment = false;
  std::uint64_t segment_base = 0;
  bool segment_sealed = false;
  std::shared_ptr<const SegmentMapping> mapping;  // sealed segments
  io::File file;                                  // the active segment, read with pread
  bool fill_cache = true;       // Reader::set_fill_cache
  bool file_direct = false;     // `file` is in O_DIRECT mode (see read_active)
  bool direct_refused = false;  // the filesystem refused O_DIRECT: every read is buffered
  io::AlignedBuffer buffer;     // file bytes from buffer_position on, at buffer.data() + buffer_start
  std::size_t buffer_start = 0;
  std::unique_ptr<io::DirectReadAhead> read_ahead;  // reading a backlog: the chunk after the buffer's
  bool read_ahead_refused = false;                  // no io_uring for it: direct reads wait
  std::uint64_t buffer_position = 0;
  std::size_t buffer_bytes = 0;
  std::uint64_t position = 0;                     // file position of the batch holding next_offset
  std::uint64_t validated_position = UINT64_MAX;  // the batch at this position passed its checks
  // The batch at `position` starts at or after this offset: the end of the batch before it (the segment's
  // base, or the index entry's offset, after a jump).
  std::uint64_t min_base_offset = 0;

  std::vector<std::byte> decompressed;  // the records of a compressed batch
  // The run of events poll_runs() hands out next (Reader::kEventRunMax at most), and their headers: event i's
  // are run_headers[run_header_begin[i]...] (spans are set once the run is whole: the vector may grow).
  std::vector<Event> run;
  std::vector<EventHeader> run_headers;
  std::vector<std::size_t> run_header_begin;
};

std::unique_ptr<ReaderState> make_reader_state(std::string partition_dir, std::uint32_t partition);

}  // namespace strata::detail
