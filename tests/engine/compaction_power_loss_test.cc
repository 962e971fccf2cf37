// Simulated power loss during a compaction pass: PowerCutModel (tests/engine/power_cut_model.h) follows the
// pass's file calls and, at a cut before the Nth of them, writes the partition directory as a device with a
// volatile cache may have kept it: only what was synced (names and bytes), today's names over only the synced
// bytes, or a random mix with torn writes. Each image must reopen as the kill -9 test's do (compaction_crash
// _test.cc): every segment the old one or the new one whole, no key's latest event lost, every CRC good, key
// reads agreeing with a full read, and the next pass finishing the job.
//
// A first pass counts the file calls; the cuts are spread over them. STRATA_POWER_LOSS_ROUNDS bounds the cuts
// (default 50); each cut checks all three images. The seed of a failing image is in its message.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "engine/compactor.h"
#include "engine/format.h"
#include "io/file.h"
#include "strata/inspect.h"
#include "tests/engine/compaction_fixture.h"
#include "tests/engine/power_cut_model.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

using testing::compacted_offsets;
using testing::CompactedTopic;
using testing::CutImage;
using testing::expect_consistent;
using testing::Partition;
using testing::PowerCutModel;
using testing::TestDir;

constexpr CutImage kImages[] = {CutImage::kDurableOnly, CutImage::kNamesWithoutData, CutImage::kRandom};

std::string scratch_base() {
  if (const char* base = std::getenv("STRATA_TEST_DIR")) return base;
  return std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/var/tmp";
}

std::size_t cuts_max() {
  const char* rounds = std::getenv("STRATA_POWER_LOSS_ROUNDS");
  return rounds != nullptr ? std::max(1, std::atoi(rounds)) : 50;
}

detail::CompactionOptions pass_options() {
  detail::CompactionOptions options;
  options.now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  options.direct_io = false;  // the scratch directory may be tmpfs
  options.key_index = true;
  return options;
}

void copy_log(const std::string& from, const std::string& to) {
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

class CompactionPowerCut : public ::testing::Test {
 protected:
  void TearDown() override { io::set_file_fault_hook_for_testing(nullptr); }

  // Runs a pass over a copy of the pristine log; before the file call numbered `cut` (from 0), writes the
  // images `<dir>/image-<n>` (n: the index in kImages) and fails that call and every later one with EIO.
  // Returns the file calls the pass made (an uncut pass: cut = SIZE_MAX).
  std::size_t pass_cut_at(const std::string& pristine, const std::string& dir, std::size_t cut,
                          std::uint64_t seed) {
    const std::string work = dir + "/work";
    copy_log(pristine, work);
    PowerCutModel model(work + "/t-0");
    std::mt19937_64 random(seed);
    std::size_t calls = 0;
    io::set_file_fault_hook_for_testing([&](std::string_view operation, const std::string& path) {
      const std::size_t call = calls++;
      if (call < cut) {
        model.observe(operation, path);
        return 0;
      }
      if (call == cut) {
        for (std::size_t n = 0; n < std::size(kImages); ++n) {
          const std::string image = dir + "/image-" + std::to_string(n);
          copy_log(pristine, image);
          std::filesystem::remove_all(image + "/t-0");
          model.write_image(image + "/t-0", kImages[n], random);
        }
      }
      return EIO;
    });
    auto result = detail::compact_partition(work + "/t-0", pass_options());
    io::set_file_fault_hook_for_testing(nullptr);
    if (cut == SIZE_MAX) {
      EXPECT_TRUE(result.is_ok()) << result.status().to_string();
    }
    return calls;
  }
};

TEST_F(CompactionPowerCut, EveryImageHoldsTheOldOrTheNewSegments) {
  TestDir dir(scratch_base());
  const std::string pristine = dir.sub("pristine");
  Partition before;
  std::uint64_t active_base = 0;
  {
    CompactedTopic fixture(pristine, /*key_index=*/true);
    fixture.append_events(20000, 100);
    before = fixture.read_all();
    active_base = fixture.active_base();
  }
  const std::set<std::uint64_t> required = compacted_offsets(before, active_base);
  std::size_t calls = 0;
  {
    TestDir uncut(dir.path());
    calls = pass_cut_at(pristine, uncut.path(), SIZE_MAX, 0);
  }
  ASSERT_GT(calls, 4u) << "the pass made almost no file calls: is the hook still reached?";
  const std::size_t cuts = std::min(calls, cuts_max());
  std::printf("the pass makes %zu file calls; cutting before %zu of them\n", calls, cuts);
  for (std::size_t i = 0; i < cuts; ++i) {
    const std::size_t cut = i * calls / cuts;
    const std::uint64_t seed = 1000 + cut;
    TestDir round(dir.path());
    pass_cut_at(pristine, round.path(), cut, seed);
    for (std::size_t n = 0; n < std::size(kImages); ++n) {
      const std::string image = round.sub("image-" + std::to_string(n));
      const std::string where = "cut before file call " + std::to_string(cut) + " of " + std::to_string(calls) +
                                ", image " + std::to_string(n) + ", seed " + std::to_string(seed);
      {
        // Opened once plainly first: a refusal is this image's failure, not an abort of the fixture.
        auto opened = Log::open(testing::small_options(image));
        ASSERT_TRUE(opened.is_ok()) << where << ": " << opened.status().to_string();
        opened.value().reset();
        CompactedTopic reopened(image, /*key_index=*/true);
        expect_consistent(reopened, before, required, where);
        auto verified = verify_log(image, "t");
        ASSERT_TRUE(verified.is_ok()) << where << ": " << verified.status().to_string();
        EXPECT_TRUE(verified->problems.empty()) << where << ": " << verified->problems.front().reason;
        ASSERT_TRUE(reopened.log().compact("t").is_ok()) << where;
        std::set<std::uint64_t> offsets;
        for (const auto& [offset, event] : reopened.read_all()) offsets.insert(offset);
        EXPECT_EQ(offsets, required) << where << ", then compacted";
      }
      for (const auto& entry : std::filesystem::directory_iterator(image + "/t-0")) {
        EXPECT_EQ(entry.path().string().find(std::string(format::kCompactingSuffix)), std::string::npos)
            << where << ": left " << entry.path();
      }
      if (::testing::Test::HasFailure()) return;  // one failing image says enough
    }
  }
}

}  // namespace
}  // namespace strata
