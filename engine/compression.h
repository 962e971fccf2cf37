// The compression codecs of a Kafka record batch, in the byte formats Kafka clients put on the wire. The
// records section of a batch (everything after the 61-byte header) is compressed as one unit.
//
//   gzip    a gzip stream (RFC 1952); decompress also accepts several concatenated members.
//   snappy  compress writes raw snappy (one block, as librdkafka does). decompress accepts raw snappy and
//           the Java client's snappy-java ("xerial") framing, told apart by its 8-byte magic:
//             "\x82SNAPPY\0" [int32 version][int32 compatible version] then blocks of
//             [int32 big-endian compressed length][raw snappy block]
//   lz4     the LZ4 frame format with independent blocks (the Java client rejects linked blocks) and, as
//           Kafka >= 0.10 requires for magic 2, the correct frame header checksum.
//   zstd    a zstd frame; decompress streams, so a frame without a content size works too.
//
// Both calls append to *output and, on error, leave it as it was. Neither throws.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "strata/compression.h"
#include "strata/status.h"

namespace strata::format {

// Appends `input` compressed with `codec` at the fast end of its levels (lz4 default, zstd 1, gzip 1).
// kNone appends the input unchanged. kInvalidArgument for a value outside the enum or an input too large
// for the codec (4 GiB).
Status compress(Compression codec, std::span<const std::byte> input, std::vector<std::byte>* output);

// Appends the decompression of `input`. Grows *output by at most output_bytes_max + 1 bytes, whatever the
// input claims, and fails with kCorruption "decompressed size exceeds N bytes" when the data would be larger.
// Truncated or malformed input is kCorruption. zstd's decoder also holds up to a window of history, which
// is bounded at max(8 MiB, output_bytes_max) (8 MiB is the window every zstd decoder must accept).
Status decompress(Compression codec, std::span<const std::byte> input, std::size_t output_bytes_max,
                  std::vector<std::byte>* output);

}  // namespace strata::format
