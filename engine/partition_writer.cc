#include "engine/partition_writer.h"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstring>
#include <utility>

#include "engine/compression.h"
#include "engine/wall_clock.h"
#include "strata/errno_status.h"
#include "io/sync_paths.h"
#include "base/probes.h"

namespace strata::detail {

namespace {

// The first preallocation of a segment, and the largest step: an idle partition reserves 256 KiB of disk,
// a busy one at most 64 MiB ahead of its data. (8 MiB first made 80 idle partitions take 641 MB; the steps
// double from here, so a busy segment makes only 8 more fallocate calls.)
constexpr std::uint64_t kPreallocateFirstBytes = 256u << 10;
constexpr std::uint64_t kPreallocateStepMaxBytes = 64u << 20;
// zero_ahead() zeroes the next kZeroAheadChunkBytes once fewer than kZeroAheadMinBytes past the data are
// written (a write of the chunk and an fdatasync: about 0.4 ms on a 1 GB/s device, in the writer thread).
constexpr std::uint64_t kZeroAheadMinBytes = 128u << 10;
constexpr std::uint64_t kZeroAheadChunkBytes = 256u << 10;

}  // namespace

PartitionWriter::PartitionWriter(PartitionId id, std::string topic, std::uint32_t partition, std::string dir,
                                 const PartitionConfig& config)
    : id_(id),
      writer_(owning_writer(id, config.writer_threads)),
      topic_(std::move(topic)),
      partition_(partition),
      dir_(std::move(dir)),
      config_(config),
      staging_bytes_(config.staging_bytes) {}

Result<std::unique_ptr<PartitionWriter>> PartitionWriter::open(PartitionId id, std::string topic,
                                                               std::uint32_t partition, std::string dir,
                                                               const PartitionConfig& config,
                                                               RecoveredPartition recovered, std::string* report,
                                                               DeferredSyncs* syncs) {
  std::unique_ptr<PartitionWriter> writer(new PartitionWriter(id, std::move(topic), partition, std::move(dir), config));
  writer->counters_.segments.store(recovered.segments.size(), std::memory_order_relaxed);
  writer->sequences_ = std::move(recovered.sequences);
  if (!recovered.segments.empty()) {
    writer->log_start_offset_.store(recovered.segments.front().base_offset, std::memory_order_release);
  }
  if (recovered.segments.empty()) {
    STRATA_RETURN_IF_ERROR(writer->open_segment(0, syncs));
  } else if (recovered.segments.back().sealed) {
    STRATA_RETURN_IF_ERROR(writer->open_segment(recovered.segments.back().next_offset, syncs));
  } else {
    writer->index_ = recovered.active_index;
    writer->max_timestamp_us_ = recovered.segments.back().max_timestamp_us;
    STRATA_RETURN_IF_ERROR(writer->resume_segment(recovered.segments.back(), syncs));
  }
  if (config.key_index) {
    auto keys = KeyIndex::build(writer->dir_, recovered.segments, report);
    if (!keys) return keys.status();
    writer->keys_ = std::move(keys.value());
  }
  auto marker = SyncedMarker::create(writer->dir_, writer->next_offset_);
  if (!marker) return marker.status();
  writer->synced_marker_ = std::move(marker.value());
  writer->counters_.opened_next_offset = writer->next_offset_;
  return writer;
}

Status DeferredSyncs::run() const {
  // Files before their directories, as one partition at a time did.
  STRATA_RETURN_IF_ERROR(io::sync_paths(files, /*directories=*/false));
  return io::sync_paths(directories, /*directories=*/true);
}

Result<io::File> PartitionWriter::open_segment_file(const std::string& path) const {
  auto file = io::File::open(
      path, config_.direct_io ? io::OpenMode::kReadWriteCreateDirect : io::OpenMode::kReadWriteCreate);
  if (!file) return file.status();
  if (config_.direct_io) {
    auto alignment = file->direct_io_alignment();
    if (!alignment) return alignment.status();
    if (*alignment > block_bytes_) {
      return Status(StatusCode::kUnsupported, path + " needs direct IO aligned to " + std::to_string(*alignment) +
                                                  " bytes; strata writes " + std::to_string(block_bytes_) +
                                                  "-byte blocks");
    }
  }
  return file;
}

Status PartitionWriter::preallocate_through(std::uint64_t end) {
  if (end <= preallocated_) return Status::ok();
  // Steps double with the data written, so a busy segment calls fallocate rarely and an idle one reserves
  // little; data writes never extend the file (an extending direct write costs a journal commit).
  const std::uint64_t step = std::clamp<std::uint64_t>(preallocated_, kPreallocateFirstBytes, kPreallocateStepMaxBytes);
  const std::uint64_t target = std::min<std::uint64_t>(std::max(end, preallocated_ + step), segment_bytes());
  STRATA_RETURN_IF_ERROR(file_.preallocate(std::max(target, end)));
  preallocated_ = std::max(target, end);
  return Status::ok();
}

Status PartitionWriter::zero_ahead() {
  const std::uint64_t data_end = round_up(fill_);
  // Within what is allocated already, so that it costs no disk: a partition with one synced event keeps the
  // first 256 KiB (the preallocation grows with the writes, and the zeros follow it).
  const std::uint64_t file_end = round_down(std::min(preallocated_, segment_bytes()));
  if (zeroed_ >= std::min(data_end + kZeroAheadMinBytes, file_end)) return Status::ok();
  const std::uint64_t begin = std::max(zeroed_, data_end);
  const std::uint64_t end = std::min(begin + kZeroAheadChunkBytes, file_end);
  if (end <= begin) return Status::ok();
  static const io::AlignedBuffer zeros(kZeroAheadChunkBytes);
  STRATA_RETURN_IF_ERROR(file_.write_at({zeros.data(), end - begin}, begin));
  STRATA_RETURN_IF_ERROR(file_.sync_data());
  counters_.disk_bytes.fetch_add(end - begin, std::memory_order_relaxed);
  zeroed_ = end;
  return Status::ok();
}

Status PartitionWriter::open_segment(std::uint64_t base_offset, DeferredSyncs* syncs) {
  const std::string path = dir_ + "/" + format::segment_file_name(base_offset);
  auto file = open_segment_file(path);
  if (!file) return file.status();
  file_ = std::move(file.value());
  preallocated_ = 0;
  zeroed_ = 0;
  STRATA_RETURN_IF_ERROR(preallocate_through(1));
  if (syncs != nullptr) {
    syncs->files.push_back(path);
    syncs->directories.push_back(dir_);
  } else {
    STRATA_RETURN_IF_ERROR(file_.sync_all());          // its size and allocation
    STRATA_RETURN_IF_ERROR(io::sync_directory(dir_));  // the new file's name must survive a crash
  }
  segment_base_ = base_offset;
  segment_opened_us_ = wall_clock_us();
  next_offset_ = base_offset;
  fill_ = submitted_ = written_ = synced_ = sync_requested_ = 0;
  tail_block_ = io::AlignedBuffer();  // nothing of the old segment is rewritten
  last_indexed_position_ = 0;
  max_timestamp_us_ = 0;
  index_.clear();
  counters_.segments.fetch_add(1, std::memory_order_relaxed);
  counters_.next_offset.store(next_offset_, std::memory_order_relaxed);
  counters_.durable_offset.store(next_offset_, std::memory_order_relaxed);
  counters_.written_offset.store(next_offset_, std::memory_order_relaxed);
  return Status::ok();
}

Status PartitionWriter::resume_segment(const SegmentInfo& active, DeferredSyncs* syncs) {
  const std::string path = dir_ + "/" + format::segment_file_name(active.base_offset);
  auto file = open_segment_file(path);
  if (!file) return file.status();
  file_ = std::move(file.value());
  auto size = file_.size();
  if (!size) return size.status();
  preallocated_ = *size;
  zeroed_ = round_up(active.data_end);  // what lies past it may be allocated only
  segment_base_ = active.base_offset;
  segment_opened_us_ = wall_clock_us();
  next_offset_ = active.next_offset;
  fill_ = submitted_ = written_ = synced_ = sync_requested_ = active.data_end;
  // The next write rewrites the partial last block from its start: keep its bytes for the staging to come.
  const std::uint64_t block = round_down(active.data_end);
  if (block != active.data_end) {
    tail_block_ = io::AlignedBuffer(block_bytes_);
    auto read = file_.read_at({tail_block_.data(), block_bytes_}, block);
    if (!read) return read.status();
    std::memset(tail_block_.data() + (active.data_end - block), 0, round_up(active.data_end) - active.data_end);
  }
  if (!index_.empty()) last_indexed_position_ = index_.back().position;
  // What recovery kept may sit in the page cache only (a writer that died under `none` durability): sync it
  // before anything counts it as synced.
  syncs->files.push_back(path);
  counters_.next_offset.store(next_offset_, std::memory_order_relaxed);
  counters_.durable_offset.store(next_offset_, std::memory_order_relaxed);
  counters_.written_offset.store(next_offset_, std::memory_order_relaxed);
  return Status::ok();
}

void PartitionWriter::set_staging(StagingPool::Buffer buffer) {
  staging_ = std::move(buffer);
  counters_.staging_registered.store(staging_.fixed_index != StagingPool::kNotRegistered, std::memory_order_relaxed);
}

Status PartitionWriter::take_staging(StagingPool& pool) {
  STRATA_ASSERT(!has_staging(), "take_staging() of %s-%u, which holds %zu bytes", topic_.c_str(), partition_,
                staging_size());
  STRATA_ASSERT(!batch_open_ && submitted_ == fill_ && written_ == fill_,
                "%s-%u without staging has framed data: written %llu, submitted %llu, fill %llu", topic_.c_str(),
                partition_, static_cast<unsigned long long>(written_), static_cast<unsigned long long>(submitted_),
                static_cast<unsigned long long>(fill_));
  auto buffer = pool.acquire(staging_bytes_);
  if (!buffer) return Status(buffer.status()).with_context("partition " + topic_ + "-" + std::to_string(partition_));
  set_staging(std::move(buffer.value()));
  if (tail_block_.size() != 0) {
    std::memcpy(staging_at(round_down(fill_)), tail_block_.data(), block_bytes_);
    tail_block_ = io::AlignedBuffer();
  }
  return Status::ok();
}

bool PartitionWriter::return_staging_if_idle(StagingPool& pool) {
  const bool framed = std::exchange(framed_since_upkeep_, false);
  if (!has_staging() || framed || !quiet_for_growth()) return false;
  if (round_down(fill_) != fill_) {
    tail_block_ = io::AlignedBuffer(block_bytes_);
    std::memcpy(tail_block_.data(), staging_at(round_down(fill_)), block_bytes_);
  }
  pool.release(std::exchange(staging_, {}));
  return true;
}

bool PartitionWriter::has_room(std::size_t record_bytes_max) const {
  const std::uint64_t needed_end = open_end() + format::kBatchHeaderBytes + record_bytes_max;
  return needed_end - round_down(written_) <= staging_size();
}

bool PartitionWriter::needs_roll(std::size_t record_bytes_max) const {
  // An empty segment takes any record: a topic's segment.bytes may be below the log's largest event.
  if (open_end() == 0) return false;
  return open_end() + format::kBatchHeaderBytes + record_bytes_max > segment_bytes();
}

bool PartitionWriter::needs_growth(std::size_t record_bytes_max) const {
  // Room for the record in a batch of its own plus the partial block before it, twice over, so framing
  // never waits for the previous write of the same bytes.
  return 2 * (format::kBatchHeaderBytes + record_bytes_max + block_bytes_) > staging_size();
}

bool PartitionWriter::quiet_for_growth() const {
  return !batch_open_ && writes_in_flight_ == 0 && written_ == fill_;
}

Status PartitionWriter::grow(StagingPool& pool, std::size_t record_bytes_max) {
  STRATA_ASSERT(quiet_for_growth(), "grow() with writes in flight (%zu) or unwritten data (%llu of %llu)",
                writes_in_flight_, static_cast<unsigned long long>(written_),
                static_cast<unsigned long long>(fill_));
  std::size_t bytes = staging_size();
  while (2 * (format::kBatchHeaderBytes + record_bytes_max + block_bytes_) > bytes) bytes *= 2;
  bytes = std::min(bytes, config_.staging_bytes_max);
  auto grown = pool.acquire(bytes);
  if (!grown) return Status(grown.status()).with_context("partition " + topic_ + "-" + std::to_string(partition_));
  // The partial last block is rewritten from its start by the next write: carry its bytes over.
  const std::uint64_t block = round_down(written_);
  std::memcpy(grown->memory.at(block), staging_at(block), block_bytes_);
  pool.release(std::exchange(staging_, {}));
  set_staging(std::move(grown.value()));
  staging_bytes_ = bytes;
  growth_requested_ = false;
  return Status::ok();
}

void PartitionWriter::push_ack(ProducerState* producer, std::uint64_t sequence, std::uint64_t offset) {
  pending_acks_.push({producer, sequence, offset});
  ++batch_acks_;
}

void PartitionWriter::append(std::uint64_t sequence, std::int64_t timestamp_ms, std::span<const std::byte> key,
                             std::span<const std::byte> value, std::span<const std::byte> encoded_headers,
                             ProducerState* producer, std::uint64_t expected) {
  std::uint64_t hash = 0;
  if (keys_ != nullptr) {
    hash = key.empty() ? 0 : key_hash(key);
    if (expected != kExpectAny) {
      const std::uint64_t last = keys_->last_offset(hash);
      if (last != (expected == kExpectNoEvent ? kNoOffset : expected)) {
        answer_without_storing(producer, sequence, conflict_outcome(last));
        return;
      }
    }
  }
  const std::size_t record_max = format::record_bytes_max(key.size(), value.size(), encoded_headers.size());
  if (batch_open_ && (batch_end_ - batch_start_ + record_max > config_.batch_bytes_max ||
                      timestamp_ms != batch_timestamp_ms_)) {
    close_batch();
  }
  if (!batch_open_) {
    batch_open_ = true;
    batch_start_ = fill_;
    batch_end_ = fill_ + format::kBatchHeaderBytes;
    batch_base_offset_ = next_offset_;
    batch_timestamp_ms_ = timestamp_ms;
    batch_records_ = 0;
    batch_acks_ = 0;
  }
  batch_end_ += format::put_record(staging_at(batch_end_), batch_records_, key, value, encoded_headers);
  ++batch_records_;
  if (keys_ != nullptr) {
    lock_keys();
    keys_->record(next_offset_, hash, !key.empty(), static_cast<std::uint32_t>(batch_start_));
  }
  push_ack(producer, sequence, next_offset_);
  ++next_offset_;
  framed_since_upkeep_ = true;
}

void PartitionWriter::append_client_batch(std::uint64_t sequence, std::span<const std::byte> batch,
                                          ProducerState* producer, std::int64_t append_time_ms) {
  close_batch();
  format::BatchHeader header = format::decode_batch_header(batch);
  if (header.producer_id >= 0) {
    const SequenceVerdict verdict = sequences_.check(header);
    if (verdict.kind != SequenceVerdict::Kind::kAppend) {
      // Answered once everything stored before it is acknowledged: a duplicate's original is then durable.
      batch_acks_ = 0;
      const std::uint64_t outcome = verdict.kind == SequenceVerdict::Kind::kDuplicate    ? verdict.duplicate_of
                                    : verdict.kind == SequenceVerdict::Kind::kOutOfOrder ? kOutOfOrderOffset
                                                                                         : kFencedOffset;
      answer_without_storing(producer, sequence, outcome);
      return;
    }
  }
  std::uint64_t conflict = kNoOffset;
  if (keys_ != nullptr && !index_client_batch(batch, header, &conflict)) {
    answer_without_storing(producer, sequence, conflict_outcome(conflict));
    return;
  }
  std::byte* stored = staging_at(fill_);
  std::memcpy(stored, batch.data(), batch.size());
  format::set_base_offset(stored, next_offset_);
  header.base_offset = next_offset_;
  if (config_.settings->log_append_time.load(std::memory_order_relaxed)) {
    format::set_log_append_time(stored, batch.size(), append_time_ms);
    header.max_timestamp_ms = append_time_ms;
  }
  sequences_.record(header);
  if (index_.empty() || fill_ - last_indexed_position_ >= format::kIndexIntervalBytes) {
    index_.push_back({static_cast<std::uint32_t>(next_offset_ - segment_base_), static_cast<std::uint32_t>(fill_),
                      header.max_timestamp_ms * 1000});
    last_indexed_position_ = fill_;
  }
  max_timestamp_us_ = std::max(max_timestamp_us_, header.max_timestamp_ms * 1000);
  batch_acks_ = 0;
  push_ack(producer, sequence, next_offset_);
  next_offset_ = header.next_offset();
  fill_ += batch.size();
  pending_batches_.push({fill_, next_offset_, batch_acks_});
  add_appended_bytes(batch.size());
  counters_.next_offset.store(next_offset_, std::memory_order_relaxed);
  framed_since_upkeep_ = true;
}

void PartitionWriter::answer_without_storing(ProducerState* producer, std::uint64_t sequence,
                                             std::uint64_t outcome) {
  close_batch();
  batch_acks_ = 0;
  push_ack(producer, sequence, outcome);
  pending_batches_.push({fill_, next_offset_, batch_acks_});
}

bool PartitionWriter::index_client_batch(std::span<const std::byte> batch, const format::BatchHeader& header,
                                         std::uint64_t* conflict) {
  static constexpr std::string_view kExpectedHeader = "strata.expected-offset";
  batch_keys_.clear();
  // What this batch's earlier records made of a key's last offset (a batch may append to one key twice).
  const auto last_of = [&](std::uint64_t hash) {
    for (auto it = batch_keys_.rbegin(); it != batch_keys_.rend(); ++it) {
      if (it->keyed && it->hash == hash) return it->offset;
    }
    return keys_->last_offset(hash);
  };
  bool refused = false;
  std::vector<EventHeader> headers;
  const Status decoded = format::for_each_record(
      batch, header, &batch_scratch_, [&](const format::RecordFields& record, std::uint64_t offset, std::int64_t) {
        const std::uint64_t hash = record.key.empty() ? 0 : key_hash(record.key);
        headers.clear();
        if (!refused && record.header_count > 0 &&
            format::decode_headers(record.headers, record.header_count, &headers)) {
          for (const EventHeader& h : headers) {
            if (h.key != kExpectedHeader) continue;
            const std::uint64_t last = last_of(hash);
            std::int64_t expected = 0;
            const auto text = std::string_view(reinterpret_cast<const char*>(h.value.data()), h.value.size());
            const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), expected);
            const bool parsed = error == std::errc() && end == text.data() + text.size() && expected >= -1;
            if (!parsed || record.key.empty() ||
                last != (expected == -1 ? kNoOffset : static_cast<std::uint64_t>(expected))) {
              refused = true;
              *conflict = last;
            }
          }
        }
        // Stored from next_offset_ on (the client's baseOffset is rewritten).
        batch_keys_.push_back({next_offset_ + (offset - header.base_offset), hash, !record.key.empty()});
      });
  if (!decoded.is_ok() || refused) return false;  // a client batch was validated: undecodable is refused too
  lock_keys();
  for (const BatchKey& key : batch_keys_) {
    keys_->record(key.offset, key.hash, key.keyed, static_cast<std::uint32_t>(fill_));
  }
  unlock_keys();
  return true;
}

void PartitionWriter::close_batch() {
  if (keys_ != nullptr) unlock_keys();
  if (!batch_open_) return;
  std::byte* batch = staging_at(batch_start_);
  std::size_t records_bytes = batch_end_ - batch_start_ - format::kBatchHeaderBytes;
  Compression compression = Compression::kNone;
  const auto configured = static_cast<Compression>(config_.settings->compression.load(std::memory_order_relaxed));
  if (configured != Compression::kNone) {
    const std::span<const std::byte> records{batch + format::kBatchHeaderBytes, records_bytes};
    // Kept only when smaller: the reader handles either, and incompressible data should not grow.
    compress_scratch_.clear();  // compress() appends
    if (format::compress(configured, records, &compress_scratch_).is_ok() &&
        compress_scratch_.size() < records_bytes) {
      std::memcpy(batch + format::kBatchHeaderBytes, compress_scratch_.data(), compress_scratch_.size());
      records_bytes = compress_scratch_.size();
      compression = configured;
    }
  }
  const std::size_t total =
      format::finish_batch(batch, records_bytes, {batch_base_offset_, batch_records_, batch_timestamp_ms_, compression});
  if (index_.empty() || batch_start_ - last_indexed_position_ >= format::kIndexIntervalBytes) {
    index_.push_back({static_cast<std::uint32_t>(batch_base_offset_ - segment_base_),
                      static_cast<std::uint32_t>(batch_start_), batch_timestamp_ms_ * 1000});
    last_indexed_position_ = batch_start_;
  }
  max_timestamp_us_ = std::max(max_timestamp_us_, batch_timestamp_ms_ * 1000);
  fill_ = batch_start_ + total;
  pending_batches_.push({fill_, next_offset_, batch_acks_});
  STRATA_PROBE4(batch_framed, id_, batch_base_offset_, batch_records_, total);
  add_appended_bytes(total);
  batch_open_ = false;
  counters_.next_offset.store(next_offset_, std::memory_order_relaxed);
}

Status PartitionWriter::schedule_writes(io::IoQueue& queue, bool urgent) {
  STRATA_ASSERT(!batch_open_, "schedule_writes() with an open batch at %llu",
                static_cast<unsigned long long>(batch_start_));
  urgent = urgent || growth_requested_;
  while (writes_in_flight_ < kWritesInFlightMax && submitted_ < fill_) {
    const std::uint64_t begin = round_down(submitted_);
    // The block holding submitted_ was written padded; rewriting it must wait for that write to land.
    if (begin != submitted_ && tail_write_in_flight_) break;
    const std::uint64_t aligned_end = round_down(fill_);
    const std::uint64_t body_end = std::min<std::uint64_t>(aligned_end, begin + config_.write_bytes_max);
    // An urgent write takes the partial tail block along when it fits: one write and one fdatasync where a
    // body write and a tail write would need two syncs in a row.
    const bool with_tail = urgent && body_end == aligned_end && fill_ > aligned_end &&
                           round_up(fill_) - begin <= config_.write_bytes_max;
    Write write;
    if (with_tail || (aligned_end <= begin && urgent)) {
      write = {begin, round_up(fill_), fill_, 0, false};
      std::memset(staging_at(fill_), 0, write.end - fill_);  // the pad reads as "end of data"
      tail_write_in_flight_ = true;
    } else if (aligned_end > begin) {
      write = {begin, body_end, 0, 0, false};
      write.data_end = write.end;
    } else {
      break;
    }
    STRATA_RETURN_IF_ERROR(preallocate_through(write.end));
    const std::size_t slot = (writes_head_ + writes_in_flight_) % kWritesInFlightMax;
    writes_[slot] = write;
    ++writes_in_flight_;
    submitted_ = write.data_end;
    STRATA_RETURN_IF_ERROR(submit_write(queue, slot));
    // Only a write that is the only one in flight: with other writes in flight it could land first, and the
    // sync would not cover them.
    if (config_.durability.links_sync_to_lone_write() && writes_in_flight_ == 1 &&
        syncs_in_flight_ < config_.durability.syncs_in_flight_max()) {
      // No room for it in the submission queue is fine: schedule_sync() queues a plain one.
      (void)queue_sync(queue, write.data_end, /*linked=*/true);
    }
  }
  return Status::ok();
}

Status PartitionWriter::submit_write(io::IoQueue& queue, std::size_t slot) {
  const Write& write = writes_[slot];
  STRATA_ASSERT(write.begin % block_bytes_ == 0 && write.end % block_bytes_ == 0 && write.end > write.begin,
                "unaligned write [%llu, %llu)", static_cast<unsigned long long>(write.begin),
                static_cast<unsigned long long>(write.end));
  STRATA_ASSERT(has_staging(), "write [%llu, %llu) of %s-%u without staging", static_cast<unsigned long long>(write.begin),
                static_cast<unsigned long long>(write.end), topic_.c_str(), partition_);
  const std::span<const std::byte> bytes{staging_at(write.begin), write.end - write.begin};
  const std::uint64_t tag = IoTag::encode(id_, slot);
  STRATA_PROBE3(write_submit, id_, write.begin, bytes.size());
  const int fixed = staging_.fixed_index;
  auto prep = [&] {
    return fixed != StagingPool::kNotRegistered
               ? queue.prep_write_fixed(file_.fd(), bytes, write.begin, tag, static_cast<unsigned>(fixed))
               : queue.prep_write(file_.fd(), bytes, write.begin, tag);
  };
  if (prep()) return Status::ok();
  // The submission queue is full: hand it to the kernel and take a fresh entry. A failed submit is an
  // operating error (the log fails), not an assertion.
  STRATA_RETURN_IF_ERROR(queue.submit());
  if (!prep()) return io_error("no io_uring submission entry free after submitting the queue");
  return Status::ok();
}

Status PartitionWriter::schedule_sync(io::IoQueue& queue, std::chrono::steady_clock::time_point now, bool force) {
  // Only data written since the last sync was submitted needs another.
  if (written_ <= sync_requested_) return Status::ok();
  const bool due = force || config_.durability.sync_due(written_ - synced_, now - last_sync_, acks_full());
  if (!due || syncs_in_flight_ >= config_.durability.syncs_in_flight_max()) return Status::ok();
  if (!queue_sync(queue, written_, /*linked=*/false)) {
    STRATA_RETURN_IF_ERROR(queue.submit());
    if (!queue_sync(queue, written_, false)) {
      return io_error("no io_uring submission entry free for an fdatasync after submitting the queue");
    }
  }
  last_sync_ = now;
  return Status::ok();
}

bool PartitionWriter::queue_sync(io::IoQueue& queue, std::uint64_t target, bool linked) {
  std::size_t slot = 0;
  while (sync_slot_busy_[slot]) ++slot;
  const std::uint64_t tag = IoTag::encode(id_, IoTag::kSyncSlotBase + slot);
  if (!(linked ? queue.prep_sync_after_previous(file_.fd(), tag) : queue.prep_sync(file_.fd(), tag))) {
    return false;
  }
  STRATA_PROBE2(sync_submit, id_, target);
  sync_slot_busy_[slot] = true;
  sync_linked_[slot] = linked;
  sync_targets_[slot] = target;
  sync_started_[slot] = std::chrono::steady_clock::now();
  sync_requested_ = std::max(sync_requested_, target);
  ++syncs_in_flight_;
  return true;
}

Status PartitionWriter::on_sync_completion(std::size_t sync_slot, std::int32_t result) {
  STRATA_ASSERT(sync_slot < kSyncsInFlightMax && sync_slot_busy_[sync_slot],
                "completion of idle sync slot %zu", sync_slot);
  sync_slot_busy_[sync_slot] = false;
  --syncs_in_flight_;
  const std::uint64_t target = sync_targets_[sync_slot];
  STRATA_PROBE3(sync_done, id_, target, result);
  if (result == -ECANCELED && sync_linked_[sync_slot]) {
    // Never ran: its write failed or was short (and is being resubmitted). A later sync covers the data.
    sync_requested_ = synced_;
    return Status::ok();
  }
  // A failed fdatasync is final: the kernel may have dropped the dirty pages, so a retry that succeeds
  // proves nothing about the data we wrote. The log fails.
  if (result < 0) {
    return status_from_errno(-result, "fdatasync " + file_.path());
  }
  // Overlapping syncs may complete out of order; each covers its target, and no more than is written (a
  // linked sync's write may have reported a short write that is still being completed).
  const std::uint64_t covered = std::min(target, written_);
  synced_ = std::max(synced_, covered);
  if (covered < target) sync_requested_ = synced_;
  counters_.syncs.fetch_add(1, std::memory_order_relaxed);
  config_.fdatasync_seconds->observe(std::chrono::steady_clock::now() - sync_started_[sync_slot]);
  return Status::ok();
}

Status PartitionWriter::on_completion(io::IoQueue& queue, std::uint64_t slot, std::int32_t result) {
  if (IoTag::is_sync(slot)) return on_sync_completion(slot - IoTag::kSyncSlotBase, result);
  Write& write = writes_[slot];
  const std::uint64_t length = write.end - write.begin;
  STRATA_PROBE3(write_done, id_, write.begin, result);
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
    return submit_write(queue, slot);
  }
  if (result < 0) {
    // The log fails; retire the write without counting it as written, so nothing waits on it forever.
    Status error = status_from_errno(
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

void PartitionWriter::advance_written() {
  while (writes_in_flight_ > 0 && writes_[writes_head_].done) {
    written_ = std::max(written_, writes_[writes_head_].data_end);
    writes_head_ = (writes_head_ + 1) % kWritesInFlightMax;
    --writes_in_flight_;
  }
}

bool PartitionWriter::acknowledge(std::vector<ProducerState*>* touched) {
  const std::uint64_t limit = config_.durability.acks_wait_for_sync() ? synced_ : written_;
  const std::uint64_t durable_before = counters_.durable_offset.load(std::memory_order_relaxed);
  const std::uint64_t written_before = counters_.written_offset.load(std::memory_order_relaxed);
  while (!pending_batches_.empty() && pending_batches_.front().end <= limit) {
    const PendingBatch batch = pending_batches_.front();
    pending_batches_.pop();
    for (std::size_t i = 0; i < batch.acks; ++i) {
      const PendingAck ack = pending_acks_.front();
      pending_acks_.pop();
      ack.producer->acknowledge(writer_, ack.sequence, ack.offset);
      if (touched->empty() || touched->back() != ack.producer) touched->push_back(ack.producer);
    }
    counters_.durable_offset.store(batch.next_offset, std::memory_order_release);
    STRATA_PROBE2(ack, id_, batch.next_offset);
  }
  // Written but not yet synced, for readers that ask for it.
  std::uint64_t written_offset = counters_.durable_offset.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < pending_batches_.size() && pending_batches_.at(i).end <= written_; ++i) {
    written_offset = pending_batches_.at(i).next_offset;
  }
  counters_.written_offset.store(std::max(written_offset, written_before), std::memory_order_release);
  // Other processes' readers see what this log acknowledged: under sync and batch what is fdatasynced, under
  // `none` what is written (what `none` acknowledges), or all of it once all of it is synced.
  synced_marker_.publish(counters_.durable_offset.load(std::memory_order_relaxed));
  if (!config_.durability.acks_wait_for_sync() && !batch_open_ && synced_ == fill_) synced_marker_.publish(next_offset_);
  if (counters_.durable_offset.load(std::memory_order_relaxed) != durable_before ||
      counters_.written_offset.load(std::memory_order_relaxed) != written_before) {
    counters_.visible_signal.notify();
    return true;
  }
  return false;
}

void PartitionWriter::fail_pending(std::vector<ProducerState*>* touched) {
  while (!pending_acks_.empty()) {
    const PendingAck ack = pending_acks_.front();
    pending_acks_.pop();
    ack.producer->acknowledge(writer_, ack.sequence, kFailedOffset);
    if (touched->empty() || touched->back() != ack.producer) touched->push_back(ack.producer);
  }
  while (!pending_batches_.empty()) pending_batches_.pop();
  batch_open_ = false;
  if (keys_ != nullptr) unlock_keys();
}

void PartitionWriter::retire(StagingPool& pool) {
  STRATA_ASSERT(counters_.deleted.load(std::memory_order_acquire), "retire() of live partition %s-%u",
                topic_.c_str(), partition_);
  STRATA_ASSERT(!has_unsynced() && !io_in_flight() && pending_acks_.empty(),
                "retire() of %s-%u with synced %llu of %llu, io in flight %d, %zu acks pending",
                topic_.c_str(), partition_, static_cast<unsigned long long>(synced_),
                static_cast<unsigned long long>(fill_), io_in_flight(), pending_acks_.size());
  file_.close();
  pool.release(std::exchange(staging_, {}));
  tail_block_ = io::AlignedBuffer();
  retired_ = true;
}

void PartitionWriter::begin_seal() {
  close_batch();
}

Status PartitionWriter::finish_seal() {
  STRATA_ASSERT(synced_ == fill_ && !io_in_flight() && pending_acks_.empty(),
                "finish_seal() with synced %llu of %llu, io in flight %d, %zu acks pending",
                static_cast<unsigned long long>(synced_), static_cast<unsigned long long>(fill_),
                io_in_flight(), pending_acks_.size());
  const SegmentInfo sealed{segment_base_, next_offset_, fill_, true, max_timestamp_us_};
  STRATA_RETURN_IF_ERROR(write_index(dir_, sealed, index_));
  if (keys_ != nullptr) STRATA_RETURN_IF_ERROR(keys_->seal(segment_base_, next_offset_));
  // Sealed segments are immutable: readers may map them.
  STRATA_RETURN_IF_ERROR(file_.make_read_only());
  file_.close();
  STRATA_RETURN_IF_ERROR(open_segment(next_offset_));
  return apply_retention_now(wall_clock_us());
}

bool PartitionWriter::segment_age_due(std::int64_t now_us) const {
  const std::int64_t age_us = config_.settings->segment_age_us.load(std::memory_order_relaxed);
  return age_us > 0 && open_end() > 0 && !retired_ && now_us - segment_opened_us_ >= age_us;
}

Status PartitionWriter::apply_retention_now(std::int64_t now_us) {
  if (retired_) return Status::ok();
  const RetentionPolicy policy{config_.settings->retention_bytes.load(std::memory_order_relaxed),
                               std::chrono::microseconds(config_.settings->retention_age_us.load(std::memory_order_relaxed))};
  if (policy.retention_bytes == 0 && policy.retention_age.count() == 0) return Status::ok();
  auto retained = apply_retention(dir_, policy, now_us);
  if (!retained) return retained.status();
  counters_.segments.fetch_sub(retained->deleted, std::memory_order_relaxed);
  log_start_offset_.store(retained->log_start_offset, std::memory_order_release);
  return Status::ok();
}

}  // namespace strata::detail
