#include "projection/wal_checkpointer.h"

namespace strata::projection {

Status WalCheckpointer::start(sqlite3* writer, const std::string& database, bool synchronous_off) {
  auto connection = Connection::open(database);
  if (!connection) return connection.status().with_context("opening the checkpoint connection");
  connection_ = std::move(connection.value());
  if (synchronous_off) STRATA_RETURN_IF_ERROR(connection_.exec("PRAGMA synchronous=OFF"));
  writer_ = writer;
  char* error = nullptr;
  if (sqlite3_exec(writer_, "PRAGMA wal_autocheckpoint=0", nullptr, nullptr, &error) != SQLITE_OK) {
    Status status = io_error(std::string("PRAGMA wal_autocheckpoint: ") + (error != nullptr ? error : "?"));
    sqlite3_free(error);
    return status;
  }
  sqlite3_wal_hook(writer_, &WalCheckpointer::on_wal_commit, this);
  thread_ = std::thread([this] { run(); });
  return Status::ok();
}

int WalCheckpointer::on_wal_commit(void* self, sqlite3*, const char*, int wal_pages) {
  auto* checkpointer = static_cast<WalCheckpointer*>(self);
  checkpointer->wal_pages_ = wal_pages;
  if (wal_pages >= kWalPagesCheckpoint) checkpointer->request();
  return SQLITE_OK;
}

void WalCheckpointer::after_commit() {
  if (wal_pages_ < kWalPagesHardMax) return;
  wait_for(request());  // so that the next transaction restarts the WAL
  wal_pages_ = 0;
}

std::uint64_t WalCheckpointer::request() {
  std::lock_guard lock(mutex_);
  wake_.notify_one();
  return ++requested_;
}

void WalCheckpointer::wait_for(std::uint64_t request) {
  std::unique_lock lock(mutex_);
  done_.wait(lock, [&] { return completed_ >= request || stopping_; });
}

void WalCheckpointer::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait(lock, [&] { return requested_ > completed_ || stopping_; });
    if (stopping_) break;
    const std::uint64_t serving = requested_;
    lock.unlock();
    // An error (BUSY while another connection checkpoints) leaves the work to the next request.
    (void)sqlite3_wal_checkpoint_v2(connection_.get(), "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
    completed_ = serving;
    done_.notify_all();
  }
}

void WalCheckpointer::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    wake_.notify_one();
    done_.notify_all();
  }
  thread_.join();
  sqlite3_wal_hook(writer_, nullptr, nullptr);
  connection_ = Connection();
}

}  // namespace strata::projection
