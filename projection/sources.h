// The topics a projector reads: each topic's identity and a Reader per partition (a stream), opened on the
// Log in this process or on its directory (durable events only), with where each stream stands in the open
// transaction. Internal to projection/.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "projection/checkpoint_store.h"
#include "projection/projector.h"
#include "strata/reader.h"
#include "strata/topics.h"

namespace strata::projection {

// One partition of one topic.
struct Stream {
  std::size_t source = 0;  // index into Sources::sources
  std::uint32_t partition = 0;
  std::unique_ptr<Reader> reader;
  std::uint64_t read_position = 0;  // the next offset to read in this transaction
  std::int64_t read_time = 0;       // timestamp of the last event read
};

struct Source {
  TopicInfo info;
  std::size_t first_stream = 0;
};

struct Sources {
  // Opens `topics` (distinct, in this order) on options.log, or else options.log_directory: kNotFound when
  // the directory or a topic does not exist (yet).
  static Result<Sources> open(const ProjectorOptions& options, const std::vector<std::string>& topics);

  const std::string& topic(std::size_t stream) const { return sources[streams[stream].source].info.name; }
  // "topic T partition P", for messages.
  std::string where(std::size_t stream) const;
  // Every stream has read what its reader sees now.
  bool at_end() const;
  // Until any stream's reader has an event to read, or `timeout` passes (Reader::wait_any).
  void wait_any(std::chrono::nanoseconds timeout) const;
  // kInvalidArgument when a topic in `log_directory` was deleted and recreated since it was opened.
  Status check_identity(const std::string& log_directory) const;
  // The topics marked in `reads` (per source) as the log holds them now, and their earliest kept offsets.
  std::vector<TopicLog> topic_logs(const std::vector<bool>& reads) const;
  std::vector<std::vector<std::uint64_t>> start_offsets(const std::vector<bool>& reads) const;

  std::vector<Source> sources;
  std::vector<Stream> streams;
};

}  // namespace strata::projection
