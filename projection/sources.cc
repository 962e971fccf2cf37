// Sources: opening the topics' readers, and what the loop asks of all of them at once.
#include "projection/sources.h"

#include <algorithm>

#include "strata/log.h"

namespace strata::projection {

namespace {

Result<TopicInfo> topic_info(const ProjectorOptions& options, const std::string& topic) {
  if (options.log == nullptr) return read_topic_info(options.log_directory, topic);
  for (TopicInfo& candidate : options.log->topics()) {
    if (candidate.name == topic) return std::move(candidate);
  }
  return Status(StatusCode::kNotFound, "the log has no topic " + topic);
}

}  // namespace

Result<Sources> Sources::open(const ProjectorOptions& options, const std::vector<std::string>& topics) {
  Sources opened;
  for (const std::string& topic : topics) {
    auto info = topic_info(options, topic);
    if (!info) return info.status();
    const std::size_t source = opened.sources.size();
    opened.sources.push_back({std::move(info.value()), opened.streams.size()});
    for (std::uint32_t p = 0; p < opened.sources.back().info.partitions; ++p) {
      auto reader = options.log != nullptr ? options.log->reader(topic, p)
                                           : Reader::open(options.log_directory, topic, p, ReadLevel::kDurable);
      if (!reader) return reader.status().with_context("topic " + topic + " partition " + std::to_string(p));
      opened.streams.push_back({source, p, std::move(reader.value()), 0, 0});
    }
  }
  return opened;
}

std::string Sources::where(std::size_t stream) const {
  return "topic " + topic(stream) + " partition " + std::to_string(streams[stream].partition);
}

bool Sources::at_end() const {
  return std::all_of(streams.begin(), streams.end(),
                     [](const Stream& s) { return s.read_position >= s.reader->end_offset(); });
}

void Sources::wait_any(std::chrono::nanoseconds timeout) const {
  std::vector<Reader*> readers;
  readers.reserve(streams.size());
  for (const Stream& stream : streams) readers.push_back(stream.reader.get());
  (void)Reader::wait_any(readers, timeout);
}

Status Sources::check_identity(const std::string& log_directory) const {
  for (const Source& source : sources) {
    auto info = read_topic_info(log_directory, source.info.name);
    if (!info) return info.status().with_context("topic " + source.info.name + " is gone");
    if (info->log_id != source.info.log_id) {
      return invalid_argument("topic " + source.info.name + " was deleted and recreated while following it (log id " +
                              source.info.log_id + ", now " + info->log_id +
                              "); rebuild it (strata project --rebuild)");
    }
  }
  return Status::ok();
}

std::vector<TopicLog> Sources::topic_logs(const std::vector<bool>& reads) const {
  std::vector<TopicLog> logs;
  for (std::size_t s = 0; s < sources.size(); ++s) {
    if (!reads[s]) continue;
    const Source& source = sources[s];
    TopicLog log{source.info.name, source.info.log_id, source.info.partitions, {}};
    for (std::uint32_t p = 0; p < source.info.partitions; ++p)
      log.end_offsets.push_back(streams[source.first_stream + p].reader->end_offset());
    logs.push_back(std::move(log));
  }
  return logs;
}

std::vector<std::vector<std::uint64_t>> Sources::start_offsets(const std::vector<bool>& reads) const {
  std::vector<std::vector<std::uint64_t>> starts;
  for (std::size_t s = 0; s < sources.size(); ++s) {
    if (!reads[s]) continue;
    starts.emplace_back();
    for (std::uint32_t p = 0; p < sources[s].info.partitions; ++p)
      starts.back().push_back(streams[sources[s].first_stream + p].reader->start_offset());
  }
  return starts;
}

}  // namespace strata::projection
