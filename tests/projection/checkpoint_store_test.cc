// The projector's tables and definition checks (checkpoint_store.h), and the text helpers the definition and
// :headers use (text.h).
#include "projection/checkpoint_store.h"

#include <gtest/gtest.h>

#include "projection/text.h"
#include "tests/engine/test_dir.h"

namespace strata::testing {
namespace {

using projection::CheckpointStore;
using projection::Checkpoints;
using projection::Connection;
using projection::StoredProjection;
using projection::TopicLog;

std::span<const std::byte> bytes(std::string_view text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

TEST(NormalizeSql, SurroundingWhitespaceLineBreaksAndFinalSemicolonDoNotCount) {
  EXPECT_EQ(projection::normalize_sql("  INSERT INTO t\n   VALUES(:key);\n\n"), "INSERT INTO t VALUES(:key)");
  EXPECT_EQ(projection::normalize_sql("INSERT INTO t VALUES(:key)"), "INSERT INTO t VALUES(:key)");
  EXPECT_EQ(projection::normalize_sql("\tSELECT 1 ;; \n"), "SELECT 1");
}

TEST(NormalizeSql, WhitespaceInsideQuotesCounts) {
  EXPECT_EQ(projection::normalize_sql("SELECT 'a  b',  \"c  d\""), "SELECT 'a  b', \"c  d\"");
  EXPECT_NE(projection::normalize_sql("SELECT 'a  b'"), projection::normalize_sql("SELECT 'a b'"));
  EXPECT_EQ(projection::normalize_sql("SELECT [x  y]   FROM t"), "SELECT [x  y] FROM t");
}

TEST(HeadersJson, TextValuesAsStringsOthersAsBase64LastRepeatWins) {
  const std::byte binary[] = {std::byte{0xff}, std::byte{0xfe}};
  const EventHeader headers[] = {{"a", bytes("1")}, {"bin", binary}, {"a", bytes("2")}, {"ctl", bytes("x\n\"")}};
  std::string json;
  projection::headers_json(headers, json);
  EXPECT_EQ(json, "{\"bin\":\"//4=\",\"a\":\"2\",\"ctl\":\"x\\u000a\\\"\"}");
  projection::headers_json({}, json);
  EXPECT_EQ(json, "{}");
}

TEST(Base64, MatchesRfc4648Vectors) {
  EXPECT_EQ(projection::base64(bytes("")), "");
  EXPECT_EQ(projection::base64(bytes("f")), "Zg==");
  EXPECT_EQ(projection::base64(bytes("fo")), "Zm8=");
  EXPECT_EQ(projection::base64(bytes("foo")), "Zm9v");
  EXPECT_EQ(projection::base64(bytes("foobar")), "Zm9vYmFy");
}

class CheckpointStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Connection::open(dir_.sub("store.db"));
    ASSERT_TRUE(db.is_ok());
    db_ = std::move(db.value());
    store_ = CheckpointStore(&db_, "store.db");
    ASSERT_TRUE(store_.create_tables().is_ok());
  }
  TestDir dir_;
  Connection db_;
  CheckpointStore store_;
};

TEST_F(CheckpointStoreTest, InsertLoadSaveAndErase) {
  const std::vector<TopicLog> topics = {{"a", "id-a", 2, {5, 5}}, {"b", "id-b", 1, {3}}};
  ASSERT_TRUE(store_.insert("p", "hash", "/log", topics, {{0, 1}, {2}}, 1000).is_ok());
  auto stored = store_.load();
  ASSERT_TRUE(stored.is_ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ(stored->front().definition_hash, "hash");
  ASSERT_EQ(stored->front().topics.size(), 2u);
  ASSERT_TRUE(store_.prepare_updates().is_ok());
  ASSERT_TRUE(store_.save_checkpoint("p", "a", 1, 4, 77).is_ok());
  auto checkpoints = store_.load_checkpoints("p");
  ASSERT_TRUE(checkpoints.is_ok());
  EXPECT_EQ(checkpoints->size(), 3u);
  EXPECT_EQ((checkpoints->at({"a", 0}).next_offset), 0u);
  EXPECT_EQ((checkpoints->at({"a", 1}).next_offset), 4u);
  EXPECT_EQ((checkpoints->at({"a", 1}).last_timestamp_us), 77);
  EXPECT_EQ((checkpoints->at({"b", 0}).next_offset), 2u);
  EXPECT_TRUE(projection::definition_mismatch(stored->front(), "hash", topics, *checkpoints, "store.db").empty());
  ASSERT_TRUE(store_.erase("p").value());
  EXPECT_FALSE(store_.erase("p").value());
  EXPECT_TRUE(store_.load()->empty());
}

TEST_F(CheckpointStoreTest, MismatchNamesTopicsHistoryDefinitionAndLostEvents) {
  const StoredProjection stored{"p", "h1", {{"a", "id-a", 1}}};
  Checkpoints checkpoints;
  checkpoints[{"a", 0}] = {7, 0};
  const std::vector<TopicLog> log = {{"a", "id-a", 1, {10}}};
  EXPECT_EQ(projection::definition_mismatch(stored, "h1", log, checkpoints, "db"), "");
  EXPECT_NE(projection::definition_mismatch(stored, "h2", log, checkpoints, "db").find("definition changed"),
            std::string::npos);
  const std::vector<TopicLog> two = {{"a", "id-a", 1, {10}}, {"b", "id-b", 1, {0}}};
  EXPECT_NE(projection::definition_mismatch(stored, "h1", two, checkpoints, "db").find("built from topics a, not a, b"),
            std::string::npos);
  const std::vector<TopicLog> recreated = {{"a", "id-other", 1, {10}}};
  EXPECT_NE(projection::definition_mismatch(stored, "h1", recreated, checkpoints, "db").find("another history of topic a"),
            std::string::npos);
  const std::vector<TopicLog> shorter = {{"a", "id-a", 1, {5}}};
  EXPECT_NE(projection::definition_mismatch(stored, "h1", shorter, checkpoints, "db")
                .find("applied topic a partition 0 up to offset 7 but the log ends at 5"),
            std::string::npos);
}

TEST(CheckpointStoreLayout, EarlierLayoutIsRefusedWithTheRebuildHint) {
  TestDir dir;
  auto db = Connection::open(dir.sub("old.db"));
  ASSERT_TRUE(db.is_ok());
  ASSERT_TRUE(db->exec("CREATE TABLE strata_checkpoint(name TEXT, partition INTEGER, next_offset INTEGER, "
                       "last_timestamp_us INTEGER, PRIMARY KEY(name, partition))")
                  .is_ok());
  CheckpointStore store(&*db, "old.db");
  EXPECT_TRUE(store.is_earlier_layout().value());
  const Status status = store.create_tables();
  EXPECT_EQ(status.code(), StatusCode::kUnsupported);
  EXPECT_NE(status.message().find("earlier strata"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("--rebuild"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace strata::testing
