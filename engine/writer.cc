#include "engine/writer.h"

#include <pthread.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "engine/wall_clock.h"

namespace strata::detail {

namespace {

constexpr std::size_t kRecordsPerRingPerPass = 8192;
constexpr unsigned kQueueEntries = 256;
// While I/O is in flight the writer waits for a completion at most this long before looking at the rings.
constexpr std::chrono::microseconds kIoWaitSlice{100};
constexpr std::chrono::microseconds kIdleSleep{50'000};

}  // namespace

void Writer::run(std::promise<Status>* started) {
  const std::string name = stride_ == 1 ? "strata-writer" : "strata-writer" + std::to_string(index_);
  pthread_setname_np(pthread_self(), name.c_str());  // at most 15 characters: "strata-writer63"
  io::IoBackend backend = io::IoBackend::kAuto;
  if (core_.options().io_mode == IoMode::kRequireUring) backend = io::IoBackend::kUring;
  if (core_.options().io_mode == IoMode::kPwrite) backend = io::IoBackend::kPwrite;
  auto queue = io::make_io_queue(backend, kQueueEntries);
  if (!queue) {
    started->set_value(queue.status());
    return;
  }
  queue_ = std::move(queue.value());
  if (core_.durability_policy().syncs_inline_when_alone() && backend != io::IoBackend::kPwrite) {
    auto inline_queue = io::make_io_queue(io::IoBackend::kPwrite, kQueueEntries);
    if (!inline_queue) {
      started->set_value(inline_queue.status());
      return;
    }
    inline_queue_ = std::move(inline_queue.value());
  }
  // Kept for reuse: as much staging as the log's options give one topic (idle partitions return theirs).
  pool_.emplace(*queue_, core_.options().staging_bytes);
  if (index_ == 0) {
    std::string description(queue_->description());
    if (inline_queue_ != nullptr) {
      description += "; a lone partition's small synced writes: pwrite in the writer thread";
    }
    core_.set_io_description(std::move(description));
  }
  started->set_value(Status::ok());

  const bool spin = core_.options().writer_spin;
  while (true) {
    core_.producers_changed(&producers_version_, &producers_);
    adopt_new_partitions();
    // A flush request this writer has finished while others still work on it is no longer its concern.
    std::uint64_t flush_epoch = core_.flush_requested();
    if (flush_epoch <= flush_done_) flush_epoch = 0;
    const bool closing = core_.closing();

    const DrainResult drained = drain_rings();
    const bool urgent = drained.drained_all || flush_epoch != 0 || closing;
    schedule_io(urgent, /*force_sync=*/flush_epoch != 0 || closing);
    std::size_t completed = reap(std::chrono::microseconds(0));
    schedule_io(urgent, flush_epoch != 0 || closing);  // syncs and tail writes the completions unblocked
    acknowledge();
    prune_active();
    drop_finished_producers();
    run_timed_upkeep();

    if ((flush_epoch != 0 || closing) && drained.drained_all && all_quiet()) {
      if (flush_epoch != 0) {
        // Log::delete_topic flushes, then removes the files. (A failed log keeps its files as they are.)
        if (!core_.failed()) retire_deleted_partitions();
        flush_done_ = flush_epoch;
        core_.flush_done(index_, flush_epoch);
      }
      if (closing) break;
    }
    // An inline write or sync of the second schedule_io completed already: its acknowledgements come next pass.
    const bool inline_done = inline_queue_ != nullptr && inline_queue_->in_flight() > 0;
    if (drained.records > 0 || completed > 0 || drained.held_back || inline_done) continue;
    if (queue_->in_flight() > 0) {
      // Producers cannot wake a writer blocked in io_uring, so it waits in short slices. (An eventfd that
      // producers write, polled through io_uring, was tried: p99 ack latency went from ~0.3 ms to ~7 ms.)
      // After a completion the loop starts over: the next write and sync are submitted before the woken
      // producers compete with this thread for a core.
      if (reap(kIoWaitSlice) == 0) acknowledge();
    } else if (!drained.drained_all) {
      continue;
    } else if (!spin && flush_epoch == 0 && !closing) {
      const auto timeout = core_.durability_policy().idle_sleep(kIdleSleep);
      core_.writer_signal(index_).wait_for(
          [&] { return rings_empty() && !core_.closing() && core_.flush_requested() <= flush_done_; }, timeout);
    }
  }
  pool_.reset();
  inline_queue_.reset();
  queue_.reset();
}

void Writer::adopt_new_partitions() {
  const PartitionId count = core_.partition_count();
  if (count <= partition_count_) return;
  partition_count_ = count;
  listed_.resize(count, false);
}

void Writer::activate(PartitionId id) {
  if (listed_[id]) return;
  listed_[id] = true;
  active_.push_back(id);
}

void Writer::prune_active() {
  const bool syncs_count = core_.durability_policy().acks_wait_for_sync();
  std::erase_if(active_, [&](PartitionId id) {
    PartitionWriter& partition = core_.partition_writer(id);
    // Under `none` nothing syncs unasked: unsynced data waits for a flush, a seal or the close, which visit
    // every partition.
    const bool busy = partition.has_unwritten() || partition.io_in_flight() || partition.has_pending_acks() ||
                      (syncs_count && partition.has_unsynced());
    if (!busy) listed_[id] = false;
    return !busy;
  });
}

bool Writer::rings_empty() {
  if (!core_.shared_ring(index_).empty()) return false;
  for (const auto& producer : producers_) {
    if (!producer->spsc[index_]->empty()) return false;
  }
  return true;
}

Writer::DrainResult Writer::drain_rings() {
  DrainResult result;
  // Events are stamped here, once per pass, not by producers: a clock read per append cost producers about
  // a third of their throughput (ingest 5.4-7.0 -> 7.9-11.2 M events/s without it). Never backwards within
  // a run, so a topic's timestamps follow its offsets and seek_time finds what it should.
  // Kafka timestamps are milliseconds.
  append_time_ms_ = std::max(append_time_ms_, wall_clock_us() / 1000);
  ++pass_;
  for (const auto& producer : producers_) drain_ring(*producer->spsc[index_], *producer, &result);
  drain_ring(core_.shared_ring(index_), core_.shared_state(), &result);
  for_each_active(false, [](PartitionWriter& partition) { partition.close_batch(); });
  return result;
}

template <typename Ring>
void Writer::drain_ring(Ring& ring, ProducerState& producer, DrainResult* result) {
  bool refused = false;
  const std::size_t records = ring.consume(kRecordsPerRingPerPass, [&](std::span<const std::byte> record) {
    if (!frame(producer, record)) {
      refused = true;
      return false;
    }
    return true;
  });
  result->records += records;
  if (refused || records == kRecordsPerRingPerPass) result->drained_all = false;
  if constexpr (requires { ring.holding_back(); }) {
    // Not drained: a flush must not be declared done with records of before it still in the ring.
    if (!refused && ring.holding_back()) {
      result->drained_all = false;
      result->held_back = true;
    }
  }
}

// Frames one ring record into its partition. False when the partition's staging is full (the record stays
// in the ring until writes complete and free space, or staging has grown).
bool Writer::frame(ProducerState& producer, std::span<const std::byte> record) {
  RingRecordHeader header;
  std::memcpy(&header, record.data(), sizeof header);
  // A topic created since this pass began: its partitions were published (LogCore::add_topic) before its id
  // reached any producer, and so before this record entered the ring, whose acquire makes them visible here.
  if (header.partition >= partition_count_) [[unlikely]] adopt_new_partitions();
  STRATA_ASSERT(header.partition < partition_count_ && owning_writer(header.partition, stride_) == index_,
                "record for partition %u of %u in the ring of writer %u of %u", header.partition, partition_count_,
                index_, stride_);
  if (core_.failed()) [[unlikely]] {
    producer.acknowledge(index_, header.sequence, kFailedOffset);
    touched_.push_back(&producer);
    return true;
  }
  PartitionWriter& partition = core_.partition_writer(header.partition);
  if (partition.counters().deleted.load(std::memory_order_acquire)) [[unlikely]] {
    // Appended while its topic was being deleted: refused, never written into a partition being removed.
    producer.acknowledge(index_, header.sequence, kTopicDeletedOffset);
    touched_.push_back(&producer);
    return true;
  }
  auto payload = record.subspan(sizeof header);
  std::uint64_t expected = kExpectAny;
  if ((header.key_bytes & RingRecordHeader::kConditional) != 0) [[unlikely]] {
    std::memcpy(&expected, payload.data(), sizeof expected);
    payload = payload.subspan(sizeof expected);
  }
  std::span<const std::byte> key;
  std::span<const std::byte> value;
  std::span<const std::byte> headers;
  std::size_t bytes_max = payload.size();
  const bool client_batch = (header.key_bytes & RingRecordHeader::kClientBatch) != 0;
  if (!client_batch) {
    const std::size_t key_bytes = header.key_bytes & RingRecordHeader::kKeyBytesMask;
    if ((header.key_bytes & RingRecordHeader::kHasHeaders) != 0) [[unlikely]] {
      std::uint32_t headers_bytes = 0;
      std::memcpy(&headers_bytes, payload.data(), sizeof headers_bytes);
      const auto rest = payload.subspan(sizeof headers_bytes);
      key = rest.first(key_bytes);
      value = rest.subspan(key_bytes, rest.size() - key_bytes - headers_bytes);
      headers = rest.last(headers_bytes);
    } else {
      static constexpr std::byte kNoHeaders[format::kNoHeadersBytes] = {};
      key = payload.first(key_bytes);
      value = payload.subspan(key_bytes);
      headers = kNoHeaders;
    }
    bytes_max = format::record_bytes_max(key.size(), value.size(), headers.size());
  }
  if (partition.needs_roll(bytes_max)) [[unlikely]] {
    roll(partition);
    if (core_.failed()) return frame(producer, record);
  }
  if (!partition.has_staging()) [[unlikely]] {
    if (Status status = partition.take_staging(*pool_); !status.is_ok()) {
      core_.fail(std::move(status));
      return frame(producer, record);
    }
  }
  if (partition.needs_growth(bytes_max)) [[unlikely]] {
    if (!partition.quiet_for_growth()) {
      partition.close_batch();
      partition.request_growth();
      return false;  // the loop writes the tail (growth makes it urgent) and reaps; framing resumes after
    }
    if (Status status = partition.grow(*pool_, bytes_max); !status.is_ok()) {
      core_.fail(std::move(status));
      return frame(producer, record);
    }
  }
  if (!partition.has_room(bytes_max) || partition.acks_full()) return false;
  activate(header.partition);
  partition.set_framed_pass(pass_);
  if (client_batch) [[unlikely]] {
    partition.append_client_batch(header.sequence, payload, &producer, append_time_ms_);
  } else {
    partition.append(header.sequence, append_time_ms_, key, value, headers, &producer, expected);
  }
  return true;
}

void Writer::schedule_io(bool urgent, bool force_sync) {
  if (!core_.failed()) schedule_partitions_io(urgent, force_sync);  // nothing new once the log failed
  submit_prepared();
}

void Writer::submit_prepared() {
  if (Status status = queue_->submit(); !status.is_ok()) core_.fail(std::move(status));
  if (inline_queue_ != nullptr) {
    if (Status status = inline_queue_->submit(); !status.is_ok()) core_.fail(std::move(status));
  }
}

io::IoQueue& Writer::pass_queue(bool force_sync) {
  const bool alone = inline_queue_ != nullptr && !force_sync && active_.size() == 1 && queue_->in_flight() == 0;
  const bool small = alone && core_.partition_writer(active_.front()).unwritten_bytes() <=
                                  DurabilityPolicy::kInlineWriteBytesMax;
  return small ? *inline_queue_ : *queue_;
}

void Writer::schedule_partitions_io(bool urgent, bool force_sync) {
  const auto now = std::chrono::steady_clock::now();
  // A busy partition's partial tail waits for the pass that frames nothing into it (see DurabilityPolicy);
  // that pass comes at once, since the loop does not sleep after a pass that framed records.
  const bool defer_busy_tails = core_.durability_policy().defers_busy_tails() && !force_sync;
  io::IoQueue& queue = pass_queue(force_sync);
  Status status;
  if (&queue == inline_queue_.get()) status = core_.partition_writer(active_.front()).zero_ahead();
  for_each_active(/*all=*/force_sync, [&](PartitionWriter& partition) {
    if (!status.is_ok()) return;
    const bool busy = defer_busy_tails && partition.framed_pass() == pass_;
    status = partition.schedule_writes(queue, urgent && !busy);
    if (status.is_ok()) status = partition.schedule_sync(queue, now, force_sync);
    if (force_sync && partition.io_in_flight()) activate(partition.id());  // an idle one's final sync
  });
  if (!status.is_ok()) core_.fail(std::move(status));
}

std::size_t Writer::reap(std::chrono::microseconds timeout) {
  constexpr std::chrono::microseconds kNoWait{0};
  const std::size_t done_inline = inline_queue_ != nullptr ? reap_queue(*inline_queue_, kNoWait) : 0;
  return done_inline + reap_queue(*queue_, done_inline > 0 ? kNoWait : timeout);
}

std::size_t Writer::reap_queue(io::IoQueue& queue, std::chrono::microseconds timeout) {
  auto reaped = queue.reap(completions_, timeout);
  if (!reaped) {
    core_.fail(reaped.status());
    return 0;
  }
  for (std::size_t i = 0; i < *reaped; ++i) {
    const io::Completion& completion = completions_[i];
    PartitionWriter& partition = core_.partition_writer(IoTag::partition(completion.user_data));
    // A short write is resubmitted on the queue it came from.
    Status status = partition.on_completion(queue, IoTag::slot(completion.user_data), completion.result);
    if (!status.is_ok()) core_.fail(std::move(status));
  }
  return *reaped;
}

void Writer::acknowledge() {
  bool visible_moved = false;
  const bool failed = core_.failed();
  for_each_active(false, [&](PartitionWriter& partition) {
    if (failed) {
      partition.fail_pending(&touched_);
    } else {
      visible_moved |= partition.acknowledge(&touched_);
    }
  });
  if (visible_moved) {
    core_.visible_signal().notify();  // one exchange per pass unless a reader sleeps
    core_.visible_fds().notify();
  }
  for (ProducerState* producer : touched_) {
    producer->ack_signal.notify();
    producer->ack_fds.notify();
  }
  touched_.clear();
}

void Writer::roll(PartitionWriter& partition) {
  activate(partition.id());  // its I/O and acknowledgements are driven below and by the loop
  partition.begin_seal();
  // Bounded by the I/O: each pass either completes something or waits for it.
  while (!core_.failed() && (partition.has_unsynced() || partition.io_in_flight())) {
    Status status = partition.schedule_writes(*queue_, /*urgent=*/true);
    if (status.is_ok()) {
      status = partition.schedule_sync(*queue_, std::chrono::steady_clock::now(), /*force=*/true);
    }
    if (!status.is_ok()) core_.fail(std::move(status));
    submit_prepared();  // what this pass prepared, even after a failure (see submit_prepared)
    if (core_.failed()) break;
    reap(kIoWaitSlice);
    acknowledge();
  }
  if (core_.failed()) return;
  // A sync reaped in an earlier pass may have left its acknowledgements queued (the main loop goes back to
  // the rings right after a completion): the sealed segment's appends are acknowledged before it is sealed.
  acknowledge();
  if (Status status = partition.finish_seal(); !status.is_ok()) core_.fail(std::move(status));
}

// Retention by age must act on a partition nobody appends to, and segment.ms on a segment that never fills:
// once a second each partition of this writer rolls an aged active segment and applies its retention.
void Writer::run_timed_upkeep() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_upkeep_ || core_.failed()) return;
  next_upkeep_ = now + kUpkeepInterval;
  const std::int64_t now_us = wall_clock_us();
  for_each_partition([&](PartitionWriter& partition) {
    if (core_.failed() || partition.retired() || partition.counters().deleted.load(std::memory_order_acquire)) return;
    if (partition.segment_age_due(now_us)) roll(partition);
    if (core_.failed()) return;
    if (Status status = partition.apply_retention_now(now_us); !status.is_ok()) core_.fail(std::move(status));
    (void)partition.return_staging_if_idle(*pool_);
  });
}

bool Writer::all_quiet() {
  for (PartitionId id = index_; id < partition_count_; id += stride_) {
    PartitionWriter& topic = core_.partition_writer(id);
    if (core_.failed()) {
      if (topic.io_in_flight()) return false;
      continue;
    }
    if (topic.has_unwritten() || topic.has_unsynced() || topic.io_in_flight() || topic.has_pending_acks()) {
      return false;
    }
  }
  return true;
}

void Writer::retire_deleted_partitions() {
  for_each_partition([&](PartitionWriter& partition) {
    if (!partition.retired() && partition.counters().deleted.load(std::memory_order_acquire)) {
      partition.retire(*pool_);
    }
  });
}

void Writer::drop_finished_producers() {
  // A closed producer's state can go once its ring is empty and nothing of it waits for acknowledgement;
  // until then pending acknowledgements point at it.
  for (auto it = producers_.begin(); it != producers_.end();) {
    ProducerState& state = **it;
    // Every append acknowledged (by whichever writer) means every ring of it is empty.
    if (state.closed.load(std::memory_order_acquire) && state.spsc[index_]->empty() &&
        state.unacknowledged() == 0) {
      core_.forget_producer(&state);
      it = producers_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace strata::detail
