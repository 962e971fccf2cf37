// A projection's definition as the projector stores and compares it: its topics and apply statements (or a
// handler and its version), and the hash over them that a restart checks. Internal to projection/.
#pragma once

#include <string>
#include <vector>

#include "projection/projector.h"

namespace strata::projection {

struct Definition {
  std::string name;
  bool is_sql = true;
  std::string schema;
  std::vector<TopicApply> topics;  // the handler's: topics with empty statements
  HandlerProjection handler;
  std::string hash;  // 16 hex digits over the topics and normalized statements, or the handler's version
};

// `default_topic` is ProjectorOptions::topic, for a projection that names none.
Definition sql_definition(SqlProjection projection, const std::string& default_topic);
Definition handler_definition(HandlerProjection projection, const std::string& default_topic);

// What is wrong with a definition before anything runs: its name, a topic without a name or statements, a
// topic named twice, a handler projection without a handler.
Status check_definition(const Definition& definition);

}  // namespace strata::projection
