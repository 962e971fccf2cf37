// strata dump --dir D --topic T [--partition P] [--records]: one line per stored batch, in the style of
// Kafka's kafka-dump-log (--records: one line per record after its batch). Reads the segment files as they
// are, without a lock; a batch that fails its checks ends that segment's dump with "isvalid: false".
#include <cstdio>

#include "engine/format.h"
#include "engine/recovery.h"
#include "io/file.h"
#include "io/read_only_mapping.h"
#include "strata/topics.h"
#include "tools/commands.h"
#include "tools/json.h"

namespace strata::tools {

namespace {

struct DumpArgs {
  std::string dir, topic;
  std::int64_t partition = -1;
  bool records = false;
};

void print_batch(const format::BatchHeader& header, std::uint64_t position) {
  const bool transactional = (header.attributes & format::kTransactionalFlag) != 0;
  const bool control = (header.attributes & format::kControlFlag) != 0;
  const std::int64_t last_sequence =
      header.base_sequence < 0 ? -1 : std::int64_t{header.base_sequence} + header.last_offset_delta;
  std::printf(
      "baseOffset: %llu lastOffset: %llu count: %d baseSequence: %d lastSequence: %lld producerId: %lld "
      "producerEpoch: %d partitionLeaderEpoch: 0 isTransactional: %s isControl: %s position: %llu %s: %lld "
      "size: %zu magic: 2 compresscodec: %s crc: %u isvalid: true\n",
      static_cast<unsigned long long>(header.base_offset), static_cast<unsigned long long>(header.next_offset() - 1),
      header.records_count, header.base_sequence, static_cast<long long>(last_sequence),
      static_cast<long long>(header.producer_id), header.producer_epoch, transactional ? "true" : "false",
      control ? "true" : "false", static_cast<unsigned long long>(position),
      header.log_append_time() ? "LogAppendTime" : "CreateTime", static_cast<long long>(header.max_timestamp_ms),
      header.total_bytes(), std::string(compression_name(header.compression())).c_str(), header.crc);
}

int print_records(std::span<const std::byte> batch, const format::BatchHeader& header, std::vector<std::byte>* scratch) {
  std::vector<EventHeader> headers;
  Status status = format::for_each_record(
      batch, header, scratch, [&](const format::RecordFields& record, std::uint64_t offset, std::int64_t timestamp_ms) {
        std::string header_keys;
        if (record.header_count > 0 && format::decode_headers(record.headers, record.header_count, &headers)) {
          for (const EventHeader& h : headers) header_keys += (header_keys.empty() ? "" : ",") + std::string(h.key);
        }
        std::printf("| offset: %llu %s: %lld keySize: %zd valueSize: %zu sequence: %lld headerKeys: [%s] key: %s payload: %s\n",
                    static_cast<unsigned long long>(offset), header.log_append_time() ? "LogAppendTime" : "CreateTime",
                    static_cast<long long>(timestamp_ms), record.key.empty() ? -1 : static_cast<ssize_t>(record.key.size()),
                    record.value.size(),
                    static_cast<long long>(header.base_sequence < 0 ? -1 : header.base_sequence + record.offset_delta),
                    header_keys.c_str(), json_string(record.key).c_str(), json_string(record.value).c_str());
      });
  if (!status.is_ok()) return fail(status.to_string());
  return 0;
}

int dump_segment(const std::string& path, bool records) {
  auto file = io::File::open(path, io::OpenMode::kReadOnly);
  if (!file) return fail(file.status().to_string());
  auto size = file->size();
  if (!size) return fail(size.status().to_string());
  std::printf("Dumping %s\n", path.c_str());
  if (*size == 0) return 0;
  auto mapping = io::ReadOnlyMapping::map(*file, *size, /*populate=*/false);
  if (!mapping) return fail(mapping.status().to_string());
  const auto bytes = mapping->bytes();
  std::vector<std::byte> scratch;
  int code = 0;
  for (std::uint64_t position = 0;;) {
    format::BatchHeader header;
    std::string reason;
    const auto check = format::check_batch(bytes.subspan(position), format::kAnyOffset, &header, &reason);
    if (check == format::BatchCheck::kEndOfData) break;
    if (check == format::BatchCheck::kInvalid) {
      std::printf("position: %llu isvalid: false reason: %s\n", static_cast<unsigned long long>(position),
                  reason.c_str());
      return 1;
    }
    print_batch(header, position);
    if (records) code |= print_records(bytes.subspan(position, header.total_bytes()), header, &scratch);
    position += header.total_bytes();
  }
  return code;
}

int run_dump(const DumpArgs& args) {
  auto info = read_topic_info(args.dir, args.topic);
  if (!info) return fail(info.status().to_string());
  if (args.partition >= static_cast<std::int64_t>(info->partitions)) {
    return fail("--partition " + std::to_string(args.partition) + ": topic " + args.topic + " has " +
                std::to_string(info->partitions) + " partitions");
  }
  int code = 0;
  for (std::uint32_t p = 0; p < info->partitions; ++p) {
    if (args.partition >= 0 && p != args.partition) continue;
    const std::string partition_dir = args.dir + "/" + format::partition_directory_name(args.topic, p);
    auto bases = detail::list_segment_bases(partition_dir);
    if (!bases) return fail(bases.status().to_string());
    for (const std::uint64_t base : *bases) code |= dump_segment(detail::segment_path(partition_dir, base), args.records);
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
      ->check(CLI::NonNegativeNumber);
  command->add_flag("--records", args->records, "Also print every record");
  command->callback([args] { exit_code = run_dump(*args); });
}

}  // namespace strata::tools
