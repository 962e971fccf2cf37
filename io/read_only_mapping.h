// ReadOnlyMapping: a whole file mapped read-only. Callers must only map files that no O_DIRECT write can
// touch any more (sealed segments, or any segment before the writer starts): direct writes into mapped pages
// leave stale pages behind.
#pragma once

#include <cstddef>
#include <span>
#include <utility>

#include "io/file.h"
#include "strata/status.h"

namespace strata::io {

class ReadOnlyMapping {
 public:
  ReadOnlyMapping() = default;
  ~ReadOnlyMapping();
  ReadOnlyMapping(ReadOnlyMapping&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
  ReadOnlyMapping& operator=(ReadOnlyMapping&& other) noexcept;

  // Maps the first `bytes` of `file`, advised for sequential reading. `populate` faults every page in at once
  // (cheaper than one fault per 4 KiB when the whole range will be read).
  static Result<ReadOnlyMapping> map(const File& file, std::size_t bytes, bool populate);

  std::span<const std::byte> bytes() const { return {data_, bytes_}; }
  // For lookups at scattered places (a key file's chains, one key's batches): no readahead around each
  // fault, instead of map()'s sequential readahead.
  void advise_random() const;

 private:
  ReadOnlyMapping(const std::byte* data, std::size_t bytes) : data_(data), bytes_(bytes) {}
  const std::byte* data_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace strata::io
