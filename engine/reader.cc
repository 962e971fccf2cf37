// Reader: locating segments, mapping sealed ones (shared per process), pread of the active one, checking
// every batch's CRC before handing out its events or the batch itself.
#include "strata/reader.h"

#include <fcntl.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "engine/reader_state.h"
#include "engine/recovery.h"
#include "engine/segment_mappings.h"
#include "engine/synced_marker.h"
#include "io/aligned_buffer.h"
#include "base/probes.h"
#include "strata/log.h"
#include "strata/topics.h"

namespace strata::detail {

namespace {

constexpr std::size_t kReadChunkBytes = 1u << 20;

std::string where(const ReaderState& state) {
  return segment_path(state.partition_dir, state.segment_base) + " at position " + std::to_string(state.position);
}

Status deleted_error(const ReaderState& state, std::uint64_t offset) {
  auto bases = list_segment_bases(state.partition_dir);
  const std::string earliest = bases && !bases->empty() ? std::to_string(bases->front()) : "none";
  return Status(StatusCode::kNotFound, "offset " + std::to_string(offset) +
                                           " was deleted by retention; the earliest offset kept is " + earliest);
}

Status open_segment_files(ReaderState& state, std::uint64_t base, std::uint64_t target_offset) {
  state.have_segment = false;
  state.mapping.reset();
  if (state.read_ahead) state.read_ahead->abandon();
  state.file.close();
  state.buffer_bytes = 0;
  state.validated_position = UINT64_MAX;
  std::vector<format::IndexEntry> entries;
  auto sealed = read_index(state.partition_dir, base, &entries);
  state.segment_base = base;
  state.position = 0;
  state.min_base_offset = base;
  if (sealed) {
    auto mapping = map_sealed_segment(segment_path(state.partition_dir, base), sealed->data_end);
    if (!mapping) return mapping.status();
    state.mapping = std::move(mapping.value());
    state.segment_sealed = true;
    // Jump to the last indexed batch at or before the target, unless the index describes a longer file
    // than this one (the old segment's, read just before compaction renamed the new one in): then every
    // batch from the start, each checked as always.
    if (state.mapping->bytes().size() < sealed->data_end) entries.clear();
    for (const format::IndexEntry& entry : entries) {
      if (base + entry.relative_offset > target_offset) break;
      state.position = entry.position;
      state.min_base_offset = base + entry.relative_offset;
    }
  } else {
    auto file = io::File::open(segment_path(state.partition_dir, base), io::OpenMode::kReadOnly);
    if (!file) return file.status();
    state.file = std::move(file.value());
    state.segment_sealed = false;
    state.file_direct = false;
    if (state.buffer.size() == 0) state.buffer = io::AlignedBuffer(kReadChunkBytes);
  }
  state.have_segment = true;
  return Status::ok();
}

// Opens the segment at `base`; one that retention deleted meanwhile is kNotFound naming the earliest offset.
Status open_segment(ReaderState& state, std::uint64_t base, std::uint64_t target_offset) {
  Status status = open_segment_files(state, base, target_offset);
  if (status.code() == StatusCode::kNotFound) return deleted_error(state, target_offset);
  return status;
}

Status locate(ReaderState& state, std::uint64_t offset) {
  auto bases = list_segment_bases(state.partition_dir);
  if (!bases) return bases.status();
  if (bases->empty()) return Status(StatusCode::kNotFound, state.partition_dir + " has no segments");
  if (offset < bases->front()) return deleted_error(state, offset);
  std::uint64_t base = bases->front();
  for (const std::uint64_t candidate : *bases) {
    if (candidate <= offset) base = candidate;
  }
  return open_segment(state, base, offset);
}

// Moves on to the segment that starts at next_offset, if the current one ended and a next one exists.
Result<bool> advance_segment(ReaderState& state) {
  auto bases = list_segment_bases(state.partition_dir);
  if (!bases) return bases.status();
  for (const std::uint64_t base : *bases) {
    if (base > state.segment_base && base <= state.next_offset) {
      STRATA_RETURN_IF_ERROR(open_segment(state, base, state.next_offset));
      return true;
    }
  }
  // Retention deleted the segments after this one while the reader was in it.
  if (!bases->empty() && bases->front() > state.next_offset) return deleted_error(state, state.next_offset);
  return false;
}

// How next_batch reads the active segment at state.position: from what the last read left in the buffer,
// with a new read (the buffer may predate a write), or with a read that bypasses the page cache. A buffered
// read that races the writer's direct write can keep a page of a block as it was before that write (the
// kernel drops cached pages around a direct write, but not one a racing read brings back); the last step
// reads around the page cache (O_DIRECT, or after dropping the range from it where O_DIRECT is refused).
enum class ActiveRead : std::uint8_t { kBuffered, kFile, kUncached };

// Moves *read one step on and says so; false for a sealed segment (mapped, nothing to read again) and at
// the last step (kFile when `uncached_too` is false).
bool read_again(const ReaderState& state, ActiveRead* read, bool uncached_too) {
  if (state.segment_sealed) return false;
  if (*read == ActiveRead::kBuffered) {
    *read = ActiveRead::kFile;
    return true;
  }
  if (*read == ActiveRead::kFile && uncached_too) {
    *read = ActiveRead::kUncached;
    return true;
  }
  return false;
}

// Reading a backlog directly, each chunk's successor is read in the background (DirectReadAhead) while the
// reader decodes it; the unread end of a chunk (at most this much: the start of a batch the chunk cut) is
// put in front of its successor.
constexpr std::size_t kReadAheadHeadroom = 256u << 10;

// Starts reading the chunk at `offset` in the background.
void start_read_ahead(ReaderState& state, std::uint64_t offset) {
  if (state.read_ahead_refused) return;
  if (!state.read_ahead) {
    auto made = io::DirectReadAhead::create(kReadAheadHeadroom, kReadChunkBytes);
    if (!made) {
      state.read_ahead_refused = true;  // no descriptor left, say: the reads wait for the device instead
      return;
    }
    state.read_ahead = std::move(made.value());
  }
  // Refused (a full submission queue, a lost read): the next read waits for the device instead.
  if (!state.read_ahead->start(state.file.fd(), offset).is_ok()) state.read_ahead_refused = true;
}

// Takes the chunk read ahead when it starts where the buffer ends: true when the buffer now holds at least
// `need` bytes from state.position (or all the file has), with *whole set when the chunk was read whole (the
// file goes on). Leaves nothing in flight.
bool take_read_ahead(ReaderState& state, std::size_t need, bool* whole) {
  io::DirectReadAhead* ahead = state.read_ahead.get();
  if (ahead == nullptr || !ahead->in_flight()) return false;
  const std::uint64_t buffered_end = state.buffer_position + state.buffer_bytes;
  const bool continues = ahead->fd() == state.file.fd() && ahead->offset() == buffered_end &&
                         state.position >= state.buffer_position && state.position <= buffered_end &&
                         buffered_end - state.position <= ahead->headroom();
  auto read = ahead->finish();
  if (!continues || !read) return false;  // a read of its own follows (and reports an error that persists)
  const std::size_t tail = buffered_end - state.position;
  if (tail + *read < need && *read == kReadChunkBytes) return false;  // a batch longer than the two
  std::byte* front = ahead->buffer().data() + ahead->headroom() - tail;
  const std::byte* unread =
      state.buffer.data() + state.buffer_start + (state.position - state.buffer_position);
  std::memcpy(front, unread, tail);
  std::swap(state.buffer, ahead->buffer());
  if (ahead->buffer().size() < kReadAheadHeadroom + kReadChunkBytes) {
    ahead->buffer() = io::AlignedBuffer(kReadAheadHeadroom + kReadChunkBytes);  // once: the first chunk's
  }
  state.buffer_start = ahead->headroom() - tail;
  state.buffer_position = state.position;
  state.buffer_bytes = tail + *read;
  *whole = *read == kReadChunkBytes;
  return true;
}

// Every later read of this reader goes through the page cache (O_DIRECT refused or failing here).
void stop_reading_directly(ReaderState& state) {
  if (state.file_direct) (void)state.file.set_direct(false);
  state.file_direct = false;
  state.direct_refused = true;
}

// Reads at least `need` bytes of the active segment from state.position (fewer at the end of the file) into
// the buffer. A reader that does not fill the cache (Reader::set_fill_cache) and ran off the end of its last
// read is going through a backlog: it reads directly, from the block holding the position, so the device
// writes into the buffer and nothing passes through the page cache, and the next chunk is read in the
// background meanwhile. (The writer writes with O_DIRECT, so those pages were never cached: a buffered read
// allocates them, zeroes what readahead reaches past the data, and copies them out, 40% of `strata mirror`'s
// thread. But a second pass over them reads memory: `strata bench replay` fell from 45 to 28 M events/s
// reading its last 50 MiB directly.) A reader at the end re-reads the same few blocks as the writer adds to
// them: buffered, they stay cached. The last of the three reads (kUncached) is direct for every reader.
bool read_active(ReaderState& state, ActiveRead how, std::size_t need, Status* error) {
  const bool ran_off_the_end = how == ActiveRead::kBuffered && state.buffer_bytes > 0 &&
                               state.position >= state.buffer_position && !state.fill_cache;
  const bool direct = !state.direct_refused && (ran_off_the_end || how == ActiveRead::kUncached);
  if (direct != state.file_direct) {
    if (Status status = state.file.set_direct(direct); status.is_ok()) {
      state.file_direct = direct;
    } else if (direct) {
      stop_reading_directly(state);  // not an error: buffered reads see the same bytes
      return read_active(state, how, need, error);
    } else {
      *error = std::move(status);
      return false;
    }
  }
  bool whole = false;
  if (ran_off_the_end && direct && take_read_ahead(state, need, &whole)) {
    if (whole) start_read_ahead(state, state.buffer_position + state.buffer_bytes);
    return true;
  }
  if (state.read_ahead) state.read_ahead->abandon();  // read elsewhere: a read of its own instead
  const std::uint64_t from = direct ? io::round_down_to_block(state.position) : state.position;
  const std::size_t length = io::round_up_to_block(state.position + need - from);
  if (state.buffer.size() < length) state.buffer = io::AlignedBuffer(length);
  if (how == ActiveRead::kUncached && !direct) {
    const std::uint64_t block = io::round_down_to_block(state.position);
    (void)::posix_fadvise(state.file.fd(), static_cast<off_t>(block),
                          static_cast<off_t>(state.position + need - block), POSIX_FADV_DONTNEED);
  }
  auto read = direct ? state.file.read_direct_at({state.buffer.data(), length}, from)
                     : state.file.read_at({state.buffer.data(), need}, from);
  if (!read && direct) {
    // A device with a coarser alignment than a 4 KiB block, say: read through the page cache from now on.
    stop_reading_directly(state);
    return read_active(state, how, need, error);
  }
  if (!read) {
    *error = read.status();
    return false;
  }
  state.buffer_start = 0;
  state.buffer_position = from;
  state.buffer_bytes = *read;
  if (ran_off_the_end && direct && *read == length) start_read_ahead(state, from + length);
  return true;
}

// The bytes of the segment from state.position on, at least one whole batch when there is one, read as
// `how` says.
std::span<const std::byte> bytes_at_position(ReaderState& state, ActiveRead how, Status* error) {
  if (state.segment_sealed) {
    const auto bytes = state.mapping->bytes();
    return bytes.subspan(std::min<std::size_t>(state.position, bytes.size()));
  }
  const auto buffered = [&](std::size_t need) {
    return how == ActiveRead::kBuffered && state.position >= state.buffer_position &&
           state.position + need <= state.buffer_position + state.buffer_bytes;
  };
  const auto from_position = [&] {
    const std::size_t skip =
        std::min<std::uint64_t>(state.position - state.buffer_position, state.buffer_bytes);
    return std::span<const std::byte>(state.buffer.data() + state.buffer_start + skip,
                                      state.buffer_bytes - skip);
  };
  if (!buffered(format::kBatchHeaderBytes) && !read_active(state, how, kReadChunkBytes, error)) return {};
  std::span<const std::byte> bytes = from_position();
  if (bytes.size() >= format::kBatchLengthOverhead) {
    const std::size_t need = std::min<std::size_t>(format::peek_batch_length(bytes.data()), format::kBatchBytesMax) +
                             format::kBatchLengthOverhead;
    if (need > bytes.size()) {
      if (!read_active(state, how, std::max(need, kReadChunkBytes), error)) return {};
      bytes = from_position();
    }
  }
  return bytes;
}

enum class Step : std::uint8_t { kBatch, kAgain, kStop };

// Moves on to the batch after `header`'s.
void step_past(ReaderState& state, const format::BatchHeader& header) {
  state.position += header.total_bytes();
  state.min_base_offset = header.next_offset();
}

// Finds the valid batch holding state.next_offset: kBatch with *header and *bytes, kAgain when the caller
// should look again (moved to another segment or re-read), kStop when nothing more is there now.
Result<Step> next_batch(ReaderState& state, std::uint64_t limit, ActiveRead* read, format::BatchHeader* header,
                        std::span<const std::byte>* bytes) {
  if (!state.have_segment) STRATA_RETURN_IF_ERROR(locate(state, state.next_offset));
  Status read_error;
  *bytes = bytes_at_position(state, *read, &read_error);
  STRATA_RETURN_IF_ERROR(read_error);
  std::string reason;
  format::BatchCheck check = format::BatchCheck::kValid;
  if (state.validated_position == state.position) {
    *header = format::decode_batch_header(*bytes);
  } else {
    // After an index jump the expected base offset is not known: take the batch's own, then check it.
    check = format::check_batch(*bytes, format::kAnyOffset, header, &reason);
  }
  const bool expected_here = limit != UINT64_MAX;  // attached: the writer said this offset is there
  if (check == format::BatchCheck::kEndOfData) {
    auto advanced = advance_segment(state);
    if (!advanced) return advanced.status();
    if (*advanced) return Step::kAgain;
    // Detached, with no end known: a new read is enough (the next look reads again anyway).
    if (read_again(state, read, /*uncached_too=*/expected_here)) return Step::kAgain;
    if (state.segment_sealed || expected_here) {
      return corruption(where(state) + ": data ends before offset " + std::to_string(state.next_offset));
    }
    return Step::kStop;  // detached, active segment: nothing more written yet
  }
  if (check == format::BatchCheck::kInvalid) {
    if (read_again(state, read, /*uncached_too=*/expected_here)) return Step::kAgain;
    if (state.segment_sealed || expected_here) return corruption(where(state) + ": " + reason);
    return Step::kStop;  // detached: a batch still being written
  }
  if (header->base_offset < state.min_base_offset) {
    // The CRC does not cover the base offset. A pread that raced the writer's direct write of the block
    // holding it can see that block's earlier cached page (zeros there) while the next block's page is new:
    // a valid batch "at offset 0". Read again; the write has landed by then.
    if (read_again(state, read, /*uncached_too=*/true)) return Step::kAgain;
    return corruption(where(state) + ": batch starts at offset " + std::to_string(header->base_offset) +
                      ", before the end of the batch before it (" + std::to_string(state.min_base_offset) + ")");
  }
  *read = ActiveRead::kBuffered;
  state.validated_position = state.position;
  if (header->base_offset > state.next_offset) {
    return corruption(where(state) + ": batch starts at offset " + std::to_string(header->base_offset) +
                      ", expected at most " + std::to_string(state.next_offset));
  }
  *bytes = bytes->first(header->total_bytes());
  return Step::kBatch;
}

// For readers with no signal to sleep on (another process writes): looks now and then, backing off to 50 ms.
template <typename Ready>
bool wait_by_looking(const Ready& ready, std::chrono::steady_clock::time_point deadline) {
  for (std::chrono::milliseconds sleep{1};; sleep = std::min(sleep * 2, std::chrono::milliseconds(50))) {
    if (ready()) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(sleep, deadline - now));
  }
}

bool topic_was_deleted(const ReaderState& state) {
  return state.topic_deleted != nullptr && state.topic_deleted->load(std::memory_order_acquire);
}

// kNotFound once the reader's topic was deleted; the reader lets go of the deleted files.
Status check_topic_kept(ReaderState& state) {
  if (!topic_was_deleted(state)) [[likely]]
    return Status::ok();
  state.have_segment = false;
  state.mapping.reset();
  state.file.close();
  return Status(StatusCode::kNotFound, "topic " + state.topic + " was deleted");
}

// Hands sink the run gathered in state.run (count events), then starts a new one; returns how many of them
// the sink took (all, or those before the one it refused).
template <typename Sink>
std::size_t hand_out_run(ReaderState& state, std::size_t count, Sink& sink) {
  if (count == 0) return 0;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t begin = state.run_header_begin[i];
    const std::size_t end = i + 1 < count ? state.run_header_begin[i + 1] : state.run_headers.size();
    state.run[i].headers = std::span<const EventHeader>(state.run_headers).subspan(begin, end - begin);
  }
  const std::size_t taken = sink(std::span<const Event>(state.run).first(count));
  state.run_headers.clear();
  return taken;
}

// Hands sink the events of one checked batch (its `records` region) that are visible (below `limit`) and at
// or after state.next_offset, in runs, until *delivered reaches `max` or the sink refuses an event (then
// *refused is set and state.next_offset is that event's offset); advances state.next_offset past each event
// taken. Events decoded before a record that does not decode are handed out first.
template <typename Sink>
Status deliver_batch(ReaderState& state, const format::BatchHeader& header, std::span<const std::byte> records,
                     std::uint64_t limit, std::size_t max, Sink& sink, std::size_t* delivered, bool* refused) {
  if (state.run.size() < Reader::kEventRunMax) {
    state.run.resize(Reader::kEventRunMax, Event{0, 0, {}, {}, {}, state.partition, false, false});
    state.run_header_begin.resize(Reader::kEventRunMax);
  }
  format::RecordReader reader(records, header);
  format::RecordFields fields;
  std::uint64_t offset = 0;
  std::int64_t timestamp_ms = 0;
  // Locals, not state's fields: the sink is opaque to the compiler, which would otherwise reload them per event.
  std::uint64_t next_offset = state.next_offset;
  std::size_t left = max - *delivered;
  std::size_t count = 0;
  // Hands out the run gathered; false when the sink refused one of its events.
  const auto hand_out = [&] {
    const std::size_t taken = hand_out_run(state, count, sink);
    *delivered += taken;
    if (taken < count) [[unlikely]] {
      state.next_offset = state.run[taken].offset;
      *refused = true;
      return false;
    }
    count = 0;
    return true;
  };
  Status status;
  while (left > 0 && reader.next(&fields, &offset, &timestamp_ms)) {
    // Before position() (a seek into the middle of a batch), or past what is visible.
    if (offset < next_offset || offset >= limit) continue;
    state.run_header_begin[count] = state.run_headers.size();
    if (fields.header_count > 0 && !format::append_headers(fields.headers, fields.header_count, &state.run_headers))
        [[unlikely]] {
      const auto kept = static_cast<std::ptrdiff_t>(state.run_header_begin[count]);
      state.run_headers.erase(state.run_headers.begin() + kept, state.run_headers.end());
      status = corruption("the headers of offset " + std::to_string(offset) + " do not decode");
      break;
    }
    // Field by field: an Event built whole on the stack and copied stalled on store forwarding (perf).
    Event& event = state.run[count];
    event.offset = offset;
    event.timestamp_us = timestamp_ms * 1000;
    event.key = {fields.key.data(), fields.key.size()};
    event.value = {fields.value.data(), fields.value.size()};
    event.key_null = fields.key_null;
    event.value_null = fields.value_null;
    next_offset = offset + 1;
    --left;
    if (++count == Reader::kEventRunMax) {
      if (!hand_out()) return Status::ok();
      state.next_offset = next_offset;
    }
  }
  // Every record was looked at (the loop ended with room left): the batch is done, to its last offset even
  // when compaction removed the records at its end (or all of them).
  const bool whole = status.is_ok() && left > 0;
  // The reader stopped after a record: look one further so that a batch ending in bytes that are no record
  // is reported even when `max` ends the poll at its last record.
  if (status.is_ok() && (left > 0 || !reader.next(&fields, &offset, &timestamp_ms))) status = reader.status();
  if (!hand_out()) return Status::ok();
  if (whole && status.is_ok() && header.next_offset() <= limit) next_offset = std::max(next_offset, header.next_offset());
  state.next_offset = next_offset;
  return status;
}

// poll_runs and poll_runs_until: up to `max` visible events from state.next_offset to sink, in runs, until
// the sink refuses one.
template <typename Sink>
Result<std::size_t> poll_events(ReaderState& state, std::size_t max, Sink& sink) {
  STRATA_RETURN_IF_ERROR(check_topic_kept(state));
  const std::uint64_t limit = state.visible_limit();
  std::size_t delivered = 0;
  ActiveRead read = ActiveRead::kBuffered;
  bool refused = false;
  while (!refused && delivered < max && state.next_offset < limit) {
    format::BatchHeader header;
    std::span<const std::byte> bytes;
    auto step = next_batch(state, limit, &read, &header, &bytes);
    if (!step) return step.status();
    if (*step == Step::kAgain) continue;
    if (*step == Step::kStop) break;
    const std::uint64_t batch_end = header.next_offset();
    if (batch_end > state.next_offset) {
      auto records = format::batch_records(bytes, header, &state.decompressed);
      Status status = records ? deliver_batch(state, header, *records, limit, max, sink, &delivered, &refused)
                              : records.status();
      if (!status.is_ok()) return std::move(status).with_context(where(state));
      STRATA_PROBE3(reader_batch, state.partition, header.base_offset, header.records_count);
    }
    if (state.next_offset >= batch_end) {
      state.next_offset = std::max(state.next_offset, batch_end);
      step_past(state, header);
    }
  }
  return delivered;
}

}  // namespace

std::unique_ptr<ReaderState> make_reader_state(std::string partition_dir, std::uint32_t partition) {
  auto state = std::make_unique<ReaderState>();
  state->partition_dir = std::move(partition_dir);
  state->partition = partition;
  state->visible_limit = [] { return UINT64_MAX; };
  return state;
}

}  // namespace strata::detail

namespace strata {

using detail::ReaderState;

Reader::Reader(std::unique_ptr<ReaderState> state) : state_(std::move(state)) {}
Reader::~Reader() = default;

Result<std::unique_ptr<Reader>> Reader::open(const std::string& dir, std::string_view topic, std::uint32_t partition,
                                             ReadLevel level) {
  auto info = read_topic_info(dir, topic);
  if (!info) return info.status();
  if (partition >= info->partitions) {
    return invalid_argument("topic " + info->name + " has no partition " + std::to_string(partition) + " (it has " +
                            std::to_string(info->partitions) + ")");
  }
  auto state =
      detail::make_reader_state(dir + "/" + format::partition_directory_name(topic, partition), partition);
  if (level == ReadLevel::kDurable) {
    auto marker = detail::SyncedMarker::open(state->partition_dir);
    if (!marker) {
      if (marker.status().code() != StatusCode::kNotFound) return marker.status();
      marker = detail::SyncedMarker{};  // no writer published one yet: nothing is known to be synced
    }
    // Until a writer publishes the marker (a topic just created, its partition not yet started), each look
    // tries to open it again: a reader opened in that window must not stay at offset 0 for ever.
    auto shared = std::make_shared<detail::SyncedMarker>(std::move(marker.value()));
    state->visible_limit = [shared, dir = state->partition_dir] {
      if (!shared->is_open()) {
        auto published = detail::SyncedMarker::open(dir);
        if (!published) return std::uint64_t{0};
        *shared = std::move(published.value());
      }
      return shared->load();
    };
  }
  auto bases = detail::list_segment_bases(state->partition_dir);
  if (!bases) return bases.status();
  state->next_offset = bases->empty() ? 0 : bases->front();
  return std::unique_ptr<Reader>(new Reader(std::move(state)));
}

std::uint64_t Reader::position() const {
  return state_->next_offset;
}

void Reader::set_fill_cache(bool fill) { state_->fill_cache = fill; }

Status Reader::seek(std::uint64_t offset) {
  ReaderState& state = *state_;
  STRATA_RETURN_IF_ERROR(detail::check_topic_kept(state));
  auto bases = detail::list_segment_bases(state.partition_dir);
  if (!bases) return bases.status();
  if (!bases->empty() && offset < bases->front()) return detail::deleted_error(state, offset);
  state.next_offset = offset;
  state.have_segment = false;
  return Status::ok();
}

std::uint64_t Reader::end_offset() const {
  const std::uint64_t limit = state_->visible_limit();
  if (limit != UINT64_MAX) return limit;
  // Detached: what the files hold now.
  auto segments = detail::describe_segments(state_->partition_dir);
  if (!segments || segments->empty()) return 0;
  return segments->back().next_offset;
}

std::uint64_t Reader::start_offset() const {
  auto bases = detail::list_segment_bases(state_->partition_dir);
  return bases && !bases->empty() ? bases->front() : 0;
}

Status Reader::seek_to_end() {
  return seek(end_offset());
}

Result<std::size_t> Reader::poll(std::size_t max, const EventCallback& fn) {
  return poll_runs(max, [&fn](std::span<const Event> events) {
    for (const Event& event : events) fn(event);
  });
}

Result<std::size_t> Reader::poll_runs(std::size_t max, const EventRunCallback& fn) {
  auto sink = [&fn](std::span<const Event> events) {
    fn(events);
    return events.size();
  };
  return detail::poll_events(*state_, max, sink);
}

Result<std::size_t> Reader::poll_runs_until(std::size_t max, const EventRunUntilCallback& fn) {
  return detail::poll_events(*state_, max, fn);
}

Result<std::size_t> Reader::poll_batches(std::size_t bytes_max, const std::function<bool(const BatchView&)>& fn) {
  ReaderState& state = *state_;
  STRATA_RETURN_IF_ERROR(detail::check_topic_kept(state));
  const std::uint64_t limit = state.visible_limit();
  std::size_t given = 0;
  std::size_t bytes_given = 0;
  detail::ActiveRead read = detail::ActiveRead::kBuffered;
  while (state.next_offset < limit) {
    format::BatchHeader header;
    std::span<const std::byte> bytes;
    auto step = detail::next_batch(state, limit, &read, &header, &bytes);
    if (!step) return step.status();
    if (*step == detail::Step::kAgain) continue;
    if (*step == detail::Step::kStop) break;
    if (header.next_offset() <= state.next_offset) {  // wholly before position() (after a seek or an index jump)
      detail::step_past(state, header);
      continue;
    }
    if (header.next_offset() > limit) break;  // not wholly visible yet
    if (given > 0 && bytes_given + bytes.size() > bytes_max) break;
    BatchView view{header.base_offset, header.next_offset(), bytes, -1, 0, nullptr};
    if (state.segment_sealed) {
      view.file_fd = state.mapping->fd();
      view.file_position = state.position;
      view.keep_alive = state.mapping;
    } else {
      // The active segment's bytes sit in this reader's buffer: a copy outlives the next read.
      auto copy = std::make_shared<std::vector<std::byte>>(bytes.begin(), bytes.end());
      view.bytes = *copy;
      view.keep_alive = std::move(copy);
    }
    const bool more = fn(view);
    ++given;
    bytes_given += bytes.size();
    state.next_offset = header.next_offset();
    detail::step_past(state, header);
    if (!more) break;
  }
  return given;
}

bool Reader::wait(std::chrono::nanoseconds timeout) {
  ReaderState& state = *state_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (state.visible_signal != nullptr) {
    const auto nothing_new = [&] {
      return !detail::topic_was_deleted(state) && state.visible_limit() <= state.next_offset;
    };
    while (nothing_new()) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      state.visible_signal->wait_for(nothing_new, deadline - now);
    }
    return !detail::topic_was_deleted(state);
  }
  // Detached: another process writes; look at the file now and then.
  return detail::wait_by_looking([&] { return end_offset() > state.next_offset; }, deadline);
}

bool Reader::wait_any(std::span<Reader* const> readers, std::chrono::nanoseconds timeout) {
  if (readers.size() == 1) return readers[0]->wait(timeout) || detail::topic_was_deleted(*readers[0]->state_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto any_ready = [&] {
    return std::any_of(readers.begin(), readers.end(), [](Reader* reader) {
      return detail::topic_was_deleted(*reader->state_) || reader->end_offset() > reader->position();
    });
  };
  ring::ConsumerSignal* signal = readers.empty() ? nullptr : readers[0]->state_->log_visible_signal;
  const bool one_log = signal != nullptr && std::all_of(readers.begin(), readers.end(), [&](Reader* reader) {
                         return reader->state_->log_visible_signal == signal;
                       });
  if (one_log) {
    while (!any_ready()) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      signal->wait_for([&] { return !any_ready(); }, deadline - now);
    }
    return true;
  }
  return detail::wait_by_looking(any_ready, deadline);
}

Status Reader::seek_time(std::int64_t timestamp_us) {
  ReaderState& state = *state_;
  auto segments = detail::describe_segments(state.partition_dir);
  if (!segments) return segments.status();
  for (const detail::SegmentInfo& segment : *segments) {
    if (segment.max_timestamp_us < timestamp_us) continue;  // nothing new enough in this segment
    STRATA_RETURN_IF_ERROR(seek(segment.base_offset));
    // Stops at the first new enough event, positioned at it.
    bool found = false;
    while (!found && state.next_offset < segment.next_offset) {
      auto polled = poll_until(4096, [&](const Event& event) {
        found = event.timestamp_us >= timestamp_us;
        return !found;
      });
      if (!polled) return polled.status();
      if (*polled == 0 && !found) break;
    }
    if (found) return Status::ok();
  }
  return seek_to_end();
}

}  // namespace strata
