// The public API: Log forwards to LogCore; Producer's append and wait are the producer-side hot paths.
#include "strata/log.h"

#include <cstring>
#include <new>
#include <thread>

#include "engine/format.h"
#include "engine/key_reader_state.h"
#include "engine/log_core.h"
#include "engine/reader_state.h"
#include "engine/partitioner.h"
#include "engine/recovery.h"
#include "base/probes.h"
#include "ring/backpressure.h"

namespace strata {

using detail::ProducerState;
using detail::RingRecordHeader;

namespace {

// The value `done` holds while the slot's previous occupant (sequence - slots) is settled, i.e. the slot is
// free for `sequence`.
std::uint64_t free_mark(std::uint64_t sequence, std::uint64_t slots) {
  return sequence >= slots ? sequence - slots + 1 : 0;
}

// Takes the next sequence number if its acknowledgement slot is free. Returns false when the in-flight window
// is full.
bool take_sequence(ProducerState& state, std::uint64_t* sequence) {
  const std::uint64_t slots = state.slot_mask + 1;
  std::uint64_t next = state.next_sequence.load(std::memory_order_relaxed);
  while (true) {
    if (state.slot(next).done.load(std::memory_order_acquire) != free_mark(next, slots)) return false;
    if (state.owned) {
      *sequence = next;  // one thread owns this producer: published after the commit
      return true;
    }
    if (state.next_sequence.compare_exchange_weak(next, next + 1, std::memory_order_relaxed)) {
      *sequence = next;
      return true;
    }
  }
}

// The Status of a conditional append the writer refused (detail::conflict_outcome()).
Status conflict_status(std::uint64_t outcome) {
  const std::uint64_t last_plus_one = outcome & ~detail::kConflictBit;
  if (last_plus_one == 0) {
    return Status::conflict(-1, "expected offset not met: the key has no event (nothing was stored)");
  }
  return Status::conflict(static_cast<std::int64_t>(last_plus_one - 1),
                          "expected offset not met: the key's last event is at offset " +
                              std::to_string(last_plus_one - 1) + " (nothing was stored)");
}

}  // namespace

// ---- Producer ---------------------------------------------------------------------------------------------

Producer::~Producer() {
  if (state_ && state_->owned) state_->closed.store(true, std::memory_order_release);
}

namespace {

ring::ClaimStatus try_claim_in(ProducerState& state, unsigned writer, std::size_t bytes, ring::Claim* ring_claim) {
  return state.owned ? state.spsc[writer]->try_claim(bytes, ring_claim)
                     : state.mpsc[writer]->try_claim(bytes, ring_claim);
}

void abort_in(ProducerState& state, unsigned writer, const ring::Claim& ring_claim) {
  if (state.owned) {
    state.spsc[writer]->abort(ring_claim);
  } else {
    state.mpsc[writer]->abort(ring_claim);
  }
}

// Claims room for `bytes` of payload after the ring header in the ring of `writer` and takes a sequence for it.
AppendStatus claim_ring(ProducerState& state, unsigned writer, std::size_t bytes, ring::Claim* ring_claim,
                        std::uint64_t* sequence) {
  const ring::ClaimStatus claimed = try_claim_in(state, writer, bytes, ring_claim);
  if (claimed != ring::ClaimStatus::kOk) [[unlikely]] {
    return claimed == ring::ClaimStatus::kFull ? AppendStatus::kFull : AppendStatus::kTooLarge;
  }
  if (!take_sequence(state, sequence)) [[unlikely]] {
    abort_in(state, writer, *ring_claim);
    return AppendStatus::kFull;
  }
  return AppendStatus::kOk;
}

void commit_ring(ProducerState& state, unsigned writer, const ring::Claim& ring_claim, std::uint64_t sequence) {
  if (state.owned) {
    state.spsc[writer]->commit(ring_claim);
    // Release: the writers' unacknowledged() count never sees a sequence whose record is not in a ring.
    state.next_sequence.store(sequence + 1, std::memory_order_release);
  } else {
    state.mpsc[writer]->commit(ring_claim);
  }
  state.core->wake_writer(writer);
}

// Commit of a claim whose partition (chosen by its key, at commit) belongs to another writer than the ring it
// was claimed in: the record moves to that writer's ring, waiting for room there. If the log stops accepting
// meanwhile, the append is settled as failed (its ticket's wait() says why).
void commit_moved(ProducerState& state, unsigned from, unsigned to, const ring::Claim& claimed,
                  std::uint64_t sequence) {
  ring::Claim moved;
  for (unsigned tries = 0;; ++tries) {
    const ring::ClaimStatus status = try_claim_in(state, to, claimed.payload.size(), &moved);
    if (status == ring::ClaimStatus::kOk) break;
    // kTooLarge cannot happen: the rings of one producer have one size. kFull: the writer drains it.
    if (!state.core->accepting()) {
      abort_in(state, from, claimed);
      if (state.owned) state.next_sequence.store(sequence + 1, std::memory_order_release);
      detail::publish_ack(state.slot(sequence), sequence, detail::kFailedOffset);
      state.settled_by_producer.fetch_add(1, std::memory_order_acq_rel);
      return;
    }
    state.core->wake_writer(to);
    if (tries < 64) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  std::memcpy(moved.payload.data(), claimed.payload.data(), claimed.payload.size());
  commit_ring(state, to, moved, sequence);
  abort_in(state, from, claimed);  // after the commit: an SPSC ring's abort must not give the sequence back
}

std::span<const std::byte> as_bytes(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

}  // namespace

AppendStatus Producer::try_claim(TopicId topic, std::uint32_t partition, std::size_t key_bytes,
                                 std::size_t value_bytes, std::span<const EventHeader> headers, AppendClaim* claim) {
  return claim_with(topic, partition, key_bytes, value_bytes, headers, Expected::any(), claim);
}

AppendStatus Producer::claim_with(TopicId topic, std::uint32_t partition, std::size_t key_bytes,
                                  std::size_t value_bytes, std::span<const EventHeader> headers, Expected expected,
                                  AppendClaim* claim) {
  ProducerState& state = *state_;
  detail::LogCore& core = *state.core;
  if (!core.accepting()) [[unlikely]]
    return AppendStatus::kClosed;
  if (topic >= core.topic_count()) [[unlikely]]
    return AppendStatus::kBadTopic;
  const detail::TopicEntry& entry = core.topic_entry(topic);
  if ((partition != kAnyPartition && partition >= entry.partition_count()) || core.topic_deleted(topic))
      [[unlikely]]
    return AppendStatus::kBadTopic;
  const bool conditional = !expected.is_any();
  if (conditional && (key_bytes == 0 || !entry.settings->key_index.load(std::memory_order_relaxed) ||
                      (!expected.is_no_event() && expected.expected_offset() >= detail::kConflictBit)))
      [[unlikely]] {
    return AppendStatus::kBadExpectation;
  }
  const std::size_t headers_bytes = headers.empty() ? 0 : format::encoded_headers_bytes(headers);
  if (key_bytes > format::kKeyBytesMax || value_bytes > format::kValueBytesMax ||
      headers_bytes > format::kHeadersBytesMax ||
      format::record_bytes_max(key_bytes, value_bytes, headers_bytes) > core.event_bytes_max()) [[unlikely]] {
    return AppendStatus::kTooLarge;
  }
  std::uint32_t chosen = partition;
  if (partition == kAnyPartition) {
    if (entry.partition_count() == 1) {
      chosen = 0;
    } else if (key_bytes == 0) {
      chosen = state.round_robin.fetch_add(1, std::memory_order_relaxed) % entry.partition_count();
    }  // else by the key, at commit
  }
  // By the key: claimed in the ring of the topic's first partition's writer, moved at commit if need be.
  const unsigned writer = state.writer_of(entry.partition_id(chosen == kAnyPartition ? 0 : chosen));
  const std::size_t extra =
      (headers.empty() ? 0 : sizeof(std::uint32_t) + headers_bytes) + (conditional ? sizeof(std::uint64_t) : 0);
  ring::Claim ring_claim;
  std::uint64_t sequence = 0;
  const AppendStatus claimed = claim_ring(state, writer, sizeof(RingRecordHeader) + key_bytes + value_bytes + extra,
                                          &ring_claim, &sequence);
  if (claimed != AppendStatus::kOk) [[unlikely]]
    return claimed;
  std::byte* payload = ring_claim.payload.data() + sizeof(RingRecordHeader);
  std::uint32_t key_field = static_cast<std::uint32_t>(key_bytes);
  if (conditional) {
    key_field |= RingRecordHeader::kConditional;
    const std::uint64_t encoded = expected.encoded();
    std::memcpy(payload, &encoded, sizeof encoded);
    payload += sizeof encoded;
  }
  if (!headers.empty()) {
    key_field |= RingRecordHeader::kHasHeaders;
    const auto headers_size = static_cast<std::uint32_t>(headers_bytes);
    std::memcpy(payload, &headers_size, sizeof headers_size);
    payload += sizeof headers_size;
    format::encode_headers(payload + key_bytes + value_bytes, headers);
  }
  const RingRecordHeader header{entry.partition_id(chosen == kAnyPartition ? 0 : chosen), key_field, sequence};
  std::memcpy(ring_claim.payload.data(), &header, sizeof header);
  claim->key = {payload, key_bytes};
  claim->value = {payload + key_bytes, value_bytes};
  claim->ring_header_ = ring_claim.header;
  claim->ring_record_ = ring_claim.payload;
  claim->ring_end_ = ring_claim.end_position;
  claim->sequence_ = sequence;
  claim->partition_ = chosen;
  claim->writer_ = writer;
  claim->by_key_ = chosen == kAnyPartition;
  claim->topic_ = topic;
  return AppendStatus::kOk;
}

Ticket Producer::commit(const AppendClaim& claim) {
  ProducerState& state = *state_;
  std::uint32_t partition = claim.partition_;
  const ring::Claim ring_claim{claim.ring_record_, static_cast<ring::RecordHeader*>(claim.ring_header_),
                               claim.ring_end_};
  if (claim.by_key_) {
    // The partition of the key as written, by Kafka's default partitioner.
    const detail::TopicEntry& entry = state.core->topic_entry(claim.topic_);
    partition = format::partition_for_key(claim.key, entry.partition_count());
    RingRecordHeader header;
    std::memcpy(&header, claim.ring_record_.data(), sizeof header);
    header.partition = entry.partition_id(partition);
    std::memcpy(claim.ring_record_.data(), &header, sizeof header);
    if (const unsigned owner = state.writer_of(header.partition); owner != claim.writer_) [[unlikely]] {
      commit_moved(state, claim.writer_, owner, ring_claim, claim.sequence_);
      STRATA_PROBE3(append, claim.topic_, partition, claim.ring_record_.size());
      return Ticket{claim.sequence_, partition};
    }
  }
  commit_ring(state, claim.writer_, ring_claim, claim.sequence_);
  STRATA_PROBE3(append, claim.topic_, partition, claim.ring_record_.size());
  return Ticket{claim.sequence_, partition};
}

void Producer::abort(const AppendClaim& claim) {
  ProducerState& state = *state_;
  const ring::Claim ring_claim{claim.ring_record_, static_cast<ring::RecordHeader*>(claim.ring_header_),
                               claim.ring_end_};
  abort_in(state, claim.writer_, ring_claim);
  // An SPSC ring's sequence was never published: the next claim takes it again. A shared ring's claim becomes
  // padding and its sequence is taken for good: its slot is settled so the in-flight window does not stall.
  if (!state.owned) {
    detail::publish_ack(state.slot(claim.sequence_), claim.sequence_, detail::kFailedOffset);
  }
}

AppendStatus Producer::try_append(TopicId topic, std::uint32_t partition, std::span<const std::byte> key,
                                  std::span<const std::byte> value, std::span<const EventHeader> headers,
                                  Ticket* ticket) {
  return try_append(topic, partition, key, value, headers, AppendOptions{}, ticket);
}

AppendStatus Producer::try_append(TopicId topic, std::uint32_t partition, std::span<const std::byte> key,
                                  std::span<const std::byte> value, std::span<const EventHeader> headers,
                                  const AppendOptions& options, Ticket* ticket) {
  detail::LogCore& core = *state_->core;
  if (partition == kAnyPartition && !key.empty() && state_->writer_count > 1 && topic < core.topic_count()) {
    // Known now, so the claim lands in the ring of the partition's writer at once (see commit()).
    const std::uint32_t partitions = core.topic_entry(topic).partition_count();
    if (partitions > 1) partition = format::partition_for_key(key, partitions);
  }
  AppendClaim claim;
  const AppendStatus status =
      claim_with(topic, partition, key.size(), value.size(), headers, options.expected, &claim);
  if (status != AppendStatus::kOk) [[unlikely]]
    return status;
  if (!key.empty()) std::memcpy(claim.key.data(), key.data(), key.size());
  if (!value.empty()) std::memcpy(claim.value.data(), value.data(), value.size());
  *ticket = commit(claim);
  return AppendStatus::kOk;
}

namespace {

// Retries `attempt` while it answers kFull, yielding then sleeping, up to `timeout`; turns the other answers
// into Statuses.
// `what` (a callable giving text) names the append in error messages; it is called only on an error.
template <typename What, typename Attempt>
Result<Ticket> append_blocking(ProducerState& state, std::chrono::nanoseconds timeout, What&& what,
                               Attempt&& attempt) {
  Ticket ticket;
  // Read the clock only once the ring is full: an append that fits at once costs no clock_gettime.
  std::chrono::steady_clock::time_point deadline{};
  std::chrono::microseconds sleep{1};
  for (unsigned tries = 0;; ++tries) {
    switch (attempt(&ticket)) {
      case AppendStatus::kOk:
        return ticket;
      case AppendStatus::kTooLarge:
        return Status(StatusCode::kTooLarge, what() + " too large (limits: key " + std::to_string(format::kKeyBytesMax) +
                                                 ", value " + std::to_string(format::kValueBytesMax) + ", headers " +
                                                 std::to_string(format::kHeadersBytesMax) +
                                                 ", the segment size and the producer ring's record limit)");
      case AppendStatus::kBadTopic:
        return invalid_argument(what() + ": not a topic and partition of this log");
      case AppendStatus::kBadExpectation:
        return invalid_argument(what() + ": an expected offset needs a key and a topic with strata.key-index=true");
      case AppendStatus::kClosed: {
        Status failure = state.core->failure();
        return failure.is_ok() ? Status(StatusCode::kClosed, "the log is closed") : failure;
      }
      case AppendStatus::kFull:
        break;
    }
    const auto now = std::chrono::steady_clock::now();
    if (tries == 0) deadline = now + timeout;
    if (now >= deadline) {
      return Status(StatusCode::kTimedOut, "append: the producer's ring or in-flight window stayed full");
    }
    if (tries < 64) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(sleep);
      sleep = std::min(sleep * 2, std::chrono::microseconds(1000));
    }
  }
}

}  // namespace

Result<Ticket> Producer::append(TopicId topic, std::uint32_t partition, std::span<const std::byte> key,
                                std::span<const std::byte> value, std::span<const EventHeader> headers,
                                std::chrono::nanoseconds timeout) {
  return append(topic, partition, key, value, headers, AppendOptions{}, timeout);
}

Result<Ticket> Producer::append(TopicId topic, std::uint32_t partition, std::span<const std::byte> key,
                                std::span<const std::byte> value, std::span<const EventHeader> headers,
                                const AppendOptions& options, std::chrono::nanoseconds timeout) {
  const auto what = [&] {
    return "event (key " + std::to_string(key.size()) + " bytes, value " + std::to_string(value.size()) + " bytes)";
  };
  return append_blocking(*state_, timeout, what, [&](Ticket* ticket) {
    return try_append(topic, partition, key, value, headers, options, ticket);
  });
}

Result<Ticket> Producer::append_batch(TopicId topic, std::uint32_t partition, std::span<const std::byte> batch,
                                      std::chrono::nanoseconds timeout) {
  ProducerState& state = *state_;
  detail::LogCore& core = *state.core;
  format::BatchHeader header;
  STRATA_RETURN_IF_ERROR(format::validate_client_batch(
      batch, std::min(detail::kClientBatchBytesMax, core.event_bytes_max()), &header));
  if (topic < core.topic_count()) {
    const std::uint32_t limit = core.topic_entry(topic).settings->max_message_bytes.load(std::memory_order_relaxed);
    if (batch.size() > limit) {
      return Status(StatusCode::kTooLarge, "a batch of " + std::to_string(batch.size()) + " bytes exceeds topic " +
                                               core.topic_entry(topic).info.name + "'s max.message.bytes " +
                                               std::to_string(limit));
    }
  }
  auto attempt = [&](Ticket* ticket) {
    if (!core.accepting()) [[unlikely]]
      return AppendStatus::kClosed;
    if (topic >= core.topic_count() || partition >= core.topic_entry(topic).partition_count() ||
        core.topic_deleted(topic)) [[unlikely]]
      return AppendStatus::kBadTopic;
    const detail::PartitionId id = core.topic_entry(topic).partition_id(partition);
    const unsigned writer = state.writer_of(id);
    ring::Claim ring_claim;
    std::uint64_t sequence = 0;
    const AppendStatus claimed =
        claim_ring(state, writer, sizeof(RingRecordHeader) + batch.size(), &ring_claim, &sequence);
    if (claimed != AppendStatus::kOk) return claimed;
    const RingRecordHeader ring_header{id, RingRecordHeader::kClientBatch, sequence};
    std::memcpy(ring_claim.payload.data(), &ring_header, sizeof ring_header);
    std::memcpy(ring_claim.payload.data() + sizeof ring_header, batch.data(), batch.size());
    commit_ring(state, writer, ring_claim, sequence);
    *ticket = Ticket{sequence, partition};
    return AppendStatus::kOk;
  };
  return append_blocking(
      state, timeout, [&] { return "record batch of " + std::to_string(batch.size()) + " bytes"; }, attempt);
}

Result<Ticket> Producer::append(TopicId topic, std::string_view key, std::string_view value) {
  return append(topic, kAnyPartition, as_bytes(key), as_bytes(value));
}

bool Producer::is_acknowledged(const Ticket& ticket) const {
  const std::uint64_t done = state_->slot(ticket.sequence).done.load(std::memory_order_acquire);
  return done != detail::kSlotBusy && done >= ticket.sequence + 1;
}

Status Producer::watch_acknowledgements(int fd) {
  if (state_->ack_fds.arm(fd)) return Status::ok();
  return Status(StatusCode::kFull,
                "64 other file descriptors already watch this producer's acknowledgements");
}

void Producer::unwatch_acknowledgements(int fd) {
  state_->ack_fds.forget(fd);
}

Status Log::watch_appends(int fd) {
  if (core_->visible_fds().arm(fd)) return Status::ok();
  return Status(StatusCode::kFull, "64 other file descriptors already watch this log's appends");
}

void Log::unwatch_appends(int fd) {
  core_->visible_fds().forget(fd);
}

Result<std::uint64_t> Producer::wait(const Ticket& ticket, std::chrono::nanoseconds timeout) {
  ProducerState& state = *state_;
  detail::AckSlot& slot = state.slot(ticket.sequence);
  const std::uint64_t mark = ticket.sequence + 1;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (unsigned attempt = 0;; ++attempt) {
    const std::uint64_t done = slot.done.load(std::memory_order_acquire);
    if (done == mark) {
      const std::uint64_t offset = slot.offset.load(std::memory_order_acquire);
      if (slot.done.load(std::memory_order_relaxed) == mark) {
        if (offset == detail::kFailedOffset) return state.core->failure();
        if (offset == detail::kOutOfOrderOffset) {
          return Status(StatusCode::kOutOfOrderSequence,
                        "the batch's sequence does not follow its producer's previous batch");
        }
        if (offset == detail::kTopicDeletedOffset) {
          return Status(StatusCode::kNotFound, "the topic was deleted before the append was written");
        }
        if (offset == detail::kFencedOffset) {
          return Status(StatusCode::kProducerFenced, "the batch's producer epoch is older than one already seen");
        }
        if ((offset & detail::kConflictBit) != 0) return conflict_status(offset);
        return offset;
      }
    } else if (done != detail::kSlotBusy && done > mark) {
      return Status(StatusCode::kNotFound, "ticket " + std::to_string(ticket.sequence) +
                                               " expired: more than appends_in_flight_max appends since");
    }
    if (done != detail::kSlotBusy && done < mark) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        return Status(StatusCode::kTimedOut,
                      "no acknowledgement for ticket " + std::to_string(ticket.sequence));
      }
      if (attempt >= 16) {
        state.ack_signal.wait_for(
            [&] {
              const std::uint64_t now_done = slot.done.load(std::memory_order_acquire);
              return now_done != detail::kSlotBusy && now_done < mark;
            },
            std::min<std::chrono::nanoseconds>(deadline - now, std::chrono::milliseconds(100)));
      }
    }
  }
}

Status Producer::wait_all(std::chrono::nanoseconds timeout) {
  ProducerState& state = *state_;
  const std::uint64_t end = state.next_sequence.load(std::memory_order_acquire);
  Status first_error;
  const std::uint64_t slots = state.slot_mask + 1;
  std::uint64_t begin = end > slots ? std::max(state.waited_through, end - slots) : state.waited_through;
  for (std::uint64_t sequence = begin; sequence < end; ++sequence) {
    auto offset = wait(Ticket{sequence}, timeout);
    if (!offset && offset.status().code() != StatusCode::kNotFound && first_error.is_ok()) {
      first_error = offset.status();
    }
  }
  if (state.owned) state.waited_through = end;
  return first_error;
}

// ---- Log --------------------------------------------------------------------------------------------------

Log::Log(std::shared_ptr<detail::LogCore> core) : core_(std::move(core)) {
  shared_producer_.reset(new Producer(core_->new_producer(/*shared=*/true)));
}

Log::~Log() {
  (void)close();
}

Result<std::unique_ptr<Log>> Log::open(LogOptions options) {
  const std::string directory = options.directory;
  // The rings are mmapped and the staging slabs allocated here; a failure is the caller's to handle (a
  // smaller ring_bytes), not an exception through the API. A partly opened core closes in its destructor.
  try {
    auto core = detail::LogCore::open(std::move(options));
    if (!core) return core.status();
    return std::unique_ptr<Log>(new Log(std::move(core.value())));
  } catch (const std::bad_alloc&) {
    return Status(StatusCode::kOutOfMemory, "opening the log in " + directory +
                                                ": cannot allocate its rings and buffers (see the *_bytes options)");
  }
}

Result<TopicId> Log::topic(std::string_view name, const TopicOptions& options) {
  return core_->topic(name, options);
}

Result<TopicId> Log::find_topic(std::string_view name) const {
  return core_->find_topic(name);
}

Status Log::delete_topic(std::string_view name) {
  return core_->delete_topic(name);
}

TopicInfo Log::topic_info(TopicId topic) const {
  STRATA_ASSERT(topic < core_->topic_count(), "topic id %u of %u", topic, core_->topic_count());
  return core_->topic_info(topic);
}

Status Log::set_topic_configs(std::string_view name, TopicConfigs configs) {
  return core_->set_topic_configs(name, std::move(configs));
}

Result<CompactionStats> Log::compact(std::string_view topic) {
  return core_->compact(topic);
}

Status Log::increase_partitions(std::string_view name, std::uint32_t partitions) {
  STRATA_RETURN_IF_ERROR(validate_topic_name(name));
  return core_->increase_partitions(name, partitions);
}

std::vector<TopicInfo> Log::topics() const {
  return core_->topic_infos();
}

Result<PartitionOffsets> Log::offsets(TopicId topic, std::uint32_t partition) const {
  if (topic < core_->topic_count() && core_->topic_deleted(topic)) {
    return Status(StatusCode::kNotFound, "topic " + core_->topic_entry(topic).info.name + " was deleted");
  }
  if (topic >= core_->topic_count() || partition >= core_->topic_entry(topic).partition_count()) {
    return invalid_argument("no partition " + std::to_string(partition) + " of topic id " + std::to_string(topic));
  }
  detail::PartitionWriter& writer = core_->partition_writer(core_->topic_entry(topic).partition_id(partition));
  const detail::PartitionCounters& counters = writer.counters();
  return PartitionOffsets{writer.log_start_offset(), counters.durable_offset.load(std::memory_order_acquire),
                          counters.written_offset.load(std::memory_order_acquire)};
}

Result<ProducerIdentity> Log::allocate_producer_id() {
  return core_->allocate_producer_id();
}

std::unique_ptr<Producer> Log::producer() {
  return std::unique_ptr<Producer>(new Producer(core_->new_producer(/*shared=*/false)));
}

Producer& Log::shared_producer() {
  return *shared_producer_;
}

Result<std::unique_ptr<Reader>> Log::reader(std::string_view topic, std::uint32_t partition, ReadLevel level) {
  auto id = core_->topic(topic, {});
  if (!id) return id.status();
  const detail::TopicEntry& entry = core_->topic_entry(*id);
  if (partition >= entry.partition_count()) {
    return invalid_argument("topic " + entry.info.name + " has no partition " + std::to_string(partition) + " (it has " +
                            std::to_string(entry.partition_count()) + ")");
  }
  detail::PartitionWriter& writer = core_->partition_writer(entry.partition_id(partition));
  detail::PartitionCounters& counters = writer.counters();
  auto state = detail::make_reader_state(writer.dir(), partition);
  // The reader holds the core: its counters stay valid even if the Log is destroyed first.
  state->visible_limit = [core = core_, &counters, level] {
    return level == ReadLevel::kWritten ? counters.written_offset.load(std::memory_order_acquire)
                                        : counters.durable_offset.load(std::memory_order_acquire);
  };
  state->visible_signal = &counters.visible_signal;
  state->topic_deleted = &counters.deleted;
  state->log_visible_signal = &core_->visible_signal();
  state->topic = entry.info.name;
  state->next_offset = writer.log_start_offset();
  return std::unique_ptr<Reader>(new Reader(std::move(state)));
}

Result<std::unique_ptr<KeyReader>> Log::key_reader(std::string_view topic, std::uint32_t partition,
                                                   ReadLevel level) {
  auto reader = this->reader(topic, partition, level);
  if (!reader) return reader.status();
  const detail::TopicEntry& entry = core_->topic_entry(core_->find_topic(topic).value());
  detail::PartitionWriter& writer = core_->partition_writer(entry.partition_id(partition));
  if (writer.key_index() == nullptr) {
    return invalid_argument("topic " + entry.info.name + " has no key index (create it with strata.key-index=true)");
  }
  auto state = std::make_unique<detail::KeyReaderState>();
  state->reader = std::move(reader.value());
  state->partition_dir = writer.dir();
  state->partition = partition;
  state->live = writer.key_index();
  return std::unique_ptr<KeyReader>(new KeyReader(std::move(state)));
}

Status Log::flush() {
  return core_->flush();
}
Status Log::close() {
  return core_->close();
}
LogStats Log::stats() const {
  return core_->stats();
}
const LogOptions& Log::options() const {
  return core_->options();
}

}  // namespace strata
