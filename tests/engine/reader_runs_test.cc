// Reader::poll_runs, the template poll and poll_until: events handed out in runs from one batch at a time,
// read with pread from sealed and active segments, at the edges a run can meet inside a batch (a seek into
// its middle, `max` ending a poll inside it, the visible end inside it, a callback stopping the poll inside
// it) and with a record that does not decode.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "engine/format.h"
#include "engine/synced_marker.h"
#include "strata/log.h"
#include "strata/reader.h"
#include "tests/engine/small_options.h"
#include "tests/engine/test_dir.h"

namespace strata {
namespace {

using testing::small_options;
using testing::TestDir;

constexpr int kBatches = 6;
constexpr int kRecordsPerBatch = 200;  // more than three runs of Reader::kEventRunMax
constexpr std::uint64_t kEvents = kBatches * kRecordsPerBatch;

std::string text(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}
std::span<const std::byte> bytes(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

// The event at `offset`: key "k<offset>", a value of some KiB (so that the batches fill 1 MiB segments),
// and a header "h" = "<offset>" on odd offsets.
std::string key_of(std::uint64_t offset) { return "k" + std::to_string(offset); }
std::string value_of(std::uint64_t offset) {
  return std::to_string(offset) + "|" + std::string(1000 + offset % 2000, static_cast<char>('a' + offset % 26));
}

// A client's RecordBatch of `count` records for offsets first..first+count-1; with `undecodable_at` >= 0
// that record's bytes do not decode (its length claims more than it has), under a valid CRC.
std::vector<std::byte> client_batch(std::uint64_t first, int count, int undecodable_at = -1) {
  std::vector<std::byte> batch(format::kBatchHeaderBytes + count * (4200 + format::kRecordOverheadBytesMax));
  std::size_t end = format::kBatchHeaderBytes;
  for (int i = 0; i < count; ++i) {
    const std::uint64_t offset = first + static_cast<std::uint64_t>(i);
    if (i == undecodable_at) {
      batch[end++] = std::byte{0x7e};  // length 63, of which only three bytes follow
      for (int b = 0; b < 3; ++b) batch[end++] = std::byte{0};
      continue;
    }
    std::vector<std::byte> headers(format::kNoHeadersBytes, std::byte{0});
    if (offset % 2 == 1) {
      const std::string header_value = std::to_string(offset);
      const EventHeader header{"h", bytes(header_value)};
      headers.resize(format::encoded_headers_bytes({&header, 1}));
      format::encode_headers(headers.data(), {&header, 1});
    }
    const std::string key = key_of(offset);
    const std::string value = value_of(offset);
    end += format::put_record(batch.data() + end, i, bytes(key), bytes(value), headers);
  }
  batch.resize(format::finish_batch(batch.data(), end - format::kBatchHeaderBytes,
                                    {.base_offset = 0, .records = count, .timestamp_ms = 1000, .compression = Compression::kNone}));
  return batch;
}

// kBatches client batches of kRecordsPerBatch records each, in 1 MiB segments (most of them sealed).
void write_batches(const std::string& dir, int undecodable_batch = -1, int undecodable_at = -1) {
  LogOptions options = small_options(dir, Durability::kNone);
  options.producer_ring_bytes = 4u << 20;  // room for a batch of ~400 KB
  auto log = Log::open(options).value();
  const TopicId topic = log->topic("t").value();
  auto producer = log->producer();
  for (int b = 0; b < kBatches; ++b) {
    const auto batch = client_batch(static_cast<std::uint64_t>(b) * kRecordsPerBatch, kRecordsPerBatch,
                                    b == undecodable_batch ? undecodable_at : -1);
    auto ticket = producer->append_batch(topic, 0, batch);
    ASSERT_TRUE(ticket) << ticket.status().to_string();
  }
  ASSERT_TRUE(producer->wait_all().is_ok());
  EXPECT_GE(log->stats().topics[0].segments, 2u) << "the test means to read sealed segments too";
  ASSERT_TRUE(log->close().is_ok());
}

void expect_event(const Event& event, std::uint64_t offset) {
  ASSERT_EQ(event.offset, offset);
  EXPECT_EQ(text(event.key), key_of(offset));
  EXPECT_EQ(text(event.value), value_of(offset));
  if (offset % 2 == 1) {
    ASSERT_EQ(event.headers.size(), 1u) << "offset " << offset;
    EXPECT_EQ(event.headers[0].key, "h");
    EXPECT_EQ(text(event.headers[0].value), std::to_string(offset));
  } else {
    EXPECT_TRUE(event.headers.empty()) << "offset " << offset;
  }
}

TEST(ReaderRuns, RunsAreConsecutiveEventsOfOneBatchAndAtMostTheRunMax) {
  TestDir dir;
  write_batches(dir.path());
  auto reader = Reader::open(dir.path(), "t").value();
  std::uint64_t next = 0;
  std::size_t runs = 0;
  while (true) {
    auto polled = reader->poll_runs(1000, [&](std::span<const Event> run) {
      ASSERT_FALSE(run.empty());
      ASSERT_LE(run.size(), Reader::kEventRunMax);
      EXPECT_EQ(run.front().offset / kRecordsPerBatch, run.back().offset / kRecordsPerBatch) << "a run spans batches";
      for (const Event& event : run) expect_event(event, next++);
      ++runs;
    });
    ASSERT_TRUE(polled) << polled.status().to_string();
    if (*polled == 0) break;
  }
  EXPECT_EQ(next, kEvents);
  EXPECT_EQ(runs, kBatches * ((kRecordsPerBatch + Reader::kEventRunMax - 1) / Reader::kEventRunMax));
}

TEST(ReaderRuns, SeekIntoTheMiddleOfABatchStartsThereInSealedAndActiveSegments) {
  TestDir dir;
  write_batches(dir.path());
  auto reader = Reader::open(dir.path(), "t").value();
  for (const std::uint64_t target : {std::uint64_t{37}, std::uint64_t{kRecordsPerBatch + 63},
                                     std::uint64_t{kRecordsPerBatch * 3 + 64}, kEvents - 2}) {
    ASSERT_TRUE(reader->seek(target).is_ok());
    std::uint64_t next = target;
    auto polled = reader->poll(100, [&](const Event& event) { expect_event(event, next++); });
    ASSERT_TRUE(polled) << polled.status().to_string();
    EXPECT_EQ(*polled, std::min<std::uint64_t>(100, kEvents - target)) << "seek to " << target;
    EXPECT_EQ(reader->position(), next);
  }
}

TEST(ReaderRuns, MaxEndingAPollInsideABatchOrARunResumesAtTheNextEvent) {
  TestDir dir;
  write_batches(dir.path());
  auto reader = Reader::open(dir.path(), "t").value();
  std::uint64_t next = 0;
  // Sizes that end polls mid-run, at a run's end, and one past it.
  const std::size_t sizes[] = {1, 63, 64, 65, 3, 199, 128, 2};
  for (std::size_t i = 0; next < kEvents; ++i) {
    const std::size_t max = sizes[i % std::size(sizes)];
    std::size_t seen = 0;
    auto polled = reader->poll(max, [&](const Event& event) {
      expect_event(event, next++);
      ++seen;
    });
    ASSERT_TRUE(polled) << polled.status().to_string();
    ASSERT_EQ(*polled, std::min<std::uint64_t>(max, kEvents - (next - seen)));
    ASSERT_EQ(*polled, seen);
    ASSERT_EQ(reader->position(), next);
  }
  EXPECT_EQ(reader->poll(10, [](const Event&) {}).value(), 0u);
}

// poll_until stops at the event its callback refuses, positioned at it, wherever it lies: the first event,
// inside a run, at a run's first or last event, at a batch's first or last event, the last event.
TEST(ReaderRuns, PollUntilStopsAtTheRefusedEventInsideRunsAndAcrossBatches) {
  TestDir dir;
  write_batches(dir.path());
  auto reader = Reader::open(dir.path(), "t").value();
  const std::uint64_t stops[] = {0,  30, 63, 64, 65, kRecordsPerBatch - 1, kRecordsPerBatch, kRecordsPerBatch + 1,
                                 kRecordsPerBatch * 3 + 127, kRecordsPerBatch * 3 + 128, kEvents - 1};
  std::uint64_t next = 0;
  for (const std::uint64_t stop : stops) {
    const std::uint64_t from = next;
    std::uint64_t refused = UINT64_MAX;
    // Several polls may be needed to reach the stop (a poll ends at most after 1000 events).
    while (refused == UINT64_MAX) {
      auto taken = reader->poll_until(1000, [&](const Event& event) {
        if (event.offset == stop) {
          refused = event.offset;
          return false;
        }
        expect_event(event, next++);
        return true;
      });
      ASSERT_TRUE(taken) << taken.status().to_string();
      ASSERT_TRUE(*taken > 0 || refused != UINT64_MAX) << "no progress before stop " << stop;
    }
    EXPECT_EQ(refused, stop);
    EXPECT_EQ(next, stop) << "events from " << from << " to the stop, each once";
    ASSERT_EQ(reader->position(), stop) << "positioned at the refused event";
    // Refused again, nothing is taken and the reader does not move.
    EXPECT_EQ(reader->poll_until(1000, [](const Event&) { return false; }).value(), 0u);
    EXPECT_EQ(reader->position(), stop);
    // The next poll hands the refused event out first.
    auto one = reader->poll(1, [&](const Event& event) { expect_event(event, next++); });
    ASSERT_EQ(one.value(), 1u) << "after stop " << stop;
  }
  // The rest, with poll: nothing skipped, nothing twice.
  while (reader->poll(1000, [&](const Event& event) { expect_event(event, next++); }).value() > 0) {
  }
  EXPECT_EQ(next, kEvents);
}

// `max` and the callback both end a poll_until: whichever comes first, and a callback that never refuses
// makes it poll.
TEST(ReaderRuns, PollUntilEndsAtMaxOrAtTheRefusalWhicheverIsFirst) {
  TestDir dir;
  write_batches(dir.path());
  auto reader = Reader::open(dir.path(), "t").value();
  std::uint64_t next = 0;
  const auto take_until = [&](std::size_t max, std::uint64_t stop) {
    return reader->poll_until(max, [&](const Event& event) {
      if (event.offset == stop) return false;
      expect_event(event, next++);
      return true;
    });
  };
  // max first: ends after `max` events, the refusal not met.
  EXPECT_EQ(take_until(50, 100).value(), 50u);
  EXPECT_EQ(reader->position(), 50u);
  // The refusal first, inside a run and before max.
  EXPECT_EQ(take_until(100, 70).value(), 20u);
  EXPECT_EQ(reader->position(), 70u);
  // max reached at the event before the refused one: the refused event is not looked at.
  EXPECT_EQ(take_until(10, 80).value(), 10u);
  EXPECT_EQ(reader->position(), 80u);
  // A refusal that never comes: as poll, across batches and segments, to the end.
  while (take_until(333, UINT64_MAX).value() > 0) {
  }
  EXPECT_EQ(next, kEvents);
  EXPECT_EQ(reader->position(), kEvents);
}

TEST(ReaderRuns, VisibleEndInsideABatchStopsThereUntilItMoves) {
  TestDir dir;
  write_batches(dir.path());
  const std::string partition_dir = dir.sub("t-0");
  // The durable end in the middle of the third batch, as a writer in another process could publish it.
  const std::uint64_t visible_end = kRecordsPerBatch * 2 + 77;
  ASSERT_TRUE(detail::SyncedMarker::create(partition_dir, visible_end).is_ok());
  auto reader = Reader::open(dir.path(), "t", 0, ReadLevel::kDurable).value();
  EXPECT_EQ(reader->end_offset(), visible_end);
  std::uint64_t next = 0;
  const auto poll_all = [&] {
    while (true) {
      auto polled = reader->poll(1000, [&](const Event& event) { expect_event(event, next++); });
      EXPECT_TRUE(polled) << polled.status().to_string();
      if (!polled || *polled == 0) return;
    }
  };
  poll_all();
  EXPECT_EQ(next, visible_end);
  EXPECT_EQ(reader->position(), visible_end);
  ASSERT_TRUE(detail::SyncedMarker::create(partition_dir, kEvents).is_ok());  // the writer synced the rest
  poll_all();
  EXPECT_EQ(next, kEvents);
}

// A reader in another process opened between a topic's creation and its writer's first publication (the
// mirror and projections start beside a server that is creating topics) must not stay at 0 for ever.
TEST(ReaderRuns, DurableReaderOpenedBeforeTheMarkerExistsSeesItOncePublished) {
  TestDir dir;
  write_batches(dir.path());
  const std::string partition_dir = dir.sub("t-0");
  std::filesystem::remove(partition_dir + "/" + std::string(format::kSyncedFile));
  auto reader = Reader::open(dir.path(), "t", 0, ReadLevel::kDurable).value();
  EXPECT_EQ(reader->end_offset(), 0u);
  EXPECT_EQ(reader->poll(1000, [](const Event&) {}).value(), 0u);
  ASSERT_TRUE(detail::SyncedMarker::create(partition_dir, kEvents).is_ok());
  EXPECT_EQ(reader->end_offset(), kEvents);
  std::uint64_t next = 0;
  while (reader->poll(1000, [&](const Event& event) { expect_event(event, next++); }).value() > 0) {
  }
  EXPECT_EQ(next, kEvents);
  EXPECT_FALSE(std::filesystem::exists(partition_dir + "/" + std::string(format::kSyncedFile) + ".new"));
}

TEST(ReaderRuns, EventsBeforeARecordThatDoesNotDecodeAreHandedOutThenTheError) {
  TestDir dir;
  const int bad_batch = 1;  // in a sealed segment
  const int bad_record = 100;
  write_batches(dir.path(), bad_batch, bad_record);
  auto reader = Reader::open(dir.path(), "t").value();
  std::uint64_t next = 0;
  Status error;
  while (true) {
    auto polled = reader->poll(1000, [&](const Event& event) { expect_event(event, next++); });
    if (!polled) {
      error = polled.status();
      break;
    }
    ASSERT_GT(*polled, 0u) << "reached the end without noticing the undecodable record";
  }
  EXPECT_EQ(next, std::uint64_t{kRecordsPerBatch * bad_batch + bad_record});
  EXPECT_EQ(error.code(), StatusCode::kCorruption);
  EXPECT_NE(error.message().find("record 100 of the batch does not decode"), std::string::npos) << error.to_string();
  EXPECT_NE(error.message().find("position"), std::string::npos) << error.to_string();
}

TEST(ReaderRuns, BatchReadsOfSealedSegmentsStillHandOutTheMappedFile) {
  TestDir dir;
  write_batches(dir.path());
  auto reader = Reader::open(dir.path(), "t").value();
  std::uint64_t next = 0;
  std::size_t sealed = 0;
  while (true) {
    auto polled = reader->poll_batches(1, [&](const BatchView& view) {
      EXPECT_EQ(view.base_offset, next);
      EXPECT_EQ(view.next_offset, next + kRecordsPerBatch);
      format::BatchHeader header;
      std::string reason;
      EXPECT_EQ(format::check_batch(view.bytes, next, &header, &reason), format::BatchCheck::kValid) << reason;
      if (view.file_fd >= 0) {
        ++sealed;
        EXPECT_NE(view.keep_alive, nullptr);
      }
      next = view.next_offset;
      return true;
    });
    ASSERT_TRUE(polled) << polled.status().to_string();
    if (*polled == 0) break;
  }
  EXPECT_EQ(next, kEvents);
  EXPECT_GT(sealed, 0u);
}

}  // namespace
}  // namespace strata
