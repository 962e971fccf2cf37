#include "bench/e2e/disk_limit.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "bench/e2e/workload.h"
#include "io/aligned_buffer.h"
#include "strata/errno_status.h"
#include "io/file.h"
#include "io/io_queue.h"

namespace strata::bench {

namespace {

constexpr std::size_t kWriteBytes = 1u << 20;
constexpr unsigned kQueueDepth = 16;
constexpr std::uint64_t kFileBytes = 1ull << 30;
constexpr std::size_t kSyncSamplesMax = 20'000;
// The written region the floor cycles through: 16,384 blocks, so most samples land on a block not written
// by the sample before, as the writer's tail moves on.
constexpr std::uint64_t kWrittenRegionBytes = 64ull << 20;

using Clock = std::chrono::steady_clock;

Result<double> sequential_mb_s(io::File& file, double seconds) {
  auto queue = io::make_io_queue(io::IoBackend::kAuto, kQueueDepth * 2);
  if (!queue) return queue.status();
  io::AlignedBuffer buffer(kWriteBytes * kQueueDepth);
  for (std::size_t i = 0; i < buffer.size(); ++i) buffer.data()[i] = static_cast<std::byte>(i * 131);
  std::uint64_t next_position = 0;
  std::uint64_t bytes_done = 0;
  std::vector<io::Completion> completions(kQueueDepth);
  auto submit_one = [&](unsigned slot) {
    (void)(*queue)->prep_write(file.fd(), {buffer.data() + slot * kWriteBytes, kWriteBytes}, next_position,
                               slot);
    next_position = (next_position + kWriteBytes) % kFileBytes;
  };
  for (unsigned slot = 0; slot < kQueueDepth; ++slot) submit_one(slot);
  STRATA_RETURN_IF_ERROR((*queue)->submit());
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  while (true) {
    auto reaped = (*queue)->reap(completions, std::chrono::microseconds(100'000));
    if (!reaped) return reaped.status();
    for (std::size_t i = 0; i < *reaped; ++i) {
      if (completions[i].result < 0) return status_from_errno(-completions[i].result, "disk-limit write");
      bytes_done += static_cast<std::uint64_t>(completions[i].result);
      if (Clock::now() < end) submit_one(static_cast<unsigned>(completions[i].user_data));
    }
    STRATA_RETURN_IF_ERROR((*queue)->submit());
    if ((*queue)->in_flight() == 0) break;
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(bytes_done) / elapsed / 1e6;
}

// 4 KiB writes, each followed by fdatasync, at consecutive positions of [0, region_bytes) (wrapping).
Result<SyncLatency> sync_latency(io::File& file, std::uint64_t region_bytes, double seconds) {
  io::AlignedBuffer block(4096);
  std::vector<double> latencies_us;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  for (std::uint64_t position = 0; Clock::now() < end && latencies_us.size() < kSyncSamplesMax; position += 4096) {
    const auto start = Clock::now();
    if (::pwrite(file.fd(), block.data(), block.size(), static_cast<off_t>(position % region_bytes)) != 4096) {
      return status_from_errno(errno, "disk-limit 4 KiB write to " + file.path());
    }
    STRATA_RETURN_IF_ERROR(file.sync_data());
    latencies_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  const LatencySummary summary = summarize(latencies_us);
  return SyncLatency{summary.p50_us, summary.p99_us};
}

// Writes [0, bytes) in 1 MiB writes and syncs it: from then on a write there converts no unwritten extent.
Status write_through(io::File& file, std::uint64_t bytes) {
  io::AlignedBuffer chunk(kWriteBytes);
  for (std::uint64_t position = 0; position < bytes; position += kWriteBytes) {
    if (::pwrite(file.fd(), chunk.data(), chunk.size(), static_cast<off_t>(position)) !=
        static_cast<ssize_t>(chunk.size())) {
      return status_from_errno(errno, "disk-limit write to " + file.path());
    }
  }
  return file.sync_data();
}

Result<io::File> open_scratch(const std::string& directory, bool direct) {
  const std::string path = directory + "/disk-limit.tmp";
  auto file = io::File::open(path, direct ? io::OpenMode::kReadWriteCreateDirect : io::OpenMode::kReadWriteCreate);
  if (!file) return file.status();
  ::unlink(path.c_str());  // gone when closed, even if we stop early
  return file;
}

}  // namespace

Result<DiskLimit> measure_disk_limit(const std::string& directory, double seconds) {
  auto file = open_scratch(directory, /*direct=*/true);
  if (!file) return file.status();
  STRATA_RETURN_IF_ERROR(file->preallocate(kFileBytes));
  DiskLimit limit;
  auto bandwidth = sequential_mb_s(*file, seconds);
  if (!bandwidth) return bandwidth.status();
  limit.sequential_mb_s = *bandwidth;
  // Fresh space for the latency test, like a new segment.
  STRATA_RETURN_IF_ERROR(file->zero_range(0, kFileBytes));
  auto fresh = sync_latency(*file, kFileBytes, std::min(seconds, 2.0));
  if (!fresh) return fresh.status();
  limit.fresh = *fresh;
  STRATA_RETURN_IF_ERROR(write_through(*file, kWrittenRegionBytes));
  auto written = sync_latency(*file, kWrittenRegionBytes, std::min(seconds, 2.0));
  if (!written) return written.status();
  limit.written = *written;
  return limit;
}

Result<SyncLatency> measure_sync_floor(const std::string& directory, double seconds, bool allow_buffered_io) {
  auto direct = io::supports_direct_io(directory);
  if (!direct) return direct.status();
  if (!*direct && !allow_buffered_io) {
    return Status(StatusCode::kUnsupported, directory + " refuses O_DIRECT (--buffered-io writes through the page cache)");
  }
  auto file = open_scratch(directory, *direct);
  if (!file) return file.status();
  STRATA_RETURN_IF_ERROR(file->preallocate(kWrittenRegionBytes));
  STRATA_RETURN_IF_ERROR(write_through(*file, kWrittenRegionBytes));
  auto floor = sync_latency(*file, kWrittenRegionBytes, seconds);
  if (floor) floor->direct_io = *direct;
  return floor;
}

}  // namespace strata::bench
