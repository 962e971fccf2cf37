// strata dump --dir D --topic T [--partition P] [--records]: one line per stored batch, in the style of
// Kafka's kafka-dump-log (--records: one line per record after its batch). Reads the segment files as they
// are, without a lock; a batch that fails its checks ends that segment's dump with "isvalid: false".
#include <sys/types.h>

#include <cstdio>

#include "strata/inspect.h"
#include "strata/stored_batches.h"
#include "tools/cli_checks.h"
#include "tools/commands.h"
#include "tools/json.h"

namespace strata::tools {

namespace {

struct DumpArgs {
  std::string dir, topic;
  std::int64_t partition = -1;
  bool records = false;
};

void print_batch(const StoredBatch& batch) {
  const std::int64_t last_sequence =
      batch.base_sequence < 0 ? -1 : std::int64_t{batch.base_sequence} + static_cast<std::int64_t>(batch.last_offset - batch.base_offset);
  std::printf(
      "baseOffset: %llu lastOffset: %llu count: %d baseSequence: %d lastSequence: %lld producerId: %lld "
      "producerEpoch: %d partitionLeaderEpoch: 0 isTransactional: %s isControl: %s position: %llu %s: %lld "
      "size: %zu magic: 2 compresscodec: %s crc: %u isvalid: true\n",
      static_cast<unsigned long long>(batch.base_offset), static_cast<unsigned long long>(batch.last_offset),
      batch.records_count, batch.base_sequence, static_cast<long long>(last_sequence),
      static_cast<long long>(batch.producer_id), batch.producer_epoch, batch.is_transactional ? "true" : "false",
      batch.is_control ? "true" : "false", static_cast<unsigned long long>(batch.position),
      batch.log_append_time ? "LogAppendTime" : "CreateTime", static_cast<long long>(batch.max_timestamp_ms),
      batch.bytes.size(), std::string(compression_name(batch.compression)).c_str(), batch.crc);
}

int print_records(const StoredBatch& batch) {
  Status status = read_stored_records(batch, [&](const StoredRecord& record) {
    std::string header_keys;
    for (const EventHeader& h : record.headers) header_keys += (header_keys.empty() ? "" : ",") + std::string(h.key);
    std::printf("| offset: %llu %s: %lld keySize: %zd valueSize: %zu sequence: %lld headerKeys: [%s] key: %s payload: %s\n",
                static_cast<unsigned long long>(record.offset), batch.log_append_time ? "LogAppendTime" : "CreateTime",
                static_cast<long long>(record.timestamp_ms), record.key.empty() ? -1 : static_cast<ssize_t>(record.key.size()),
                record.value.size(), static_cast<long long>(record.sequence), header_keys.c_str(),
                json_string(record.key).c_str(), json_string(record.value).c_str());
  });
  if (!status.is_ok()) return fail(status.to_string());
  return 0;
}

int dump_segment(const std::string& path, bool records) {
  std::printf("Dumping %s\n", path.c_str());
  int code = 0;
  BatchProblem problem;
  const Status read = read_stored_batches(
      path,
      [&](const StoredBatch& batch) {
        print_batch(batch);
        if (records) code |= print_records(batch);
      },
      &problem);
  if (!read.is_ok()) return fail(read.to_string());
  if (!problem.reason.empty()) {
    std::printf("position: %llu isvalid: false reason: %s\n", static_cast<unsigned long long>(problem.position),
                problem.reason.c_str());
    return 1;
  }
  return code;
}

int run_dump(const DumpArgs& args) {
  if (args.topic.empty()) return fail("--topic: a topic name is required");
  auto topics = describe_log(args.dir, args.topic);
  if (!topics) return fail(topics.status().to_string());
  const TopicDescription& topic = topics->front();
  if (args.partition >= static_cast<std::int64_t>(topic.partitions.size())) {
    return fail("--partition " + std::to_string(args.partition) + ": topic " + args.topic + " has " +
                std::to_string(topic.partitions.size()) + " partitions");
  }
  int code = 0;
  for (const PartitionDescription& partition : topic.partitions) {
    if (args.partition >= 0 && partition.partition != args.partition) continue;
    for (const SegmentDescription& segment : partition.segments) code |= dump_segment(segment.path, args.records);
  }
  return code;
}

}  // namespace

void add_dump_command(CLI::App& app) {
  auto args = std::make_shared<DumpArgs>();
  CLI::App* command = app.add_subcommand("dump", "Print each stored batch as Kafka's kafka-dump-log does");
  command->add_option("--dir", args->dir, "Log directory")->required()->check(CLI::ExistingDirectory);
  command->add_option("--topic", args->topic, "Topic name")->required();
  command->add_option("--partition", args->partition, "Only this partition (default: all)")
      ->check(partition_index());
  command->add_flag("--records", args->records, "Also print every record");
  command->callback([args] { exit_code = run_dump(*args); });
}

}  // namespace strata::tools
