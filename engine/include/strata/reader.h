// Reader: a cursor over one topic. Events are handed to a callback as views into the reader's own buffer,
// which it fills with pread (one copy out of the page cache, into memory that stays in cache: cheaper than the
// first touch of a fresh mapping, measured on replay). Batch-level reads (poll_batches) hand out sealed
// segments from a read-only mapping shared by every reader in the process (no copy), the active segment from
// a copy (it is never mapped: O_DIRECT writes may still touch it). Views are valid only during the callback.
//
// What a reader sees:
//   - opened from a Log (Log::reader): acknowledged (durable) events only, or with ReadLevel::kWritten also
//     those written but not yet synced; never a record recovery could later remove;
//   - opened on a directory (Reader::open): every valid record on disk, for tools that run beside a writer in
//     another process (`strata cat`, `strata tail`); or with ReadLevel::kDurable what the writer fdatasynced.
// Every batch's checksum is checked before any of its events is handed out; corruption is an error naming the
// file and position, never returned data.
//
// Threads: one thread per Reader. Many readers may read one topic at once.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "strata/status.h"

namespace strata {

// A Kafka record header. Views, valid during the callback only (or, appending, during the call).
struct EventHeader {
  std::string_view key;
  std::span<const std::byte> value;
};

struct Event {
  std::uint64_t offset;
  // Kafka timestamps are milliseconds; this is that times 1000. For the engine's own batches it is when
  // the log's writer took the event in (Kafka's LogAppendTime), which never decreases along a partition's
  // offsets while one process writes it; a client's batch keeps its CreateTime.
  std::int64_t timestamp_us;
  std::span<const std::byte> key;        // valid during the callback only; empty for a null key
  std::span<const std::byte> value;      // valid during the callback only
  std::span<const EventHeader> headers;  // valid during the callback only
  std::uint32_t partition = 0;
  // Kafka tells a null key or value (length -1; a null value is a tombstone) from an empty one. The engine's
  // own events have a null key when appended without one and never a null value; a client's batch may have
  // either. A copy that must keep them (strata mirror) looks here.
  bool key_null = false;
  bool value_null = false;
};

using EventCallback = std::function<void(const Event&)>;
// Consecutive events of one stored batch, in offset order.
using EventRunCallback = std::function<void(std::span<const Event>)>;

// One stored Kafka RecordBatch, as a Kafka Fetch sends it: the bytes exactly as on disk (baseOffset
// already the assigned one). Valid during the callback only, unless `keep_alive` is held: it keeps `bytes`
// (and, for sealed segments, `file_fd`) valid for as long as it is held.
struct BatchView {
  std::uint64_t base_offset = 0;
  std::uint64_t next_offset = 0;  // one past its last offset
  std::span<const std::byte> bytes;
  int file_fd = -1;  // a sealed segment's file holding `bytes` at file_position (for sendfile); else -1
  std::uint64_t file_position = 0;
  std::shared_ptr<const void> keep_alive;
};

// Which events a reader of a live Log sees.
enum class ReadLevel : std::uint8_t {
  kDurable,  // acknowledged under the log's durability (the default; Kafka's high watermark)
  kWritten,  // also written but not yet synced (never one recovery could remove after a process crash)
};

namespace detail {
struct ReaderState;
}

class Reader {
 public:
  // A reader of one partition of `topic` in the log directory `dir`, positioned at the first event kept.
  // kWritten (tools): every valid record on disk. kDurable: only what the writing process acknowledged
  // (it publishes that offset in <partition dir>/strata-synced: under sync and batch durability what it
  // fdatasynced, under `none` what it wrote), for consumers that must never apply an event the log can
  // still lose under its durability, such as a projection beside the writer.
  static Result<std::unique_ptr<Reader>> open(const std::string& dir, std::string_view topic,
                                              std::uint32_t partition = 0, ReadLevel level = ReadLevel::kWritten);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Whether this reader's reads of the active segment go through the page cache (true, the default: readers
  // of the same events share the cached pages, and a second pass reads memory). false, for a one-pass bulk
  // copy such as `strata mirror` (RocksDB's ReadOptions::fill_cache): a backlog is read with O_DIRECT, the
  // next chunk in the background, with no copy out of the page cache and nothing left in it. Near the end of
  // the data reads go through the page cache either way.
  void set_fill_cache(bool fill);

  // Positions at `offset` (the next poll starts there). An offset below the earliest kept one is kNotFound,
  // naming the earliest; one past the end is allowed (the reader then waits for it).
  Status seek(std::uint64_t offset);
  // Positions at the first event (in offset order) whose timestamp is at or after `timestamp_us`, or at the
  // end when there is none.
  Status seek_time(std::int64_t timestamp_us);
  // Positions after the last visible event.
  Status seek_to_end();
  // The offset the next poll starts at.
  std::uint64_t position() const;
  // The offset after the last visible event.
  std::uint64_t end_offset() const;
  // The earliest offset kept (retention deletes whole segments below it).
  std::uint64_t start_offset() const;

  // Calls fn for up to `max` visible events from position(), in offset order; returns how many.
  Result<std::size_t> poll(std::size_t max, const EventCallback& fn);
  // The same for any callable: the call per event is inlined here rather than made through a
  // std::function (replay's hot path; a lambda argument picks this overload).
  template <typename Fn>
    requires std::invocable<Fn&, const Event&>
  Result<std::size_t> poll(std::size_t max, Fn&& fn) {
    return poll_runs(max, [&fn](std::span<const Event> events) {
      for (const Event& event : events) fn(event);
    });
  }
  // What poll() does, with fn saying whether to go on: the poll stops at the first event fn returns false
  // for, and does not take it: position() is then that event's offset, and the next poll hands it out first.
  // Returns how many events fn took (returned true for). For a consumer that must stop mid-poll (an error, a
  // stop request, a full transaction) without skipping or re-reading the events after.
  template <typename Fn>
    requires std::is_invocable_r_v<bool, Fn&, const Event&>
  Result<std::size_t> poll_until(std::size_t max, Fn&& fn) {
    return poll_runs_until(max, [&fn](std::span<const Event> events) -> std::size_t {
      for (std::size_t i = 0; i < events.size(); ++i) {
        if (!fn(events[i])) return i;
      }
      return events.size();
    });
  }
  // What poll() does, handing fn runs of consecutive events (each from one batch, at most kEventRunMax)
  // instead of one event at a time. Every event of a run is valid until fn returns; position() moves past
  // a run once fn returned.
  static constexpr std::size_t kEventRunMax = 64;
  Result<std::size_t> poll_runs(std::size_t max, const EventRunCallback& fn);
  // Calls fn for whole stored batches from the one holding position(), in offset order, while their bytes
  // add up to at most `bytes_max` (the first batch is always given, however large, as Kafka's Fetch does)
  // and fn returns true; only batches wholly visible are given. Advances position() past each batch given.
  // Returns how many. Each batch's CRC is checked first.
  Result<std::size_t> poll_batches(std::size_t bytes_max, const std::function<bool(const BatchView&)>& fn);
  // Waits until an event at position() is visible, or `timeout` passes. True when one is.
  [[nodiscard]] bool wait(std::chrono::nanoseconds timeout);
  // Waits until any of `readers` has an event visible at its position (or its topic was deleted, which its
  // next poll reports), or `timeout` passes; true when one has. Readers of one Log sleep on the log's
  // wake-up, notified when any partition's visible offsets move: no polling. Readers opened on a directory
  // (Reader::open) or of different Logs are looked at now and then, as wait() does for one such reader.
  // Threads: the calling thread must be the one that uses each of the readers.
  [[nodiscard]] static bool wait_any(std::span<Reader* const> readers, std::chrono::nanoseconds timeout);

 private:
  friend class Log;
  // poll_until's engine: fn takes a run and returns how many of its events it took (fewer: stop there).
  using EventRunUntilCallback = std::function<std::size_t(std::span<const Event>)>;
  Result<std::size_t> poll_runs_until(std::size_t max, const EventRunUntilCallback& fn);

  explicit Reader(std::unique_ptr<detail::ReaderState> state);
  std::unique_ptr<detail::ReaderState> state_;
};

}  // namespace strata
