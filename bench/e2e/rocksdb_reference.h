// The durable workload's reference: the same producers against RocksDB (librocksdb-dev), each Put of one
// event (its key and value) with WriteOptions::sync, waiting for it before the next, in a RocksDB database
// in the same directory kind. RocksDB's write group commits concurrent writers with one WAL fdatasync, as
// strata's greedy group commit does.
//
// Optional at build time: without RocksDB, run_durable_rocksdb() says the reference is not built.
#pragma once

#include "bench/e2e/workload.h"

namespace strata::bench {

// Whether this build has the RocksDB reference.
bool rocksdb_reference_built();

// options.producers threads append options.events events in all (slices as run_durable), into a fresh
// database in options.directory (which must not hold one). disk_bytes is the WAL's size at the end.
Result<WorkloadResult> run_durable_rocksdb(const WorkloadOptions& options);

}  // namespace strata::bench
