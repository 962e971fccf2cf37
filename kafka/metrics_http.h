// MetricsEndpoint: a small HTTP/1.1 server for Prometheus: GET (or HEAD) /metrics answers what `render`
// returns, in the text exposition format; any other path is 404, any other method 405, a malformed
// request 400. One thread serves every scrape (up to kClientsMax at once, others wait in the backlog);
// a request head is at most 8 KiB and must arrive, and its answer be taken, within 10 s; every answer
// closes its connection.
//
//   auto endpoint = MetricsEndpoint::start("127.0.0.1", 9100, [&](std::string* body) {
//     return prometheus_text(log, server, body);   // kafka/metrics_text.h
//   });
//   std::string where = endpoint.value()->address();   // "127.0.0.1:9100" (the port chosen for port 0)
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "strata/status.h"

namespace strata::kafka {

class MetricsEndpoint {
 public:
  // Writes the metrics text into *body (empty, with the capacity of an earlier scrape's: bodies are reused,
  // so a large text costs no fresh memory each time). An error answers 500 with its text.
  using Render = std::function<Status(std::string* body)>;

  // Binds host:port (port 0: a free one) and starts serving. kInvalidArgument or kIoError as Listener::bind.
  static Result<std::unique_ptr<MetricsEndpoint>> start(const std::string& host, std::uint16_t port,
                                                        Render render);
  ~MetricsEndpoint();  // stop()
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  std::uint16_t port() const { return port_; }
  std::string address() const;  // "host:port" ("[v6]:port")
  // Closes the listening socket and every open scrape, joins the thread. Idempotent.
  void stop();

  static constexpr std::size_t kClientsMax = 16;
  static constexpr std::size_t kRequestBytesMax = 8192;
  static constexpr int kDeadlineMs = 10'000;

 private:
  MetricsEndpoint(std::string host, std::uint16_t port, int listen_fd, int wake_fd, Render render);
  void serve();

  const std::string host_;
  const std::uint16_t port_;
  const int listen_fd_;
  const int wake_fd_;
  const Render render_;
  std::atomic<bool> stopping_{false};
  std::mutex stop_mutex_;
  std::thread thread_;
};

}  // namespace strata::kafka
