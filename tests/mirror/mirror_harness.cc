#include "tests/mirror/mirror_harness.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "mirror/source_offset_header.h"
#include "strata/reader.h"

namespace strata::mirror::testing {

MockCluster::MockCluster(int brokers) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "0", error, sizeof error);
  owner_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  EXPECT_NE(owner_, nullptr) << error;
  cluster_ = rd_kafka_mock_cluster_new(owner_, brokers);
  EXPECT_NE(cluster_, nullptr);
  bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster_);
}

MockCluster::~MockCluster() {
  rd_kafka_mock_cluster_destroy(cluster_);
  rd_kafka_destroy(owner_);
}

namespace {

Record from_message(const rd_kafka_message_t& message) {
  Record record;
  record.offset = static_cast<std::uint64_t>(message.offset);
  rd_kafka_timestamp_type_t type;
  record.timestamp_ms = rd_kafka_message_timestamp(&message, &type);
  if (message.key != nullptr) record.key.assign(static_cast<const char*>(message.key), message.key_len);
  if (message.payload != nullptr) record.value.assign(static_cast<const char*>(message.payload), message.len);
  record.key_null = message.key == nullptr;
  record.value_null = message.payload == nullptr;
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(&message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
      const std::string text(static_cast<const char*>(value), value == nullptr ? 0 : size);
      if (name == kSourceOffsetHeader) {
        record.source_offset = parse_source_offset(std::as_bytes(std::span(text.data(), text.size())));
      } else {
        record.headers.emplace_back(name, text);
      }
    }
  }
  return record;
}

}  // namespace

std::vector<Record> read_cluster_partition(const std::string& bootstrap, const std::string& topic,
                                           std::uint32_t partition) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error);
  rd_kafka_conf_set(conf, "group.id", "mirror-test-reader", error, sizeof error);
  rd_kafka_conf_set(conf, "enable.partition.eof", "true", error, sizeof error);
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", error, sizeof error);
  rd_kafka_conf_set(conf, "isolation.level", "read_committed", error, sizeof error);
  rd_kafka_conf_set(conf, "log_level", "0", error, sizeof error);
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
  EXPECT_NE(consumer, nullptr) << error;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), static_cast<std::int32_t>(partition))->offset =
      RD_KAFKA_OFFSET_BEGINNING;
  EXPECT_EQ(rd_kafka_assign(consumer, list), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(list);
  std::vector<Record> records;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 200);
    if (message == nullptr) continue;
    const rd_kafka_resp_err_t err = message->err;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) records.push_back(from_message(*message));
    rd_kafka_message_destroy(message);
    if (err == RD_KAFKA_RESP_ERR__PARTITION_EOF) break;
    EXPECT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
  }
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  return records;
}

std::vector<Record> read_log_partition(const std::string& dir, const std::string& topic, std::uint32_t partition) {
  std::vector<Record> records;
  auto reader = Reader::open(dir, topic, partition);
  EXPECT_TRUE(reader.is_ok()) << reader.status().to_string();
  if (!reader) return records;
  for (;;) {
    auto polled = reader.value()->poll(4096, [&](const Event& event) {
      Record record;
      record.offset = event.offset;
      record.timestamp_ms = event.timestamp_us / 1000;
      record.key.assign(reinterpret_cast<const char*>(event.key.data()), event.key.size());
      record.value.assign(reinterpret_cast<const char*>(event.value.data()), event.value.size());
      record.key_null = event.key_null;
      record.value_null = event.value_null;
      for (const EventHeader& header : event.headers) {
        if (header.key == kSourceOffsetHeader) {
          record.source_offset = parse_source_offset(header.value);
        } else {
          record.headers.emplace_back(std::string(header.key),
                                      std::string(reinterpret_cast<const char*>(header.value.data()), header.value.size()));
        }
      }
      records.push_back(std::move(record));
    });
    EXPECT_TRUE(polled.is_ok()) << polled.status().to_string();
    if (!polled || polled.value() == 0) break;
  }
  return records;
}

std::string strata_binary() {
  const char* path = std::getenv("STRATA_CLI");
  EXPECT_NE(path, nullptr) << "set STRATA_CLI to the strata binary (ctest does)";
  return path == nullptr ? "strata" : path;
}

int spawn_strata(const std::vector<std::string>& args, const std::string& stdout_path, const std::string& stderr_path) {
  const std::string binary = strata_binary();
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    std::vector<char*> argv{const_cast<char*>(binary.c_str())};
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

int wait_exit(int pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int run_strata(const std::vector<std::string>& args, std::string* output, std::string* errors) {
  char out_path[] = "/tmp/strata-mirror-out.XXXXXX";
  char err_path[] = "/tmp/strata-mirror-err.XXXXXX";
  close(mkstemp(out_path));
  close(mkstemp(err_path));
  const int status = wait_exit(spawn_strata(args, out_path, err_path));
  if (output != nullptr) *output = read_file(out_path);
  if (errors != nullptr) *errors = read_file(err_path);
  unlink(out_path);
  unlink(err_path);
  return status;
}

}  // namespace strata::mirror::testing
