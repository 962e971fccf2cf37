// strata::kafka::Server with a real client: librdkafka (Debian's 2.0.2, the library kcat and Python's
// confluent-kafka use). Each test runs an embedded server on port 0 over a temporary log directory.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kafka/group_state.h"
#include "kafka/server.h"
#include "strata/consumer_group.h"
#include "strata/log.h"
#include "tests/engine/test_dir.h"

namespace strata::kafka {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A log and a server on it that a test can restart.
class Broker {
 public:
  explicit Broker(std::string dir, std::uint32_t partitions = 1)
      : dir_(std::move(dir)), partitions_(partitions) {
    start();
  }
  ~Broker() { stop(); }

  // port 0: a free one; a restart that clients must find again passes the previous port().
  void start(std::uint16_t port = 0) {
    auto log = Log::open({.directory = dir_});
    ASSERT_TRUE(log.is_ok()) << log.status().to_string();
    log_ = std::move(log.value());
    ServerOptions options;
    options.listen_port = port;
    options.default_partitions = partitions_;
    options.group_initial_rebalance_delay_ms = 0;  // the members of these tests join one after the other
    auto server = Server::start(*log_, options);
    ASSERT_TRUE(server.is_ok()) << server.status().to_string();
    server_ = std::move(server.value());
  }
  void stop() {
    if (server_) server_->stop();
    server_.reset();
    if (log_) {
      ASSERT_TRUE(log_->close().is_ok());
    }
    log_.reset();
  }
  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(server_->port()); }
  std::uint16_t port() const { return server_->port(); }
  Log& log() { return *log_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::uint32_t partitions_;
  std::unique_ptr<Log> log_;
  std::unique_ptr<Server> server_;
};

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using Handle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

rd_kafka_conf_t* make_conf(const std::map<std::string, std::string>& settings) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [key, value] : settings) {
    EXPECT_EQ(rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof error), RD_KAFKA_CONF_OK)
        << key << ": " << error;
  }
  return conf;
}

// Delivery reports land here (the opaque of each message is its index).
struct Deliveries {
  std::vector<rd_kafka_resp_err_t> errors;
  std::vector<std::int64_t> offsets;
  std::vector<std::int32_t> partitions;
  std::size_t reported = 0;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* deliveries = static_cast<Deliveries*>(opaque);
  const auto index = reinterpret_cast<std::uintptr_t>(message->_private);
  deliveries->errors[index] = message->err;
  deliveries->offsets[index] = message->offset;
  deliveries->partitions[index] = message->partition;
  ++deliveries->reported;
}

// Produces `count` events "key-<i>" / "value-<i>" with a header, idempotent, acks=all.
Deliveries produce(const std::string& bootstrap, const std::string& topic, std::size_t count) {
  Deliveries deliveries;
  deliveries.errors.assign(count, RD_KAFKA_RESP_ERR_NO_ERROR);
  deliveries.offsets.assign(count, -1);
  deliveries.partitions.assign(count, -1);
  rd_kafka_conf_t* conf = make_conf({{"bootstrap.servers", bootstrap},
                                     {"enable.idempotence", "true"},
                                     {"acks", "all"},
                                     {"linger.ms", "5"},
                                     {"compression.type", "lz4"}});
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, &deliveries);
  char error[512];
  Handle producer(rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error));
  EXPECT_TRUE(producer) << error;
  if (!producer) return deliveries;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string key = "key-" + std::to_string(i);
    const std::string value = "value-" + std::to_string(i);
    const std::string header = "h" + std::to_string(i);
    for (;;) {
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_HEADER("trace", header.data(), static_cast<ssize_t>(header.size())),
          RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(i)), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(producer.get(), 10);
        continue;
      }
      EXPECT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
      break;
    }
    rd_kafka_poll(producer.get(), 0);
  }
  EXPECT_EQ(rd_kafka_flush(producer.get(), 30'000), RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(deliveries.reported, count);
  return deliveries;
}

// What a consumer saw: value -> times seen; per partition the offsets in order.
struct Consumed {
  std::map<std::string, int> values;
  std::map<std::int32_t, std::vector<std::int64_t>> offsets;
  std::size_t unique() const { return values.size(); }
  void add(const rd_kafka_message_t* message) {
    values[std::string(static_cast<const char*>(message->payload), message->len)] += 1;
    offsets[message->partition].push_back(message->offset);
  }
};

TEST(KafkaServerWithLibrdkafka, IdempotentProducerThenEverythingConsumedExactlyOnce) {
  testing::TestDir dir;
  Broker broker(dir.path(), 4);
  constexpr std::size_t kCount = 20'000;
  Deliveries deliveries = produce(broker.bootstrap(), "orders", kCount);
  for (std::size_t i = 0; i < kCount; ++i) {
    ASSERT_EQ(deliveries.errors[i], RD_KAFKA_RESP_ERR_NO_ERROR)
        << i << ": " << rd_kafka_err2str(deliveries.errors[i]);
    ASSERT_GE(deliveries.offsets[i], 0) << i;
  }

  // What the client produced is what strata's own reader sees: keys, values, headers, at the reported
  // offsets.
  std::map<std::pair<std::int32_t, std::int64_t>, std::size_t> by_position;
  for (std::size_t i = 0; i < kCount; ++i) by_position[{deliveries.partitions[i], deliveries.offsets[i]}] = i;
  ASSERT_EQ(by_position.size(), kCount) << "two deliveries reported the same offset";
  std::size_t read_back = 0;
  for (std::uint32_t partition = 0; partition < 4; ++partition) {
    auto reader = broker.log().reader("orders", partition);
    ASSERT_TRUE(reader.is_ok());
    for (;;) {
      auto polled = reader.value()->poll(1000, [&](const Event& event) {
        auto it =
            by_position.find({static_cast<std::int32_t>(partition), static_cast<std::int64_t>(event.offset)});
        ASSERT_NE(it, by_position.end());
        const std::string i = std::to_string(it->second);
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(event.key.data()), event.key.size()), "key-" + i);
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(event.value.data()), event.value.size()),
                  "value-" + i);
        ASSERT_EQ(event.headers.size(), 1u);
        EXPECT_EQ(event.headers[0].key, "trace");
        ++read_back;
      });
      ASSERT_TRUE(polled.is_ok());
      if (*polled == 0) break;
    }
  }
  EXPECT_EQ(read_back, kCount);

  // A consumer with assign() from the beginning gets every event once, offsets dense per partition.
  rd_kafka_conf_t* conf = make_conf({{"bootstrap.servers", broker.bootstrap()},
                                     {"group.id", "unused"},
                                     {"enable.auto.commit", "false"},
                                     {"enable.partition.eof", "true"}});
  char error[512];
  Handle consumer(rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error));
  ASSERT_TRUE(consumer) << error;
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(4);
  for (int p = 0; p < 4; ++p) {
    rd_kafka_topic_partition_list_add(assignment, "orders", p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  ASSERT_EQ(rd_kafka_assign(consumer.get(), assignment), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(assignment);
  Consumed consumed;
  // Until everything arrived, then a little longer: a duplicate would show up in that time.
  auto deadline = Clock::now() + 40s;
  bool complete = false;
  while (Clock::now() < deadline) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer.get(), 50);
    if (message != nullptr) {
      if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        EXPECT_EQ(message->err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_message_errstr(message);
        if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) consumed.add(message);
      }
      rd_kafka_message_destroy(message);
    }
    if (!complete && consumed.unique() == kCount) {
      complete = true;
      deadline = Clock::now() + 500ms;
    }
  }
  rd_kafka_consumer_close(consumer.get());
  EXPECT_EQ(consumed.unique(), kCount);
  for (const auto& [value, times] : consumed.values) ASSERT_EQ(times, 1) << value;
  for (const auto& [partition, offsets] : consumed.offsets) {
    for (std::size_t i = 0; i < offsets.size(); ++i)
      ASSERT_EQ(offsets[i], static_cast<std::int64_t>(i)) << partition;
  }
}

// A group member driven by the test thread: its assignment as the rebalance callback reports it.
struct Member {
  Handle handle;
  std::set<std::int32_t> assigned;
  int rebalances = 0;
};

void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
                  void* opaque) {
  auto* member = static_cast<Member*>(opaque);
  ++member->rebalances;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    for (int i = 0; i < partitions->cnt; ++i) member->assigned.insert(partitions->elems[i].partition);
    rd_kafka_assign(rk, partitions);
  } else {
    // Commit what was processed before giving the partitions up, so that nothing is read twice.
    (void)rd_kafka_commit(rk, nullptr, 0);
    member->assigned.clear();
    rd_kafka_assign(rk, nullptr);
  }
}

std::unique_ptr<Member> join(const std::string& bootstrap, const std::string& group,
                             const std::string& topic, const std::string& instance_id = "") {
  auto member = std::make_unique<Member>();
  std::map<std::string, std::string> settings{{"bootstrap.servers", bootstrap},
                                              {"group.id", group},
                                              {"enable.auto.commit", "false"},
                                              {"auto.offset.reset", "earliest"},
                                              {"session.timeout.ms", "6000"},
                                              {"heartbeat.interval.ms", "300"},
                                              {"partition.assignment.strategy", "range"}};
  if (!instance_id.empty()) settings["group.instance.id"] = instance_id;
  rd_kafka_conf_t* conf = make_conf(settings);
  rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
  rd_kafka_conf_set_opaque(conf, member.get());
  char error[512];
  member->handle.reset(rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error));
  EXPECT_TRUE(member->handle) << error;
  rd_kafka_poll_set_consumer(member->handle.get());
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
  EXPECT_EQ(rd_kafka_subscribe(member->handle.get(), topics), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(topics);
  return member;
}

// Polls every member once; messages go to `consumed`.
void poll_all(const std::vector<Member*>& members, Consumed& consumed) {
  for (Member* member : members) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(member->handle.get(), 20);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      EXPECT_TRUE(member->assigned.count(message->partition)) << "a message of a partition not assigned";
      consumed.add(message);
    }
    rd_kafka_message_destroy(message);
  }
}

TEST(KafkaServerWithLibrdkafka, GroupOfTwoSharesPartitionsRebalancesOnLeaveAndResumesAfterRestart) {
  testing::TestDir dir;
  auto broker = std::make_unique<Broker>(dir.path(), 4);
  constexpr std::size_t kCount = 4000;
  Deliveries deliveries = produce(broker->bootstrap(), "events", kCount);
  for (std::size_t i = 0; i < kCount; ++i) ASSERT_EQ(deliveries.errors[i], RD_KAFKA_RESP_ERR_NO_ERROR);

  Consumed consumed;
  auto a = join(broker->bootstrap(), "workers", "events");
  auto b = join(broker->bootstrap(), "workers", "events");
  // Both members get two partitions each, never the same one.
  auto deadline = Clock::now() + 40s;
  while (Clock::now() < deadline && !(a->assigned.size() == 2 && b->assigned.size() == 2)) {
    poll_all({a.get(), b.get()}, consumed);
    for (std::int32_t p : a->assigned) ASSERT_FALSE(b->assigned.count(p)) << "partition " << p << " in both";
  }
  ASSERT_EQ(a->assigned.size(), 2u);
  ASSERT_EQ(b->assigned.size(), 2u);
  while (Clock::now() < deadline && consumed.unique() < kCount / 4) poll_all({a.get(), b.get()}, consumed);
  ASSERT_EQ(rd_kafka_commit(a->handle.get(), nullptr, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(rd_kafka_commit(b->handle.get(), nullptr, 0), RD_KAFKA_RESP_ERR_NO_ERROR);

  // b leaves: a rebalances to all four partitions.
  rd_kafka_consumer_close(b->handle.get());
  b.reset();
  deadline = Clock::now() + 40s;
  while (Clock::now() < deadline && a->assigned.size() != 4) poll_all({a.get()}, consumed);
  ASSERT_EQ(a->assigned.size(), 4u);
  while (Clock::now() < deadline && consumed.unique() < kCount / 2) poll_all({a.get()}, consumed);
  rd_kafka_consumer_close(a->handle.get());  // revokes, which commits
  a.reset();
  const std::size_t before_restart = consumed.unique();

  // The commits are strata's own checkpoints.
  std::uint64_t committed_total = 0;
  for (std::uint32_t p = 0; p < 4; ++p) {
    auto committed = read_group_offset(dir.path(), "workers", "events", p);
    if (committed.is_ok()) committed_total += committed->offset;
  }
  EXPECT_EQ(committed_total, before_restart);

  // A restart of the server; a new member resumes from the commits.
  broker->stop();
  broker->start();
  auto c = join(broker->bootstrap(), "workers", "events");
  deadline = Clock::now() + 40s;
  while (Clock::now() < deadline && consumed.unique() < kCount) poll_all({c.get()}, consumed);
  rd_kafka_consumer_close(c->handle.get());
  EXPECT_EQ(consumed.unique(), kCount);
  for (const auto& [value, times] : consumed.values) ASSERT_EQ(times, 1) << value << " received twice";
}

// Polls every member once; each message is committed synchronously before the next poll (retried while
// the server is away).
void poll_and_commit_all(const std::vector<Member*>& members, Consumed& consumed) {
  for (Member* member : members) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(member->handle.get(), 20);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      consumed.add(message);
      rd_kafka_resp_err_t committed = RD_KAFKA_RESP_ERR_UNKNOWN;
      for (int attempt = 0; attempt < 200 && committed != RD_KAFKA_RESP_ERR_NO_ERROR; ++attempt) {
        committed = rd_kafka_commit_message(member->handle.get(), message, /*async=*/0);
        if (committed != RD_KAFKA_RESP_ERR_NO_ERROR) std::this_thread::sleep_for(50ms);
      }
      EXPECT_EQ(committed, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(committed);
    }
    rd_kafka_message_destroy(message);
  }
}

// Kafka keeps a group's state across a restart of a single broker; so does strata serve: the members keep
// their generation and partitions, their commits go on, and nothing is delivered twice or lost.
TEST(KafkaServerWithLibrdkafka, GroupOfTwoCommittingEveryMessageSurvivesARestartWithoutARebalance) {
  testing::TestDir dir;
  auto broker = std::make_unique<Broker>(dir.path(), 4);
  constexpr std::size_t kCount = 1200;
  Deliveries deliveries = produce(broker->bootstrap(), "events", kCount);
  for (std::size_t i = 0; i < kCount; ++i) ASSERT_EQ(deliveries.errors[i], RD_KAFKA_RESP_ERR_NO_ERROR);

  Consumed consumed;
  auto a = join(broker->bootstrap(), "restart group", "events");
  auto b = join(broker->bootstrap(), "restart group", "events");
  auto deadline = Clock::now() + 40s;
  while (Clock::now() < deadline && !(a->assigned.size() == 2 && b->assigned.size() == 2)) {
    poll_and_commit_all({a.get(), b.get()}, consumed);
  }
  ASSERT_EQ(a->assigned.size(), 2u);
  ASSERT_EQ(b->assigned.size(), 2u);
  const int a_rebalances = a->rebalances;
  const int b_rebalances = b->rebalances;
  while (Clock::now() < deadline && consumed.unique() < kCount / 2) poll_and_commit_all({a.get(), b.get()}, consumed);

  const std::uint16_t port = broker->port();
  broker->stop();
  broker->start(port);
  deadline = Clock::now() + 60s;
  while (Clock::now() < deadline && consumed.unique() < kCount) poll_and_commit_all({a.get(), b.get()}, consumed);
  EXPECT_EQ(a->rebalances, a_rebalances) << "a rebalanced after the restart";
  EXPECT_EQ(b->rebalances, b_rebalances) << "b rebalanced after the restart";
  EXPECT_EQ(consumed.unique(), kCount) << "missing";
  for (const auto& [value, times] : consumed.values) ASSERT_EQ(times, 1) << value << " received twice";
  std::uint64_t committed_total = 0;
  for (std::uint32_t p = 0; p < 4; ++p) committed_total += read_group_offset(dir.path(), "restart group", "events", p).value().offset;
  EXPECT_EQ(committed_total, kCount);
  rd_kafka_consumer_close(a->handle.get());
  rd_kafka_consumer_close(b->handle.get());
}

// The generation a group has in the group log (what a restart resumes).
std::int32_t stored_generation(const std::string& dir, const std::string& group) {
  const auto states = read_group_coordinator_states(dir).value();
  for (const auto& [id, state] : states) {
    if (id == group) return decode_group_state(state).value().generation;
  }
  return -1;
}

// KIP-345: a static member (group.instance.id) that restarts gets its partitions back without a rebalance,
// also when the server restarted in between.
TEST(KafkaServerWithLibrdkafka, AStaticMemberRestartedGetsItsPartitionsBackWithoutARebalance) {
  testing::TestDir dir;
  auto broker = std::make_unique<Broker>(dir.path(), 2);
  Deliveries deliveries = produce(broker->bootstrap(), "events", 10);
  auto first = join(broker->bootstrap(), "static group", "events", "instance-1");
  auto deadline = Clock::now() + 40s;
  Consumed consumed;
  while (Clock::now() < deadline && first->assigned.size() != 2) poll_all({first.get()}, consumed);
  ASSERT_EQ(first->assigned.size(), 2u);
  const std::int32_t generation = stored_generation(dir.path(), "static group");
  ASSERT_GT(generation, 0);
  rd_kafka_consumer_close(first->handle.get());  // a static member does not leave the group
  first.reset();
  const std::uint16_t port = broker->port();
  broker->stop();
  broker->start(port);
  auto again = join(broker->bootstrap(), "static group", "events", "instance-1");
  deadline = Clock::now() + 40s;
  while (Clock::now() < deadline && again->assigned.size() != 2) poll_all({again.get()}, consumed);
  EXPECT_EQ(again->assigned, (std::set<std::int32_t>{0, 1}));
  EXPECT_EQ(stored_generation(dir.path(), "static group"), generation) << "the group rebalanced";
  rd_kafka_consumer_close(again->handle.get());
}

// KIP-345: a second consumer started with the same group.instance.id takes the partitions over; the first one's
// next heartbeat is fenced and librdkafka stops it with a fatal FENCED_INSTANCE_ID (not a rebalance loop).
TEST(KafkaServerWithLibrdkafka, ASecondInstanceWithTheSameStaticIdFencesTheFirst) {
  testing::TestDir dir;
  Broker broker(dir.path(), 2);
  Deliveries deliveries = produce(broker.bootstrap(), "events", 10);
  auto first = join(broker.bootstrap(), "static group", "events", "instance-1");
  auto deadline = Clock::now() + 40s;
  Consumed consumed;
  while (Clock::now() < deadline && first->assigned.size() != 2) poll_all({first.get()}, consumed);
  ASSERT_EQ(first->assigned.size(), 2u);
  auto second = join(broker.bootstrap(), "static group", "events", "instance-1");
  deadline = Clock::now() + 40s;
  bool fenced = false;
  while (Clock::now() < deadline && (!fenced || second->assigned.size() != 2)) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(first->handle.get(), 20);
    if (message != nullptr) {
      fenced = fenced || message->err == RD_KAFKA_RESP_ERR__FATAL;
      rd_kafka_message_destroy(message);
    }
    poll_all({second.get()}, consumed);
  }
  ASSERT_TRUE(fenced) << "the first instance was never stopped";
  char reason[512];
  EXPECT_EQ(rd_kafka_fatal_error(first->handle.get(), reason, sizeof reason), RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID)
      << reason;
  EXPECT_EQ(second->assigned, (std::set<std::int32_t>{0, 1}));
  rd_kafka_consumer_close(second->handle.get());
}

// Any non-empty group id is a group (Kafka's rule), whatever a file name could hold.
TEST(KafkaServerWithLibrdkafka, OddGroupIdsCommitAndFetchTheirOffsets) {
  testing::TestDir dir;
  Broker broker(dir.path());
  Deliveries deliveries = produce(broker.bootstrap(), "events", 3);
  for (const std::string& group :
       std::vector<std::string>{"with spaces", "with/slashes/..", "ünïcödé ✓", std::string(300, 'g')}) {
    auto consumer = join(broker.bootstrap(), group, "events");
    Consumed consumed;
    const auto deadline = Clock::now() + 30s;
    while (Clock::now() < deadline && consumed.unique() < 3) poll_and_commit_all({consumer.get()}, consumed);
    EXPECT_EQ(consumed.unique(), 3u) << group;
    rd_kafka_topic_partition_list_t* positions = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(positions, "events", 0);
    ASSERT_EQ(rd_kafka_committed(consumer->handle.get(), positions, 10'000), RD_KAFKA_RESP_ERR_NO_ERROR) << group;
    EXPECT_EQ(positions->elems[0].offset, 3) << group;
    rd_kafka_topic_partition_list_destroy(positions);
    rd_kafka_consumer_close(consumer->handle.get());
    EXPECT_EQ(read_group_offset(dir.path(), group, "events", 0).value().offset, 3u) << group;
  }
}

// Commits `offsets` and waits up to `timeout` for the answer: the request's error and each partition's, or
// nullopt when no answer came (librdkafka's synchronous commit waits forever for an absent coordinator).
struct CommitAnswer {
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::vector<rd_kafka_resp_err_t> partitions;
  std::vector<std::string> names;  // "topic-partition" of each, in the answer's order
};
std::optional<CommitAnswer> commit_and_wait(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* offsets,
                                            std::chrono::milliseconds timeout) {
  std::optional<CommitAnswer> answer;
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  const rd_kafka_resp_err_t queued = rd_kafka_commit_queue(
      rk, offsets, queue,
      [](rd_kafka_t*, rd_kafka_resp_err_t error, rd_kafka_topic_partition_list_t* committed, void* opaque) {
        auto* out = static_cast<std::optional<CommitAnswer>*>(opaque);
        CommitAnswer result{error, {}, {}};
        for (int i = 0; committed != nullptr && i < committed->cnt; ++i) {
          result.partitions.push_back(committed->elems[i].err);
          result.names.push_back(std::string(committed->elems[i].topic) + "-" +
                                 std::to_string(committed->elems[i].partition));
        }
        *out = std::move(result);
      },
      &answer);
  if (queued != RD_KAFKA_RESP_ERR_NO_ERROR) answer = CommitAnswer{queued, {}, {}};
  const auto deadline = Clock::now() + timeout;
  while (!answer && Clock::now() < deadline) rd_kafka_queue_poll_callback(queue, 50);
  rd_kafka_queue_destroy(queue);
  return answer;
}

TEST(KafkaServerWithLibrdkafka, ACommitForATopicOrPartitionThatDoesNotExistIsUnknownTopicOrPartition) {
  testing::TestDir dir;
  Broker broker(dir.path());
  Deliveries deliveries = produce(broker.bootstrap(), "events", 1);
  Handle consumer(rd_kafka_new(RD_KAFKA_CONSUMER,
                               make_conf({{"bootstrap.servers", broker.bootstrap()}, {"group.id", "g"}}), nullptr, 0));
  ASSERT_TRUE(consumer);
  rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(3);
  rd_kafka_topic_partition_list_add(offsets, "events", 0)->offset = 1;
  rd_kafka_topic_partition_list_add(offsets, "events", 5)->offset = 1;
  rd_kafka_topic_partition_list_add(offsets, "no-such-topic", 0)->offset = 1;
  const auto answer = commit_and_wait(consumer.get(), offsets, 20s);
  rd_kafka_topic_partition_list_destroy(offsets);
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->partitions.size(), 3u) << rd_kafka_err2str(answer->error);
  std::map<std::string, rd_kafka_resp_err_t> errors;
  for (std::size_t i = 0; i < answer->names.size(); ++i) errors[answer->names[i]] = answer->partitions[i];
  // librdkafka reports a partial failure as the request's error on every partition; what was stored shows
  // that the existing partition committed and the others did not.
  EXPECT_EQ(answer->error, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  EXPECT_EQ(errors["events-5"], RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  EXPECT_EQ(errors["no-such-topic-0"], RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  EXPECT_EQ(read_group_offset(dir.path(), "g", "events", 0).value().offset, 1u);
  EXPECT_EQ(read_group_offset(dir.path(), "g", "events", 5).status().code(), StatusCode::kNotFound);
  rd_kafka_consumer_close(consumer.get());
}

// kill -9 of the server while a client commits: every commit the client saw acknowledged is in the group
// log afterwards (the last one, or a later one that was in flight).
TEST(KafkaServerWithLibrdkafka, EveryAcknowledgedCommitSurvivesKillOfTheServer) {
  testing::TestDir dir;
  {
    auto log = Log::open({.directory = dir.path()}).value();
    ASSERT_TRUE(log->topic("events", {.partitions = 4}).is_ok());
    ASSERT_TRUE(log->close().is_ok());
  }
  int port_pipe[2];
  ASSERT_EQ(::pipe(port_pipe), 0);
  const pid_t server = ::fork();
  ASSERT_GE(server, 0);
  if (server == 0) {  // the server process, killed below
    auto log = Log::open({.directory = dir.path()});
    if (!log) _exit(2);
    ServerOptions options;
    options.listen_port = 0;
    auto started = Server::start(*log.value(), options);
    if (!started) _exit(3);
    const std::uint16_t port = started.value()->port();
    if (::write(port_pipe[1], &port, sizeof port) != sizeof port) _exit(4);
    for (;;) ::pause();
  }
  ::close(port_pipe[1]);
  std::uint16_t port = 0;
  ASSERT_EQ(::read(port_pipe[0], &port, sizeof port), static_cast<ssize_t>(sizeof port));
  ::close(port_pipe[0]);
  Handle consumer(rd_kafka_new(
      RD_KAFKA_CONSUMER,
      make_conf({{"bootstrap.servers", "127.0.0.1:" + std::to_string(port)}, {"group.id", "killed"},
                 {"socket.timeout.ms", "3000"}}),
      nullptr, 0));
  ASSERT_TRUE(consumer);
  std::map<std::int32_t, std::int64_t> acknowledged;
  std::int64_t attempted = 0;
  std::thread killer;
  for (std::int64_t offset = 1; offset < 1'000'000; ++offset) {
    // From another thread, so that the kill lands while commits are in flight.
    if (offset == 400) killer = std::thread([server] { ::kill(server, SIGKILL); });
    rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(1);
    const auto partition = static_cast<std::int32_t>(offset % 4);
    rd_kafka_topic_partition_list_add(offsets, "events", partition)->offset = offset;
    attempted = offset;
    const auto answer = commit_and_wait(consumer.get(), offsets, 5s);
    rd_kafka_topic_partition_list_destroy(offsets);
    const bool ok = answer && answer->error == RD_KAFKA_RESP_ERR_NO_ERROR && answer->partitions.size() == 1 &&
                    answer->partitions[0] == RD_KAFKA_RESP_ERR_NO_ERROR;
    if (!ok) break;
    acknowledged[partition] = offset;
  }
  killer.join();
  ::waitpid(server, nullptr, 0);
  // A close would wait for the coordinator forever (librdkafka 2.0.2): destroy without it.
  rd_kafka_destroy_flags(consumer.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  ASSERT_GT(acknowledged.size(), 3u) << "too few commits before the kill";
  for (const auto& [partition, offset] : acknowledged) {
    auto stored = read_group_offset(dir.path(), "killed", "events", static_cast<std::uint32_t>(partition));
    ASSERT_TRUE(stored) << stored.status().to_string();
    EXPECT_GE(static_cast<std::int64_t>(stored->offset), offset) << "partition " << partition;
    EXPECT_LE(static_cast<std::int64_t>(stored->offset), attempted) << "partition " << partition;
  }
}

TEST(KafkaServerWithLibrdkafka, WhatStrataAppendsAKafkaConsumerReceives) {
  testing::TestDir dir;
  Broker broker(dir.path());
  auto topic = broker.log().topic("appended");
  ASSERT_TRUE(topic.is_ok());
  auto producer = broker.log().producer();
  const std::string header_value = "v1";
  const EventHeader header{"h", std::as_bytes(std::span(header_value.data(), header_value.size()))};
  for (int i = 0; i < 10; ++i) {
    const std::string key = "k" + std::to_string(i);
    const std::string value = "event " + std::to_string(i);
    auto ticket = producer->append(*topic, 0, std::as_bytes(std::span(key.data(), key.size())),
                                   std::as_bytes(std::span(value.data(), value.size())), {&header, 1});
    ASSERT_TRUE(ticket.is_ok());
  }
  ASSERT_TRUE(producer->wait_all().is_ok());

  rd_kafka_conf_t* conf = make_conf({{"bootstrap.servers", broker.bootstrap()}, {"group.id", "reader"}});
  char error[512];
  Handle consumer(rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error));
  ASSERT_TRUE(consumer);
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(assignment, "appended", 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
  ASSERT_EQ(rd_kafka_assign(consumer.get(), assignment), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(assignment);
  int received = 0;
  const auto deadline = Clock::now() + 20s;
  while (received < 10 && Clock::now() < deadline) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer.get(), 100);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      EXPECT_EQ(message->offset, received);
      EXPECT_EQ(std::string(static_cast<const char*>(message->key), message->key_len),
                "k" + std::to_string(received));
      EXPECT_EQ(std::string(static_cast<const char*>(message->payload), message->len),
                "event " + std::to_string(received));
      rd_kafka_headers_t* headers = nullptr;
      ASSERT_EQ(rd_kafka_message_headers(message, &headers), RD_KAFKA_RESP_ERR_NO_ERROR);
      const void* value = nullptr;
      std::size_t size = 0;
      ASSERT_EQ(rd_kafka_header_get_last(headers, "h", &value, &size), RD_KAFKA_RESP_ERR_NO_ERROR);
      EXPECT_EQ(std::string(static_cast<const char*>(value), size), "v1");
      rd_kafka_timestamp_type_t type;
      EXPECT_GT(rd_kafka_message_timestamp(message, &type), 1'600'000'000'000);
      ++received;
    }
    rd_kafka_message_destroy(message);
  }
  rd_kafka_consumer_close(consumer.get());
  EXPECT_EQ(received, 10);
}

// Runs one DeleteTopics through librdkafka's admin API; the per-topic results by name.
std::map<std::string, rd_kafka_resp_err_t> delete_topics(const std::string& bootstrap,
                                                         const std::vector<std::string>& names) {
  std::map<std::string, rd_kafka_resp_err_t> results;
  char error[512];
  Handle admin(
      rd_kafka_new(RD_KAFKA_PRODUCER, make_conf({{"bootstrap.servers", bootstrap}}), error, sizeof error));
  EXPECT_TRUE(admin) << error;
  if (!admin) return results;
  std::vector<rd_kafka_DeleteTopic_t*> topics;
  for (const std::string& name : names) topics.push_back(rd_kafka_DeleteTopic_new(name.c_str()));
  rd_kafka_queue_t* queue = rd_kafka_queue_new(admin.get());
  rd_kafka_DeleteTopics(admin.get(), topics.data(), topics.size(), nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 20'000);
  EXPECT_NE(event, nullptr);
  if (event != nullptr) {
    EXPECT_EQ(rd_kafka_event_error(event), RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_event_error_string(event);
    const rd_kafka_DeleteTopics_result_t* result = rd_kafka_event_DeleteTopics_result(event);
    if (result != nullptr) {
      std::size_t count = 0;
      const rd_kafka_topic_result_t** topic_results = rd_kafka_DeleteTopics_result_topics(result, &count);
      for (std::size_t i = 0; i < count; ++i) {
        results[rd_kafka_topic_result_name(topic_results[i])] = rd_kafka_topic_result_error(topic_results[i]);
      }
    }
    rd_kafka_event_destroy(event);
  }
  rd_kafka_queue_destroy(queue);
  rd_kafka_DeleteTopic_destroy_array(topics.data(), topics.size());
  return results;
}

TEST(KafkaServerWithLibrdkafka, DeleteTopicsRemovesTheTopicAndARecreatedOneStartsAtZero) {
  testing::TestDir dir;
  Broker broker(dir.path());
  const Deliveries first = produce(broker.bootstrap(), "doomed", 20);
  ASSERT_EQ(first.offsets.back(), 19);
  ASSERT_TRUE(broker.log().find_topic("kept").is_ok() || broker.log().topic("kept").is_ok());
  ASSERT_TRUE(commit_group_offset(broker.dir(), "g", "doomed", 0, {7, ""}).is_ok());

  auto results = delete_topics(broker.bootstrap(), {"doomed", "never-was"});
  EXPECT_EQ(results["doomed"], RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(results["never-was"], RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  EXPECT_EQ(broker.log().find_topic("doomed").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(broker.log().find_topic("kept").is_ok());
  EXPECT_FALSE(std::filesystem::exists(broker.dir() + "/doomed-0"));
  EXPECT_EQ(read_group_offset(broker.dir(), "g", "doomed", 0).status().code(), StatusCode::kNotFound);

  // Auto-created again on the next produce: a new history from offset 0.
  const Deliveries second = produce(broker.bootstrap(), "doomed", 5);
  EXPECT_EQ(second.errors.front(), RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(second.offsets.front(), 0);
  EXPECT_EQ(second.offsets.back(), 4);
}

}  // namespace
}  // namespace strata::kafka
