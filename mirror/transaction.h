// --transactional: the mirror's writes to the cluster go through a transactional producer, so a record
// becomes visible to read_committed consumers only with the commit of its transaction. What a killed
// mirror had sent but not committed is aborted by the next one, which fences it first (same
// transactional.id) and then resumes after the last committed record's strata.source-offset.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "strata/status.h"

namespace strata::mirror {

// A transaction is committed once it holds this many records or is this old, whichever comes first: a
// commit flushes the producer and waits for the cluster's answer, so commits bound both the work a killed
// mirror loses and how long a copied record stays invisible to read_committed consumers.
inline constexpr std::uint64_t kTransactionRecordsMax = 20'000;
inline constexpr std::chrono::milliseconds kTransactionAgeMax{200};

// The transactional.id of a mirror from the log in `dir` to the cluster at `bootstrap`: stable across
// restarts (the directory's absolute path, the bootstrap servers in sorted order), so a restarted mirror
// fences the one it replaces. "strata-mirror-" and 16 hex digits.
std::string transactional_id(const std::string& dir, const std::string& bootstrap);

// One producer's transactions. Not thread-safe: the copying thread only.
class Transactions {
 public:
  // `producer` was made with transactional.id set; `bootstrap` names the cluster in errors.
  Transactions(rd_kafka_t* producer, std::string bootstrap)
      : producer_(producer), bootstrap_(std::move(bootstrap)) {}

  // Registers the transactional.id with the cluster, fencing an earlier producer of the same id and aborting
  // its open transaction; then begins the first transaction. A cluster that does not support transactions
  // is kInvalidArgument naming it.
  Status start();
  // Counts records produced into the open transaction.
  void produced(std::uint64_t records) { records_ += records; }
  std::uint64_t committed() const { return committed_; }  // transactions committed so far
  // Commits the open transaction when it is due (kTransactionRecordsMax, kTransactionAgeMax) and begins the
  // next; `now` true commits whatever it holds. Delivery reports are served while committing.
  Status commit_if_due(bool now);

 private:
  Status commit();
  Status begin();

  rd_kafka_t* producer_;
  std::string bootstrap_;
  std::uint64_t records_ = 0;  // produced in the open transaction
  std::uint64_t committed_ = 0;
  std::chrono::steady_clock::time_point began_{};
};

}  // namespace strata::mirror
