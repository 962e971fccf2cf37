// Helpers for the projection tests: a log with a topic, appends, and queries of the read model.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "projection/projector.h"
#include "strata/log.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata::testing {

inline std::span<const std::byte> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

// Appends one event to `partition` and waits for its acknowledgement; returns its offset.
inline std::uint64_t append_event(Log& log, Producer& producer, std::string_view topic,
                                  std::uint32_t partition, std::string_view key, std::string_view value) {
  auto id = log.topic(topic);
  EXPECT_TRUE(id.is_ok()) << id.status().to_string();
  auto ticket = producer.append(*id, partition, bytes_of(key), bytes_of(value));
  EXPECT_TRUE(ticket.is_ok()) << ticket.status().to_string();
  auto offset = producer.wait(*ticket);
  EXPECT_TRUE(offset.is_ok()) << offset.status().to_string();
  return offset.is_ok() ? *offset : 0;
}

// Appends `count` events without waiting for each, then waits for all: values {"id":"k<i % keys>","n":<i>}.
inline void append_orders(Log& log, std::string_view topic, std::uint32_t partition, std::uint64_t first,
                          std::uint64_t count, std::uint64_t keys = 10) {
  auto id = log.topic(topic);
  ASSERT_TRUE(id.is_ok()) << id.status().to_string();
  auto producer = log.producer();
  for (std::uint64_t i = first; i < first + count; ++i) {
    const std::string key = "k" + std::to_string(i % keys);
    const std::string value = "{\"id\":\"" + key + "\",\"n\":" + std::to_string(i) + "}";
    auto ticket = producer->append(*id, partition, bytes_of(key), bytes_of(value));
    ASSERT_TRUE(ticket.is_ok()) << ticket.status().to_string();
  }
  ASSERT_TRUE(producer->wait_all().is_ok());
}

class Sql {
 public:
  explicit Sql(const std::string& path) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK) << path;
    sqlite3_busy_timeout(db_, 10'000);
  }
  ~Sql() { sqlite3_close_v2(db_); }
  Sql(const Sql&) = delete;
  Sql& operator=(const Sql&) = delete;

  sqlite3* get() const { return db_; }

  // The first column of the first row as text ("" when there is no row, "NULL" for NULL).
  std::string text(const std::string& query) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, query.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << query << ": " << sqlite3_errmsg(db_);
      return "";
    }
    std::string result;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* value = sqlite3_column_text(stmt, 0);
      result = value != nullptr ? reinterpret_cast<const char*>(value) : "NULL";
    }
    sqlite3_finalize(stmt);
    return result;
  }
  std::int64_t integer(const std::string& query) {
    const std::string value = text(query);
    return value.empty() || value == "NULL" ? -1 : std::stoll(value);
  }
  // Every row of a query, columns joined by '|' and rows by '\n'.
  std::string dump(const std::string& query) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, query.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << query << ": " << sqlite3_errmsg(db_);
      return "";
    }
    std::string result;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        const unsigned char* value = sqlite3_column_text(stmt, c);
        result += (c == 0 ? "" : "|") +
                  std::string(value != nullptr ? reinterpret_cast<const char*>(value) : "NULL");
      }
      result += '\n';
    }
    sqlite3_finalize(stmt);
    return result;
  }

 private:
  sqlite3* db_ = nullptr;
};

// A projection that counts how often each event was applied: a duplicate shows as times > 1, a loss as a
// missing row.
inline projection::SqlProjection counting_projection(std::string name = "applied") {
  return {.name = std::move(name),
          .schema =
              "CREATE TABLE applied(partition INTEGER, offset INTEGER, times INTEGER NOT NULL, "
              "PRIMARY KEY(partition, offset)) WITHOUT ROWID",
          .apply =
              "INSERT INTO applied VALUES(:partition, :offset, 1) "
              "ON CONFLICT(partition, offset) DO UPDATE SET times = times + 1"};
}

// Totals per order id from the JSON value: one upsert with ->>.
inline projection::SqlProjection totals_projection() {
  return {
      .name = "totals",
      .schema = "CREATE TABLE totals(id TEXT PRIMARY KEY, total INTEGER NOT NULL, events INTEGER NOT NULL)",
      .apply =
          "INSERT INTO totals VALUES(:value->>'$.id', :value->>'$.n', 1) "
          "ON CONFLICT(id) DO UPDATE SET total = total + excluded.total, events = events + 1"};
}

}  // namespace strata::testing
