// Read models as teams build them: several topics in one projection, :topic and :headers, several
// projections sharing a database, status from the heartbeat (live, catching-up, stopped, failed), the
// normalized definition and --rebuild-if-changed, a follower whose database was rebuilt with another
// definition or deleted, follow() waiting for a topic, drop.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "projection/projector.h"
#include "tests/projection/projection_test_util.h"

namespace strata::testing {
namespace {

using projection::Projector;
using projection::ProjectorOptions;
using projection::RebuildMode;
using projection::SqlProjection;

constexpr const char* kGraphSchema =
    "CREATE TABLE node(id TEXT PRIMARY KEY, label TEXT, topic TEXT);"
    "CREATE TABLE edge(src TEXT, dst TEXT, PRIMARY KEY(src, dst)) WITHOUT ROWID;";

SqlProjection graph_projection(std::string node_apply = "INSERT OR REPLACE INTO node VALUES(:key, :value, :topic)") {
  SqlProjection projection;
  projection.name = "graph";
  projection.schema = kGraphSchema;
  projection.topics = {{"nodes", std::move(node_apply)},
                       {"edges", "INSERT OR IGNORE INTO edge VALUES(:key, :value->>'$.to')"}};
  return projection;
}

class ProjectorTopicsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = Log::open(small_options(dir_.sub("log"), Durability::kNone));
    ASSERT_TRUE(log.is_ok()) << log.status().to_string();
    log_ = std::move(log.value());
  }
  ProjectorOptions options() const {
    ProjectorOptions opts;
    opts.database = db_path();
    opts.log = log_.get();
    opts.batch_events_max = 16;
    opts.heartbeat_interval = std::chrono::milliseconds(100);
    return opts;
  }
  std::string db_path() const { return dir_.sub("model.db"); }
  void append(std::string_view topic, std::string_view key, std::string_view value,
              std::span<const EventHeader> headers = {}) {
    auto id = log_->topic(topic);
    ASSERT_TRUE(id.is_ok());
    auto producer = log_->producer();
    auto ticket = producer->append(*id, 0, bytes_of(key), bytes_of(value), headers);
    ASSERT_TRUE(ticket.is_ok()) << ticket.status().to_string();
    ASSERT_TRUE(producer->wait(*ticket).is_ok());
  }
  Status project(SqlProjection projection, ProjectorOptions opts) {
    auto projector = Projector::open(std::move(opts));
    if (!projector) return projector.status();
    STRATA_RETURN_IF_ERROR((*projector)->add(std::move(projection)));
    return (*projector)->catch_up();
  }
  projection::ProjectionStatus status_of(const std::string& name, bool must_exist = true) {
    auto status = projection::read_status(db_path());
    if (status) {
      for (const auto& s : *status) {
        if (s.name == name) return s;
      }
    }
    if (must_exist) ADD_FAILURE() << "no projection " << name << ": " << status.status().to_string();
    return {};
  }
  // Polls read_status until `name` shows `state` (the heartbeat is asynchronous by nature), up to 10 s.
  bool wait_for_state(const std::string& name, const std::string& state) {
    for (int i = 0; i < 1000; ++i) {
      if (status_of(name, /*must_exist=*/false).state == state) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  TestDir dir_;
  std::unique_ptr<Log> log_;
};

TEST_F(ProjectorTopicsTest, TwoTopicsInOneProjectionAndARecursiveQuery) {
  ASSERT_TRUE(log_->topic("nodes").is_ok());
  ASSERT_TRUE(log_->topic("edges").is_ok());
  for (const char* node : {"a", "b", "c", "d"}) append("nodes", node, std::string("node ") + node);
  append("edges", "a", R"({"to":"b"})");
  append("edges", "b", R"({"to":"c"})");
  ASSERT_TRUE(project(graph_projection(), options()).is_ok());
  Sql sql(db_path());
  EXPECT_EQ(sql.dump("SELECT id, label, topic FROM node ORDER BY id"),
            "a|node a|nodes\nb|node b|nodes\nc|node c|nodes\nd|node d|nodes\n");
  const std::string reachable =
      "WITH RECURSIVE r(id) AS (SELECT 'a' UNION SELECT dst FROM edge JOIN r ON src = r.id) "
      "SELECT group_concat(id, ',') FROM (SELECT id FROM r ORDER BY id)";
  EXPECT_EQ(sql.text(reachable), "a,b,c");
  EXPECT_EQ(sql.dump("SELECT topic, partition, next_offset FROM strata_checkpoint ORDER BY topic"),
            "edges|0|2\nnodes|0|4\n");
  // A second run applies only what is new, on each topic.
  append("edges", "c", R"({"to":"d"})");
  ASSERT_TRUE(project(graph_projection(), options()).is_ok());
  EXPECT_EQ(sql.text(reachable), "a,b,c,d");
  EXPECT_EQ(sql.integer("SELECT count(*) FROM node"), 4);
}

TEST_F(ProjectorTopicsTest, HeadersBindAsAJsonObjectBase64WhenNotText) {
  ASSERT_TRUE(log_->topic("orders").is_ok());
  const std::byte binary[] = {std::byte{0xff}, std::byte{0x00}, std::byte{0x01}};
  const EventHeader headers[] = {{"trace", bytes_of("t-1")}, {"raw", binary}, {"quote", bytes_of("a\"b")}};
  append("orders", "k", "v", headers);
  append("orders", "k2", "v2");
  SqlProjection projection{.name = "h", .schema = "CREATE TABLE h(o INTEGER, headers TEXT)",
                           .apply = "INSERT INTO h VALUES(:offset, :headers)"};
  ProjectorOptions opts = options();
  opts.topic = "orders";
  ASSERT_TRUE(project(projection, opts).is_ok());
  Sql sql(db_path());
  EXPECT_EQ(sql.dump("SELECT o, headers FROM h ORDER BY o"), "0|{\"trace\":\"t-1\",\"raw\":\"/wAB\",\"quote\":\"a\\\"b\"}\n1|{}\n");
  EXPECT_EQ(sql.text("SELECT headers->>'$.quote' FROM h WHERE o = 0"), "a\"b");
}

TEST_F(ProjectorTopicsTest, TwoProjectionsShareADatabaseFromTwoProjectors) {
  ASSERT_TRUE(log_->topic("orders").is_ok());
  append_orders(*log_, "orders", 0, 0, 500);
  ProjectorOptions opts = options();
  opts.topic = "orders";
  auto first = Projector::open(opts);
  auto second = Projector::open(opts);
  ASSERT_TRUE(first.is_ok() && second.is_ok());
  ASSERT_TRUE((*first)->add(counting_projection("one")).is_ok());
  SqlProjection totals = totals_projection();
  ASSERT_TRUE((*second)->add(totals).is_ok());
  std::thread a([&] { EXPECT_TRUE((*first)->follow().is_ok()); });
  std::thread b([&] { EXPECT_TRUE((*second)->follow().is_ok()); });
  append_orders(*log_, "orders", 0, 500, 500);
  ASSERT_TRUE((*first)->wait_until(0, 999, std::chrono::seconds(20)).is_ok());
  ASSERT_TRUE((*second)->wait_until(0, 999, std::chrono::seconds(20)).is_ok());
  EXPECT_TRUE(wait_for_state("one", "live"));
  EXPECT_TRUE(wait_for_state("totals", "live"));
  (*first)->stop();
  (*second)->stop();
  a.join();
  b.join();
  Sql sql(db_path());
  EXPECT_EQ(sql.integer("SELECT count(*) FROM applied WHERE times = 1"), 1000);
  EXPECT_EQ(sql.integer("SELECT sum(events) FROM totals"), 1000);
  EXPECT_EQ(status_of("one").state, "stopped");
  // A rebuild would replace the other projection's tables too: refused, saying what to do.
  opts.rebuild = RebuildMode::kAlways;
  const Status refused = project(counting_projection("one"), opts);
  EXPECT_NE(refused.message().find("which also holds projection totals"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("strata project drop"), std::string::npos) << refused.message();
}

TEST_F(ProjectorTopicsTest, StatusIsLiveWhileRunningStoppedAfterAndFailedWithTheError) {
  ASSERT_TRUE(log_->topic("orders").is_ok());
  append_orders(*log_, "orders", 0, 0, 10);
  ProjectorOptions opts = options();
  opts.topic = "orders";
  {
    auto projector = Projector::open(opts);
    ASSERT_TRUE((*projector)->add(totals_projection()).is_ok());
    std::thread follower([&] { EXPECT_TRUE((*projector)->follow().is_ok()); });
    // Live with no new event: the heartbeat says so, not a commit.
    EXPECT_TRUE(wait_for_state("totals", "live"));
    const auto live = status_of("totals");
    EXPECT_TRUE(live.running);
    EXPECT_GT(live.heartbeat_us, 0);
    EXPECT_EQ(live.lag_events, 0u);
    (*projector)->stop();
    follower.join();
  }
  auto stopped = status_of("totals");
  EXPECT_EQ(stopped.state, "stopped");
  EXPECT_FALSE(stopped.running);
  // A projector killed without a word: its heartbeat ages and the state turns to stopped by itself.
  {
    Sql sql(db_path());
    ASSERT_EQ(sqlite3_exec(sql.get(),
                           "UPDATE strata_projection SET state = 'live', heartbeat_us = "
                           "(strftime('%s', 'now') - 5) * 1000000",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
  }
  EXPECT_EQ(status_of("totals").state, "stopped");
  // A failing event: failed, with the error, and not running.
  append("orders", "bad", "not json");
  EXPECT_FALSE(project(totals_projection(), opts).is_ok());
  auto failed = status_of("totals");
  EXPECT_EQ(failed.state, "failed");
  EXPECT_FALSE(failed.running);
  EXPECT_EQ(failed.error, "topic orders partition 0 offset 10: malformed JSON");
  EXPECT_EQ(failed.lag_events, 1u);
}

TEST_F(ProjectorTopicsTest, DefinitionIgnoresWhitespaceAndSchemaRebuildIfChanged) {
  ASSERT_TRUE(log_->topic("nodes").is_ok());
  ASSERT_TRUE(log_->topic("edges").is_ok());
  append("nodes", "a", "A");
  ASSERT_TRUE(project(graph_projection(), options()).is_ok());
  // A final newline, other line breaks, no schema: the same definition.
  SqlProjection same = graph_projection("  INSERT OR REPLACE INTO node\n   VALUES(:key, :value, :topic);\n\n");
  same.schema.clear();
  std::swap(same.topics[0], same.topics[1]);  // the order of the topics does not count either
  EXPECT_TRUE(project(same, options()).is_ok());
  // A changed statement is refused, or rebuilt with kIfNeeded; unchanged, kIfNeeded goes on.
  SqlProjection changed = graph_projection("INSERT OR REPLACE INTO node VALUES(:key, lower(:value), :topic)");
  const Status refused = project(changed, options());
  EXPECT_NE(refused.message().find("definition changed"), std::string::npos) << refused.message();
  ProjectorOptions if_changed = options();
  if_changed.rebuild = RebuildMode::kIfNeeded;
  auto projector = Projector::open(if_changed);
  ASSERT_TRUE((*projector)->add(changed).is_ok());
  ASSERT_TRUE((*projector)->catch_up().is_ok());
  EXPECT_TRUE((*projector)->summary().rebuilt);
  projector = Projector::open(if_changed);
  ASSERT_TRUE((*projector)->add(changed).is_ok());
  ASSERT_TRUE((*projector)->catch_up().is_ok());
  EXPECT_FALSE((*projector)->summary().rebuilt);
  EXPECT_EQ(Sql(db_path()).text("SELECT label FROM node"), "a");
}

TEST_F(ProjectorTopicsTest, FollowerStopsWhenRebuiltWithAnotherDefinition) {
  ASSERT_TRUE(log_->topic("nodes").is_ok());
  ASSERT_TRUE(log_->topic("edges").is_ok());
  append("nodes", "a", "A");
  auto follower = Projector::open(options());
  ASSERT_TRUE((*follower)->add(graph_projection()).is_ok());
  Status followed;
  std::thread thread([&] { followed = (*follower)->follow(); });
  EXPECT_TRUE(wait_for_state("graph", "live"));
  ProjectorOptions rebuild = options();
  rebuild.rebuild = RebuildMode::kAlways;
  auto rebuilder = Projector::open(rebuild);
  ASSERT_TRUE((*rebuilder)->add(graph_projection("INSERT OR REPLACE INTO node VALUES(:key, lower(:value), :topic)")).is_ok());
  ASSERT_TRUE((*rebuilder)->catch_up().is_ok());
  EXPECT_TRUE((*rebuilder)->summary().handed_over);
  EXPECT_TRUE((*rebuilder)->summary().follower_stops);
  EXPECT_EQ((*rebuilder)->positions("nodes"), std::vector<std::uint64_t>{1});
  thread.join();  // without a new event: the heartbeat notices the swap
  EXPECT_NE(followed.message().find("rebuilt by another process with another definition"), std::string::npos)
      << followed.to_string();
  EXPECT_EQ(Sql(db_path()).text("SELECT label FROM node"), "a");
}

TEST_F(ProjectorTopicsTest, DeletedDatabaseStopsTheFollower) {
  ASSERT_TRUE(log_->topic("orders").is_ok());
  ProjectorOptions opts = options();
  opts.topic = "orders";
  auto projector = Projector::open(opts);
  ASSERT_TRUE((*projector)->add(totals_projection()).is_ok());
  Status followed;
  std::thread thread([&] { followed = (*projector)->follow(); });
  EXPECT_TRUE(wait_for_state("totals", "live"));
  std::filesystem::remove(db_path());
  thread.join();
  EXPECT_NE(followed.message().find("was deleted under the projector"), std::string::npos) << followed.to_string();
}

TEST_F(ProjectorTopicsTest, FollowWaitsForATopicThatDoesNotExistYet) {
  ProjectorOptions opts = options();
  opts.topic = "later";
  std::atomic<int> told{0};
  opts.waiting = [&](const std::string& what) {
    EXPECT_NE(what.find("later"), std::string::npos) << what;
    ++told;
  };
  auto projector = Projector::open(opts);
  ASSERT_TRUE((*projector)->add(counting_projection()).is_ok());
  std::thread follower([&] { EXPECT_TRUE((*projector)->follow().is_ok()); });
  while (told == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(log_->topic("later").is_ok());
  append("later", "k", "v");
  EXPECT_TRUE((*projector)->wait_until("later", 0, 0, std::chrono::seconds(10)).is_ok());
  (*projector)->stop();
  follower.join();
  EXPECT_EQ(told.load(), 1);
  // Without follow, a missing topic is an error at once.
  opts.topic = "never";
  opts.database = dir_.sub("other.db");
  EXPECT_EQ(project(counting_projection(), opts).code(), StatusCode::kNotFound);
}

TEST_F(ProjectorTopicsTest, DropRemovesTheRowsAndIsRefusedWhileRunning) {
  ASSERT_TRUE(log_->topic("orders").is_ok());
  append_orders(*log_, "orders", 0, 0, 10);
  ProjectorOptions opts = options();
  opts.topic = "orders";
  auto projector = Projector::open(opts);
  ASSERT_TRUE((*projector)->add(totals_projection()).is_ok());
  std::thread follower([&] { EXPECT_TRUE((*projector)->follow().is_ok()); });
  EXPECT_TRUE(wait_for_state("totals", "live"));
  EXPECT_EQ(projection::drop_projection(db_path(), "totals").code(), StatusCode::kBusy);
  (*projector)->stop();
  follower.join();
  projector = Projector::open(opts);  // closes the first
  ASSERT_TRUE(projection::drop_projection(db_path(), "totals").is_ok());
  EXPECT_EQ(projection::drop_projection(db_path(), "totals").code(), StatusCode::kNotFound);
  Sql sql(db_path());
  EXPECT_EQ(sql.integer("SELECT count(*) FROM strata_checkpoint"), 0);
  EXPECT_EQ(sql.integer("SELECT count(*) FROM totals"), 10);  // the model's tables are the owner's
}

}  // namespace
}  // namespace strata::testing
