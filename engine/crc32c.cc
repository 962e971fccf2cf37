#include "engine/crc32c.h"
#include <isa-l/crc.h>
namespace strata::format {
std::uint32_t crc32c(std::span<const std::byte> bytes) {
  return ~crc32_iscsi(reinterpret_cast<unsigned char*>(const_cast<std::byte*>(bytes.data())),
                      static_cast<int>(bytes.size()), 0xffffffffu);
}
}  // namespace strata::format
