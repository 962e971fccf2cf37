#include "bench/e2e/disk_limit.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "io/aligned_buffer.h"
#include "io/errno_status.h"
#include "io/file.h"
#include "io/io_queue.h"

namespace strata::bench {

namespace {

constexpr std::size_t kWriteBytes = 1u << 20;
constexpr unsigned kQueueDepth = 16;
constexpr std::uint64_t kFileBytes = 1ull << 30;

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
      if (completions[i].result < 0) return io::status_from_errno(-completions[i].result, "disk-limit write");
      bytes_done += static_cast<std::uint64_t>(completions[i].result);
      if (Clock::now() < end) submit_one(static_cast<unsigned>(completions[i].user_data));
    }
    STRATA_RETURN_IF_ERROR((*queue)->submit());
    if ((*queue)->in_flight() == 0) break;
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(bytes_done) / elapsed / 1e6;
}

Status sync_latency(io::File& file, double seconds, DiskLimit* limit) {
  io::AlignedBuffer block(4096);
  std::vector<double> latencies_us;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  // Appends 4 KiB blocks into fresh preallocated space, as the writer's tail does.
  for (std::uint64_t position = 0; Clock::now() < end && latencies_us.size() < 100'000; position += 4096) {
    const auto start = Clock::now();
    if (::pwrite(file.fd(), block.data(), block.size(), static_cast<off_t>(position % kFileBytes)) != 4096) {
      return io::status_from_errno(errno, "disk-limit 4 KiB write");
    }
    STRATA_RETURN_IF_ERROR(file.sync_data());
    latencies_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  std::sort(latencies_us.begin(), latencies_us.end());
  limit->fdatasync_p50_us = latencies_us[latencies_us.size() / 2];
  limit->fdatasync_p99_us = latencies_us[std::min(latencies_us.size() - 1, latencies_us.size() * 99 / 100)];
  return Status::ok();
}

}  // namespace

Result<DiskLimit> measure_disk_limit(const std::string& directory, double seconds) {
  const std::string path = directory + "/disk-limit.tmp";
  auto file = io::File::open(path, io::OpenMode::kReadWriteCreateDirect);
  if (!file) return file.status();
  ::unlink(path.c_str());  // gone when closed, even if we stop early
  STRATA_RETURN_IF_ERROR(file->preallocate(kFileBytes));
  DiskLimit limit;
  auto bandwidth = sequential_mb_s(*file, seconds);
  if (!bandwidth) return bandwidth.status();
  limit.sequential_mb_s = *bandwidth;
  // Fresh space for the latency test, like a new segment.
  STRATA_RETURN_IF_ERROR(file->zero_range(0, kFileBytes));
  STRATA_RETURN_IF_ERROR(sync_latency(*file, std::min(seconds, 2.0), &limit));
  return limit;
}

}  // namespace strata::bench
