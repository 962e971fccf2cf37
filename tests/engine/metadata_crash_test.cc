// What a crash does to the metadata files strata replaces by rename (io::replace_file_durably: write a
// temporary "<name>.tmp", fsync, rename over <name>, fsync the directory): the topic file, the producer-id
// block and group checkpoints (segment indexes too). A crash before the rename leaves the old file and a
// temporary holding anything (torn, empty, garbage); after it, the new file. The log must open as before,
// ignore the temporaries, and overwrite them on the next replacement.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "strata/consumer_group.h"
#include "strata/log.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

using testing::small_options;
using testing::TestDir;

void write_garbage(const std::string& path, std::size_t bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (std::size_t i = 0; i < bytes; ++i) out.put(static_cast<char>(i * 131 + 7));
}

TEST(MetadataCrash, InterruptedReplacementsLeaveTheOldFilesInForce) {
  TestDir dir;
  std::int64_t producer_id = 0;
  {
    auto log = Log::open(small_options(dir.path())).value();
    const TopicId topic = log->topic("t").value();
    auto producer = log->producer();
    for (int i = 0; i < 10; ++i)
      ASSERT_TRUE(producer->wait(producer->append(topic, "", "v" + std::to_string(i)).value()));
    producer_id = log->allocate_producer_id().value().producer_id;
    ASSERT_TRUE(log->close().is_ok());
  }
  ASSERT_TRUE(commit_group_offset(dir.path(), "g", "t", 0, {7, "meta"}).is_ok());

  // The crash: each replacement stopped before its rename, its temporary torn (or empty); and a topic
  // creation stopped after its partition directory and before its metadata file's rename.
  write_garbage(dir.sub("t.strata-topic.tmp"), 37);
  write_garbage(dir.sub("strata-producer-ids.tmp"), 0);
  write_garbage(dir.sub("strata-groups.strata-log.tmp"), 5000);
  std::filesystem::create_directory(dir.sub("u-0"));
  write_garbage(dir.sub("u.strata-topic.tmp"), 12);

  auto log = Log::open(small_options(dir.path()));
  ASSERT_TRUE(log) << log.status().to_string();
  const auto topics = log.value()->topics();
  ASSERT_EQ(topics.size(), 1u);
  EXPECT_EQ(topics[0].name, "t");
  EXPECT_EQ(log.value()->find_topic("u").status().code(), StatusCode::kNotFound);
  auto reader = log.value()->reader("t", 0).value();
  std::size_t count = 0;
  while (true) {
    auto polled = reader->poll(100, [&](const Event& event) {
      EXPECT_EQ(std::string(reinterpret_cast<const char*>(event.value.data()), event.value.size()),
                "v" + std::to_string(count));
      ++count;
    });
    ASSERT_TRUE(polled) << polled.status().to_string();
    if (*polled == 0) break;
  }
  EXPECT_EQ(count, 10u);
  reader.reset();
  // Ids handed out before the crash are never handed out again.
  EXPECT_GT(log.value()->allocate_producer_id().value().producer_id, producer_id);
  auto committed = read_group_offset(dir.path(), "g", "t", 0);
  ASSERT_TRUE(committed) << committed.status().to_string();
  EXPECT_EQ(committed->offset, 7u);
  auto groups = list_group_offsets(dir.path(), "g");
  ASSERT_TRUE(groups) << groups.status().to_string();
  EXPECT_EQ(groups->size(), 1u);

  // The next replacements overwrite the temporaries; the interrupted topic can be created now.
  EXPECT_TRUE(log.value()->topic("u").is_ok());
  ASSERT_TRUE(commit_group_offset(dir.path(), "g", "t", 0, {9, ""}).is_ok());
  EXPECT_EQ(read_group_offset(dir.path(), "g", "t", 0).value().offset, 9u);
  ASSERT_TRUE(log.value()->close().is_ok());
  EXPECT_EQ(Log::open(small_options(dir.path())).value()->topics().size(), 2u);
}

}  // namespace
}  // namespace strata
