// Reader: a cursor over one topic. Events are handed to a callback as views: for sealed segments they point
// into a read-only mapping shared by every reader in the process (no copy); for the active segment into the
// reader's own buffer (the active segment is never mapped: O_DIRECT writes may still touch it). Views are
// valid only during the callback.
//
// What a reader sees:
//   - opened from a Log (Log::reader): acknowledged (durable) events only, or with read_uncommitted also
//   those
//     written but not yet synced; never a record recovery could later remove;
//   - opened on a directory (Reader::open): every valid record on disk, for tools that run beside a writer in
//     another process (`strata cat`, `strata tail`).
// Every batch's checksum is checked before any of its events is handed out; corruption is an error naming the
// file and position, never returned data.
//
// Threads: one thread per Reader. Many readers may read one topic at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata {

struct Event {
  std::uint64_t offset;
  std::int64_t timestamp_us;         // when the log's writer took the event in (µs since the epoch); never
                                     // decreases along a topic's offsets while one process writes it
  std::span<const std::byte> key;    // valid during the callback only
  std::span<const std::byte> value;  // valid during the callback only
};

using EventCallback = std::function<void(const Event&)>;

namespace detail {
struct ReaderState;
}

class Reader {
 public:
  // A reader of `topic` in the log directory `dir`, positioned at the first event kept.
  static Result<std::unique_ptr<Reader>> open(const std::string& dir, std::string_view topic);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

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

  // Calls fn for up to `max` visible events from position(), in offset order; returns how many.
  Result<std::size_t> poll(std::size_t max, const EventCallback& fn);
  // Waits until an event at position() is visible, or `timeout` passes. True when one is.
  bool wait(std::chrono::nanoseconds timeout);

 private:
  friend class Log;
  explicit Reader(std::unique_ptr<detail::ReaderState> state);
  std::unique_ptr<detail::ReaderState> state_;
};

// Consumer groups: a named, durable checkpoint per topic, so that a projection resumes where it stopped.
// Stored in <dir>/<topic>/groups/<group> (written to a temporary file, synced, renamed, directory synced).
// Group names follow the topic-name rules.
Status commit_group_offset(const std::string& dir, std::string_view topic, std::string_view group,
                           std::uint64_t offset);
// kNotFound when the group never committed.
Result<std::uint64_t> read_group_offset(const std::string& dir, std::string_view topic,
                                        std::string_view group);

}  // namespace strata
