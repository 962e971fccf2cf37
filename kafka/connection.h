// Connection: one client's TCP connection, served by two threads. The calling thread reads frames (an
// int32 size, then the request), decodes and handles each request in order; a writer thread sends the
// responses in the same order, finishing Produce responses (waiting for acknowledgements) first. Pipelined
// requests are therefore answered in order, and a long-polling Fetch or a parked JoinGroup delays the
// responses behind it, as in Kafka.
//
// Bounds: a frame larger than max_request_bytes closes the connection before anything is allocated for it,
// and a frame's buffer grows only as its bytes arrive; at most kPendingMax responses wait to be written;
// a connection silent for idle_timeout is closed; a write blocked for 30 s closes it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "kafka/request_handler.h"

namespace strata::kafka {

struct ConnectionLimits {
  std::size_t max_request_bytes = 100u << 20;
  std::chrono::milliseconds idle_timeout{600'000};
};

class Connection {
 public:
  // Takes ownership of `fd` (closed by the destructor).
  Connection(int fd, std::string client_address, RequestHandler& handler, ConnectionLimits limits,
             const std::atomic<bool>& stopping);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Serves the connection until the client closes it, it breaks a rule, or the server stops (checked every
  // 200 ms while idle). Every response queued before that is written (and every Produce acknowledged or
  // refused) before run() returns.
  void run();

 private:
  enum class ReadResult : std::uint8_t { kOk, kClosed, kIdle, kStopping, kError };
  ReadResult read_exact(std::byte* out, std::size_t size, bool frame_start);
  bool read_frame(std::vector<std::byte>* frame);
  void enqueue(PendingResponse pending);
  void write_loop();
  bool write_response(const PendingResponse& pending);
  void log(const std::string& message) const;

  static constexpr std::size_t kPendingMax = 64;

  const int fd_;
  Session session_;
  RequestHandler& handler_;
  const ConnectionLimits limits_;
  const std::atomic<bool>& stopping_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<PendingResponse> queue_;
  bool reading_done_ = false;
  bool write_failed_ = false;
  std::thread writer_;
};

}  // namespace strata::kafka
