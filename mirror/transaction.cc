#include "mirror/transaction.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>
#include <vector>

#include "mirror/kafka_client.h"

namespace strata::mirror {

namespace {

struct ErrorDeleter {
  void operator()(rd_kafka_error_t* error) const { rd_kafka_error_destroy(error); }
};
using KafkaError = std::unique_ptr<rd_kafka_error_t, ErrorDeleter>;

constexpr int kCommitAttempts = 3;  // a retriable commit error (a timeout) is tried again this often

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string sorted_servers(const std::string& bootstrap) {
  std::vector<std::string> servers;
  std::stringstream list(bootstrap);
  for (std::string server; std::getline(list, server, ',');) {
    if (!server.empty()) servers.push_back(server);
  }
  std::sort(servers.begin(), servers.end());
  std::string joined;
  for (const std::string& server : servers) joined += server + ",";
  return joined;
}

}  // namespace

std::string transactional_id(const std::string& dir, const std::string& bootstrap) {
  std::error_code error;
  std::filesystem::path path =
      std::filesystem::weakly_canonical(std::filesystem::absolute(dir, error), error);
  if (error) path = dir;  // still stable for the same spelling of the directory
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(fnv1a(path.string() + "\n" + sorted_servers(bootstrap))));
  return std::string("strata-mirror-") + hex;
}

Status Transactions::start() {
  KafkaError error(rd_kafka_init_transactions(producer_, static_cast<int>(kClusterTimeout.count())));
  if (error) {
    const rd_kafka_resp_err_t code = rd_kafka_error_code(error.get());
    const std::string reason = rd_kafka_error_string(error.get());
    if (code == RD_KAFKA_RESP_ERR__TIMED_OUT || code == RD_KAFKA_RESP_ERR__TRANSPORT) {
      return {StatusCode::kTimedOut,
              "--transactional: the cluster at " + bootstrap_ +
                  " did not answer the transactional producer's registration: " + reason};
    }
    return invalid_argument("--transactional: the cluster at " + bootstrap_ +
                            " refused a transactional producer (" + reason +
                            "): it does not support transactions, or this user may not use the mirror's "
                            "transactional.id; run the mirror without --transactional");
  }
  return begin();
}

Status Transactions::begin() {
  KafkaError error(rd_kafka_begin_transaction(producer_));
  if (error) {
    return {StatusCode::kIoError, "beginning a transaction on the cluster at " + bootstrap_ + ": " +
                                      rd_kafka_error_string(error.get())};
  }
  records_ = 0;
  began_ = std::chrono::steady_clock::now();
  return Status::ok();
}

Status Transactions::commit_if_due(bool now) {
  if (records_ == 0) return Status::ok();
  if (!now && records_ < kTransactionRecordsMax &&
      std::chrono::steady_clock::now() - began_ < kTransactionAgeMax) {
    return Status::ok();
  }
  STRATA_RETURN_IF_ERROR(commit());
  return begin();
}

Status Transactions::commit() {
  for (int attempt = 1;; ++attempt) {
    KafkaError error(rd_kafka_commit_transaction(producer_, static_cast<int>(kClusterTimeout.count())));
    if (!error) {
      ++committed_;
      return Status::ok();
    }
    const std::string what = "committing a transaction of " + std::to_string(records_) +
                             " records on the cluster at " + bootstrap_ + ": " +
                             rd_kafka_error_string(error.get());
    if (rd_kafka_error_is_retriable(error.get()) && attempt < kCommitAttempts) continue;
    if (rd_kafka_error_txn_requires_abort(error.get())) {
      KafkaError aborted(rd_kafka_abort_transaction(producer_, static_cast<int>(kClusterTimeout.count())));
      return {StatusCode::kIoError, what + "; the transaction was aborted" +
                                        (aborted ? std::string(" (and aborting it failed too: ") +
                                                       rd_kafka_error_string(aborted.get()) + ")"
                                                 : std::string()) +
                                        ": a restarted mirror resumes after the last committed record"};
    }
    if (rd_kafka_error_is_fatal(error.get())) {
      return {StatusCode::kIoError, what +
                                        " (fatal: another mirror with the same transactional.id may have "
                                        "taken over)"};
    }
    return {StatusCode::kIoError, what};
  }
}

}  // namespace strata::mirror
