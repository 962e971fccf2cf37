#include "bench/e2e/key_workload.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <filesystem>
#include <random>
#include <thread>

#include "strata/key_reader.h"

namespace strata::bench {

namespace {

using Clock = std::chrono::steady_clock;

const TopicOptions kKeyIndexed{.partitions = 1, .configs = {{"strata.key-index", "true"}}};

// Producer p's loop: passes over its own keys (global key j * producers + p), each append expecting the
// offset of its previous append of the key. Acknowledgements are collected `window` appends behind, so the
// producer never waits for one it just made; a key comes round again only after its last append was
// acknowledged.
Status append_conditionally(Producer& producer, TopicId topic, const WorkloadOptions& options, unsigned p,
                            std::uint64_t keys, std::uint64_t events, std::atomic<std::uint64_t>* conflicts) {
  const std::uint64_t own = std::max<std::uint64_t>(1, keys / options.producers);
  const std::size_t window = static_cast<std::size_t>(std::min<std::uint64_t>(own - 1, 16384));
  std::vector<std::int64_t> last(own, -1);
  std::deque<std::pair<Ticket, std::uint64_t>> pending;
  std::vector<std::byte> key(options.key_bytes);
  const std::vector<std::byte> value(options.value_bytes, std::byte{'c'});
  const auto collect = [&] {
    const auto [ticket, j] = pending.front();
    pending.pop_front();
    auto offset = producer.wait(ticket);
    if (offset) {
      last[j] = static_cast<std::int64_t>(*offset);
      return Status::ok();
    }
    if (offset.status().code() != StatusCode::kConflict) return offset.status();
    last[j] = offset.status().conflict_offset();
    conflicts->fetch_add(1, std::memory_order_relaxed);
    return Status::ok();
  };
  for (std::uint64_t c = 0; c < events; ++c) {
    const std::uint64_t j = c % own;
    fill_key(key, j * options.producers + p);
    const Expected expected = last[j] < 0 ? Expected::no_event() : Expected::offset(static_cast<std::uint64_t>(last[j]));
    auto ticket = producer.append(topic, 0, key, value, {}, {.expected = expected});
    if (!ticket) return ticket.status();
    pending.emplace_back(*ticket, j);
    if (pending.size() > window) STRATA_RETURN_IF_ERROR(collect());
  }
  while (!pending.empty()) STRATA_RETURN_IF_ERROR(collect());
  return Status::ok();
}

// Drops the partition's files from the page cache (clean pages only: they are all written and synced).
void drop_from_page_cache(const std::string& partition_dir) {
  for (const auto& entry : std::filesystem::directory_iterator(partition_dir)) {
    const int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

// Warm means in the page cache: reads every file of the partition once (what the cold reads dropped, and what
// a key reader's scattered faults, without readahead, would take thousands of reads to bring back).
void load_into_page_cache(const std::string& partition_dir) {
  std::vector<char> buffer(1u << 20);
  for (const auto& entry : std::filesystem::directory_iterator(partition_dir)) {
    const int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    while (::read(fd, buffer.data(), buffer.size()) > 0) {
    }
    ::close(fd);
  }
}

}  // namespace

Result<ConditionalResult> run_conditional(const WorkloadOptions& options, std::uint64_t keys) {
  ConditionalResult measured;
  measured.keys = keys;
  std::error_code ignored;
  std::filesystem::create_directories(options.directory, ignored);
  {
    WorkloadOptions conditional = options;
    conditional.directory = options.directory + "/conditional";
    auto opened = Log::open(log_options(conditional));
    if (!opened) return opened.status();
    Log& log = *opened.value();
    auto topic = log.topic("conditional", kKeyIndexed);
    if (!topic) return topic.status();
    measured.result = base_result("conditional", conditional, options.producers);
    std::atomic<std::uint64_t> conflicts{0};
    std::vector<Status> errors(options.producers);
    std::vector<std::thread> threads;
    const auto start = Clock::now();
    for (unsigned p = 0; p < options.producers; ++p) {
      threads.emplace_back([&, p] {
        auto producer = log.producer();
        const auto [begin, end] = producer_slice(options, p);
        errors[p] = append_conditionally(*producer, *topic, options, p, keys, end - begin, &conflicts);
      });
    }
    for (auto& thread : threads) thread.join();
    for (const Status& error : errors) STRATA_RETURN_IF_ERROR(error);
    STRATA_RETURN_IF_ERROR(log.flush());
    measured.result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    measured.result.disk_bytes = log.stats().disk_bytes_written;
    measured.result.peak_rss_mb = peak_rss_mb();
    measured.conflicts = conflicts.load();
    STRATA_RETURN_IF_ERROR(log.close());
  }
  std::filesystem::remove_all(options.directory + "/conditional");
  WorkloadOptions plain = options;
  plain.directory = options.directory + "/ingest";
  plain.progress = false;
  auto reference = run_ingest(plain);
  if (!reference) return reference.status();
  measured.reference = *reference;
  std::filesystem::remove_all(plain.directory);
  measured.ratio = measured.result.events_per_s() / std::max(measured.reference.events_per_s(), 1e-9);
  return measured;
}

Result<KeyReadResult> run_key_read(const WorkloadOptions& options) {
  KeyReadResult measured;
  const std::uint64_t keys = std::max<std::uint64_t>(1, options.events / measured.events_per_key);
  auto opened = Log::open(log_options(options));
  if (!opened) return opened.status();
  Log& log = *opened.value();
  auto topic = log.topic("keyread", kKeyIndexed);
  if (!topic) return topic.status();
  measured.result = base_result("key-read", options, 1);
  {
    auto producer = log.producer();
    std::vector<std::byte> key(options.key_bytes);
    const std::vector<std::byte> value(options.value_bytes, std::byte{'k'});
    const auto start = Clock::now();
    for (std::uint64_t i = 0; i < options.events; ++i) {
      fill_key(key, i % keys);
      auto ticket = producer->append(*topic, 0, key, value);
      if (!ticket) return ticket.status();
    }
    STRATA_RETURN_IF_ERROR(producer->wait_all());
    STRATA_RETURN_IF_ERROR(log.flush());
    measured.result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  }
  std::mt19937_64 random(42);
  std::vector<double> warm;
  std::vector<double> cold;
  std::vector<std::byte> key(options.key_bytes);
  const auto time_one = [&](KeyReader& reader, std::vector<double>* samples) -> Status {
    fill_key(key, random() % keys);
    std::uint64_t seen = 0;
    const auto start = Clock::now();
    auto read = reader.read(key, 0, SIZE_MAX, [&](const Event&) { ++seen; });
    if (!read) return read.status();
    samples->push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    if (seen != measured.events_per_key) {
      return Status(StatusCode::kCorruption, "key-read: a key gave " + std::to_string(seen) + " events, not " +
                                                 std::to_string(measured.events_per_key));
    }
    return Status::ok();
  };
  const std::string partition_dir = options.directory + "/keyread-0";
  for (int i = 0; i < 20; ++i) {
    drop_from_page_cache(partition_dir);
    auto reader = log.key_reader("keyread");
    if (!reader) return reader.status();
    STRATA_RETURN_IF_ERROR(time_one(**reader, &cold));
  }
  load_into_page_cache(partition_dir);
  auto reader = log.key_reader("keyread");
  if (!reader) return reader.status();
  for (int i = 0; i < 200; ++i) STRATA_RETURN_IF_ERROR(time_one(**reader, &warm));  // warms the reader
  warm.clear();
  for (int i = 0; i < 1000; ++i) STRATA_RETURN_IF_ERROR(time_one(**reader, &warm));
  measured.warm = summarize(warm);
  measured.cold = summarize(cold);
  measured.result.disk_bytes = log.stats().disk_bytes_written;
  measured.result.peak_rss_mb = peak_rss_mb();
  reader->reset();
  STRATA_RETURN_IF_ERROR(log.close());
  return measured;
}

}  // namespace strata::bench
