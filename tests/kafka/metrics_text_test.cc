// The metrics endpoint's pieces without a server: the HTTP request parser (a table, then random and mutated
// input that must never crash it), label escaping and the exposition text of known numbers.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "kafka/http_request.h"
#include "kafka/metrics_text.h"

namespace strata::kafka {
namespace {

struct ParseCase {
  std::string input;
  HttpParse expected;
  std::string method;
  std::string path;
};

TEST(HttpRequest, ParsesTheHeadsItShould) {
  const std::vector<ParseCase> cases = {
      {"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n", HttpParse::kComplete, "GET", "/metrics"},
      {"GET /metrics HTTP/1.0\n\n", HttpParse::kComplete, "GET", "/metrics"},
      {"HEAD /metrics?x=1&y HTTP/1.1\r\n\r\n", HttpParse::kComplete, "HEAD", "/metrics"},
      {"POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", HttpParse::kComplete, "POST", "/metrics"},
      {"GET / HTTP/1.1\r\nX-Tab:\ta\tb\r\n\r\n", HttpParse::kComplete, "GET", "/"},
      {"GET /metrics HTTP/1.1\r\nHost: x\r\n", HttpParse::kIncomplete, "", ""},
      {"GET /met", HttpParse::kIncomplete, "", ""},
      {"", HttpParse::kIncomplete, "", ""},
      {"\r\n\r\n", HttpParse::kBad, "", ""},
      {"get /metrics HTTP/1.1\r\n\r\n", HttpParse::kBad, "", ""},
      {"GET  /metrics HTTP/1.1\r\n\r\n", HttpParse::kBad, "", ""},
      {"GET /metrics HTTP/2.0\r\n\r\n", HttpParse::kBad, "", ""},
      {"GET metrics HTTP/1.1\r\n\r\n", HttpParse::kBad, "", ""},
      {"GET /metrics\r\n\r\n", HttpParse::kBad, "", ""},
      {"GET /metrics HTTP/1.1 extra\r\n\r\n", HttpParse::kBad, "", ""},
      {"GET /metrics HTTP/1.1\r\nno colon\r\n\r\n", HttpParse::kBad, "", ""},
      {"GET /metrics HTTP/1.1\r\n: empty name\r\n\r\n", HttpParse::kBad, "", ""},
      {"GET /metrics HTTP/1.1\r\nA: b\x01\r\n\r\n", HttpParse::kBad, "", ""},
      {std::string("GET /me\0trics HTTP/1.1\r\n\r\n", 26), HttpParse::kBad, "", ""},
      {std::string("GET /x", 6) + std::string(1, '\0'), HttpParse::kBad, "", ""},
      {"GET /m\xc3\xa9trics HTTP/1.1\r\n\r\n", HttpParse::kBad, "", ""},
      {"VERYLONGMETHODNAMEXX / HTTP/1.1\r\n\r\n", HttpParse::kBad, "", ""},
  };
  for (const ParseCase& c : cases) {
    HttpRequest request;
    EXPECT_EQ(parse_http_request(c.input, 8192, &request), c.expected) << c.input;
    if (c.expected == HttpParse::kComplete) {
      EXPECT_EQ(request.method, c.method) << c.input;
      EXPECT_EQ(request.path, c.path) << c.input;
    }
  }
}

TEST(HttpRequest, AHeadThatNeverEndsIsTooLargeAtTheLimit) {
  HttpRequest request;
  std::string head = "GET /metrics HTTP/1.1\r\n";
  while (head.size() < 100) head += "A: b\r\n";
  EXPECT_EQ(parse_http_request(head, 100, &request), HttpParse::kTooLarge);
  EXPECT_EQ(parse_http_request(head.substr(0, 99), 100, &request), HttpParse::kIncomplete);
  EXPECT_EQ(parse_http_request(head + "\r\n", 100, &request), HttpParse::kTooLarge);  // ends past the limit
  EXPECT_EQ(parse_http_request(head + "\r\n", 200, &request), HttpParse::kComplete);
}

// Random bytes, and valid heads with bytes flipped, cut or inserted: every answer is one of the four and a
// complete one names an upper-case method and a path starting with '/'.
TEST(HttpRequest, GarbageNeverCrashesIt) {
  std::mt19937 random(7);
  const std::string valid = "GET /metrics?a=b HTTP/1.1\r\nHost: localhost:9100\r\nAccept: text/plain\r\n\r\n";
  const std::string alphabet("GET /HTP1.\r\n: \t\0\x7f\xff?abc", 22);
  int complete = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string input;
    if (round % 2 == 0) {
      const std::size_t size = random() % 200;
      for (std::size_t i = 0; i < size; ++i) {
        input += round % 4 == 0 ? static_cast<char>(random() & 0xff) : alphabet[random() % alphabet.size()];
      }
    } else {
      input = valid;
      for (int edits = 1 + static_cast<int>(random() % 3); edits > 0; --edits) {
        const std::size_t at = random() % input.size();
        switch (random() % 3) {
          case 0: input[at] = static_cast<char>(random() & 0xff); break;
          case 1: input.resize(at); break;
          default: input.insert(at, 1, alphabet[random() % alphabet.size()]); break;
        }
        if (input.empty()) break;
      }
    }
    HttpRequest request;
    const HttpParse parsed = parse_http_request(input, 128, &request);
    ASSERT_TRUE(parsed == HttpParse::kComplete || parsed == HttpParse::kIncomplete || parsed == HttpParse::kBad ||
                parsed == HttpParse::kTooLarge);
    if (parsed == HttpParse::kComplete) {
      ++complete;
      ASSERT_FALSE(request.method.empty());
      ASSERT_EQ(request.path.front(), '/');
    }
  }
  EXPECT_GT(complete, 100);  // the mutations leave many heads valid: the parser was exercised past its first line
}

TEST(HttpRequest, ResponsesCarryLengthAndClose) {
  EXPECT_EQ(http_response(404, "no\n", "text/plain"),
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nno\n");
  EXPECT_EQ(http_response(200, "body", "t", /*head_only=*/true),
            "HTTP/1.1 200 OK\r\nContent-Type: t\r\nContent-Length: 4\r\nConnection: close\r\n\r\n");
}

TEST(MetricsText, LabelValuesAreEscapedAndValidUtf8) {
  EXPECT_EQ(escape_label_value("plain-topic.1"), "plain-topic.1");
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(escape_label_value("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(escape_label_value("\xff"), "\xef\xbf\xbd");
  EXPECT_EQ(escape_label_value("a\xc3"), "a\xef\xbf\xbd");              // cut short
  EXPECT_EQ(escape_label_value("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");  // overlong
  EXPECT_EQ(escape_label_value("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // a surrogate
}

TEST(MetricsText, WritesEveryFamilyWithItsSamples) {
  LogMetrics log;
  log.partitions.push_back({"orders", 0, 10, 700, 10});
  log.partitions.push_back({"orders", 1, 5, 350, 5});
  log.groups.push_back({"billing", "orders", 0, 4, 6});
  log.groups.push_back({"billing", "orders", 1, 5, 0});
  log.groups.push_back({"old", "gone", 0, 3, std::nullopt});
  LatencyHistogram syncs;
  syncs.observe(std::chrono::microseconds(30));
  syncs.observe(std::chrono::milliseconds(2));
  log.fdatasync_seconds = syncs.snapshot();
  KafkaServerMetrics server;
  server.connections = 3;
  LatencyHistogram produce;
  produce.observe(std::chrono::seconds(20));
  server.requests.push_back({"Produce", produce.snapshot()});
  server.fetched.push_back({"orders", 1, 4, 280});
  server.fetched.push_back({"deleted", 0, 9, 9});
  const std::string text = prometheus_text(log, server);
  for (const char* line : {
           "# TYPE strata_records_produced_total counter\n",
           "strata_records_produced_total{topic=\"orders\",partition=\"0\"} 10\n",
           "strata_bytes_produced_total{topic=\"orders\",partition=\"1\"} 350\n",
           "strata_records_fetched_total{topic=\"orders\",partition=\"0\"} 0\n",
           "strata_records_fetched_total{topic=\"orders\",partition=\"1\"} 4\n",
           "strata_bytes_fetched_total{topic=\"orders\",partition=\"1\"} 280\n",
           "# TYPE strata_kafka_request_seconds histogram\n",
           "strata_kafka_request_seconds_bucket{api=\"Produce\",le=\"10\"} 0\n",
           "strata_kafka_request_seconds_bucket{api=\"Produce\",le=\"+Inf\"} 1\n",
           "strata_kafka_request_seconds_sum{api=\"Produce\"} 20\n",
           "strata_kafka_request_seconds_count{api=\"Produce\"} 1\n",
           "strata_fdatasync_seconds_bucket{le=\"2.5e-05\"} 0\n",
           "strata_fdatasync_seconds_bucket{le=\"5e-05\"} 1\n",
           "strata_fdatasync_seconds_bucket{le=\"0.0025\"} 2\n",
           "strata_fdatasync_seconds_count 2\n",
           "strata_connections 3\n",
           "strata_consumer_group_committed_offset{group=\"billing\",topic=\"orders\",partition=\"0\"} 4\n",
           "strata_consumer_group_committed_offset{group=\"old\",topic=\"gone\",partition=\"0\"} 3\n",
           "strata_consumer_group_lag{group=\"billing\",topic=\"orders\",partition=\"0\"} 6\n",
           "strata_consumer_group_lag{group=\"billing\",topic=\"orders\",partition=\"1\"} 0\n",
           "strata_consumer_group_lag{group=\"billing\",topic=\"orders\"} 6\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin:\n" << text;
  }
  EXPECT_EQ(text.find("deleted"), std::string::npos);  // fetched from a topic the log no longer has
  EXPECT_EQ(text.find("lag{group=\"old\""), std::string::npos);  // no partition: no lag
  EXPECT_EQ(text.back(), '\n');
}

}  // namespace
}  // namespace strata::kafka
