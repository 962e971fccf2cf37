// Where a restarted mirror resumes (mirror/resume_point.h) and the strata.source-offset header's values.
#include "mirror/resume_point.h"

#include <gtest/gtest.h>

#include "mirror/source_offset_header.h"

namespace strata::mirror {
namespace {

TEST(ResumePoint, EmptyDestinationStartsAtTheSourceStartWithEqualOffsetsOnlyFromZero) {
  auto fresh = resume_point("destination t/0", {.end_offset = 0, .empty = true, .last_source_offset = {}}, 0, false);
  ASSERT_TRUE(fresh.is_ok());
  EXPECT_EQ(fresh->source_offset, 0u);
  EXPECT_TRUE(fresh->offsets_equal);
  // Retention deleted the source's first 100 offsets: copied from 100, but landing at 0.
  auto trimmed = resume_point("destination t/0", {.end_offset = 0, .empty = true, .last_source_offset = {}}, 100, false);
  ASSERT_TRUE(trimmed.is_ok());
  EXPECT_EQ(trimmed->source_offset, 100u);
  EXPECT_FALSE(trimmed->offsets_equal);
}

TEST(ResumePoint, ResumesAfterTheLastRecordsSourceOffset) {
  auto aligned = resume_point("destination t/0", {.end_offset = 42, .empty = false, .last_source_offset = 41}, 0, false);
  ASSERT_TRUE(aligned.is_ok());
  EXPECT_EQ(aligned->source_offset, 42u);
  EXPECT_TRUE(aligned->offsets_equal);
  auto shifted = resume_point("destination t/0", {.end_offset = 50, .empty = false, .last_source_offset = 41}, 0, false);
  ASSERT_TRUE(shifted.is_ok());
  EXPECT_EQ(shifted->source_offset, 42u);
  EXPECT_FALSE(shifted->offsets_equal);
}

TEST(ResumePoint, ForeignLastRecordIsAnErrorUnlessForced) {
  const DestinationEnd foreign{.end_offset = 7, .empty = false, .last_source_offset = {}};
  auto refused = resume_point("destination t/3", foreign, 0, false);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("destination t/3 is not empty"), std::string::npos);
  auto forced = resume_point("destination t/3", foreign, 0, true);
  ASSERT_TRUE(forced.is_ok());
  EXPECT_EQ(forced->source_offset, 7u);
}

TEST(SourceOffsetHeader, RoundTripsAndRefusesWhatIsNotADecimalNumber) {
  std::array<char, 24> digits;
  for (std::uint64_t offset : {0ull, 9ull, 123456789ull, 18446744073709551615ull}) {
    EXPECT_EQ(parse_source_offset(encode_source_offset(offset, digits)), offset);
  }
  for (std::string text : {"", "-1", "12a", " 1", "18446744073709551616"}) {
    EXPECT_EQ(parse_source_offset(std::as_bytes(std::span(text.data(), text.size()))), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace strata::mirror
