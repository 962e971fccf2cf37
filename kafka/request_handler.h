// RequestHandler: what each request does to the log and the group coordinator. A connection decodes a
// request and calls handle() on its network thread; the answer is a PendingResponse that the connection
// sends in request order. handle() never waits: what must wait parks as a continuation (PendingResponse),
// so that a connection keeps reading and appending pipelined Produce requests while earlier ones are being
// synced, and a network thread serves its other connections meanwhile.
//
// Threads: handle() and finish from any network thread, each connection with its own Session.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "kafka/codec.h"
#include "kafka/group_coordinator.h"
#include "kafka/server.h"
#include "kafka/server_metrics.h"
#include "kafka/topic_table.h"
#include "security/server_security.h"
#include "strata/consumer_group.h"
#include "strata/log.h"

namespace strata::kafka {

// What the handler needs to know of the server's configuration.
struct HandlerOptions {
  std::int32_t node_id = 0;
  std::uint32_t default_partitions = 1;
  bool auto_create_topics = true;
  std::string cluster_id = "strata";
};

// The listener a connection came in on: its protocol, what its clients are told to connect to (Metadata,
// FindCoordinator), and the security every connection shares (nullptr: plaintext and nothing authorized).
struct ListenerContext {
  ListenerProtocol protocol = ListenerProtocol::kPlaintext;
  std::string advertised_host = "127.0.0.1";
  std::int32_t advertised_port = 9092;
  const security::ServerSecurity* security = nullptr;
};

// One connection's state: its listener, its principal (and SASL conversation on a SASL listener), its client, its Producer (created on its first Produce), its Readers by
// partition (kept between Fetch requests so that a consumer reading on does not seek).
struct Session {
  const ListenerContext* listener = nullptr;
  std::string principal{security::kAnonymousPrincipal};  // "User:NAME"
  std::unique_ptr<security::SaslServer> sasl;               // on a SASL listener
  std::string client_address;  // "host:port", for log lines and DescribeGroups
  std::string client_host;     // the host alone: ACL hosts and the login throttle match it
  std::string client_id;
  // The log's shared producer: its ring lanes (shared_ring_bytes, 4 MiB by default) take a client batch of
  // Kafka's default message.max.bytes (1 MB), which a producer()'s 1 MiB ring refuses as too large.
  Producer* producer = nullptr;
  std::map<std::pair<TopicId, std::uint32_t>, std::unique_ptr<Reader>> readers;
  const std::atomic<bool>* stopping = nullptr;  // the server is closing: long polls return at once
};

// A request's answer. One that must wait (a Produce for its acknowledgements, a long-polling Fetch, a
// parked JoinGroup or SyncGroup) is a continuation rather than a blocked thread: the server asks `ready`
// (on its reactor for a Produce, on the waiter thread, kafka/waiter.h, for the others: cheap,
// non-blocking) until it is true or `deadline` passes, then
// calls `finish` on the connection's network thread, which fills the frame and returns true, or returns
// false to wait again. Responses go out in request order whatever order their continuations finish in.
// See PendingResponse::woken_by.
using WakeSource = std::variant<std::monostate, Producer*, Log*, GroupCommits*>;

struct PendingResponse {
  using Clock = std::chrono::steady_clock;
  std::int32_t correlation_id = 0;
  bool send = true;               // false for Produce with acks=0
  bool close_connection = false;  // after this one: Kafka's answer to an acks=0 Produce it refused
  std::string close_reason;       // for the log line (default: the acks=0 Produce's)
  bool raw = false;               // the frame alone after its size: a SASL token after a v0 SaslHandshake
  // The connection handles none of its later requests until this one is finished (a Fetch or a group
  // wait: the order of their effects stays the client's). Pipelined Produce requests do not hold it.
  bool holds_connection = false;
  ResponseFrame frame;
  std::function<bool()> ready;  // when set: finish waits for it (or the deadline)
  // What can make ready() true, when the connection's reactor can watch it itself (no waiter thread): a
  // producer's acknowledgements (a Produce) or a log's appends (a long-polling Fetch). Unset (a group wait):
  // the request parks with the waiter.
  WakeSource woken_by;
  Clock::time_point deadline = Clock::time_point::max();
  std::function<bool(ResponseFrame&)> finish;  // when set: run before the frame is sent (always run)
  RequestTiming timing;  // set by the connection, observed once the response is ready to send
};

class RequestHandler {
 public:
  RequestHandler(Log& log, HandlerOptions options, GroupCoordinator& coordinator);

  PendingResponse handle(Request& request, Session& session);
  // A frame that is a raw SASL token (Session::sasl->expects_raw_token(), after a v0 SaslHandshake).
  PendingResponse sasl_raw_token(std::span<const std::byte> frame, Session& session);
  ServerMetrics& metrics() { return metrics_; }

 private:
  void metadata(const MetadataRequest& request, std::int16_t version, const Session& session, ResponseFrame& out);
  void produce(const ProduceRequest& request, std::int16_t version, Session& session,
               PendingResponse& pending);
  struct FetchState;
  void fetch(const FetchRequest& request, std::int16_t version, Session& session, PendingResponse& pending);
  // Reads what the Fetch's partitions hold now; true when it is to be answered (enough, the deadline, or
  // the server stopping).
  bool fetch_poll(FetchState& state, const std::atomic<bool>* stopping);
  void fetch_answer(FetchState& state, std::int16_t version, ResponseFrame& out);
  void list_offsets(const ListOffsetsRequest& request, std::int16_t version, Session& session,
                    ResponseFrame& out);
  // Answered now, or parked until the coordinator has the answer (group_handler.cc).
  void join_group(const JoinGroupRequest& request, std::int16_t version, Session& session,
                  PendingResponse& pending);
  void sync_group(const SyncGroupRequest& request, std::int16_t version, PendingResponse& pending);
  void find_coordinator(const FindCoordinatorRequest& request, std::int16_t version, const Session& session,
                        ResponseFrame& out);
  void init_producer_id(const InitProducerIdRequest& request, std::int16_t version, ResponseFrame& out);
  void create_topics(const CreateTopicsRequest& request, std::int16_t version, const Session& session,
                     ResponseFrame& out);
  void delete_topics(const DeleteTopicsRequest& request, std::int16_t version, const Session& session,
                     ResponseFrame& out);
  void create_partitions(const CreatePartitionsRequest& request, std::int16_t version, const Session& session,
                         ResponseFrame& out);
  // Topic configs (config_admin.cc).
  void describe_configs(const DescribeConfigsRequest& request, std::int16_t version, const Session& session,
                        ResponseFrame& out);
  void alter_configs(const AlterConfigsRequest& request, bool incremental, std::int16_t version,
                     const Session& session, ResponseFrame& out);
  // The configs of a CreateTopics topic, checked; the error (INVALID_CONFIG naming the key) and its message.
  ErrorCode create_topic_configs(const CreateTopicsRequest::Topic& topic, TopicConfigs* configs,
                                 std::optional<std::string>* message);
  void offset_commit(const OffsetCommitRequest& request, std::int16_t version, const Session& session,
                     PendingResponse& pending);
  void offset_fetch(const OffsetFetchRequest& request, std::int16_t version, const Session& session,
                    ResponseFrame& out);
  void list_groups(const ListGroupsRequest& request, std::int16_t version, const Session& session,
                   ResponseFrame& out);
  void describe_groups(const DescribeGroupsRequest& request, std::int16_t version, const Session& session,
                       ResponseFrame& out);
  // SASL (sasl_handler.cc): the login of a connection on a SASL listener.
  void sasl_handshake(const SaslHandshakeRequest& request, std::int16_t version, Session& session, ResponseFrame& out);
  void sasl_authenticate(const SaslAuthenticateRequest& request, std::int16_t version, Session& session,
                         PendingResponse& pending);
  // Before a SASL login only ApiVersions, SaslHandshake and SaslAuthenticate are answered: true (and
  // `pending` closes the connection) for any other request.
  static bool refused_before_login(const Request& request, const Session& session, PendingResponse& pending);

  // Kafka's ACL APIs (acl_handler.cc).
  void describe_acls(const DescribeAclsRequest& request, std::int16_t version, const Session& session,
                     ResponseFrame& out);
  void create_acls(const CreateAclsRequest& request, std::int16_t version, const Session& session, ResponseFrame& out);
  void delete_acls(const DeleteAclsRequest& request, std::int16_t version, const Session& session, ResponseFrame& out);

 public:
  // Authorization (authorization.cc). Without --authorize every check passes.
  static bool authorizing(const Session& session);
  static bool may(const Session& session, security::AclOperation operation, security::ResourceType type,
                  std::string_view name);
  static bool may_create_topic(const Session& session, std::string_view name);

 private:
  // The requests refused whole (a group the principal may not use): true when `pending` holds the answer.
  static bool refused_by_acls(const Request& request, const Session& session, PendingResponse& pending);
  // A config resource's refusal (TOPIC_ or CLUSTER_AUTHORIZATION_FAILED) or kNone.
  static ErrorCode config_resource_refusal(const Session& session, security::AclOperation operation,
                                           std::int8_t resource_type, std::string_view name);
  // topic_for() after checking `operation` on the topic (TOPIC_AUTHORIZATION_FAILED), creating it only for a
  // principal that may Create it.
  std::optional<TopicEntry> topic_for(const Session& session, security::AclOperation operation,
                                      std::string_view name, bool create, ErrorCode* error);

  // The topic, created with the default partition count when auto-creation allows it.
  std::optional<TopicEntry> topic_for(std::string_view name, bool create, ErrorCode* error);
  Reader* reader_for(Session& session, const TopicEntry& topic, std::uint32_t partition);
  // The offsets of `partition` of a looked-up topic (nullopt: the lookup failed with `topic_error`), or the
  // Kafka error to answer for that partition (kNone when *offsets is set).
  ErrorCode partition_offsets(const std::optional<TopicEntry>& entry, ErrorCode topic_error,
                              std::int32_t partition, PartitionOffsets* offsets);

  Log& log_;
  const HandlerOptions options_;
  GroupCoordinator& coordinator_;
  TopicTable topics_;
  const std::string directory_;
  // Commits that park their OffsetCommit until the group log's background sync covers them (no reactor
  // blocks on an fdatasync); the error when the group log could not be opened.
  Result<GroupCommits> group_commits_;
  ServerMetrics metrics_;
};

// The Kafka error code for an engine Status (append, offsets, checkpoints).
ErrorCode error_for(const Status& status);

// True when every broker id of a manual replica assignment (CreateTopics) is `node_id`,
// this one node; else false with *message saying which is not.
bool replicas_are_this_node(const std::vector<std::vector<std::int32_t>>& assignments, std::int32_t node_id,
                            std::optional<std::string>* message);

// Why a whole Produce request is refused (a version whose message sets strata does not take, bad acks), or
// kNone.
ErrorCode produce_request_error(const ProduceRequest& request, std::int16_t version);
// Why one partition of a Produce request is refused before its batch reaches the engine, or kNone. `entry`
// is the partition's topic (nullopt: its lookup failed with `topic_error`).
ErrorCode produce_partition_error(const ProduceRequest& request, std::int16_t version,
                                  const std::optional<TopicEntry>& entry, ErrorCode topic_error,
                                  const ProduceRequest::Partition& partition);

}  // namespace strata::kafka
