// Session: the Kafka requests of one connection, decoded, handled against the Log and the group
// coordinator, and encoded. One thread (the connection's) uses it. Each handler reads its request body
// with a bounds-checked Decoder and writes the response body; a malformed body is a closed connection.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "kafka/group_coordinator.h"
#include "kafka/server.h"
#include "kafka/wire.h"
#include "strata/log.h"

namespace strata::kafka {

struct RequestHeader {
  std::int16_t api_key = 0;
  std::int16_t api_version = 0;
  std::int32_t correlation_id = 0;
  std::string client_id;
};

class Session {
 public:
  Session(Log& log, GroupCoordinator& groups, const ServerOptions& options, std::string peer)
      : log_(log), groups_(groups), options_(options), peer_(std::move(peer)) {}

  enum class Outcome : std::uint8_t { kRespond, kNoResponse, kClose };
  // Handles one request; on kRespond `out` holds the response body (after the correlation id).
  Outcome handle(const RequestHeader& header, Decoder& body, Encoder& out);

 private:
  Outcome api_versions(const RequestHeader& header, Encoder& out);
  Outcome metadata(const RequestHeader& header, Decoder& in, Encoder& out);
  Outcome produce(const RequestHeader& header, Decoder& in, Encoder& out);
  Outcome fetch(const RequestHeader& header, Decoder& in, Encoder& out);
  Outcome list_offsets(const RequestHeader& header, Decoder& in, Encoder& out);
  Outcome init_producer_id(const RequestHeader& header, Decoder& in, Encoder& out);
  Outcome find_coordinator(const RequestHeader& header, Decoder& in, Encoder& out);
  Outcome join_group(const RequestHeader& header, Decoder& in, Encoder& out);
  Outcome sync_group(const RequestHeader& header, Decoder& in, Encoder& out);
  Outcome heartbeat(const RequestHeader& header, Decoder& in, Encoder& out);
  Outcome leave_group(const RequestHeader& header, Decoder& in, Encoder& out);
  Outcome offset_commit(const RequestHeader& header, Decoder& in, Encoder& out);
  Outcome offset_fetch(const RequestHeader& header, Decoder& in, Encoder& out);

  // The topic, created on first use when allowed; an error code otherwise.
  std::int16_t find_topic(std::string_view name, bool create, TopicId* id);
  Reader* reader(TopicId topic, std::uint32_t partition);
  Producer& producer();
  void log_refusal(const RequestHeader& header, const std::string& what) const;

  Log& log_;
  GroupCoordinator& groups_;
  const ServerOptions& options_;
  const std::string peer_;
  std::map<std::pair<TopicId, std::uint32_t>, std::unique_ptr<Reader>> readers_;
};

}  // namespace strata::kafka
