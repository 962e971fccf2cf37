// DirectReadAhead: a chunk read in the background lands after the headroom, byte for byte, short at the end
// of the file; no more than kAliveMax exist at once.
#include "io/direct_read_ahead.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "io/file.h"
#include "tests/engine/test_dir.h"

namespace strata::io {
namespace {

using strata::testing::TestDir;

constexpr std::size_t kHeadroom = 8192;
constexpr std::size_t kChunk = 64u << 10;

TEST(DirectReadAhead, ReadsAChunkAfterTheHeadroomAndShortAtTheEndOfTheFile) {
  TestDir dir;
  const std::string path = dir.path() + "/data";
  std::vector<std::byte> bytes(3 * kChunk + 4096);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::byte>(i * 7 + i / 4096);
  auto file = File::open(path, OpenMode::kReadWriteCreate).value();
  ASSERT_TRUE(file.write_at(bytes, 0).is_ok());
  if (!file.set_direct(true).is_ok()) GTEST_SKIP() << "this filesystem refuses O_DIRECT";
  auto made = DirectReadAhead::create(kHeadroom, kChunk);
  if (!made) GTEST_SKIP() << made.status().to_string();
  DirectReadAhead& ahead = *made.value();

  ASSERT_TRUE(ahead.start(file.fd(), kChunk).is_ok());
  EXPECT_TRUE(ahead.in_flight());
  EXPECT_EQ(ahead.offset(), kChunk);
  auto read = ahead.finish();
  ASSERT_TRUE(read) << read.status().to_string();
  EXPECT_FALSE(ahead.in_flight());
  ASSERT_EQ(*read, kChunk);
  EXPECT_EQ(std::memcmp(ahead.buffer().data() + ahead.headroom(), bytes.data() + kChunk, kChunk), 0);

  ASSERT_TRUE(ahead.start(file.fd(), 3 * kChunk).is_ok());  // 4096 bytes before the end
  read = ahead.finish();
  ASSERT_TRUE(read);
  ASSERT_EQ(*read, 4096u);
  EXPECT_EQ(std::memcmp(ahead.buffer().data() + ahead.headroom(), bytes.data() + 3 * kChunk, 4096), 0);

  ASSERT_TRUE(ahead.start(file.fd(), 0).is_ok());
  ahead.abandon();  // waits: the buffer can go
  EXPECT_FALSE(ahead.in_flight());
}

TEST(DirectReadAhead, AtMostAliveMaxExistAtOnce) {
  std::vector<std::unique_ptr<DirectReadAhead>> made;
  for (int i = 0; i < DirectReadAhead::kAliveMax; ++i) {
    auto ahead = DirectReadAhead::create(kHeadroom, kChunk);
    if (!ahead) GTEST_SKIP() << ahead.status().to_string();
    made.push_back(std::move(ahead.value()));
  }
  auto refused = DirectReadAhead::create(kHeadroom, kChunk);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), StatusCode::kFull);
  made.pop_back();
  EXPECT_TRUE(DirectReadAhead::create(kHeadroom, kChunk));
}

}  // namespace
}  // namespace strata::io
