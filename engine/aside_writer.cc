#include "engine/aside_writer.h"

#include <algorithm>
#include <cstring>

namespace strata::detail {

Result<AsideWriter> AsideWriter::create(const std::string& path, bool direct_io) {
  STRATA_RETURN_IF_ERROR(io::remove_file(path));  // a leftover of an interrupted pass
  auto file = io::File::open(path, direct_io ? io::OpenMode::kReadWriteCreateDirect : io::OpenMode::kReadWriteCreate);
  if (!file && direct_io) file = io::File::open(path, io::OpenMode::kReadWriteCreate);  // a filesystem without it
  if (!file) return file.status();
  return AsideWriter(std::move(file.value()), io::AlignedBuffer(kChunkBytes));
}

Status AsideWriter::write_chunk(std::size_t bytes) {
  STRATA_RETURN_IF_ERROR(file_.write_at(std::span<const std::byte>(buffer_.data(), bytes), written_));
  written_ += bytes;
  fill_ = 0;
  return Status::ok();
}

Status AsideWriter::append(std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    const std::size_t take = std::min(bytes.size(), kChunkBytes - fill_);
    std::memcpy(buffer_.data() + fill_, bytes.data(), take);
    fill_ += take;
    bytes = bytes.subspan(take);
    if (fill_ == kChunkBytes) STRATA_RETURN_IF_ERROR(write_chunk(kChunkBytes));
  }
  return Status::ok();
}

Status AsideWriter::finish() {
  const std::uint64_t end = size();
  if (fill_ > 0) {
    const std::size_t padded = (fill_ + io::kDirectIoAlignment - 1) / io::kDirectIoAlignment * io::kDirectIoAlignment;
    std::memset(buffer_.data() + fill_, 0, padded - fill_);
    STRATA_RETURN_IF_ERROR(write_chunk(padded));
  }
  STRATA_RETURN_IF_ERROR(file_.truncate(end));  // exactly the data: a stale index's data_end shows as too long
  written_ = end;
  return file_.sync_data();
}

}  // namespace strata::detail
