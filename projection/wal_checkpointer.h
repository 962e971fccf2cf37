// WAL checkpoints of a projector's database on a connection and thread of their own. Internal to projection/.
//
// SQLite's automatic checkpoint runs inside the COMMIT that crosses 1,000 WAL pages, copying pages and syncing
// the file while the projector waits (a live commit then takes milliseconds: p99 live lag 10 ms against 1-2 ms
// without, on a 2-core VM); a PASSIVE checkpoint from another connection runs beside the writer instead. The
// WAL restarts from its beginning only when a write transaction begins with every frame copied back, which a
// writer committing back to back (catching up) never sees; so once the WAL holds kWalPagesHardMax pages,
// after_commit() waits for a checkpoint of everything, and the writer's next transaction restarts the WAL.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "projection/sqlite.h"

namespace strata::projection {

class WalCheckpointer {
 public:
  WalCheckpointer() = default;
  ~WalCheckpointer() { stop(); }
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Turns `writer`'s automatic checkpoints off and starts the thread. REQUIRES: `writer` outlives stop().
  Status start(sqlite3* writer, const std::string& database, bool synchronous_off);
  // The writer's thread, after each COMMIT: waits for a full checkpoint when the WAL grew too large.
  void after_commit();
  void stop();

 private:
  static constexpr int kWalPagesCheckpoint = 1'000;
  static constexpr int kWalPagesHardMax = 16'000;
  static int on_wal_commit(void* self, sqlite3* db, const char* schema, int wal_pages);
  std::uint64_t request();
  void wait_for(std::uint64_t request);
  void run();

  sqlite3* writer_ = nullptr;
  Connection connection_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::uint64_t requested_ = 0;  // guarded by mutex_
  std::uint64_t completed_ = 0;  // guarded by mutex_
  bool stopping_ = false;        // guarded by mutex_
  int wal_pages_ = 0;            // the WAL's size after the last commit (the writer's thread)
};

}  // namespace strata::projection
