// Metadata, CreateTopics, DeleteTopics and CreatePartitions: the topic table as Kafka's admin APIs see it (configs are
// config_admin.cc's).
#include "kafka/request_handler.h"

#include <cstdio>

namespace strata::kafka {

void RequestHandler::metadata(const MetadataRequest& request, std::int16_t version, const Session& session,
                              ResponseFrame& out) {
  MetadataResponse response;
  response.brokers.push_back({options_.node_id, session.listener->advertised_host, session.listener->advertised_port});
  response.cluster_id = options_.cluster_id;
  response.controller_id = options_.node_id;  // kafkajs sends InitProducerId to the controller
  auto add = [&](const TopicEntry& topic) {
    MetadataResponse::Topic entry;
    entry.name = topic.name;
    entry.id = topic_uuid(topic);
    for (std::uint32_t p = 0; p < topic.partitions; ++p) {
      entry.partitions.push_back({ErrorCode::kNone, static_cast<std::int32_t>(p), options_.node_id});
    }
    response.topics.push_back(std::move(entry));
  };
  if (request.all_topics) {
    for (const TopicEntry& topic : topics_.all()) {
      if (may(session, security::AclOperation::kDescribe, security::ResourceType::kTopic, topic.name)) add(topic);
    }
  } else {
    for (const std::optional<std::string_view>& name : request.topics) {
      if (!name) {  // asked for by topic id: strata keeps none
        response.topics.push_back({ErrorCode::kUnknownTopicId, std::nullopt, {}, {}});
        continue;
      }
      ErrorCode error = ErrorCode::kNone;
      auto topic = topic_for(session, security::AclOperation::kDescribe, *name, request.allow_auto_topic_creation, &error);
      if (topic) {
        add(*topic);
      } else {
        response.topics.push_back({error, std::string(*name), {}, {}});
      }
    }
  }
  encode(response, version, out);
}

void RequestHandler::delete_topics(const DeleteTopicsRequest& request, std::int16_t version, const Session& session,
                                   ResponseFrame& out) {
  DeleteTopicsResponse response;
  for (const std::optional<std::string_view>& name : request.names) {
    DeleteTopicsResponse::Topic& result = response.topics.emplace_back();
    if (!name) {  // named by topic id: strata keeps none
      result.error = ErrorCode::kUnknownTopicId;
      continue;
    }
    result.name = std::string(*name);
    if (!may(session, security::AclOperation::kDelete, security::ResourceType::kTopic, *name)) {
      result.error = ErrorCode::kTopicAuthorizationFailed;
      continue;
    }
    const Status deleted = topics_.remove(*name);
    if (deleted.is_ok()) continue;
    if (deleted.code() == StatusCode::kNotFound || deleted.code() == StatusCode::kInvalidArgument) {
      result.error = ErrorCode::kUnknownTopicOrPartition;
    } else {
      std::fprintf(stderr, "strata serve: DeleteTopics %s: %s\n", result.name->c_str(),
                   deleted.to_string().c_str());
      result.error = error_for(deleted);
    }
  }
  encode(response, version, out);
}

void RequestHandler::create_topics(const CreateTopicsRequest& request, std::int16_t version, const Session& session,
                                   ResponseFrame& out) {
  CreateTopicsResponse response;
  for (const auto& topic : request.topics) {
    CreateTopicsResponse::Topic& result = response.topics.emplace_back();
    result.name = std::string(topic.name);
    Status valid = validate_topic_name(topic.name);
    const std::int32_t partitions = topic.partitions != -1       ? topic.partitions
                                    : !topic.assignments.empty() ? static_cast<std::int32_t>(topic.assignments.size())
                                                                 : static_cast<std::int32_t>(options_.default_partitions);
    TopicOptions topic_options;
    if (!may_create_topic(session, topic.name)) {
      result.error = ErrorCode::kTopicAuthorizationFailed;
      result.message = "not authorized to create topic " + result.name;
    } else if (!valid.is_ok()) {
      result.error = ErrorCode::kInvalidTopic;
      result.message = valid.message();
    } else if (topics_.find(topic.name)) {
      result.error = ErrorCode::kTopicAlreadyExists;
      result.message = "topic " + result.name + " already exists";
    } else if (partitions < 1 || static_cast<std::uint32_t>(partitions) > kPartitionsMax) {
      result.error = ErrorCode::kInvalidPartitions;
      result.message = "partitions must be 1 to " + std::to_string(kPartitionsMax);
    } else if (topic.replication_factor != -1 && topic.replication_factor != 1) {
      result.error = ErrorCode::kInvalidReplicationFactor;
      result.message = "strata is one node: the replication factor is 1";
    } else if (!replicas_are_this_node(topic.assignments, options_.node_id, &result.message)) {
      result.error = ErrorCode::kInvalidReplicaAssignment;
    } else if ((result.error = create_topic_configs(topic, &topic_options.configs, &result.message)) !=
               ErrorCode::kNone) {
      // the message names the config
    } else if (!request.validate_only) {
      topic_options.partitions = static_cast<std::uint32_t>(partitions);
      auto created = topics_.create(topic.name, topic_options);
      if (created) {
        result.id = topic_uuid(*created);
      } else {
        result.error = ErrorCode::kUnknownServerError;
        result.message = created.status().to_string();
      }
    }
    if (result.error == ErrorCode::kNone) {  // v5+ reports what was (or would be) created
      result.partitions = partitions;
      result.replication_factor = 1;
    }
  }
  encode(response, version, out);
}

void RequestHandler::create_partitions(const CreatePartitionsRequest& request, std::int16_t version,
                                       const Session& session, ResponseFrame& out) {
  CreatePartitionsResponse response;
  for (const auto& topic : request.topics) {
    CreatePartitionsResponse::Topic& result = response.topics.emplace_back();
    result.name = std::string(topic.name);
    const std::optional<TopicEntry> entry = topics_.find(topic.name);
    if (!may(session, security::AclOperation::kAlter, security::ResourceType::kTopic, topic.name)) {
      result.error = ErrorCode::kTopicAuthorizationFailed;
      result.message = "not authorized to alter topic " + result.name;
    } else if (!entry) {
      result.error = ErrorCode::kUnknownTopicOrPartition;
      result.message = "no topic " + result.name;
    } else if (topic.count < 1 || static_cast<std::uint32_t>(topic.count) > kPartitionsMax) {
      result.error = ErrorCode::kInvalidPartitions;
      result.message = "partitions must be 1 to " + std::to_string(kPartitionsMax);
    } else if (static_cast<std::uint32_t>(topic.count) <= entry->partitions) {
      result.error = ErrorCode::kInvalidPartitions;
      result.message = "topic " + result.name + " has " + std::to_string(entry->partitions) +
                       " partitions; the count only grows";
    } else if (topic.assignments &&
               topic.assignments->size() != static_cast<std::size_t>(topic.count) - entry->partitions) {
      result.error = ErrorCode::kInvalidReplicaAssignment;
      result.message = "the assignments name " + std::to_string(topic.assignments->size()) +
                       " partitions; the request adds " + std::to_string(topic.count - entry->partitions);
    } else if (topic.assignments && !replicas_are_this_node(*topic.assignments, options_.node_id, &result.message)) {
      result.error = ErrorCode::kInvalidReplicaAssignment;
    } else if (!request.validate_only) {
      const Status grown = topics_.grow(topic.name, static_cast<std::uint32_t>(topic.count));
      if (!grown.is_ok()) {
        std::fprintf(stderr, "strata serve: CreatePartitions %s: %s\n", result.name.c_str(),
                     grown.to_string().c_str());
        result.error = grown.code() == StatusCode::kInvalidArgument ? ErrorCode::kInvalidPartitions
                       : grown.code() == StatusCode::kNotFound      ? ErrorCode::kUnknownTopicOrPartition
                                                                    : error_for(grown);
        result.message = grown.message();
      }
    }
  }
  encode(response, version, out);
}

}  // namespace strata::kafka
