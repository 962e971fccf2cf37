#include "bench/e2e/rocksdb_reference.h"

#ifdef STRATA_HAVE_ROCKSDB

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>

namespace strata::bench {

namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t wal_bytes(const std::string& directory) {
  std::uint64_t bytes = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    if (entry.path().extension() == ".log") bytes += entry.file_size(error);
  }
  return bytes;
}

}  // namespace

bool rocksdb_reference_built() { return true; }

Result<WorkloadResult> run_durable_rocksdb(const WorkloadOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.error_if_exists = true;
  const std::string& path = options.directory;
  rocksdb::DB* opened = nullptr;
  const rocksdb::Status open_status = rocksdb::DB::Open(db_options, path, &opened);
  if (!open_status.ok()) return io_error("RocksDB open " + path + ": " + open_status.ToString());
  std::unique_ptr<rocksdb::DB> db(opened);

  WorkloadResult result = base_result("durable-rocksdb", options, options.producers);
  result.durability = Durability::kSync;
  result.io_backend = "RocksDB " + std::to_string(ROCKSDB_MAJOR) + "." + std::to_string(ROCKSDB_MINOR) + "." +
                      std::to_string(ROCKSDB_PATCH) + " (WriteOptions::sync)";

  std::vector<std::vector<double>> latencies(options.producers);
  std::vector<std::string> errors(options.producers);
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (unsigned p = 0; p < options.producers; ++p) {
    threads.emplace_back([&, p] {
      rocksdb::WriteOptions write_options;
      write_options.sync = true;
      std::vector<std::byte> key(options.key_bytes);
      const std::string value(options.value_bytes, 'd');
      const auto [begin, end] = producer_slice(options, p);
      latencies[p].reserve(end - begin);
      for (std::uint64_t i = begin; i < end; ++i) {
        fill_key(key, i);
        const auto sent = Clock::now();
        const rocksdb::Status put =
            db->Put(write_options, rocksdb::Slice(reinterpret_cast<const char*>(key.data()), key.size()), value);
        if (!put.ok()) {
          errors[p] = put.ToString();
          return;
        }
        latencies[p].push_back(std::chrono::duration<double, std::micro>(Clock::now() - sent).count());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (const std::string& error : errors) {
    if (!error.empty()) return io_error("RocksDB Put in " + path + ": " + error);
  }
  std::vector<double> all;
  for (auto& per_thread : latencies) all.insert(all.end(), per_thread.begin(), per_thread.end());
  result.ack_latency = summarize(all);
  result.disk_bytes = wal_bytes(path);
  result.peak_rss_mb = peak_rss_mb();
  const rocksdb::Status closed = db->Close();
  if (!closed.ok()) return io_error("RocksDB close " + path + ": " + closed.ToString());
  return result;
}

}  // namespace strata::bench

#else

namespace strata::bench {

bool rocksdb_reference_built() { return false; }

Result<WorkloadResult> run_durable_rocksdb(const WorkloadOptions&) {
  return Status(StatusCode::kUnsupported,
                "the RocksDB reference is not built (librocksdb-dev was missing when strata was configured)");
}

}  // namespace strata::bench

#endif
