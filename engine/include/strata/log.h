// strata's public API: a Log on a directory, topics in it, producers that append events.
//
//   auto log = strata::Log::open({.directory = "/var/lib/app/log"});   // Result<std::unique_ptr<Log>>
//   strata::TopicId orders = log.value()->topic("orders").value();
//   auto producer = log.value()->producer();                         // one per thread
//   strata::Ticket ticket = producer->append(orders, key, value).value();
//   std::uint64_t offset = producer->wait(ticket).value();            // acknowledged under the durability
//
// What "acknowledged" means is the log's durability:
//   kNone:  written to the segment file (O_DIRECT, so in the device, not the page cache), not yet synced; a
//           power loss may lose it, a process crash does not. Synced at segment seal, flush() and close().
//   kBatch: synced, by an fdatasync issued every batch_sync_bytes or batch_sync_interval, whichever first.
//   kSync:  synced, by the fdatasync that covers it; fdatasyncs are issued back to back (group commit).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/reader.h"
#include "strata/status.h"

namespace strata {

enum class Durability : std::uint8_t { kNone, kBatch, kSync };

enum class IoMode : std::uint8_t {
  kAuto,          // io_uring when the kernel allows it, else pwrite (stats say which)
  kRequireUring,  // io_uring or open() fails
  kPwrite,        // always the pwrite writer
};

struct LogOptions {
  std::string directory;  // created if missing
  Durability durability = Durability::kSync;
  std::uint64_t batch_sync_bytes = 4u << 20;              // kBatch only
  std::chrono::microseconds batch_sync_interval{10'000};  // kBatch only
  std::uint64_t segment_bytes = 1ull << 30;               // roll size; at least 1 MiB
  std::uint64_t retention_bytes = 0;           // per topic; oldest sealed segments go first; 0: keep all
  std::chrono::microseconds retention_age{0};  // delete sealed segments whose newest event is older; 0: never
  std::size_t producer_ring_bytes = 1u << 20;  // per producer(); a power of two
  std::size_t shared_ring_bytes = 4u << 20;    // shared_producer(): per lane, a lane per core up to 8
  std::size_t staging_bytes = 16u << 20;       // per topic, a multiple of 4096
  std::size_t write_bytes_max = 2u << 20;      // largest single write
  std::size_t appends_in_flight_max = 1u << 16;  // per producer; a power of two
  IoMode io_mode = IoMode::kAuto;
  bool allow_buffered_io = false;  // if the filesystem refuses O_DIRECT, write through the page cache
  bool writer_spin = false;        // writer polls instead of sleeping (for a dedicated core)
};

using TopicId = std::uint32_t;

// Identifies one append of one producer. Cheap to copy.
struct Ticket {
  std::uint64_t sequence = 0;  // the producer's count of appends before this one
};

enum class AppendStatus : std::uint8_t {
  kOk,
  kFull,      // the ring or the in-flight window is full: retry later (try_append only)
  kTooLarge,  // key or value exceeds the limits, or the record does not fit the ring
  kBadTopic,  // not a TopicId of this log
  kClosed,    // the log is closed or failed; wait() on an earlier ticket says why
};

namespace detail {
struct ProducerState;
class LogCore;
}  // namespace detail

// An append being written in place (the zero-copy form): write the key and the value into these spans,
// then Producer::commit() or Producer::abort() it. The spans point into the producer's ring.
struct AppendClaim {
  std::span<std::byte> key;
  std::span<std::byte> value;

 private:
  friend class Producer;
  void* ring_header_ = nullptr;
  std::span<std::byte> ring_record_;
  std::uint64_t ring_end_ = 0;
  std::uint64_t sequence_ = 0;
};

// A producer appends events. producer() gives one that a single thread owns (an SPSC ring, the fastest);
// shared_producer() gives one that any number of threads may use at once (an MPSC ring).
class Producer {
 public:
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Non-blocking. On kOk, *ticket identifies the append.
  AppendStatus try_append(TopicId topic, std::span<const std::byte> key, std::span<const std::byte> value,
                          Ticket* ticket);
  // Blocks while the ring or the in-flight window is full (up to `timeout`).
  Result<Ticket> append(TopicId topic, std::span<const std::byte> key, std::span<const std::byte> value,
                        std::chrono::nanoseconds timeout = std::chrono::seconds(30));
  Result<Ticket> append(TopicId topic, std::string_view key, std::string_view value);

  // The zero-copy form, non-blocking: reserves room for the event in the producer's ring. On kOk, fill
  // claim->key and claim->value, then commit (which gives the ticket) or abort. A producer() holds at most
  // one open claim at a time; the shared producer allows one per thread.
  AppendStatus try_claim(TopicId topic, std::size_t key_bytes, std::size_t value_bytes, AppendClaim* claim);
  Ticket commit(const AppendClaim& claim);
  void abort(const AppendClaim& claim);

  // The offset of the ticket's event once acknowledged, or the error that prevented it. A ticket can be
  // waited for until appends_in_flight_max later appends of this producer; after that it answers kNotFound.
  Result<std::uint64_t> wait(const Ticket& ticket,
                             std::chrono::nanoseconds timeout = std::chrono::seconds(60));
  // Non-blocking form of wait(): false while not yet acknowledged.
  bool is_acknowledged(const Ticket& ticket) const;
  // Waits until every append made so far is acknowledged (the batch form); the first error if any failed.
  Status wait_all(std::chrono::nanoseconds timeout = std::chrono::seconds(60));

 private:
  friend class Log;
  explicit Producer(std::shared_ptr<detail::ProducerState> state) : state_(std::move(state)) {}
  std::shared_ptr<detail::ProducerState> state_;
};

struct TopicStats {
  std::string name;
  std::uint64_t next_offset = 0;     // offsets [0, next_offset) were assigned
  std::uint64_t durable_offset = 0;  // offsets below it are acknowledged
  std::uint64_t segments = 0;
  std::uint64_t disk_bytes = 0;     // bytes the writer has written to segment files (including rewrites)
  bool registered_staging = false;  // its staging buffer is an io_uring fixed buffer
};

struct LogStats {
  std::string io_backend;  // which writer runs: "io_uring (...)" or "pwrite (...)"
  bool direct_io = true;   // false when allow_buffered_io was needed
  std::uint64_t disk_bytes_written = 0;
  std::uint64_t writes = 0;
  std::uint64_t syncs = 0;
  std::string recovery_report;  // what opening the log found and dropped
  std::vector<TopicStats> topics;
};

class Log {
 public:
  // Opens (creating if missing) the log in options.directory and recovers it. Only one process may have a
  // directory open: a second open() fails with kBusy.
  static Result<std::unique_ptr<Log>> open(LogOptions options);
  ~Log();  // close(); acknowledged events are never lost by destruction
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // The topic's id, creating it on first use. Names: letters, digits, '.', '_', '-'; at most 128 bytes;
  // not "." or "..".
  Result<TopicId> topic(std::string_view name);

  std::unique_ptr<Producer> producer();
  Producer& shared_producer();

  // A reader of `topic` (created if missing) that sees acknowledged events only, or with read_uncommitted
  // also those written but not yet synced. It waits for new events without polling the disk.
  // REQUIRES: the reader is destroyed before the Log.
  Result<std::unique_ptr<Reader>> reader(std::string_view topic, bool read_uncommitted = false);

  // Makes every event appended before the call durable (written and synced), whatever the durability.
  Status flush();
  // Drains, writes and syncs everything, stops the writer, releases the directory. Idempotent.
  Status close();

  LogStats stats() const;
  const LogOptions& options() const;

 private:
  explicit Log(std::unique_ptr<detail::LogCore> core);
  std::unique_ptr<detail::LogCore> core_;
  std::unique_ptr<Producer> shared_producer_;
};

// Checks a topic name; the error says what is wrong with it.
Status validate_topic_name(std::string_view name);

}  // namespace strata
