#include "engine/compression.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "engine/enum_names.h"

namespace strata {

namespace {
// Indexed by the enum's wire value.
constexpr std::array<std::string_view, 5> kCompressionNames = {"none", "gzip", "snappy", "lz4", "zstd"};
}  // namespace

std::string_view compression_name(Compression codec) {
  return detail::enum_name(kCompressionNames, codec);
}

bool parse_compression(std::string_view name, Compression* codec) {
  return detail::parse_enum_name(kCompressionNames, name, codec);
}

}  // namespace strata

namespace strata::format {

namespace {

constexpr int kGzipLevel = 1;
constexpr int kZstdLevel = 1;
// zlib's windowBits: 15 (a 32 KiB window, the largest), plus 16 for a gzip header and trailer.
constexpr int kGzipWindowBits = 16 + 15;
// zlib counts in 32-bit uInt and snappy in uint32; a batch is far smaller (format.h: kBatchBytesMax).
constexpr std::size_t kInputBytesMax = std::size_t{1} << 30;
// A streaming decoder's first output step when the input does not say how large the output is.
constexpr std::size_t kFirstStepBytes = 64 << 10;
// Also keeps one step within zlib's uInt.
constexpr std::size_t kStepBytesMax = std::size_t{1} << 30;
// zstd decoders must accept windows up to 8 MiB (RFC 8878 section 3.1.1.1.2).
constexpr int kZstdWindowLogFloor = 23;

constexpr std::array<char, 8> kXerialMagic = {'\x82', 'S', 'N', 'A', 'P', 'P', 'Y', '\0'};
// Magic, then two big-endian int32s: version and the oldest compatible version (both 1); snappy-java's
// readers do not check them, nor do librdkafka's, nor ours.
constexpr std::size_t kXerialHeaderBytes = 16;

Status corrupt(Compression codec, std::string_view what) {
  return corruption(std::string(compression_name(codec)) + ": " + std::string(what));
}

Status too_large(Compression codec, std::size_t bytes_max) {
  return corrupt(codec, "decompressed size exceeds " + std::to_string(bytes_max) + " bytes");
}

Status out_of_memory(Compression codec) {
  return io_error(std::string(compression_name(codec)) + ": cannot allocate the codec's state");
}

const char* chars(const std::byte* bytes) {
  return reinterpret_cast<const char*>(bytes);
}
char* chars(std::byte* bytes) {
  return reinterpret_cast<char*>(bytes);
}

// The output of a streaming decoder: the vector grows in doubling steps, reserved exactly so that it never
// holds more than bytes_max + 1 new bytes. The extra byte tells "exactly bytes_max" from "more". Unless
// finish() is called, the destructor takes the vector back to its size before.
class BoundedOutput {
 public:
  BoundedOutput(std::vector<std::byte>* output, std::size_t bytes_max, std::size_t expected_bytes)
      : output_(output),
        start_(output->size()),
        bytes_max_(std::min(bytes_max, SIZE_MAX - 1)),  // room for the extra byte
        next_step_bytes_(expected_bytes) {
    if (next_step_bytes_ == 0) next_step_bytes_ = kFirstStepBytes;
  }
  BoundedOutput(const BoundedOutput&) = delete;
  BoundedOutput& operator=(const BoundedOutput&) = delete;
  ~BoundedOutput() { output_->resize(start_ + (finished_ ? produced_ : 0)); }

  // Space after what has been produced; never empty while !exceeded().
  std::span<std::byte> room() {
    std::size_t held = output_->size() - start_;
    if (produced_ == held && held <= bytes_max_) {
      const std::size_t grown = held + std::min({next_step_bytes_, bytes_max_ + 1 - held, kStepBytesMax});
      output_->reserve(start_ + grown);
      output_->resize(start_ + grown);
      next_step_bytes_ = grown;  // doubles the held size next time
      held = grown;
    }
    return {output_->data() + start_ + produced_, held - produced_};
  }
  void produced(std::size_t bytes) { produced_ += bytes; }
  bool exceeded() const { return produced_ > bytes_max_; }
  void finish() { finished_ = true; }

 private:
  std::vector<std::byte>* output_;
  std::size_t start_;
  std::size_t bytes_max_;
  std::size_t next_step_bytes_;
  std::size_t produced_ = 0;
  bool finished_ = false;
};

// ---- gzip -------------------------------------------------------------------------------------------------

Status gzip_compress(std::span<const std::byte> input, std::vector<std::byte>* output) {
  z_stream stream{};
  if (deflateInit2(&stream, kGzipLevel, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return out_of_memory(Compression::kGzip);
  }
  // deflateBound() includes the gzip header and trailer, so one Z_FINISH call completes the stream.
  const std::size_t bound = deflateBound(&stream, static_cast<uLong>(input.size()));
  const std::size_t start = output->size();
  output->resize(start + bound);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(input.data()));  // zlib does not write it
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = reinterpret_cast<Bytef*>(output->data() + start);
  stream.avail_out = static_cast<uInt>(bound);
  const int result = deflate(&stream, Z_FINISH);
  const std::size_t written = stream.total_out;
  deflateEnd(&stream);
  STRATA_ASSERT(result == Z_STREAM_END, "deflate into deflateBound() bytes: %d, %zu of %zu input bytes left",
                result, static_cast<std::size_t>(stream.avail_in), input.size());
  output->resize(start + written);
  return Status::ok();
}

Status gzip_decompress(std::span<const std::byte> input, std::size_t bytes_max,
                       std::vector<std::byte>* output) {
  z_stream stream{};
  if (inflateInit2(&stream, kGzipWindowBits) != Z_OK) return out_of_memory(Compression::kGzip);
  std::unique_ptr<z_stream, decltype(&inflateEnd)> end_stream(&stream, &inflateEnd);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(input.data()));  // zlib does not write it
  stream.avail_in = static_cast<uInt>(input.size());
  BoundedOutput out(output, bytes_max, 0);
  while (true) {
    const std::span<std::byte> room = out.room();
    stream.next_out = reinterpret_cast<Bytef*>(room.data());
    stream.avail_out = static_cast<uInt>(room.size());
    const int result = inflate(&stream, Z_NO_FLUSH);
    out.produced(room.size() - stream.avail_out);
    if (result == Z_NEED_DICT || result == Z_DATA_ERROR) {
      return corrupt(Compression::kGzip, stream.msg != nullptr ? stream.msg : "invalid data");
    }
    if (result == Z_MEM_ERROR) return out_of_memory(Compression::kGzip);
    if (out.exceeded()) return too_large(Compression::kGzip, bytes_max);
    if (result == Z_STREAM_END) {
      if (stream.avail_in == 0) break;
      // Another member follows: `cat a.gz b.gz` is one gzip file.
      if (inflateReset(&stream) != Z_OK)
        return corrupt(Compression::kGzip, "cannot reset for the next member");
      continue;
    }
    // Room left over means inflate wanted input it did not get (Z_BUF_ERROR: no progress was possible).
    if (stream.avail_out > 0 && (stream.avail_in == 0 || result == Z_BUF_ERROR)) {
      return corrupt(Compression::kGzip, "truncated stream");
    }
  }
  out.finish();
  return Status::ok();
}

// ---- snappy -----------------------------------------------------------------------------------------------

Status snappy_compress(std::span<const std::byte> input, std::vector<std::byte>* output) {
  const std::size_t start = output->size();
  output->resize(start + snappy::MaxCompressedLength(input.size()));
  std::size_t written = 0;
  snappy::RawCompress(chars(input.data()), input.size(), chars(output->data() + start), &written);
  output->resize(start + written);
  return Status::ok();
}

// Splits snappy-java's framing into its raw snappy blocks.
Status split_xerial(std::span<const std::byte> input, std::vector<std::span<const std::byte>>* blocks) {
  if (input.size() < kXerialHeaderBytes) return corrupt(Compression::kSnappy, "truncated snappy-java header");
  std::span<const std::byte> rest = input.subspan(kXerialHeaderBytes);
  while (!rest.empty()) {
    if (rest.size() < 4) return corrupt(Compression::kSnappy, "truncated snappy-java block length");
    const std::size_t block_bytes =
        std::to_integer<std::size_t>(rest[0]) << 24 | std::to_integer<std::size_t>(rest[1]) << 16 |
        std::to_integer<std::size_t>(rest[2]) << 8 | std::to_integer<std::size_t>(rest[3]);
    rest = rest.subspan(4);
    if (block_bytes > rest.size()) {
      return corrupt(Compression::kSnappy, "snappy-java block of " + std::to_string(block_bytes) +
                                               " bytes but only " + std::to_string(rest.size()) + " left");
    }
    blocks->push_back(rest.first(block_bytes));
    rest = rest.subspan(block_bytes);
  }
  return Status::ok();
}

Status snappy_decompress(std::span<const std::byte> input, std::size_t bytes_max,
                         std::vector<std::byte>* output) {
  std::vector<std::span<const std::byte>> blocks;
  if (input.size() >= kXerialMagic.size() && std::memcmp(input.data(), kXerialMagic.data(), 8) == 0) {
    STRATA_RETURN_IF_ERROR(split_xerial(input, &blocks));
  } else {
    blocks.push_back(input);
  }
  // Every raw block starts with its uncompressed length: check the total against the bound before
  // allocating, then decompress in place.
  std::vector<std::size_t> block_output_bytes(blocks.size());
  std::size_t total_bytes = 0;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    if (!snappy::GetUncompressedLength(chars(blocks[i].data()), blocks[i].size(), &block_output_bytes[i])) {
      return corrupt(Compression::kSnappy, "invalid block header");
    }
    if (block_output_bytes[i] > bytes_max - total_bytes) return too_large(Compression::kSnappy, bytes_max);
    total_bytes += block_output_bytes[i];
  }
  const std::size_t start = output->size();
  output->reserve(start + total_bytes);
  output->resize(start + total_bytes);
  std::byte* out = output->data() + start;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    if (!snappy::RawUncompress(chars(blocks[i].data()), blocks[i].size(), chars(out))) {
      output->resize(start);
      return corrupt(Compression::kSnappy, "invalid block");
    }
    out += block_output_bytes[i];
  }
  return Status::ok();
}

// ---- lz4 --------------------------------------------------------------------------------------------------

Status lz4_compress(std::span<const std::byte> input, std::vector<std::byte>* output) {
  LZ4F_preferences_t preferences{};  // 64 KiB blocks, no checksums, no content size, level 0 (fast)
  // Kafka's Java reader (Lz4BlockInputStream) rejects linked blocks, lz4's default.
  preferences.frameInfo.blockMode = LZ4F_blockIndependent;
  const std::size_t bound = LZ4F_compressFrameBound(input.size(), &preferences);
  const std::size_t start = output->size();
  output->resize(start + bound);
  const std::size_t written =
      LZ4F_compressFrame(output->data() + start, bound, input.data(), input.size(), &preferences);
  if (LZ4F_isError(written)) {
    output->resize(start);
    return out_of_memory(Compression::kLz4);  // the only failure with a bound-sized output
  }
  output->resize(start + written);
  return Status::ok();
}

Status lz4_decompress(std::span<const std::byte> input, std::size_t bytes_max,
                      std::vector<std::byte>* output) {
  LZ4F_dctx* context_raw = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&context_raw, LZ4F_VERSION))) {
    return out_of_memory(Compression::kLz4);
  }
  const auto free_context = [](LZ4F_dctx* c) { LZ4F_freeDecompressionContext(c); };
  std::unique_ptr<LZ4F_dctx, decltype(free_context)> context(context_raw, free_context);
  std::span<const std::byte> rest = input;
  BoundedOutput out(output, bytes_max, 0);
  while (true) {
    const std::span<std::byte> room = out.room();
    std::size_t written = room.size();
    std::size_t read = rest.size();
    // Returns 0 at the end of a frame (the context then accepts a next frame), else a hint of input wanted.
    const std::size_t result =
        LZ4F_decompress(context.get(), room.data(), &written, rest.data(), &read, nullptr);
    out.produced(written);
    rest = rest.subspan(read);
    if (LZ4F_isError(result)) return corrupt(Compression::kLz4, LZ4F_getErrorName(result));
    if (out.exceeded()) return too_large(Compression::kLz4, bytes_max);
    if (result == 0 && rest.empty()) break;
    if (rest.empty() && written < room.size()) return corrupt(Compression::kLz4, "truncated frame");
    if (read == 0 && written == 0) return corrupt(Compression::kLz4, "decoder made no progress");
  }
  out.finish();
  return Status::ok();
}

// ---- zstd -------------------------------------------------------------------------------------------------

Status zstd_compress(std::span<const std::byte> input, std::vector<std::byte>* output) {
  const std::size_t bound = ZSTD_compressBound(input.size());
  const std::size_t start = output->size();
  output->resize(start + bound);
  const std::size_t written =
      ZSTD_compress(output->data() + start, bound, input.data(), input.size(), kZstdLevel);
  if (ZSTD_isError(written)) {
    output->resize(start);
    return out_of_memory(Compression::kZstd);  // the only failure with a bound-sized output
  }
  output->resize(start + written);
  return Status::ok();
}

// The largest window the decoder will allocate: what the output could use, and at least what every zstd
// decoder must accept.
int zstd_window_log_max(std::size_t bytes_max) {
  const int needed = static_cast<int>(std::bit_width(std::max<std::size_t>(bytes_max, 1) - 1));
  const ZSTD_bounds bounds = ZSTD_dParam_getBounds(ZSTD_d_windowLogMax);
  return std::clamp(std::max(needed, kZstdWindowLogFloor), bounds.lowerBound, bounds.upperBound);
}

Status zstd_decompress(std::span<const std::byte> input, std::size_t bytes_max,
                       std::vector<std::byte>* output) {
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> context(ZSTD_createDCtx(), &ZSTD_freeDCtx);
  if (context == nullptr) return out_of_memory(Compression::kZstd);
  const std::size_t set =
      ZSTD_DCtx_setParameter(context.get(), ZSTD_d_windowLogMax, zstd_window_log_max(bytes_max));
  STRATA_ASSERT(!ZSTD_isError(set), "ZSTD_d_windowLogMax: %s", ZSTD_getErrorName(set));
  // The first frame's content size, when its header has one, sizes the output in one step.
  const unsigned long long content_bytes = ZSTD_getFrameContentSize(input.data(), input.size());
  const bool known = content_bytes != ZSTD_CONTENTSIZE_UNKNOWN && content_bytes != ZSTD_CONTENTSIZE_ERROR;
  BoundedOutput out(output, bytes_max,
                    known && content_bytes <= bytes_max ? static_cast<std::size_t>(content_bytes) : 0);
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  while (true) {
    const std::span<std::byte> room = out.room();
    ZSTD_outBuffer dst{room.data(), room.size(), 0};
    // Returns 0 once a frame is decoded and flushed; a next frame, if any, starts on the next call.
    const std::size_t result = ZSTD_decompressStream(context.get(), &dst, &in);
    out.produced(dst.pos);
    if (ZSTD_isError(result)) return corrupt(Compression::kZstd, ZSTD_getErrorName(result));
    if (out.exceeded()) return too_large(Compression::kZstd, bytes_max);
    if (result == 0 && in.pos == in.size) break;
    // Output room left over means the decoder flushed everything and wants more input.
    if (in.pos == in.size && dst.pos < dst.size) return corrupt(Compression::kZstd, "truncated frame");
  }
  out.finish();
  return Status::ok();
}

Status input_too_large(std::span<const std::byte> input) {
  return invalid_argument("compression input of " + std::to_string(input.size()) + " bytes exceeds " +
                          std::to_string(kInputBytesMax));
}

Status unknown_codec(Compression codec) {
  return invalid_argument("unknown compression codec " + std::to_string(static_cast<int>(codec)));
}

}  // namespace

Status compress(Compression codec, std::span<const std::byte> input, std::vector<std::byte>* output) {
  if (input.size() > kInputBytesMax) return input_too_large(input);
  switch (codec) {
    case Compression::kNone:
      output->insert(output->end(), input.begin(), input.end());
      return Status::ok();
    case Compression::kGzip:
      return gzip_compress(input, output);
    case Compression::kSnappy:
      return snappy_compress(input, output);
    case Compression::kLz4:
      return lz4_compress(input, output);
    case Compression::kZstd:
      return zstd_compress(input, output);
  }
  return unknown_codec(codec);
}

Status decompress(Compression codec, std::span<const std::byte> input, std::size_t output_bytes_max,
                  std::vector<std::byte>* output) {
  if (input.size() > kInputBytesMax) return input_too_large(input);
  switch (codec) {
    case Compression::kNone:
      if (input.size() > output_bytes_max) return too_large(codec, output_bytes_max);
      output->insert(output->end(), input.begin(), input.end());
      return Status::ok();
    case Compression::kGzip:
      return gzip_decompress(input, output_bytes_max, output);
    case Compression::kSnappy:
      return snappy_decompress(input, output_bytes_max, output);
    case Compression::kLz4:
      return lz4_decompress(input, output_bytes_max, output);
    case Compression::kZstd:
      return zstd_decompress(input, output_bytes_max, output);
  }
  return unknown_codec(codec);
}

}  // namespace strata::format
