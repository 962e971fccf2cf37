#include "engine/topic_writer.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "engine/wall_clock.h"
#include "io/errno_status.h"

namespace strata::detail {

TopicWriter::TopicWriter(TopicId id, std::string name, std::string dir, const TopicConfig& config,
                         io::MirroredBuffer staging)
    : id_(id), name_(std::move(name)), dir_(std::move(dir)), config_(config), staging_(std::move(staging)) {}

Result<std::unique_ptr<TopicWriter>> TopicWriter::open(TopicId id, std::string name, std::string dir,
                                                       const TopicConfig& config,
                                                       const RecoveredTopic& recovered) {
  auto staging = io::MirroredBuffer::create(config.staging_bytes);
  if (!staging) return staging.status();
  std::unique_ptr<TopicWriter> topic(
      new TopicWriter(id, std::move(name), std::move(dir), config, std::move(staging.value())));
  topic->counters_.segments.store(recovered.segments.size(), std::memory_order_relaxed);
  if (recovered.segments.empty()) {
    STRATA_RETURN_IF_ERROR(topic->open_segment(0));
  } else if (recovered.segments.back().sealed) {
    STRATA_RETURN_IF_ERROR(topic->open_segment(recovered.segments.back().next_offset));
  } else {
    topic->index_ = recovered.active_index;
    STRATA_RETURN_IF_ERROR(topic->resume_segment(recovered.segments.back()));
  }
  return topic;
}

Result<io::File> TopicWriter::open_segment_file(const std::string& path) const {
  auto file = io::File::open(
      path, config_.direct_io ? io::OpenMode::kReadWriteCreateDirect : io::OpenMode::kReadWriteCreate);
  if (!file) return file.status();
  if (config_.direct_io) {
    auto alignment = file->direct_io_alignment();
    if (!alignment) return alignment.status();
    if (*alignment > block_bytes_) {
      return Status(StatusCode::kUnsupported, path + " needs direct IO aligned to " +
                                                  std::to_string(*alignment) + " bytes; strata writes " +
                                                  std::to_string(block_bytes_) + "-byte blocks");
    }
  }
  // Reserved up front (again on resume, in case recovery found the file cut short): writes never extend it.
  STRATA_RETURN_IF_ERROR(file->preallocate(config_.segment_bytes));
  return file;
}

Status TopicWriter::open_segment(std::uint64_t base_offset) {
  const std::string path = dir_ + "/" + format::segment_file_name(base_offset);
  auto file = open_segment_file(path);
  if (!file) return file.status();
  // The header goes through staging, which is aligned for direct IO; nothing else is staged yet.
  format::encode_segment_header(staging_.at(0), base_offset, wall_clock_us());
  if (::pwrite(file->fd(), staging_.at(0), format::kSegmentHeaderBytes, 0) !=
      static_cast<ssize_t>(format::kSegmentHeaderBytes)) {
    return io::status_from_errno(errno == 0 ? EIO : errno, "writing the header of " + path);
  }
  STRATA_RETURN_IF_ERROR(file->sync_data());
  STRATA_RETURN_IF_ERROR(io::sync_directory(dir_));  // the new file's name must survive a crash
  file_ = std::move(file.value());
  segment_base_ = base_offset;
  next_offset_ = base_offset;
  fill_ = submitted_ = written_ = synced_ = sync_requested_ = format::kSegmentHeaderBytes;
  last_indexed_position_ = 0;
  index_.clear();
  counters_.segments.fetch_add(1, std::memory_order_relaxed);
  counters_.next_offset.store(next_offset_, std::memory_order_relaxed);
  counters_.durable_offset.store(next_offset_, std::memory_order_relaxed);
  counters_.written_offset.store(next_offset_, std::memory_order_relaxed);
  return Status::ok();
}

Status TopicWriter::resume_segment(const SegmentInfo& active) {
  auto file = open_segment_file(dir_ + "/" + format::segment_file_name(active.base_offset));
  if (!file) return file.status();
  segment_base_ = active.base_offset;
  next_offset_ = active.next_offset;
  fill_ = submitted_ = written_ = synced_ = sync_requested_ = active.data_end;
  // The next write rewrites the partial last block from its start, so staging must hold its bytes.
  const std::uint64_t block = round_down(active.data_end);
  if (block != active.data_end) {
    auto read = file->read_at({staging_.at(block), block_bytes_}, block);
    if (!read) return read.status();
    std::memset(staging_.at(active.data_end), 0, round_up(active.data_end) - active.data_end);
  }
  if (!index_.empty()) last_indexed_position_ = index_.back().position;
  file_ = std::move(file.value());
  counters_.next_offset.store(next_offset_, std::memory_order_relaxed);
  counters_.durable_offset.store(next_offset_, std::memory_order_relaxed);
  counters_.written_offset.store(next_offset_, std::memory_order_relaxed);
  return Status::ok();
}

bool TopicWriter::has_room(std::size_t record_bytes_max) const {
  const std::uint64_t needed_end =
      open_end() + format::kBatchHeaderBytes + record_bytes_max + format::kBatchAlignment;
  return needed_end - round_down(written_) <= staging_.size();
}

bool TopicWriter::needs_roll(std::size_t record_bytes_max) const {
  // Room for this record in a new batch, and for the seal batch after it.
  return open_end() + 2 * format::kBatchHeaderBytes + record_bytes_max + 2 * format::kBatchAlignment >
         config_.segment_bytes;
}

void TopicWriter::append(const RingRecordHeader& header, std::int64_t timestamp_us,
                         std::span<const std::byte> key, std::span<const std::byte> value,
                         ProducerState* producer) {
  const std::size_t record_max = format::record_bytes_max(key.size(), value.size());
  if (batch_open_ && batch_end_ - batch_start_ + record_max > config_.batch_bytes_max) close_batch();
  if (!batch_open_) {
    batch_open_ = true;
    batch_start_ = fill_;
    batch_end_ = fill_ + format::kBatchHeaderBytes;
    batch_base_offset_ = next_offset_;
    batch_base_timestamp_us_ = timestamp_us;
    batch_records_ = 0;
    batch_acks_ = 0;
    if (index_.empty() || batch_start_ - last_indexed_position_ >= kIndexIntervalBytes) {
      index_.push_back({static_cast<std::uint32_t>(next_offset_ - segment_base_),
                        static_cast<std::uint32_t>(batch_start_), timestamp_us});
      last_indexed_position_ = batch_start_;
    }
  }
  batch_end_ +=
      format::put_record(staging_.at(batch_end_), timestamp_us - batch_base_timestamp_us_, key, value);
  ++batch_records_;
  max_timestamp_us_ = std::max(max_timestamp_us_, timestamp_us);
  pending_acks_.push({producer, header.sequence, next_offset_});
  ++batch_acks_;
  ++next_offset_;
}

void TopicWriter::close_batch() {
  if (!batch_open_) return;
  const std::size_t padded = format::seal_batch_header(staging_.at(batch_start_), batch_end_ - batch_start_,
                                                       format::BatchKind::kRecords, batch_records_,
                                                       batch_base_offset_, batch_base_timestamp_us_);
  fill_ = batch_start_ + padded;
  pending_batches_.push({fill_, next_offset_, batch_acks_});
  batch_open_ = false;
  counters_.next_offset.store(next_offset_, std::memory_order_relaxed);
}

void TopicWriter::schedule_writes(io::IoQueue& queue, bool urgent) {
  STRATA_ASSERT(!batch_open_, "schedule_writes() with an open batch at %llu",
                static_cast<unsigned long long>(batch_start_));
  while (writes_in_flight_ < kWritesInFlightMax && submitted_ < fill_) {
    const std::uint64_t begin = round_down(submitted_);
    // The block holding submitted_ was written padded; rewriting it must wait for that write to land.
    if (begin != submitted_ && tail_write_in_flight_) break;
    const std::uint64_t aligned_end = round_down(fill_);
    Write write;
    if (aligned_end > begin) {
      write = {begin, std::min<std::uint64_t>(aligned_end, begin + config_.write_bytes_max), 0, 0, false};
      write.data_end = write.end;
    } else if (urgent) {
      write = {begin, round_up(fill_), fill_, 0, false};
      std::memset(staging_.at(fill_), 0, write.end - fill_);  // the pad reads as "end of data"
      tail_write_in_flight_ = true;
    } else {
      break;
    }
    const std::size_t slot = (writes_head_ + writes_in_flight_) % kWritesInFlightMax;
    writes_[slot] = write;
    ++writes_in_flight_;
    submitted_ = write.data_end;
    submit_write(queue, slot);
    // With `sync` durability a write that is the only one in flight takes its fdatasync along, linked: the
    // kernel starts the sync when the write lands, instead of this thread a wake-up later. (With other
    // writes in flight it could land first, and the sync would not cover them.)
    if (config_.durability == Durability::kSync && writes_in_flight_ == 1 &&
        syncs_in_flight_ < kSyncsInFlightMax) {
      (void)queue_sync(queue, write.data_end, /*linked=*/true);
    }
  }
}

void TopicWriter::submit_write(io::IoQueue& queue, std::size_t slot) {
  const Write& write = writes_[slot];
  STRATA_ASSERT(write.begin % block_bytes_ == 0 && write.end % block_bytes_ == 0 && write.end > write.begin,
                "unaligned write [%llu, %llu)", static_cast<unsigned long long>(write.begin),
                static_cast<unsigned long long>(write.end));
  const std::span<const std::byte> bytes{staging_.at(write.begin), write.end - write.begin};
  const std::uint64_t tag = IoTag::encode(id_, slot);
  auto prep = [&] {
    return staging_registered_ ? queue.prep_write_fixed(file_.fd(), bytes, write.begin, tag, id_)
                               : queue.prep_write(file_.fd(), bytes, write.begin, tag);
  };
  if (!prep()) {
    // The submission queue is full: hand it to the kernel and take a fresh entry.
    (void)queue.submit();
    STRATA_ASSERT(prep(), "no submission entry after submit");
  }
}

void TopicWriter::schedule_sync(io::IoQueue& queue, std::chrono::steady_clock::time_point now, bool force) {
  // Only data written since the last sync was submitted needs another.
  if (written_ <= sync_requested_) return;
  bool due = force;
  std::size_t in_flight_max = 1;
  switch (config_.durability) {
    case Durability::kSync:
      // Greedy group commit, overlapped: a sync starts as soon as anything was written since the last one
      // started, without waiting for it to finish. Waiting (one sync at a time) left data whose write
      // completed just after a sync started to wait for that sync and the next: ack p99 2.1-3.2x the
      // device's write+fdatasync p99. Concurrent fdatasyncs share the device's cache flushes.
      due = true;
      in_flight_max = kSyncsInFlightMax;
      break;
    case Durability::kBatch:
      due = due || written_ - synced_ >= config_.batch_sync_bytes ||
            now - last_sync_ >= config_.batch_sync_interval;
      break;
    case Durability::kNone:
      break;
  }
  if (!due || syncs_in_flight_ >= in_flight_max) return;
  if (!queue_sync(queue, written_, /*linked=*/false)) {
    (void)queue.submit();
    STRATA_ASSERT(queue_sync(queue, written_, false), "no submission entry after submit");
  }
  last_sync_ = now;
}

bool TopicWriter::queue_sync(io::IoQueue& queue, std::uint64_t target, bool linked) {
  std::size_t slot = 0;
  while (sync_slot_busy_[slot]) ++slot;
  const std::uint64_t tag = IoTag::encode(id_, IoTag::kSyncSlotBase + slot);
  if (!(linked ? queue.prep_sync_after_previous(file_.fd(), tag) : queue.prep_sync(file_.fd(), tag))) {
    return false;
  }
  sync_slot_busy_[slot] = true;
  sync_linked_[slot] = linked;
  sync_targets_[slot] = target;
  sync_requested_ = std::max(sync_requested_, target);
  ++syncs_in_flight_;
  return true;
}

Status TopicWriter::on_sync_completion(std::size_t sync_slot, std::int32_t result) {
  STRATA_ASSERT(sync_slot < kSyncsInFlightMax && sync_slot_busy_[sync_slot],
                "completion of idle sync slot %zu", sync_slot);
  sync_slot_busy_[sync_slot] = false;
  --syncs_in_flight_;
  const std::uint64_t target = sync_targets_[sync_slot];
  if (result == -ECANCELED && sync_linked_[sync_slot]) {
    // Never ran: its write failed or was short (and is being resubmitted). A later sync covers the data.
    sync_requested_ = synced_;
    return Status::ok();
  }
  // A failed fdatasync is final: the kernel may have dropped the dirty pages, so a retry that succeeds
  // proves nothing about the data we wrote. The log fails.
  if (result < 0) {
    return io::status_from_errno(-result, "fdatasync " + file_.path());
  }
  // Overlapping syncs may complete out of order; each covers its target, and no more than is written (a
  // linked sync's write may have reported a short write that is still being completed).
  const std::uint64_t covered = std::min(target, written_);
  synced_ = std::max(synced_, covered);
  if (covered < target) sync_requested_ = synced_;
  counters_.syncs.fetch_add(1, std::memory_order_relaxed);
  return Status::ok();
}

Status TopicWriter::on_completion(io::IoQueue& queue, std::uint64_t slot, std::int32_t result) {
  if (IoTag::is_sync(slot)) return on_sync_completion(slot - IoTag::kSyncSlotBase, result);
  Write& write = writes_[slot];
  const std::uint64_t length = write.end - write.begin;
  if (result == -EAGAIN || result == -EINTR || (result >= 0 && static_cast<std::uint64_t>(result) < length)) {
    // Resubmit the rest, from the block boundary at or before where the short write stopped.
    if (++write.retries > kWriteRetriesMax) {
      write.done = true;
      write.data_end = write.begin;
      advance_written();
      return io_error("write of " + file_.path() + " at position " + std::to_string(write.begin) +
                      " made no progress after " + std::to_string(kWriteRetriesMax) + " retries");
    }
    if (result > 0) write.begin += round_down(static_cast<std::uint64_t>(result));
    counters_.disk_bytes.fetch_add(result > 0 ? static_cast<std::uint64_t>(result) : 0,
                                   std::memory_order_relaxed);
    submit_write(queue, slot);
    return Status::ok();
  }
  if (result < 0) {
    // The log fails; retire the write without counting it as written, so nothing waits on it forever.
    Status error = io::status_from_errno(
        -result, "write " + file_.path() + " at position " + std::to_string(write.begin));
    write.done = true;
    write.data_end = write.begin;
    if (write.end != write.begin) tail_write_in_flight_ = false;
    advance_written();
    return error;
  }
  write.done = true;
  if (write.data_end != write.end) tail_write_in_flight_ = false;
  counters_.disk_bytes.fetch_add(length, std::memory_order_relaxed);
  counters_.writes.fetch_add(1, std::memory_order_relaxed);
  advance_written();
  return Status::ok();
}

void TopicWriter::advance_written() {
  while (writes_in_flight_ > 0 && writes_[writes_head_].done) {
    written_ = std::max(written_, writes_[writes_head_].data_end);
    writes_head_ = (writes_head_ + 1) % kWritesInFlightMax;
    --writes_in_flight_;
  }
}

void TopicWriter::acknowledge(std::vector<ProducerState*>* touched) {
  const std::uint64_t limit = config_.durability == Durability::kNone ? written_ : synced_;
  const std::uint64_t durable_before = counters_.durable_offset.load(std::memory_order_relaxed);
  const std::uint64_t written_before = counters_.written_offset.load(std::memory_order_relaxed);
  while (!pending_batches_.empty() && pending_batches_.front().end <= limit) {
    const PendingBatch batch = pending_batches_.front();
    pending_batches_.pop();
    for (std::size_t i = 0; i < batch.acks; ++i) {
      const PendingAck ack = pending_acks_.front();
      pending_acks_.pop();
      ack.producer->acknowledge(ack.sequence, ack.offset);
      if (touched->empty() || touched->back() != ack.producer) touched->push_back(ack.producer);
    }
    counters_.durable_offset.store(batch.next_offset, std::memory_order_release);
  }
  // Written but not yet synced, for readers that ask for it.
  std::uint64_t written_offset = counters_.durable_offset.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < pending_batches_.size() && pending_batches_.at(i).end <= written_; ++i) {
    written_offset = pending_batches_.at(i).next_offset;
  }
  counters_.written_offset.store(std::max(written_offset, written_before), std::memory_order_release);
  if (counters_.durable_offset.load(std::memory_order_relaxed) != durable_before ||
      counters_.written_offset.load(std::memory_order_relaxed) != written_before) {
    counters_.visible_signal.notify();
  }
}

void TopicWriter::fail_pending(std::vector<ProducerState*>* touched) {
  while (!pending_acks_.empty()) {
    const PendingAck ack = pending_acks_.front();
    pending_acks_.pop();
    ack.producer->acknowledge(ack.sequence, kFailedOffset);
    if (touched->empty() || touched->back() != ack.producer) touched->push_back(ack.producer);
  }
  while (!pending_batches_.empty()) pending_batches_.pop();
  batch_open_ = false;
}

void TopicWriter::begin_seal() {
  close_batch();
  const std::size_t padded =
      format::seal_batch_header(staging_.at(fill_), format::kBatchHeaderBytes, format::BatchKind::kSeal, 0,
                                next_offset_, wall_clock_us());
  fill_ += padded;
}

Status TopicWriter::finish_seal() {
  STRATA_ASSERT(synced_ == fill_ && !io_in_flight() && pending_acks_.empty(),
                "finish_seal() with synced %llu of %llu, io in flight %d",
                static_cast<unsigned long long>(synced_), static_cast<unsigned long long>(fill_),
                io_in_flight());
  const SegmentInfo sealed{segment_base_, next_offset_, fill_, true, max_timestamp_us_};
  STRATA_RETURN_IF_ERROR(write_index(dir_, sealed, max_timestamp_us_, index_));
  // Sealed segments are immutable: readers may map them.
  if (::fchmod(file_.fd(), 0444) != 0) {
    return io::status_from_errno(errno, "making " + file_.path() + " read-only");
  }
  file_.close();
  STRATA_RETURN_IF_ERROR(open_segment(next_offset_));
  auto deleted = apply_retention(dir_, config_.retention, wall_clock_us());
  if (!deleted) return deleted.status();
  counters_.segments.fetch_sub(*deleted, std::memory_order_relaxed);
  return Status::ok();
}

}  // namespace strata::detail
