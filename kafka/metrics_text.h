// The numbers of `strata serve --metrics` in Prometheus' text exposition format (version 0.0.4), with the
// names DESIGN.md gives: the log's (Log::metrics()) and the Kafka server's (Server::metrics()).
#pragma once

#include <string>

#include "strata/metrics.h"
#include "strata/status.h"

namespace strata {
class Log;
}

namespace strata::kafka {

class Server;

inline constexpr const char* kPrometheusTextContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string prometheus_text(const LogMetrics& log, const KafkaServerMetrics& server);
// The same read from both now (what GET /metrics of `strata serve --metrics` answers): an error only when
// Log::metrics() has one.
Result<std::string> prometheus_text(const Log& log, const Server& server);
// Both forms into *out (replacing what it held, keeping its capacity: a scraper that reuses its buffer
// touches no fresh memory, which costs more than the formatting for a large text).
void prometheus_text(const LogMetrics& log, const KafkaServerMetrics& server, std::string* out);
Status prometheus_text(const Log& log, const Server& server, std::string* out);

// A label value as the format writes it between its quotes: backslash, quote and newline escaped, bytes
// that are not UTF-8 replaced by U+FFFD (a group id may be any bytes).
std::string escape_label_value(std::string_view value);

}  // namespace strata::kafka
