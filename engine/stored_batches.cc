// strata/stored_batches.h: a segment file's batches through format.h's one batch checker and record decoder,
// over a read-only mapping of the file (no lock, nothing changed).
#include "strata/stored_batches.h"

#include <vector>

#include "engine/format.h"
#include "io/file.h"
#include "io/read_only_mapping.h"

namespace strata {

namespace {

StoredBatch stored_batch(const format::BatchHeader& header, std::uint64_t position, std::span<const std::byte> bytes) {
  StoredBatch batch;
  batch.position = position;
  batch.base_offset = header.base_offset;
  batch.last_offset = header.next_offset() - 1;
  batch.records_count = header.records_count;
  batch.producer_id = header.producer_id;
  batch.producer_epoch = header.producer_epoch;
  batch.base_sequence = header.base_sequence;
  batch.is_transactional = (header.attributes & format::kTransactionalFlag) != 0;
  batch.is_control = (header.attributes & format::kControlFlag) != 0;
  batch.log_append_time = header.log_append_time();
  batch.max_timestamp_ms = header.max_timestamp_ms;
  batch.compression = header.compression();
  batch.crc = header.crc;
  batch.bytes = bytes.subspan(0, header.total_bytes());
  return batch;
}

}  // namespace

Status read_stored_batches(const std::string& path, const std::function<void(const StoredBatch&)>& on_batch,
                           BatchProblem* problem) {
  STRATA_ASSERT(problem != nullptr, "read_stored_batches needs a BatchProblem");
  *problem = {};
  auto file = io::File::open(path, io::OpenMode::kReadOnly);
  if (!file) return file.status();
  auto size = file->size();
  if (!size) return size.status();
  if (*size == 0) return Status::ok();
  auto mapping = io::ReadOnlyMapping::map(*file, *size, /*populate=*/false);
  if (!mapping) return mapping.status();
  const auto bytes = mapping->bytes();
  for (std::uint64_t position = 0; position < bytes.size();) {
    format::BatchHeader header;
    std::string reason;
    const auto check = format::check_batch(bytes.subspan(position), format::kAnyOffset, &header, &reason);
    if (check == format::BatchCheck::kEndOfData) break;
    if (check == format::BatchCheck::kInvalid) {
      *problem = {position, std::move(reason)};
      break;
    }
    on_batch(stored_batch(header, position, bytes.subspan(position)));
    position += header.total_bytes();
  }
  return Status::ok();
}

Status read_stored_records(const StoredBatch& batch, const std::function<void(const StoredRecord&)>& on_record) {
  if (batch.bytes.size() < format::kBatchHeaderBytes) {
    return corruption("the batch at position " + std::to_string(batch.position) + " is shorter than its header");
  }
  const format::BatchHeader header = format::decode_batch_header(batch.bytes);
  std::vector<std::byte> scratch;
  std::vector<EventHeader> headers;
  std::string bad_headers;
  Status status = format::for_each_record(
      batch.bytes, header, &scratch,
      [&](const format::RecordFields& fields, std::uint64_t offset, std::int64_t timestamp_ms) {
        headers.clear();
        if (fields.header_count > 0 && !format::decode_headers(fields.headers, fields.header_count, &headers)) {
          if (bad_headers.empty()) bad_headers = "the headers of offset " + std::to_string(offset) + " do not decode";
          return;
        }
        const std::int64_t sequence =
            header.base_sequence < 0 ? -1 : std::int64_t{header.base_sequence} + fields.offset_delta;
        on_record({offset, timestamp_ms, sequence, fields.key, fields.value, headers});
      });
  if (status.is_ok() && !bad_headers.empty()) status = corruption(bad_headers);
  if (!status.is_ok()) {
    return std::move(status).with_context("batch at position " + std::to_string(batch.position));
  }
  return Status::ok();
}

}  // namespace strata
