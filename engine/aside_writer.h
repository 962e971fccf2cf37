// AsideWriter: writes a new file sequentially (a compacted segment, before it is renamed over the old one)
// in aligned 1 MiB chunks, with O_DIRECT where the log uses direct IO (the page cache is not filled with a
// file nobody reads yet), buffered otherwise. finish() writes the padded tail block, cuts the file to the
// bytes appended and fdatasyncs it.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "io/aligned_buffer.h"
#include "io/file.h"
#include "strata/status.h"

namespace strata::detail {

class AsideWriter {
 public:
  // Creates (truncating) the file at `path`.
  static Result<AsideWriter> create(const std::string& path, bool direct_io);

  Status append(std::span<const std::byte> bytes);
  Status finish();
  std::uint64_t size() const { return written_ + fill_; }

 private:
  static constexpr std::size_t kChunkBytes = 1u << 20;
  AsideWriter(io::File file, io::AlignedBuffer buffer) : file_(std::move(file)), buffer_(std::move(buffer)) {}
  Status write_chunk(std::size_t bytes);

  io::File file_;
  io::AlignedBuffer buffer_;
  std::size_t fill_ = 0;       // bytes in buffer_
  std::uint64_t written_ = 0;  // file bytes written (whole chunks)
};

}  // namespace strata::detail
