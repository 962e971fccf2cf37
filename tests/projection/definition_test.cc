// Definitions (projection/definition.h): what the hash covers and what it does not, and the checks made
// before anything runs.
#include "projection/definition.h"

#include <gtest/gtest.h>

namespace strata::projection {
namespace {

SqlProjection two_topics(std::string orders_sql, std::string users_sql) {
  return {.name = "joined",
          .schema = "CREATE TABLE t(x)",
          .topics = {{"orders", std::move(orders_sql)}, {"users", std::move(users_sql)}}};
}

TEST(Definition, HashIgnoresSurroundingWhitespaceTopicOrderAndTheSchema) {
  const std::string hash = sql_definition(two_topics("INSERT INTO t VALUES(:offset)", "DELETE FROM t"), "").hash;
  EXPECT_EQ(hash.size(), 16u);
  EXPECT_EQ(sql_definition(two_topics("  INSERT INTO t VALUES(:offset)\n", "DELETE FROM t\n"), "").hash, hash);
  SqlProjection swapped{.name = "joined",
                        .topics = {{"users", "DELETE FROM t"}, {"orders", "INSERT INTO t VALUES(:offset)"}}};
  EXPECT_EQ(sql_definition(swapped, "").hash, hash) << "topic order and the schema do not count";
  EXPECT_NE(sql_definition(two_topics("INSERT INTO t VALUES(:partition)", "DELETE FROM t"), "").hash, hash);
  EXPECT_NE(sql_definition(two_topics("DELETE FROM t", "INSERT INTO t VALUES(:offset)"), "").hash, hash)
      << "the same statements on the other topics";
}

TEST(Definition, DefaultTopicAndHandlerVersion) {
  const Definition one = sql_definition({.name = "n", .apply = "DELETE FROM t"}, "orders");
  ASSERT_EQ(one.topics.size(), 1u);
  EXPECT_EQ(one.topics[0].topic, "orders");
  HandlerProjection handler{.name = "h", .version = "1", .apply = [](Transaction&, const Event&) { return Status::ok(); }};
  const Definition v1 = handler_definition(handler, "orders");
  EXPECT_FALSE(v1.is_sql);
  ASSERT_EQ(v1.topics.size(), 1u);
  EXPECT_EQ(v1.topics[0].topic, "orders");
  handler.version = "2";
  EXPECT_NE(handler_definition(handler, "orders").hash, v1.hash);
  EXPECT_NE(v1.hash, sql_definition({.name = "h", .apply = ""}, "orders").hash) << "a handler is no SQL projection";
}

TEST(Definition, ChecksSayWhatIsWrong) {
  const auto message = [](const Definition& definition) { return check_definition(definition).message(); };
  EXPECT_TRUE(check_definition(sql_definition(two_topics("DELETE FROM t", "DELETE FROM t"), "")).is_ok());
  EXPECT_EQ(message(sql_definition({.name = "", .apply = "DELETE FROM t"}, "orders")), "a projection needs a name");
  EXPECT_NE(message(sql_definition({.name = "a/b", .apply = "DELETE FROM t"}, "orders")).find("use letters"),
            std::string::npos);
  EXPECT_EQ(message(sql_definition({.name = "n", .apply = "DELETE FROM t"}, "")), "projection n names no topic");
  EXPECT_EQ(message(sql_definition({.name = "n", .apply = " \n"}, "orders")),
            "projection n has no statements to apply to topic orders");
  const SqlProjection twice{.name = "n", .apply = "DELETE FROM t", .topics = {{"orders", "DELETE FROM t"}}};
  EXPECT_NE(message(sql_definition(twice, "orders")).find("names topic orders twice"), std::string::npos)
      << "the default topic's statements and a topic named orders";
  EXPECT_EQ(message(handler_definition({.name = "h", .version = "1", .apply = {}}, "orders")),
            "projection h has no handler");
}

}  // namespace
}  // namespace strata::projection
