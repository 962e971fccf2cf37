// strata's public API: a Log on a directory, topics in it, producers that append events.
//
//   auto log = strata::Log::open({.directory = "/var/lib/app/log"});   // Result<std::unique_ptr<Log>>
//   strata::TopicId orders = log.value()->topic("orders").value();
//   auto producer = log.value()->producer();                         // one per thread
//   strata::Ticket ticket = producer->append(orders, key, value).value();
//   std::uint64_t offset = producer->wait(ticket).value();            // acknowledged under the durability
//
// What "acknowledged" means is the log's durability (strata/durability.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/compression.h"
#include "strata/durability.h"
#include "strata/key_reader.h"
#include "strata/metrics.h"
#include "strata/reader.h"
#include "strata/status.h"
#include "strata/topic_config.h"

namespace strata {

enum class IoMode : std::uint8_t {
  kAuto,          // io_uring when the kernel allows it, else pwrite (stats say which)
  kRequireUring,  // io_uring or open() fails (under `sync` a lone partition's small writes and their
                  // fdatasyncs still run in the writer thread: LogStats::io_backend says so)
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
  std::size_t shared_ring_bytes = 4u << 20;    // shared_producer(): per lane, a lane per thread up to 16
  std::size_t staging_bytes = 16u << 20;       // per topic, a multiple of 4096
  std::size_t write_bytes_max = 2u << 20;      // largest single write
  std::size_t appends_in_flight_max = 1u << 16;  // per producer; a power of two
  IoMode io_mode = IoMode::kAuto;
  bool allow_buffered_io = false;  // if the filesystem refuses O_DIRECT, write through the page cache
  bool writer_spin = false;        // writer polls instead of sleeping (for a dedicated core)
  // Writer threads, each with its own io_uring; partition i (counted over all topics of the log, in order of
  // creation) belongs to writer i % writer_threads. Each producer() has a ring per writer (producer_ring_bytes
  // each), the shared producer a set of lanes per writer. 1 to kWriterThreadsMax.
  unsigned writer_threads = 1;
  // How often the log's cleaner looks at compacted topics (cleanup.policy=compact) and compacts the
  // partitions whose dirty ratio reached min.cleanable.dirty.ratio; 0: only Log::compact() compacts.
  std::chrono::milliseconds compaction_interval{15'000};
};

// What a compaction pass (Log::compact, or the cleaner) did, summed over the partitions it passed over.
struct CompactionStats {
  std::uint32_t partitions = 0;
  std::uint64_t segments_cleaned = 0;    // sealed segments in the cleanable ranges
  std::uint64_t segments_rewritten = 0;
  std::uint64_t bytes_read = 0;          // data of the cleanable ranges before the pass
  std::uint64_t bytes_written = 0;       // data of the segments rewritten, after
  std::uint64_t bytes_reclaimed = 0;
  std::uint64_t events_kept = 0;
  std::uint64_t events_removed = 0;      // superseded events and expired tombstones
  std::uint64_t tombstones_removed = 0;
  double seconds = 0;
};

inline constexpr unsigned kWriterThreadsMax = 64;

using TopicId = std::uint32_t;

// Appends without a partition go to the partition of their key (Kafka's default partitioner: murmur2 as the
// Java client computes it), or round-robin when the key is empty.
inline constexpr std::uint32_t kAnyPartition = UINT32_MAX;
inline constexpr std::uint32_t kPartitionsMax = 4096;  // per topic

struct TopicOptions {
  // 0: the topic's existing count, or 1 for a new topic. Otherwise the count a new topic gets; opening an
  // existing topic with another count is kInvalidArgument (the count is fixed at creation, as in Kafka).
  std::uint32_t partitions = 0;
  // For the batches the engine frames itself (a new topic only; stored in its metadata). Batches appended
  // with append_batch() keep the compression their client chose.
  Compression compression = Compression::kNone;
  // Kafka topic configs (strata/topic_config.h), stored in the new topic's metadata; checked, an unknown key
  // or bad value is kInvalidArgument naming it. compression.type set to a codec overrides `compression`.
  TopicConfigs configs = {};
};

// A topic's durable metadata (strata's own file beside the partition directories).
struct TopicInfo {
  std::string name;
  std::uint32_t partitions = 1;
  Compression compression = Compression::kNone;
  std::int64_t created_time_us = 0;
  // 32 hex digits, random at creation: a directory recreated under the same name gets another one, so a
  // consumer holding positions of the old one (a projection's checkpoint) can tell the histories apart.
  std::string log_id;
  TopicConfigs configs = {};  // those set on the topic (the others follow the log's defaults)
};

// Identifies one append of one producer. Cheap to copy.
struct Ticket {
  std::uint64_t sequence = 0;   // the producer's count of appends before this one
  std::uint32_t partition = 0;  // the partition the event went to
};

// [[nodiscard]]: an append that is not kOk did not happen; ignoring the answer loses the event.
enum class [[nodiscard]] AppendStatus : std::uint8_t {
  kOk,
  kFull,      // the ring or the in-flight window is full: retry later (try_append only)
  kTooLarge,  // key, value or headers exceed the limits, or the record does not fit the ring
  kBadTopic,  // not a TopicId of this log, or not a partition of the topic
  kClosed,    // the log is closed or failed; wait() on an earlier ticket says why
  kBadExpectation,  // a conditional append to a topic without strata.key-index=true, or without a key
};

// What a conditional append expects of its key's last event (topics with strata.key-index=true):
//   Expected::offset(N)   the key's last event is at offset N (in the partition the append goes to);
//   Expected::no_event()  the key has no event yet;
//   Expected::any()       no condition (a plain append).
// The writer decides, in its order of appends: of racing appends expecting the same offset one wins and
// the others fail. A failed expectation stores nothing; wait() answers kConflict and the Status's
// conflict_offset() is the key's last offset then (-1: none). Exact across restarts: the key index is
// rebuilt from the log when its files are missing or corrupt. (Events that retention deleted are no longer
// a key's last event after a restart.)
class Expected {
 public:
  static constexpr Expected any() { return Expected(kAnyValue); }
  static constexpr Expected no_event() { return Expected(kNoEventValue); }
  // REQUIRES: offset < 2^62 (larger ones are refused as kBadExpectation).
  static constexpr Expected offset(std::uint64_t offset) { return Expected(offset); }
  constexpr bool is_any() const { return value_ == kAnyValue; }
  constexpr bool is_no_event() const { return value_ == kNoEventValue; }
  // The expected offset. REQUIRES: !is_any() && !is_no_event().
  constexpr std::uint64_t expected_offset() const { return value_; }
  constexpr std::uint64_t encoded() const { return value_; }  // the writer's form

 private:
  static constexpr std::uint64_t kAnyValue = UINT64_MAX;
  static constexpr std::uint64_t kNoEventValue = UINT64_MAX - 1;
  constexpr explicit Expected(std::uint64_t value) : value_(value) {}
  std::uint64_t value_;
};

struct AppendOptions {
  Expected expected = Expected::any();
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
  std::uint32_t partition_ = 0;
  std::uint32_t writer_ = 0;  // whose ring holds the claim
  TopicId topic_ = 0;
  bool by_key_ = false;  // the partition is chosen at commit, from the key as written
};

// What an idempotent producer is: a producer id handed out by Log::allocate_producer_id() and its epoch.
struct ProducerIdentity {
  std::int64_t producer_id = -1;
  std::int16_t epoch = -1;
};

// A producer appends events. producer() gives one that a single thread owns (an SPSC ring, the fastest);
// shared_producer() gives one that any number of threads may use at once (an MPSC ring).
//
// Lifetime: a Producer must be destroyed before its Log. One used after its Log is gone answers kClosed for
// appends and waits (it holds the log's shared state, never a dangling pointer).
class Producer {
 public:
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Non-blocking. On kOk, *ticket identifies the append (and names its partition). `partition` may be
  // kAnyPartition. `headers` are stored as the record's Kafka headers.
  AppendStatus try_append(TopicId topic, std::uint32_t partition, std::span<const std::byte> key,
                          std::span<const std::byte> value, std::span<const EventHeader> headers,
                          Ticket* ticket);
  AppendStatus try_append(TopicId topic, std::span<const std::byte> key, std::span<const std::byte> value,
                          Ticket* ticket) {
    return try_append(topic, kAnyPartition, key, value, {}, ticket);
  }
  // Blocks while the ring or the in-flight window is full (up to `timeout`).
  Result<Ticket> append(TopicId topic, std::uint32_t partition, std::span<const std::byte> key,
                        std::span<const std::byte> value, std::span<const EventHeader> headers = {},
                        std::chrono::nanoseconds timeout = std::chrono::seconds(30));
  Result<Ticket> append(TopicId topic, std::span<const std::byte> key, std::span<const std::byte> value,
                        std::chrono::nanoseconds timeout = std::chrono::seconds(30)) {
    return append(topic, kAnyPartition, key, value, {}, timeout);
  }
  Result<Ticket> append(TopicId topic, std::string_view key, std::string_view value);
  // Appends with options: a conditional append, `{.expected = Expected::offset(n)}` (see Expected). A
  // failed expectation is reported by wait() (kConflict), not here. kInvalidArgument for an expectation on
  // a topic without a key index or an event without a key.
  AppendStatus try_append(TopicId topic, std::uint32_t partition, std::span<const std::byte> key,
                          std::span<const std::byte> value, std::span<const EventHeader> headers,
                          const AppendOptions& options, Ticket* ticket);
  Result<Ticket> append(TopicId topic, std::uint32_t partition, std::span<const std::byte> key,
                        std::span<const std::byte> value, std::span<const EventHeader> headers,
                        const AppendOptions& options, std::chrono::nanoseconds timeout = std::chrono::seconds(30));

  // The zero-copy form, non-blocking: reserves room for the event in the producer's ring (the headers are
  // copied in now). On kOk, fill claim->key and claim->value, then commit (which gives the ticket) or abort.
  // A producer() holds at most one open claim at a time; the shared producer allows one per thread. With
  // kAnyPartition and a key, the partition is chosen at commit (from the key's bytes as written).
  AppendStatus try_claim(TopicId topic, std::uint32_t partition, std::size_t key_bytes,
                         std::size_t value_bytes, std::span<const EventHeader> headers, AppendClaim* claim);
  AppendStatus try_claim(TopicId topic, std::size_t key_bytes, std::size_t value_bytes, AppendClaim* claim) {
    return try_claim(topic, kAnyPartition, key_bytes, value_bytes, {}, claim);
  }
  [[nodiscard]] Ticket commit(const AppendClaim& claim);
  void abort(const AppendClaim& claim);

  // Appends a whole Kafka RecordBatch (magic 2) as a client sent it, to one partition: checked (size, magic,
  // CRC-32C, record count against lastOffsetDelta, no control batch, no transactional batch), then stored as
  // it came with its baseOffset rewritten. kInvalidArgument / kCorruption / kTooLarge come back at once.
  // A batch with a producer id follows Kafka's idempotence rules per (partition, producer id): an exact
  // retry of one of the last 5 batches is not stored again and its wait() gives the original base offset; a
  // gap in the sequence is kOutOfOrderSequence and an older epoch kProducerFenced (from wait()).
  // wait() gives the batch's base offset once acknowledged under the log's durability.
  Result<Ticket> append_batch(TopicId topic, std::uint32_t partition, std::span<const std::byte> batch,
                              std::chrono::nanoseconds timeout = std::chrono::seconds(30));

  // The offset of the ticket's event once acknowledged, or the error that prevented it. A ticket can be
  // waited for until appends_in_flight_max later appends of this producer; after that it answers kNotFound.
  [[nodiscard]] Result<std::uint64_t> wait(const Ticket& ticket,
                                           std::chrono::nanoseconds timeout = std::chrono::seconds(60));
  // Non-blocking form of wait(): false while not yet acknowledged.
  [[nodiscard]] bool is_acknowledged(const Ticket& ticket) const;
  // Waits until every append made so far is acknowledged (the batch form); the first error if any failed.
  Status wait_all(std::chrono::nanoseconds timeout = std::chrono::seconds(60));

  // For event loops that cannot block in wait(): after watch_acknowledgements(fd), the writer that next
  // acknowledges (or fails) an append of this producer adds 1 to the eventfd `fd`, once. To wait without
  // missing an acknowledgement: call it, then is_acknowledged() on what you wait for, then wait for `fd` to
  // be readable; call it again before each wait. kFull when 64 other fds watch this producer.
  Status watch_acknowledgements(int fd);
  // No writer writes to `fd` once this returns: call it before closing `fd`.
  void unwatch_acknowledgements(int fd);

 private:
  friend class Log;
  explicit Producer(std::shared_ptr<detail::ProducerState> state) : state_(std::move(state)) {}
  AppendStatus claim_with(TopicId topic, std::uint32_t partition, std::size_t key_bytes, std::size_t value_bytes,
                          std::span<const EventHeader> headers, Expected expected, AppendClaim* claim);
  std::shared_ptr<detail::ProducerState> state_;
};

// Where a partition's offsets stand.
struct PartitionOffsets {
  std::uint64_t log_start = 0;  // the earliest offset kept (retention deletes below it)
  std::uint64_t durable = 0;    // offsets below are acknowledged (Kafka's high watermark)
  std::uint64_t written = 0;    // offsets below are written, maybe not yet synced
};

struct TopicStats {  // one per partition
  std::string name;
  std::uint32_t partition = 0;
  std::uint64_t next_offset = 0;     // offsets [0, next_offset) were assigned
  std::uint64_t durable_offset = 0;  // offsets below it are acknowledged
  std::uint64_t segments = 0;
  std::uint64_t disk_bytes = 0;     // bytes the writer has written to segment files (including rewrites)
  // io_uring only: its staging buffer is registered with the ring as a fixed buffer (IORING_OP_WRITE_FIXED,
  // no page pinning per write). Always false under the pwrite writer; for diagnosing write throughput.
  bool io_uring_registered_staging = false;
};

struct LogStats {
  std::string io_backend;  // which writer runs: "io_uring (...)" or "pwrite (...)", and what else it uses
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
  // kOutOfMemory when the rings or staging buffers cannot be allocated.
  static Result<std::unique_ptr<Log>> open(LogOptions options);
  ~Log();  // close(); acknowledged events are never lost by destruction
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // The topic's id, creating it on first use (with `options`). Names: letters, digits, '.', '_', '-'; at
  // most 128 bytes; not "." or "..".
  Result<TopicId> topic(std::string_view name, const TopicOptions& options = {});
  // The id of an existing topic; kNotFound when there is none (nothing is created).
  Result<TopicId> find_topic(std::string_view name) const;
  // Deletes the topic: its partition directories, its metadata file and every group's checkpoints of it,
  // durably (a crash midway is finished by the next open()). kNotFound when there is none. Blocks while the
  // log flushes (what was appended to the topic before the call is written first, then removed).
  // What happens to users of the deleted topic's id: appends answer kBadTopic (those racing with the call
  // get kNotFound from wait()), offsets() answers kNotFound, and its Readers answer kNotFound from then on
  // (wait() returns false at once) and release the files. topic() of the same name later creates a new
  // topic: a new id, a new log_id, offsets from 0. A deleted topic's in-memory partition state (its staging
  // buffers) is kept until the log closes: ids are never reused.
  Status delete_topic(std::string_view name);
  // Replaces the configs set on the topic by `configs` (Kafka's AlterConfigs; a key left out goes back to
  // its default), checked first, durably (the metadata file is rewritten and synced) and in effect for the
  // appends, rolls and retention passes that follow. kNotFound when there is no such topic.
  Status set_topic_configs(std::string_view name, TopicConfigs configs);
  // Kafka's CreatePartitions: the topic gets `partitions` partitions in all (more than it has; a count only
  // grows), durably, the new ones empty and open to appends when this returns. Events appended by key after
  // it may map to other partitions than before, as in Kafka. kInvalidArgument when `partitions` is not larger
  // or over kPartitionsMax, kNotFound when there is no such topic.
  Status increase_partitions(std::string_view name, std::uint32_t partitions);
  // Runs a compaction pass over every partition of the topic now (engine/compactor.h), whatever its dirty
  // ratio: each key's latest event is kept in the sealed segments, offsets unchanged. kInvalidArgument when
  // the topic's cleanup.policy has no "compact", kNotFound when there is no such topic.
  Result<CompactionStats> compact(std::string_view topic);
  // The topic's metadata. REQUIRES: `topic` came from topic().
  TopicInfo topic_info(TopicId topic) const;
  // Every topic of the log, by name.
  std::vector<TopicInfo> topics() const;
  Result<PartitionOffsets> offsets(TopicId topic, std::uint32_t partition) const;

  // A new idempotent-producer identity (epoch 0). Ids are handed out durably: never twice, across restarts.
  Result<ProducerIdentity> allocate_producer_id();

  // A new producer with its own ring (producer_ring_bytes, mmapped now). The one exception the API lets
  // escape: std::bad_alloc when that mapping fails (the C API answers STRATA_OUT_OF_MEMORY instead).
  [[nodiscard]] std::unique_ptr<Producer> producer();
  // The log's one shared producer (its rings were allocated by open()). Valid until the Log is destroyed.
  Producer& shared_producer();

  // A reader of one partition of `topic` (created if missing) that sees acknowledged events only, or with
  // ReadLevel::kWritten also those written but not yet synced. It waits for new events without polling.
  // REQUIRES: the reader is destroyed before the Log.
  Result<std::unique_ptr<Reader>> reader(std::string_view topic, std::uint32_t partition = 0,
                                         ReadLevel level = ReadLevel::kDurable);
  // For event loops that cannot block in Reader::wait(): after watch_appends(fd), the writer that next makes
  // events of any partition visible to this log's readers adds 1 to the eventfd `fd`, once. To wait without
  // missing new events: call it, then look (Reader::end_offset()), then wait for `fd` to be readable; call it
  // again before each wait. kFull when 64 other fds watch this log.
  Status watch_appends(int fd);
  // No writer writes to `fd` once this returns: call it before closing `fd`.
  void unwatch_appends(int fd);

  // A reader of one key's events (strata/key_reader.h) of one partition of `topic`, a topic created with
  // strata.key-index=true (else kInvalidArgument); it sees what Log::reader with `level` sees.
  // REQUIRES: the reader is destroyed before the Log.
  Result<std::unique_ptr<KeyReader>> key_reader(std::string_view topic, std::uint32_t partition = 0,
                                                ReadLevel level = ReadLevel::kDurable);

  // Makes every event appended before the call durable (written and synced), whatever the durability.
  Status flush();
  // Drains, writes and syncs everything, stops the writer, releases the directory. Idempotent.
  Status close();

  LogStats stats() const;
  // What `strata serve --metrics` shows of the log (strata/metrics.h): per partition the records and bytes
  // appended since open, the fdatasync latencies, and every consumer group's committed offsets with their
  // lag behind the acknowledged end. An error only when the consumer-group file cannot be read.
  Result<LogMetrics> metrics() const;
  const LogOptions& options() const;

 private:
  explicit Log(std::shared_ptr<detail::LogCore> core);
  std::shared_ptr<detail::LogCore> core_;
  std::unique_ptr<Producer> shared_producer_;
};

// Checks a topic name; the error says what is wrong with it.
Status validate_topic_name(std::string_view name);

}  // namespace strata
