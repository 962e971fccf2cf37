// The key-index workloads of `strata bench`:
//   conditional: P producers append N events over K distinct keys (each producer owns K/P of them), every
//     append conditional on the key's previous offset (Expected::no_event() first, then the offset the
//     producer's previous append of that key got); a topic with strata.key-index=true. Its reference, run
//     in the same run, is plain ingest (run_ingest) of as many events.
//   key-read: fills one partition with N events over N/100 keys (100 events per key), then reads one key's
//     100 events with a KeyReader: warm (page cache warm, one reader reused) and cold (the partition's files
//     dropped from the page cache with posix_fadvise, a new reader per key).
#pragma once

#include "bench/e2e/workload.h"

namespace strata::bench {

struct ConditionalResult {
  WorkloadResult result;
  WorkloadResult reference;  // plain ingest of as many events, same run
  double ratio = 0;          // result.events_per_s() / reference.events_per_s()
  std::uint64_t keys = 0;
  std::uint64_t conflicts = 0;  // must be 0: every producer owns its keys
};
Result<ConditionalResult> run_conditional(const WorkloadOptions& options, std::uint64_t keys);

struct KeyReadResult {
  WorkloadResult result;  // the fill
  std::uint64_t events_per_key = 100;
  LatencySummary warm;  // one key's events, reader reused, files in the page cache
  LatencySummary cold;  // one key's events, new reader, files dropped from the page cache
};
Result<KeyReadResult> run_key_read(const WorkloadOptions& options);

}  // namespace strata::bench
