// The README's C++ handler example, compiled and run: an in-memory index (the latest value per key, for
// lookups without SQL) kept exactly once by the same rule as an SQL model. Each event's effect is written to
// a table in the projector's transaction, beside the checkpoint, and mirrored into the map; at start the map
// is loaded from that table, which holds exactly the events the checkpoint covers. The map's update is an
// assignment (idempotent), so a batch rolled back and applied again (--on-error skip retries a batch event by
// event) leaves it right; after an error, reload it from the table before running again.
#include <gtest/gtest.h>

#include <string>
#include <unordered_map>

#include "projection/projector.h"
#include "tests/projection/projection_test_util.h"

namespace strata::testing {
namespace {

// ---- README example begins ----
struct LatestByKey {
  std::unordered_map<std::string, std::string> index;  // key -> latest value

  // The map as the committed table holds it (call before catch_up/follow, and after an error).
  strata::Status load(sqlite3* db) {
    index.clear();
    sqlite3_stmt* rows = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT key, value FROM latest", -1, &rows, nullptr) != SQLITE_OK)
      return strata::Status::ok();  // a new database: no table yet
    while (sqlite3_step(rows) == SQLITE_ROW) {
      index[reinterpret_cast<const char*>(sqlite3_column_text(rows, 0))] =
          reinterpret_cast<const char*>(sqlite3_column_text(rows, 1));
    }
    sqlite3_finalize(rows);
    return strata::Status::ok();
  }

  strata::projection::HandlerProjection projection() {
    return {
        .name = "latest",
        .version = "1",  // change it when apply changes meaning
        .topics = {"orders"},
        .schema = [](strata::projection::Transaction& tx) {
          return tx.exec("CREATE TABLE latest(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
        },
        .apply = [this](strata::projection::Transaction& tx, const strata::Event& event) -> strata::Status {
          auto upsert = tx.statement("INSERT INTO latest VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2");
          if (!upsert) return upsert.status();
          const std::string key(reinterpret_cast<const char*>(event.key.data()), event.key.size());
          const std::string value(reinterpret_cast<const char*>(event.value.data()), event.value.size());
          sqlite3_bind_text(*upsert, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
          sqlite3_bind_text(*upsert, 2, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
          STRATA_RETURN_IF_ERROR(tx.run(*upsert));  // the durable truth, in the checkpoint's transaction
          index[key] = value;                       // the fast copy: an assignment, so a replay is harmless
          return strata::Status::ok();
        }};
  }
};
// ---- README example ends ----

class HandlerExampleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = Log::open(small_options(dir_.sub("log"), Durability::kNone));
    ASSERT_TRUE(log.is_ok());
    log_ = std::move(log.value());
    ASSERT_TRUE(log_->topic("orders").is_ok());
  }
  // A run as a service would do it: a fresh map loaded from the database, then catch up.
  LatestByKey run() {
    LatestByKey latest;
    auto projector = projection::Projector::open({.database = dir_.sub("index.db"), .log = log_.get()});
    EXPECT_TRUE(projector.is_ok());
    {
      Sql sql(dir_.sub("index.db"));
      EXPECT_TRUE(latest.load(sql.get()).is_ok());
    }
    EXPECT_TRUE((*projector)->add(latest.projection()).is_ok());
    EXPECT_TRUE((*projector)->catch_up().is_ok());
    return latest;
  }
  TestDir dir_;
  std::unique_ptr<Log> log_;
};

TEST_F(HandlerExampleTest, InMemoryIndexMatchesTheLogAcrossRestarts) {
  append_orders(*log_, "orders", 0, 0, 30, /*keys=*/7);
  LatestByKey first = run();
  ASSERT_EQ(first.index.size(), 7u);
  EXPECT_EQ(first.index["k2"], "{\"id\":\"k2\",\"n\":23}");
  append_orders(*log_, "orders", 0, 30, 5, /*keys=*/7);
  LatestByKey second = run();  // loads the committed map, applies only the 5 new events
  ASSERT_EQ(second.index.size(), 7u);
  EXPECT_EQ(second.index["k2"], "{\"id\":\"k2\",\"n\":30}");
  EXPECT_EQ(second.index["k3"], "{\"id\":\"k3\",\"n\":31}");
  EXPECT_EQ(second.index["k1"], "{\"id\":\"k1\",\"n\":29}");  // from the first run, loaded from the table
  Sql sql(dir_.sub("index.db"));
  EXPECT_EQ(sql.integer("SELECT next_offset FROM strata_checkpoint WHERE name = 'latest'"), 35);
}

}  // namespace
}  // namespace strata::testing
