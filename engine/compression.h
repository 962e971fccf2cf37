// TEMPORARY: replaced by the codecs branch.
#pragma once
#include <cstddef>
#include <span>
#include <vector>
#include "strata/compression.h"
#include "strata/status.h"
namespace strata::format {
Status compress(Compression codec, std::span<const std::byte> input, std::vector<std::byte>* output);
Status decompress(Compression codec, std::span<const std::byte> input, std::size_t output_bytes_max,
                  std::vector<std::byte>* output);
}
