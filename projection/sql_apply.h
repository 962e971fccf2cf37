// The apply statements of one topic of an SQL projection, prepared once, with each event's fields bound by
// name. Internal to projection/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "projection/sqlite.h"
#include "strata/reader.h"

namespace strata::projection {

class SqlApply {
 public:
  // Prepares every statement of `sql`; an unknown parameter or a statement SQLite refuses (a misspelt
  // column) is an error here, once, before any event.
  static Result<SqlApply> prepare(Connection& db, std::string_view sql);

  // Runs the statements for `event` of `topic`. key_text / value_text: whether each is valid UTF-8 (bound
  // as TEXT, else BLOB). The error carries SQLite's message.
  Status apply(sqlite3* db, std::string_view topic, const Event& event, bool key_text, bool value_text);

 private:
  struct Bound {
    Statement statement;
    // Parameter indexes (0: the statement does not use it).
    int topic = 0, partition = 0, offset = 0, timestamp_us = 0, key = 0, value = 0, headers = 0;
  };
  void bind(Bound& bound, std::string_view topic, const Event& event, bool key_text, bool value_text);
  std::vector<Bound> statements_;
  std::string headers_;  // the JSON of the event being applied (kept to reuse its memory)
};

}  // namespace strata::projection
