#include "projection/sql_apply.h"

#include "projection/text.h"

namespace strata::projection {

Result<SqlApply> SqlApply::prepare(Connection& db, std::string_view sql) {
  auto statements = db.prepare_all(sql);
  if (!statements) return statements.status();
  if (statements->empty()) return invalid_argument("apply has no statement");
  SqlApply result;
  for (Statement& statement : *statements) {
    Bound bound;
    sqlite3_stmt* stmt = statement.get();
    const int count = sqlite3_bind_parameter_count(stmt);
    for (int index = 1; index <= count; ++index) {
      const char* raw = sqlite3_bind_parameter_name(stmt, index);
      const std::string_view parameter = raw != nullptr ? std::string_view(raw + 1) : std::string_view();
      int* slot = parameter == "topic"          ? &bound.topic
                  : parameter == "partition"    ? &bound.partition
                  : parameter == "offset"       ? &bound.offset
                  : parameter == "timestamp_us" ? &bound.timestamp_us
                  : parameter == "key"          ? &bound.key
                  : parameter == "value"        ? &bound.value
                  : parameter == "headers"      ? &bound.headers
                                                : nullptr;
      if (slot == nullptr) {
        return invalid_argument("unknown parameter " +
                                (raw != nullptr ? std::string(raw) : "?" + std::to_string(index)) +
                                " (known: :topic :partition :offset :timestamp_us :key :value :headers)");
      }
      *slot = index;
    }
    bound.statement = std::move(statement);
    result.statements_.push_back(std::move(bound));
  }
  return result;
}

void SqlApply::bind(Bound& bound, std::string_view topic, const Event& event, bool key_text, bool value_text) {
  sqlite3_stmt* stmt = bound.statement.get();
  // SQLITE_STATIC: the views (and headers_) stay valid until the statement is stepped and reset.
  if (bound.topic != 0) sqlite3_bind_text(stmt, bound.topic, topic.data(), static_cast<int>(topic.size()), SQLITE_STATIC);
  if (bound.partition != 0) sqlite3_bind_int64(stmt, bound.partition, event.partition);
  if (bound.offset != 0) sqlite3_bind_int64(stmt, bound.offset, static_cast<std::int64_t>(event.offset));
  if (bound.timestamp_us != 0) sqlite3_bind_int64(stmt, bound.timestamp_us, event.timestamp_us);
  if (bound.key != 0) {
    if (event.key.empty()) {
      sqlite3_bind_null(stmt, bound.key);
    } else if (key_text) {
      sqlite3_bind_text(stmt, bound.key, reinterpret_cast<const char*>(event.key.data()),
                        static_cast<int>(event.key.size()), SQLITE_STATIC);
    } else {
      sqlite3_bind_blob(stmt, bound.key, event.key.data(), static_cast<int>(event.key.size()), SQLITE_STATIC);
    }
  }
  if (bound.value != 0) {
    if (value_text) {
      const char* text = event.value.empty() ? "" : reinterpret_cast<const char*>(event.value.data());
      sqlite3_bind_text(stmt, bound.value, text, static_cast<int>(event.value.size()), SQLITE_STATIC);
    } else {
      sqlite3_bind_blob(stmt, bound.value, event.value.data(), static_cast<int>(event.value.size()), SQLITE_STATIC);
    }
  }
  if (bound.headers != 0) {
    headers_json(event.headers, headers_);
    sqlite3_bind_text(stmt, bound.headers, headers_.data(), static_cast<int>(headers_.size()), SQLITE_STATIC);
  }
}

Status SqlApply::apply(sqlite3* db, std::string_view topic, const Event& event, bool key_text, bool value_text) {
  for (Bound& bound : statements_) {
    bind(bound, topic, event, key_text, value_text);
    sqlite3_stmt* stmt = bound.statement.get();
    int rc = sqlite3_step(stmt);
    while (rc == SQLITE_ROW) rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) [[unlikely]] {
      Status status = sqlite_status(db, rc);
      sqlite3_reset(stmt);
      return status;
    }
    sqlite3_reset(stmt);
  }
  return Status::ok();
}

}  // namespace strata::projection
