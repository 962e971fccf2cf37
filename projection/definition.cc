// Definitions: building them from what Projector::add is given, their hash, and their checks.
#include "projection/definition.h"

#include <algorithm>
#include <cctype>

#include "projection/text.h"
#include "strata/log.h"

namespace strata::projection {

namespace {

Status check_name(const std::string& name) {
  if (name.empty()) return invalid_argument("a projection needs a name");
  for (const char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      return invalid_argument("projection name \"" + name + "\": use letters, digits, '_', '-' and '.' only");
    }
  }
  return Status::ok();
}

// The hash covers the kind, then each topic (sorted) with its normalized statements.
std::string hash_of(std::string_view kind, std::vector<TopicApply> topics, std::string_view version) {
  std::sort(topics.begin(), topics.end(), [](const TopicApply& a, const TopicApply& b) { return a.topic < b.topic; });
  std::string text(kind);
  text += '\0';
  for (const TopicApply& topic : topics) text += topic.topic + '\0' + normalize_sql(topic.apply) + '\0';
  text += version;
  return definition_hash({text});
}

}  // namespace

Definition sql_definition(SqlProjection projection, const std::string& default_topic) {
  Definition definition;
  definition.name = projection.name;
  definition.schema = std::move(projection.schema);
  definition.topics = std::move(projection.topics);
  if (definition.topics.empty() || !projection.apply.empty()) {
    definition.topics.insert(definition.topics.begin(), TopicApply{default_topic, std::move(projection.apply)});
  }
  definition.hash = hash_of("sql", definition.topics, {});
  return definition;
}

Definition handler_definition(HandlerProjection projection, const std::string& default_topic) {
  Definition definition;
  definition.name = projection.name;
  definition.is_sql = false;
  if (projection.topics.empty()) projection.topics.push_back(default_topic);
  for (const std::string& topic : projection.topics) definition.topics.push_back({topic, {}});
  definition.hash = hash_of("handler", definition.topics, projection.version);
  definition.handler = std::move(projection);
  return definition;
}

Status check_definition(const Definition& definition) {
  STRATA_RETURN_IF_ERROR(check_name(definition.name));
  for (std::size_t i = 0; i < definition.topics.size(); ++i) {
    const TopicApply& topic = definition.topics[i];
    if (topic.topic.empty()) return invalid_argument("projection " + definition.name + " names no topic");
    STRATA_RETURN_IF_ERROR(validate_topic_name(topic.topic));
    if (definition.is_sql && normalize_sql(topic.apply).empty()) {
      return invalid_argument("projection " + definition.name + " has no statements to apply to topic " + topic.topic);
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (definition.topics[j].topic == topic.topic) {
        return invalid_argument("projection " + definition.name + " names topic " + topic.topic +
                                " twice (give each topic one --apply, with several statements if needed)");
      }
    }
  }
  if (!definition.is_sql && !definition.handler.apply) {
    return invalid_argument("projection " + definition.name + " has no handler");
  }
  return Status::ok();
}

}  // namespace strata::projection
