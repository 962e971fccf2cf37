#include "engine/crc32c.h"

#include <isa-l/crc.h>

#include <algorithm>

namespace strata::format {

std::uint32_t crc32c_extend(std::uint32_t crc, std::span<const std::byte> bytes) {
  // ISA-L works on the raw CRC register: it neither inverts the initial value nor the result, so the
  // standard pre- and post-inversion happen here.
  unsigned int state = ~crc;
  // Its length is an int: feed at most 1 GiB per call.
  constexpr std::size_t kChunkBytesMax = std::size_t{1} << 30;
  while (!bytes.empty()) {
    const std::size_t chunk_bytes = std::min(bytes.size(), kChunkBytesMax);
    // crc32_iscsi only reads the buffer; its parameter lacks the const.
    auto* data = const_cast<unsigned char*>(reinterpret_cast<const unsigned char*>(bytes.data()));
    state = crc32_iscsi(data, static_cast<int>(chunk_bytes), state);
    bytes = bytes.subspan(chunk_bytes);
  }
  return ~state;
}

std::uint32_t crc32c(std::span<const std::byte> bytes) {
  return crc32c_extend(0, bytes);
}

}  // namespace strata::format
