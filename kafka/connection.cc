// A client connection's read and write loops (see connection.h).
#include "kafka/connection.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include "kafka/codec.h"
#include "perf/probes.h"

namespace strata::kafka {

namespace {

constexpr int kStopCheckMs = 200;
constexpr std::size_t kFrameGrowthBytes = 1u
                                          << 20;  // a frame's buffer grows at most this far ahead of its data
// librdkafka's smallest request header: key, version, correlation id, client id length.
constexpr std::int32_t kFrameBytesMin = 10;

void put_int32(std::byte* out, std::int32_t value) {
  const auto bits = static_cast<std::uint32_t>(value);
  for (int i = 0; i < 4; ++i) out[i] = static_cast<std::byte>((bits >> (24 - 8 * i)) & 0xff);
}

}  // namespace

Connection::Connection(int fd, std::string client_address, RequestHandler& handler, ConnectionLimits limits,
                       const std::atomic<bool>& stopping)
    : fd_(fd), handler_(handler), limits_(limits), stopping_(stopping) {
  session_.client_address = std::move(client_address);
  session_.stopping = &stopping;
  handler_.metrics().connection_opened();
  timeval send_timeout{30, 0};  // a client that stops reading its responses is dropped
  (void)setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
}

Connection::~Connection() {
  if (writer_.joinable()) writer_.join();
  ::close(fd_);
  handler_.metrics().connection_closed();
}

void Connection::log(const std::string& message) const {
  std::fprintf(stderr, "strata serve: %s: %s\n", session_.client_address.c_str(), message.c_str());
}

Connection::ReadResult Connection::read_exact(std::byte* out, std::size_t size, bool frame_start) {
  std::size_t got = 0;
  auto idle_deadline = std::chrono::steady_clock::now() + limits_.idle_timeout;
  while (got < size) {
    if (stopping_.load(std::memory_order_relaxed) && frame_start && got == 0) return ReadResult::kStopping;
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, kStopCheckMs);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return ReadResult::kError;
    }
    if (ready == 0) {
      if (std::chrono::steady_clock::now() >= idle_deadline) return ReadResult::kIdle;
      if (stopping_.load(std::memory_order_relaxed) && !(frame_start && got == 0))
        return ReadResult::kStopping;
      continue;
    }
    const ssize_t n = ::recv(fd_, out + got, size - got, 0);
    if (n == 0) return ReadResult::kClosed;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return ReadResult::kError;
    }
    got += static_cast<std::size_t>(n);
    idle_deadline = std::chrono::steady_clock::now() + limits_.idle_timeout;
  }
  return ReadResult::kOk;
}

bool Connection::read_frame(std::vector<std::byte>* frame) {
  std::byte size_bytes[4];
  ReadResult result = read_exact(size_bytes, 4, true);
  if (result != ReadResult::kOk) {
    if (result == ReadResult::kIdle)
      log("closed after " + std::to_string(limits_.idle_timeout.count()) + " ms idle");
    if (result == ReadResult::kError) log(std::string("read failed: ") + std::strerror(errno));
    return false;
  }
  std::int32_t size = 0;
  for (std::byte b : size_bytes)
    size = static_cast<std::int32_t>((static_cast<std::uint32_t>(size) << 8) |
                                     std::to_integer<std::uint32_t>(b));
  if (size < kFrameBytesMin || static_cast<std::size_t>(size) > limits_.max_request_bytes) {
    log("request size " + std::to_string(size) + " outside 10.." + std::to_string(limits_.max_request_bytes) +
        " bytes (not a Kafka client, or --max-request-bytes is too small): closing");
    return false;
  }
  // The buffer grows with the data that actually arrives, so a lying size costs no memory.
  const auto total = static_cast<std::size_t>(size);
  frame->clear();
  std::size_t got = 0;
  while (got < total) {
    const std::size_t step = std::min(total - got, kFrameGrowthBytes);
    frame->resize(got + step);
    result = read_exact(frame->data() + got, step, false);
    if (result != ReadResult::kOk) {
      log("connection ended inside a request of " + std::to_string(total) + " bytes");
      return false;
    }
    got += step;
  }
  return true;
}

void Connection::enqueue(PendingResponse pending) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return queue_.size() < kPendingMax || write_failed_; });
  queue_.push_back(std::move(pending));
  changed_.notify_all();
}

void Connection::run() {
  writer_ = std::thread([this] { write_loop(); });
  std::vector<std::byte> frame;
  while (read_frame(&frame)) {
    {
      std::lock_guard lock(mutex_);
      if (write_failed_) break;
    }
    Request request;
    std::string why;
    const DecodeResult decoded = decode_request(frame, &request, &why);
    if (decoded == DecodeResult::kApiVersionsTooNew) {
      PendingResponse pending;
      pending.correlation_id = request.header.correlation_id;
      encode_api_versions_fallback(pending.frame);
      enqueue(std::move(pending));
      continue;
    }
    if (decoded != DecodeResult::kOk) {
      log(why + ": closing");
      break;
    }
    STRATA_PROBE4(request_received, fd_, request.header.api_key, request.header.correlation_id, frame.size());
    const RequestTiming timing{request.header.api_key, std::chrono::steady_clock::now()};
    PendingResponse pending = handler_.handle(request, session_);
    pending.timing = timing;
    const bool close = pending.close_connection;
    enqueue(std::move(pending));
    if (close) {
      log(std::string(api_name(request.header.api_key)) + " v" + std::to_string(request.header.api_version) +
          " with acks=0 refused: closing");
      break;
    }
  }
  {
    std::lock_guard lock(mutex_);
    reading_done_ = true;
    changed_.notify_all();
  }
  writer_.join();
  ::shutdown(fd_, SHUT_RDWR);
}

void Connection::write_loop() {
  for (;;) {
    PendingResponse pending;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return !queue_.empty() || reading_done_; });
      if (queue_.empty()) return;
      pending = std::move(queue_.front());
      queue_.pop_front();
      changed_.notify_all();
    }
    if (pending.finish)
      pending.finish(pending.frame);  // always: an append's outcome is logged even if unsent
    handler_.metrics().request_done(pending.timing);
    bool failed = false;
    {
      std::lock_guard lock(mutex_);
      failed = write_failed_;
    }
    if (!pending.send || failed) continue;
    STRATA_PROBE3(request_answered, fd_, pending.correlation_id, pending.frame.size());
    if (!write_response(pending)) {
      log(std::string("write failed: ") + std::strerror(errno) + ": closing");
      std::lock_guard lock(mutex_);
      write_failed_ = true;
      ::shutdown(fd_, SHUT_RD);  // the reader stops at its next poll
      changed_.notify_all();
    }
  }
}

bool Connection::write_response(const PendingResponse& pending) {
  const ResponseFrame& frame = pending.frame;
  const std::size_t size = 4 + frame.size();  // correlation id + body + splices
  if (size > static_cast<std::size_t>(INT32_MAX)) return false;
  std::byte header[8];
  put_int32(header, static_cast<std::int32_t>(size));
  put_int32(header + 4, pending.correlation_id);

  std::vector<iovec> parts;
  parts.reserve(2 + 2 * frame.splices.size());
  auto add = [&](const void* data, std::size_t bytes) {
    if (bytes > 0) parts.push_back({const_cast<void*>(data), bytes});
  };
  add(header, sizeof header);
  const std::vector<std::byte>& body = frame.body.buffer();
  std::size_t at = 0;
  for (const Splice& splice : frame.splices) {
    add(body.data() + at, splice.at - at);
    add(splice.data.data(), splice.data.size());
    at = splice.at;
  }
  add(body.data() + at, body.size() - at);

  std::size_t index = 0;
  while (index < parts.size()) {
    const int count = static_cast<int>(std::min<std::size_t>(parts.size() - index, IOV_MAX));
    msghdr message{};
    message.msg_iov = parts.data() + index;
    message.msg_iovlen = static_cast<std::size_t>(count);
    const ssize_t n = ::sendmsg(fd_, &message, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    auto written = static_cast<std::size_t>(n);
    while (written > 0 && index < parts.size()) {
      if (written >= parts[index].iov_len) {
        written -= parts[index].iov_len;
        ++index;
      } else {
        parts[index].iov_base = static_cast<char*>(parts[index].iov_base) + written;
        parts[index].iov_len -= written;
        written = 0;
      }
    }
  }
  return true;
}

}  // namespace strata::kafka
