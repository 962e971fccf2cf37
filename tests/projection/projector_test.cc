// The projector's contract: exactly once across runs, checks against the log and the definition, bad events,
// several partitions, C++ handlers, rebuild beside a live database, read-your-writes.
#include "projection/projector.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "tests/projection/projection_test_util.h"

namespace strata::testing {
namespace {

using projection::OnError;
using projection::Projector;
using projection::ProjectorOptions;
using projection::RebuildMode;

class ProjectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = Log::open(small_options(dir_.sub("log"), Durability::kNone));
    ASSERT_TRUE(log.is_ok()) << log.status().to_string();
    log_ = std::move(log.value());
  }

  void create_topic(std::uint32_t partitions = 1) {
    ASSERT_TRUE(log_->topic("orders", {.partitions = partitions}).is_ok());
  }

  ProjectorOptions options() const {
    ProjectorOptions opts;
    opts.database = db_path();
    opts.topic = "orders";
    opts.log = log_.get();
    opts.batch_events_max = 64;
    return opts;
  }
  std::string db_path() const { return dir_.sub("model.db"); }

  // Opens a projector with `projection`, catches up, and returns the status.
  Status project(const projection::SqlProjection& projection, ProjectorOptions opts) {
    auto projector = Projector::open(std::move(opts));
    if (!projector) return projector.status();
    STRATA_RETURN_IF_ERROR((*projector)->add(projection));
    return (*projector)->catch_up();
  }
  Status project(const projection::SqlProjection& projection) { return project(projection, options()); }

  TestDir dir_;
  std::unique_ptr<Log> log_;
};

TEST_F(ProjectorTest, UpsertPerEventKeepsTotals) {
  create_topic();
  append_orders(*log_, "orders", 0, 0, 1000);
  ASSERT_TRUE(project(totals_projection()).is_ok());
  Sql sql(db_path());
  EXPECT_EQ(sql.integer("SELECT count(*) FROM totals"), 10);
  EXPECT_EQ(sql.integer("SELECT sum(events) FROM totals"), 1000);
  EXPECT_EQ(sql.integer("SELECT sum(total) FROM totals"), 999 * 1000 / 2);
  EXPECT_EQ(sql.integer("SELECT total FROM totals WHERE id='k3'"), 3 * 100 + 10 * (99 * 100 / 2));
  EXPECT_EQ(sql.integer("SELECT next_offset FROM strata_checkpoint WHERE name='totals'"), 1000);
  EXPECT_EQ(sql.text("PRAGMA journal_mode"), "wal");
}

TEST_F(ProjectorTest, ResumesFromItsCheckpointAppliesEachEventOnce) {
  create_topic();
  for (int round = 0; round < 5; ++round) {
    append_orders(*log_, "orders", 0, static_cast<std::uint64_t>(round) * 300, 300);
    ASSERT_TRUE(project(counting_projection()).is_ok());
  }
  Sql sql(db_path());
  EXPECT_EQ(sql.integer("SELECT count(*) FROM applied"), 1500);
  EXPECT_EQ(sql.integer("SELECT max(times) FROM applied"), 1);
  EXPECT_EQ(sql.integer("SELECT min(offset) FROM applied"), 0);
  EXPECT_EQ(sql.integer("SELECT max(offset) FROM applied"), 1499);
}

TEST_F(ProjectorTest, ParametersBindTextWhenValidUtf8ElseBlob) {
  create_topic();
  auto producer = log_->producer();
  append_event(*log_, *producer, "orders", 0, "plain", "{\"a\":1}");
  append_event(*log_, *producer, "orders", 0, std::string_view("\xff\xfe", 2), "caf\xc3\xa9");
  append_event(*log_, *producer, "orders", 0, "",
               std::string_view("\xc0\x80", 2));  // overlong NUL: not UTF-8
  ASSERT_TRUE(
      project({.name = "types",
               .schema = "CREATE TABLE types(offset INTEGER PRIMARY KEY, partition, ts, key, value)",
               .apply = "INSERT INTO types VALUES(:offset, typeof(:partition), typeof(:timestamp_us), "
                        "typeof(:key), typeof(:value))"})
          .is_ok());
  Sql sql(db_path());
  EXPECT_EQ(sql.dump("SELECT * FROM types ORDER BY offset"),
            "0|integer|integer|text|text\n1|integer|integer|blob|text\n2|integer|integer|null|blob\n");
}

TEST_F(ProjectorTest, UnknownParameterIsRefused) {
  create_topic();
  append_orders(*log_, "orders", 0, 0, 10);
  Status status =
      project({.name = "bad", .schema = "CREATE TABLE t(x)", .apply = "INSERT INTO t VALUES(:valeu)"});
  ASSERT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("unknown parameter :valeu"), std::string::npos) << status.message();
}

TEST_F(ProjectorTest, StatementWrongForEveryEventIsReportedOnceBeforeAnyEvent) {
  create_topic();
  append_orders(*log_, "orders", 0, 0, 100);
  Status status =
      project({.name = "typo", .schema = "CREATE TABLE t(x)", .apply = "INSERT INTO t(y) VALUES(:key)"});
  ASSERT_FALSE(status.is_ok());
  EXPECT_EQ(status.message(), "projection typo: apply: table t has no column named y");
}

TEST_F(ProjectorTest, MultiPartitionTopicAppliesEveryPartition) {
  create_topic(4);
  for (std::uint32_t p = 0; p < 4; ++p) append_orders(*log_, "orders", p, 0, 100 + p * 50);
  auto projector = Projector::open(options());
  ASSERT_TRUE(projector.is_ok()) << projector.status().to_string();
  ASSERT_TRUE((*projector)->add(counting_projection()).is_ok());
  ASSERT_TRUE((*projector)->catch_up().is_ok());
  EXPECT_EQ((*projector)->positions(), (std::vector<std::uint64_t>{100, 150, 200, 250}));
  Sql sql(db_path());
  EXPECT_EQ(sql.dump("SELECT partition, count(*), max(times) FROM applied GROUP BY partition"),
            "0|100|1\n1|150|1\n2|200|1\n3|250|1\n");
  EXPECT_EQ(sql.dump("SELECT partition, next_offset FROM strata_checkpoint ORDER BY partition"),
            "0|100\n1|150\n2|200\n3|250\n");
}

TEST_F(ProjectorTest, HandlerProjectionGetsEventAndTransaction) {
  create_topic(2);
  append_orders(*log_, "orders", 0, 0, 200);
  append_orders(*log_, "orders", 1, 0, 100);
  projection::HandlerProjection handler{
      .name = "bytes",
      .version = "1",
      .schema =
          [](projection::Transaction& tx) {
            return tx.exec("CREATE TABLE sizes(key TEXT PRIMARY KEY, bytes)");
          },
      .apply = [](projection::Transaction& tx, const Event& event) -> Status {
        auto stmt = tx.statement(
            "INSERT INTO sizes VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET bytes = bytes + excluded.bytes");
        if (!stmt) return stmt.status();
        sqlite3_bind_text(*stmt, 1, reinterpret_cast<const char*>(event.key.data()),
                          static_cast<int>(event.key.size()), SQLITE_STATIC);
        sqlite3_bind_int64(*stmt, 2, static_cast<sqlite3_int64>(event.value.size()));
        return tx.run(*stmt);
      }};
  {
    auto projector = Projector::open(options());
    ASSERT_TRUE(projector.is_ok());
    ASSERT_TRUE((*projector)->add(handler).is_ok());
    ASSERT_TRUE(
        (*projector)->add(counting_projection()).is_ok());  // two projections, one transaction per batch
    ASSERT_TRUE((*projector)->catch_up().is_ok());
  }
  Sql sql(db_path());
  EXPECT_EQ(sql.integer("SELECT count(*) FROM sizes"), 10);
  EXPECT_EQ(sql.integer("SELECT count(*) FROM applied WHERE times = 1"), 300);
  // Another version of the handler is a changed definition.
  handler.version = "2";
  auto projector = Projector::open(options());
  ASSERT_TRUE((*projector)->add(handler).is_ok());
  ASSERT_TRUE((*projector)->add(counting_projection()).is_ok());
  Status status = (*projector)->catch_up();
  ASSERT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("projection bytes's definition changed"), std::string::npos)
      << status.message();
}

// stop() while a poll hands out events ends the round at the next event (Reader::poll_until): the
// transaction commits exactly the events applied, and the next run goes on from there, each event once.
TEST_F(ProjectorTest, StopInsideAPollCommitsExactlyTheEventsApplied) {
  create_topic();
  append_orders(*log_, "orders", 0, 0, 1000);
  ProjectorOptions opts = options();
  opts.batch_events_max = 10'000;  // one poll could take all 1000
  Projector* running = nullptr;
  std::uint64_t applied = 0;
  projection::HandlerProjection handler{
      .name = "seen",
      .version = "1",
      .schema = [](projection::Transaction& tx) { return tx.exec("CREATE TABLE seen(offset INTEGER PRIMARY KEY)"); },
      .apply = [&](projection::Transaction& tx, const Event& event) -> Status {
        auto stmt = tx.statement("INSERT INTO seen VALUES(?1)");  // a second time: a constraint error
        if (!stmt) return stmt.status();
        sqlite3_bind_int64(*stmt, 1, static_cast<std::int64_t>(event.offset));
        if (++applied == 300) running->stop();
        return tx.run(*stmt);
      }};
  for (const std::uint64_t expected : {std::uint64_t{300}, std::uint64_t{1000}}) {
    auto projector = Projector::open(opts);
    ASSERT_TRUE(projector.is_ok()) << projector.status().to_string();
    running = projector->get();
    ASSERT_TRUE((*projector)->add(handler).is_ok());
    const Status status = (*projector)->catch_up();
    ASSERT_TRUE(status.is_ok()) << status.to_string();
    EXPECT_EQ((*projector)->positions(), std::vector<std::uint64_t>{expected});
    EXPECT_EQ((*projector)->summary().events_applied, expected == 300 ? 300u : 700u);
  }
  Sql sql(db_path());
  EXPECT_EQ(sql.integer("SELECT count(*) FROM seen"), 1000);
  EXPECT_EQ(sql.integer("SELECT max(offset) FROM seen"), 999);
  EXPECT_EQ(sql.integer("SELECT next_offset FROM strata_checkpoint WHERE name='seen'"), 1000);
}

TEST_F(ProjectorTest, DefinitionChangeIsRefusedThenRebuilt) {
  create_topic();
  append_orders(*log_, "orders", 0, 0, 500);
  ASSERT_TRUE(project(totals_projection()).is_ok());
  projection::SqlProjection changed = totals_projection();
  changed.apply =
      "INSERT INTO totals VALUES(:value->>'$.id', 2 * (:value->>'$.n'), 1) "
      "ON CONFLICT(id) DO UPDATE SET total = total + excluded.total, events = events + 1";
  Status refused = project(changed);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.message().find("definition changed"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("--rebuild"), std::string::npos) << refused.message();
  {
    Sql sql(db_path());
    EXPECT_EQ(sql.integer("SELECT sum(total) FROM totals"), 499 * 500 / 2);  // untouched
  }
  ProjectorOptions opts = options();
  opts.rebuild = RebuildMode::kIfNeeded;
  ASSERT_TRUE(project(changed, opts).is_ok());
  Sql sql(db_path());
  EXPECT_EQ(sql.integer("SELECT sum(total) FROM totals"), 499 * 500);
  EXPECT_EQ(sql.integer("SELECT sum(events) FROM totals"), 500);
  EXPECT_FALSE(std::filesystem::exists(db_path() + ".rebuild"));
}

TEST_F(ProjectorTest, StopsAtFailingEventLeavingLastGoodBatch) {
  create_topic();
  append_orders(*log_, "orders", 0, 0, 100);
  auto producer = log_->producer();
  append_event(*log_, *producer, "orders", 0, "bad", "not json");  // offset 100
  append_orders(*log_, "orders", 0, 101, 50);
  Status status = project(totals_projection());
  ASSERT_FALSE(status.is_ok());
  EXPECT_EQ(status.message(), "topic orders partition 0 offset 100: malformed JSON");
  Sql sql(db_path());
  // Batches of 64: the one holding offset 100 (from 64) was rolled back.
  EXPECT_EQ(sql.integer("SELECT next_offset FROM strata_checkpoint"), 64);
  EXPECT_EQ(sql.integer("SELECT sum(events) FROM totals"), 64);
  EXPECT_EQ(sql.text("SELECT state || ': ' || error FROM strata_projection"),
            "failed: topic orders partition 0 offset 100: malformed JSON");
  // Running again stops at the same event.
  EXPECT_EQ(project(totals_projection()).message(), "topic orders partition 0 offset 100: malformed JSON");
}

TEST_F(ProjectorTest, SkipRecordsDeadLetterInSameTransaction) {
  create_topic();
  append_orders(*log_, "orders", 0, 0, 100);
  auto producer = log_->producer();
  append_event(*log_, *producer, "orders", 0, "bad", "not json");  // offset 100
  append_orders(*log_, "orders", 0, 101, 50);
  ProjectorOptions opts = options();
  opts.on_error = OnError::kSkip;
  auto projector = Projector::open(opts);
  ASSERT_TRUE((*projector)->add(totals_projection()).is_ok());
  ASSERT_TRUE((*projector)->catch_up().is_ok());
  EXPECT_EQ((*projector)->summary().dead_letters, 1u);
  EXPECT_EQ((*projector)->summary().events_applied, 151u);
  Sql sql(db_path());
  EXPECT_EQ(sql.integer("SELECT next_offset FROM strata_checkpoint"), 151);
  EXPECT_EQ(sql.integer("SELECT sum(events) FROM totals"), 150);
  EXPECT_EQ(sql.dump("SELECT name, partition, offset, key, value, error FROM strata_dead_letter"),
            "totals|0|100|bad|not json|malformed JSON\n");
}

TEST_F(ProjectorTest, SkipStopsWhenEveryEventFails) {
  create_topic();
  append_orders(*log_, "orders", 0, 0, 500);
  ProjectorOptions opts = options();
  opts.on_error = OnError::kSkip;
  opts.skip_streak_max = 100;
  Status status = project({.name = "always",
                           .schema = "CREATE TABLE t(x NOT NULL)",
                           .apply = "INSERT INTO t VALUES(:value->>'$.missing')"},
                          opts);
  ASSERT_FALSE(status.is_ok());
  EXPECT_NE(
      status.message().find("100 events in a row failed with the same error, from topic orders partition 0 offset 0: "
                            "NOT NULL constraint failed: t.x"),
      std::string::npos)
      << status.message();
  Sql sql(db_path());
  EXPECT_EQ(sql.integer("SELECT count(*) FROM strata_dead_letter"),
            64);  // the first batch's, then it stopped
}

TEST_F(ProjectorTest, SkipToleratesScatteredFailuresWithOneMessage) {
  create_topic();
  auto producer = log_->producer();
  for (std::uint64_t bad = 0; bad < 6; ++bad) {
    append_orders(*log_, "orders", 0, bad * 100, 99);
    append_event(*log_, *producer, "orders", 0, "bad", "not json");
  }
  ProjectorOptions opts = options();
  opts.on_error = OnError::kSkip;
  opts.skip_streak_max = 3;  // six failures with one message, but never three in a row
  auto projector = Projector::open(opts);
  ASSERT_TRUE((*projector)->add(totals_projection()).is_ok());
  Status status = (*projector)->catch_up();
  ASSERT_TRUE(status.is_ok()) << status.to_string();
  EXPECT_EQ((*projector)->summary().dead_letters, 6u);
  Sql sql(db_path());
  EXPECT_EQ(sql.integer("SELECT sum(events) FROM totals"), 6 * 99);
}

TEST_F(ProjectorTest, LogRecreatedIsDetected) {
  create_topic();
  append_orders(*log_, "orders", 0, 0, 300);
  ASSERT_TRUE(project(counting_projection()).is_ok());
  ASSERT_TRUE(log_->close().is_ok());
  log_.reset();
  std::filesystem::remove_all(dir_.sub("log"));
  auto log = Log::open(small_options(dir_.sub("log"), Durability::kNone));
  ASSERT_TRUE(log.is_ok());
  log_ = std::move(log.value());
  create_topic();
  append_orders(*log_, "orders", 0, 0, 500);  // more events than before: the offsets alone would not tell
  Status status = project(counting_projection());
  ASSERT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("was built from another history of topic orders"), std::string::npos)
      << status.message();
  ProjectorOptions opts = options();
  opts.rebuild = RebuildMode::kIfNeeded;
  ASSERT_TRUE(project(counting_projection(), opts).is_ok());
  Sql sql(db_path());
  EXPECT_EQ(sql.integer("SELECT count(*) FROM applied WHERE times = 1"), 500);
}

TEST_F(ProjectorTest, CheckpointPastTheLogsEndIsDetected) {
  create_topic();
  append_orders(*log_, "orders", 0, 0, 200);
  ASSERT_TRUE(log_->close().is_ok());
  log_.reset();
  // A backup of the log taken at 200 events, restored after the projection saw 400.
  std::filesystem::copy(dir_.sub("log"), dir_.sub("backup"), std::filesystem::copy_options::recursive);
  auto log = Log::open(small_options(dir_.sub("log"), Durability::kNone));
  log_ = std::move(log.value());
  append_orders(*log_, "orders", 0, 200, 200);
  ASSERT_TRUE(project(counting_projection()).is_ok());
  ASSERT_TRUE(log_->close().is_ok());
  log_.reset();
  std::filesystem::remove_all(dir_.sub("log"));
  std::filesystem::rename(dir_.sub("backup"), dir_.sub("log"));
  log_ = std::move(Log::open(small_options(dir_.sub("log"), Durability::kNone)).value());
  Status status = project(counting_projection());
  ASSERT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("has applied topic orders partition 0 up to offset 400 but the log ends at 200"),
            std::string::npos)
      << status.message();
}

TEST_F(ProjectorTest, ReadsADirectoryAnotherWriterHolds) {
  create_topic(2);
  append_orders(*log_, "orders", 0, 0, 300);
  append_orders(*log_, "orders", 1, 0, 200);
  ASSERT_TRUE(log_->flush().is_ok());
  ProjectorOptions opts = options();
  opts.log = nullptr;
  opts.log_directory = dir_.sub("log");
  ASSERT_TRUE(project(counting_projection(), opts).is_ok());
  Sql sql(db_path());
  EXPECT_EQ(sql.integer("SELECT count(*) FROM applied WHERE times = 1"), 500);
}

// Under `none` durability the writer acknowledges what it wrote: a projection beside it applies every
// acknowledged event without waiting for a sync (a `serve --durability none` followed by `project --follow`).
// Under sync and batch, only what is fdatasynced (tests/engine/reader_test.cc checks that side).
TEST_F(ProjectorTest, FromADirectoryEveryAcknowledgedEventIsApplied) {
  create_topic();
  append_orders(*log_, "orders", 0, 0, 100);
  ASSERT_TRUE(log_->flush().is_ok());
  append_orders(*log_, "orders", 0, 100, 50);  // acknowledged under kNone, not yet synced
  ProjectorOptions opts = options();
  opts.log = nullptr;
  opts.log_directory = dir_.sub("log");
  ASSERT_TRUE(project(counting_projection(), opts).is_ok());
  Sql sql(db_path());
  EXPECT_EQ(sql.integer("SELECT count(*) FROM applied WHERE times = 1"), 150);
}

TEST_F(ProjectorTest, SecondProjectorOfOneProjectionIsBusy) {
  create_topic();
  auto first = Projector::open(options());
  ASSERT_TRUE(first.is_ok());
  ASSERT_TRUE((*first)->add(counting_projection()).is_ok());
  ASSERT_TRUE((*first)->catch_up().is_ok());
  auto second = Projector::open(options());
  ASSERT_TRUE(second.is_ok());
  ASSERT_TRUE((*second)->add(counting_projection()).is_ok());
  const Status busy = (*second)->catch_up();
  EXPECT_EQ(busy.code(), StatusCode::kBusy) << busy.to_string();
  EXPECT_NE(busy.message().find("another projector is running projection applied"), std::string::npos) << busy.message();
}

TEST_F(ProjectorTest, WaitUntilGivesReadYourWrites) {
  create_topic();
  auto projector = Projector::open(options());
  ASSERT_TRUE((*projector)->add(totals_projection()).is_ok());
  std::thread follower([&] { EXPECT_TRUE((*projector)->follow().is_ok()); });
  auto producer = log_->producer();
  Sql sql(db_path());
  for (int i = 0; i < 50; ++i) {
    const std::string value = "{\"id\":\"x\",\"n\":" + std::to_string(i) + "}";
    const std::uint64_t offset = append_event(*log_, *producer, "orders", 0, "x", value);
    ASSERT_TRUE((*projector)->wait_until(0, offset, std::chrono::seconds(10)).is_ok());
    EXPECT_EQ(sql.integer("SELECT events FROM totals WHERE id='x'"), i + 1);
  }
  EXPECT_EQ((*projector)->wait_until(0, 1000, std::chrono::milliseconds(20)).code(), StatusCode::kTimedOut);
  (*projector)->stop();
  follower.join();
  EXPECT_EQ((*projector)->wait_until(0, 1000, std::chrono::seconds(10)).code(), StatusCode::kClosed);
}

TEST_F(ProjectorTest, StatusShowsPositionLagAndState) {
  create_topic(2);
  append_orders(*log_, "orders", 0, 0, 100);
  ASSERT_TRUE(project(counting_projection()).is_ok());
  append_orders(*log_, "orders", 0, 100, 20);
  append_orders(*log_, "orders", 1, 0, 5);
  ASSERT_TRUE(log_->flush().is_ok());
  auto status = projection::read_status(db_path());
  ASSERT_TRUE(status.is_ok()) << status.status().to_string();
  ASSERT_EQ(status->size(), 1u);
  const projection::ProjectionStatus& s = status->front();
  EXPECT_EQ(s.name, "applied");
  EXPECT_EQ(s.topics, std::vector<std::string>{"orders"});
  EXPECT_EQ(s.state, "stopped");
  EXPECT_FALSE(s.running);
  ASSERT_EQ(s.partitions.size(), 2u);
  EXPECT_EQ(s.partitions[0].next_offset, 100u);
  EXPECT_EQ(s.partitions[0].end_offset, 120u);
  EXPECT_EQ(s.partitions[1].lag_events, 5u);
  EXPECT_EQ(s.lag_events, 25u);
  EXPECT_GE(s.lag_seconds, 0.0);
  EXPECT_LT(s.lag_seconds, 60.0);
}

// A projector follows the live database while a reader queries it and the log keeps growing; another
// projector rebuilds beside it and swaps the rebuilt file in. Every snapshot a reader sees is consistent
// (each applied event counted once, matching the checkpoint), and the follower carries on from the swap.
TEST_F(ProjectorTest, RebuildWhileLiveDatabaseServesReadsAndFollows) {
  create_topic(2);
  append_orders(*log_, "orders", 0, 0, 2000);
  append_orders(*log_, "orders", 1, 0, 2000);
  auto live = Projector::open(options());
  ASSERT_TRUE((*live)->add(counting_projection()).is_ok());
  ASSERT_TRUE((*live)->catch_up().is_ok());
  std::thread follower([&] { EXPECT_TRUE((*live)->follow().is_ok()); });

  std::atomic<bool> done{false};
  std::thread appender([&] {
    for (std::uint64_t i = 0; i < 40 && !done; ++i) {
      append_orders(*log_, "orders", static_cast<std::uint32_t>(i % 2), 2000 + i * 25, 25);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  std::atomic<int> snapshots{0};
  std::thread reader([&] {
    Sql sql(db_path());
    while (!done) {
      // One read transaction: the model and the checkpoint from one snapshot.
      const std::string row = sql.dump(
          "SELECT (SELECT count(*) FROM applied), (SELECT coalesce(sum(times), 0) FROM applied), "
          "(SELECT sum(next_offset) FROM strata_checkpoint)");
      std::int64_t rows = 0, times = 0, checkpoint = 0;
      ASSERT_EQ(std::sscanf(row.c_str(), "%ld|%ld|%ld", &rows, &times, &checkpoint), 3) << row;
      EXPECT_EQ(rows, times);
      EXPECT_EQ(rows, checkpoint);
      ++snapshots;
    }
  });
  ProjectorOptions opts = options();
  opts.rebuild = RebuildMode::kAlways;
  opts.batch_events_max = 500;
  auto rebuilder = Projector::open(opts);  // the live one holds the lock: the rebuild hands over to it
  ASSERT_TRUE(rebuilder.is_ok()) << rebuilder.status().to_string();
  ASSERT_TRUE((*rebuilder)->add(counting_projection()).is_ok());
  ASSERT_TRUE((*rebuilder)->follow().is_ok());
  EXPECT_TRUE((*rebuilder)->summary().rebuilt);
  EXPECT_TRUE((*rebuilder)->summary().handed_over);
  appender.join();
  append_orders(*log_, "orders", 0, 3000, 50);  // after the swap: the follower goes on from the rebuilt file
  append_orders(*log_, "orders", 1, 3000, 50);
  ASSERT_TRUE(log_->flush().is_ok());
  const TopicId topic = log_->topic("orders").value();
  auto offsets0 = log_->offsets(topic, 0);
  auto offsets1 = log_->offsets(topic, 1);
  ASSERT_TRUE((*live)->wait_until(0, offsets0->durable - 1, std::chrono::seconds(20)).is_ok());
  ASSERT_TRUE((*live)->wait_until(1, offsets1->durable - 1, std::chrono::seconds(20)).is_ok());
  done = true;
  reader.join();
  (*live)->stop();
  follower.join();
  EXPECT_GT(snapshots.load(), 0);
  EXPECT_GE((*live)->summary().reloads, 1u);
  Sql sql(db_path());
  EXPECT_EQ(sql.integer("SELECT count(*) FROM applied"), 5100);
  EXPECT_EQ(sql.integer("SELECT max(times) FROM applied"), 1);
}

}  // namespace
}  // namespace strata::testing
