// Prometheus' text format of the log's and the server's metrics (see metrics_text.h).
#include "kafka/metrics_text.h"

#include <charconv>
#include <map>
#include <string_view>
#include <utility>

#include "kafka/server.h"
#include "strata/log.h"

namespace strata::kafka {

namespace {

// Length of the valid UTF-8 sequence starting at `at`, or 0.
std::size_t utf8_sequence(std::string_view text, std::size_t at) {
  const auto lead = static_cast<unsigned char>(text[at]);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  std::uint32_t min = 0;
  if ((lead & 0xe0) == 0xc0) {
    length = 2, min = 0x80;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3, min = 0x800;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  std::uint32_t code = lead & (0x7fu >> length);
  for (std::size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(text[at + i]);
    if ((next & 0xc0) != 0x80) return 0;
    code = (code << 6) | (next & 0x3fu);
  }
  const bool surrogate = code >= 0xd800 && code <= 0xdfff;
  return code < min || code > 0x10ffff || surrogate ? 0 : length;
}

void append_number(std::string& out, std::uint64_t value) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

void append_number(std::string& out, double value) {
  char digits[32];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

// Writes metric families: a HELP and TYPE line once, then samples.
class Writer {
 public:
  Writer(std::string& out, std::size_t reserve) : out_(out) {
    out_.clear();
    out_.reserve(reserve);
  }

  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  }
  // name{labels} value; `labels` already formatted (without braces), may be empty.
  template <typename Number>
  void sample(std::string_view name, std::string_view labels, Number value) {
    out_.append(name);
    if (!labels.empty()) out_.append("{").append(labels).append("}");
    out_.append(" ");
    append_number(out_, value);
    out_.append("\n");
  }
  void histogram(std::string_view name, const std::string& labels, const HistogramSnapshot& histogram);

 private:
  std::string& out_;
};

void Writer::histogram(std::string_view name, const std::string& labels, const HistogramSnapshot& histogram) {
  const std::string bucket = std::string(name) + "_bucket";
  const std::string prefix = labels.empty() ? "" : labels + ",";
  for (std::size_t i = 0; i < histogram.cumulative.size(); ++i) {
    std::string le = prefix + "le=\"";
    if (i < histogram.upper_bounds_seconds.size()) {
      append_number(le, histogram.upper_bounds_seconds[i]);
    } else {
      le += "+Inf";
    }
    le += "\"";
    sample(bucket, le, histogram.cumulative[i]);
  }
  sample(std::string(name) + "_sum", labels, histogram.sum_seconds);
  sample(std::string(name) + "_count", labels, histogram.count);
}

std::string partition_labels(std::string_view topic, std::uint32_t partition) {
  std::string labels = "topic=\"" + escape_label_value(topic) + "\",partition=\"";
  append_number(labels, std::uint64_t{partition});
  return labels + "\"";
}

using PartitionKey = std::pair<std::string_view, std::uint32_t>;

void write_partitions(Writer& writer, const LogMetrics& log, const KafkaServerMetrics& server) {
  std::map<PartitionKey, const FetchedPartitionMetrics*> fetched;
  for (const FetchedPartitionMetrics& entry : server.fetched) fetched[{entry.topic, entry.partition}] = &entry;
  std::vector<std::string> labels;
  labels.reserve(log.partitions.size());
  for (const PartitionMetrics& partition : log.partitions) {
    labels.push_back(partition_labels(partition.topic, partition.partition));
  }
  auto each = [&](std::string_view name, std::string_view help, auto value) {
    writer.family(name, "counter", help);
    for (std::size_t i = 0; i < log.partitions.size(); ++i) writer.sample(name, labels[i], value(log.partitions[i]));
  };
  auto fetched_of = [&](const PartitionMetrics& partition) {
    auto it = fetched.find({partition.topic, partition.partition});
    return it == fetched.end() ? FetchedPartitionMetrics{} : *it->second;
  };
  each("strata_records_produced_total", "Records appended to the partition since the log was opened.",
       [](const PartitionMetrics& p) { return p.records_appended; });
  each("strata_bytes_produced_total", "Stored record batch bytes appended to the partition since the log was opened.",
       [](const PartitionMetrics& p) { return p.bytes_appended; });
  each("strata_records_fetched_total", "Records sent in Kafka Fetch responses since the server started.",
       [&](const PartitionMetrics& p) { return fetched_of(p).records; });
  each("strata_bytes_fetched_total", "Record batch bytes sent in Kafka Fetch responses since the server started.",
       [&](const PartitionMetrics& p) { return fetched_of(p).bytes; });
}

void write_groups(Writer& writer, const std::vector<GroupPartitionMetrics>& groups) {
  std::vector<std::string> labels;
  labels.reserve(groups.size());
  for (const GroupPartitionMetrics& entry : groups) {
    labels.push_back("group=\"" + escape_label_value(entry.group) + "\"," +
                     partition_labels(entry.topic, entry.partition));
  }
  writer.family("strata_consumer_group_committed_offset", "gauge",
                "The group's committed offset (the next offset to process) of the partition.");
  for (std::size_t i = 0; i < groups.size(); ++i) {
    writer.sample("strata_consumer_group_committed_offset", labels[i], groups[i].committed_offset);
  }
  writer.family("strata_consumer_group_lag", "gauge",
                "Acknowledged records the group has not committed: per partition, and summed per topic.");
  std::map<std::pair<std::string_view, std::string_view>, std::uint64_t> sums;  // (group, topic), sorted
  for (std::size_t i = 0; i < groups.size(); ++i) {
    if (!groups[i].lag) continue;
    writer.sample("strata_consumer_group_lag", labels[i], *groups[i].lag);
    sums[{groups[i].group, groups[i].topic}] += *groups[i].lag;
  }
  for (const auto& [key, sum] : sums) {
    writer.sample("strata_consumer_group_lag",
                  "group=\"" + escape_label_value(key.first) + "\",topic=\"" + escape_label_value(key.second) + "\"",
                  sum);
  }
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t at = 0; at < value.size();) {
    const char c = value[at];
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (const std::size_t length = utf8_sequence(value, at); length > 0) {
      out.append(value.substr(at, length));
      at += length;
      continue;
    } else {
      out += "\xef\xbf\xbd";  // U+FFFD
    }
    ++at;
  }
  return out;
}

Result<std::string> prometheus_text(const Log& log, const Server& server) {
  std::string out;
  STRATA_RETURN_IF_ERROR(prometheus_text(log, server, &out));
  return out;
}

Status prometheus_text(const Log& log, const Server& server, std::string* out) {
  auto log_metrics = log.metrics();
  if (!log_metrics) return log_metrics.status();
  prometheus_text(*log_metrics, server.metrics(), out);
  return Status::ok();
}

std::string prometheus_text(const LogMetrics& log, const KafkaServerMetrics& server) {
  std::string out;
  prometheus_text(log, server, &out);
  return out;
}

void prometheus_text(const LogMetrics& log, const KafkaServerMetrics& server, std::string* out) {
  Writer writer(*out, 256 * (log.partitions.size() + log.groups.size()) + 4096 * (server.requests.size() + 1));
  write_partitions(writer, log, server);
  writer.family("strata_kafka_request_seconds", "histogram",
                "Kafka requests by API: from the request read to its response ready to send.");
  for (const ApiRequestMetrics& api : server.requests) {
    writer.histogram("strata_kafka_request_seconds", "api=\"" + escape_label_value(api.api) + "\"", api.seconds);
  }
  writer.family("strata_fdatasync_seconds", "histogram",
                "fdatasync of the log's segment files, from submission to completion.");
  writer.histogram("strata_fdatasync_seconds", "", log.fdatasync_seconds);
  writer.family("strata_connections", "gauge", "Kafka client connections open now.");
  writer.sample("strata_connections", "", server.connections);
  write_groups(writer, log.groups);
}

}  // namespace strata::kafka
