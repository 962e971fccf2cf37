// A client connection's reads, requests and writes, driven by its reactor (see connection.h).
#include "kafka/connection.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include "base/probes.h"
#include "kafka/codec.h"
#include "kafka/reactor.h"
#include "kafka/server_security_setup.h"
#include "strata/errno_status.h"

namespace strata::kafka {

namespace {

constexpr std::size_t kFrameGrowthBytes = 1u << 20;  // a frame's buffer grows at most this far ahead of its data
// librdkafka's smallest request header: key, version, correlation id, client id length.
constexpr std::int32_t kFrameBytesMin = 10;
// What one readable event may read before the reactor turns to its other connections (fairness).
constexpr std::size_t kReadPerEventMax = 4u << 20;
constexpr auto kBufferKeptIdle = std::chrono::seconds(1);

void put_int32(std::byte* out, std::int32_t value) {
  const auto bits = static_cast<std::uint32_t>(value);
  for (int i = 0; i < 4; ++i) out[i] = static_cast<std::byte>((bits >> (24 - 8 * i)) & 0xff);
}

std::int32_t get_int32(const std::byte* in) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | std::to_integer<std::uint32_t>(in[i]);
  return static_cast<std::int32_t>(value);
}

}  // namespace

Connection::Connection(int fd, std::string client_address, Reactor& reactor, RequestHandler& handler,
                       ConnectionLimits limits, const std::atomic<bool>& stopping, const ListenerContext& listener)
    : fd_(fd), reactor_(reactor), handler_(handler), limits_(limits), stopping_(stopping), opened_(Clock::now()) {
  session_.listener = &listener;
  session_.client_address = std::move(client_address);
  session_.client_host = session_.client_address.substr(0, session_.client_address.rfind(':'));
  if (session_.client_host.size() > 2 && session_.client_host.front() == '[') {
    session_.client_host = session_.client_host.substr(1, session_.client_host.size() - 2);
  }
  if (listener.security != nullptr) {
    const security::ListenerProtocol protocol = to_security_protocol(listener.protocol);
    tls_ = listener.security->new_tls_session(protocol);
    // The throttle counts failures per host (a new connection has a new port).
    session_.sasl = listener.security->new_sasl_server(protocol, session_.client_host);
  }
  session_.stopping = &stopping;
  handler_.metrics().connection_opened();
  last_activity_ = Clock::now();
}

Connection::~Connection() {
  ::close(fd_);
  handler_.metrics().connection_closed();
}

void Connection::log(const std::string& message) const {
  std::fprintf(stderr, "strata serve: %s: %s\n", session_.client_address.c_str(), message.c_str());
}

bool Connection::holding() const {
  return std::any_of(queue_.begin(), queue_.end(),
                     [](const auto& out) { return out->pending.holds_connection && !out->finished; });
}

std::uint32_t Connection::interest() const {
  std::uint32_t events = 0;
  if (!reading_done_ && !holding() && queue_.size() < kResponsesMax && !reactor_.over_budget()) events |= EPOLLIN;
  if (write_blocked_ && !write_failed_) events |= EPOLLOUT;
  return events;
}

void Connection::end_reading(const std::string& why) {
  if (!why.empty()) log(why);
  reading_done_ = true;
  input_.clear();
  input_.release_if_empty();
  if (queue_.empty() && !ended_) {
    shut_down_socket();
    ended_ = true;
  }
}

void Connection::shut_down_socket() {
  if (tls_ && !write_failed_) {
    tls_->close();  // close_notify, sent if the socket takes it now
    (void)flush_tls();
  }
  ::shutdown(fd_, SHUT_RDWR);
}

void Connection::fail_writes(const std::string& why) {
  if (!write_failed_) log(why + ": closing");
  write_failed_ = true;
  write_blocked_ = false;
  if (!reading_done_) end_reading("");
  // What is queued still finishes (an append's outcome is logged even if unsent), then is dropped.
  ::shutdown(fd_, SHUT_RDWR);
}

void Connection::on_hangup() {
  if (!reading_done_) end_reading("");
  write_failed_ = true;  // quietly: a client that resets its connection is not news
  write_blocked_ = false;
  send_ready();
}

void Connection::on_stop() {
  if (!reading_done_) end_reading("");
}

void Connection::check_timeouts(Clock::time_point now) {
  if (write_blocked_ && !write_failed_ && now - write_blocked_since_ >= kWriteStallMax) {
    fail_writes("write blocked for " + std::to_string(kWriteStallMax.count()) + " s");
    send_ready();
    return;
  }
  // A busy connection keeps its input buffer from frame to frame (no allocation, no page faults per
  // request); one quiet for a second gives it back.
  if (input_.empty() && input_.capacity() > 0 && now - last_activity_ >= kBufferKeptIdle) input_.release_if_empty();
  if (!reading_done_ && queue_.empty() && now - last_activity_ >= limits_.idle_timeout) {
    end_reading("closed after " + std::to_string(limits_.idle_timeout.count()) + " ms idle");
  }
  if (!reading_done_ && tls_ && !tls_->handshake_complete() && now - opened_ >= kHandshakeMax) {
    end_reading("TLS handshake not done after " + std::to_string(kHandshakeMax.count()) + " s: closing");
  } else if (!reading_done_ && session_.sasl && !session_.sasl->authenticated() && queue_.empty() &&
             now - opened_ >= kLoginMax) {
    end_reading("no SASL login after " + std::to_string(kLoginMax.count()) + " s: closing");
  }
}

std::size_t Connection::receive(std::span<std::byte> scratch) {
  if (!input_.empty()) {
    // A frame has begun: the rest goes straight into its buffer (no copy through the scratch buffer), which
    // grows at most kFrameGrowthBytes ahead of the bytes that actually arrived.
    const std::size_t have = input_.size();
    std::size_t target = have + scratch.size();
    if (have >= 4) {
      const auto total = 4 + static_cast<std::size_t>(get_int32(input_.data()));
      if (total > have) target = std::min(total, have + kFrameGrowthBytes);
    }
    input_.resize(target);
    const ssize_t n = read_socket(input_.data() + have, target - have);
    input_.resize(have + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
    return n < 0 ? static_cast<std::size_t>(-1) : static_cast<std::size_t>(n);
  }
  const ssize_t n = read_socket(scratch.data(), scratch.size());
  if (n <= 0) return n < 0 ? static_cast<std::size_t>(-1) : 0;
  const auto got = static_cast<std::size_t>(n);
  // The common case: whole frames in the scratch buffer, handled in place; only a tail is kept.
  const std::size_t used = handle_frames(scratch.first(got));
  if (used < got && !reading_done_) {
    const std::span<const std::byte> tail = scratch.subspan(used, got - used);
    if (tail.size() >= 4) {
      input_.reserve(std::min(4 + static_cast<std::size_t>(std::max(get_int32(tail.data()), 0)),
                              tail.size() + kFrameGrowthBytes));
    }
    input_.assign(tail);
  }
  return got;
}

bool Connection::has_buffered_input() const {
  return tls_ && !reading_done_ && tls_->has_buffered_input();
}

ssize_t Connection::read_socket(std::byte* out, std::size_t size) {
  if (!tls_) return ::recv(fd_, out, size, 0);
  std::size_t got = 0;
  for (;;) {
    // Every record already received, as far as `out` holds them; the socket only when none is left.
    security::TlsState state = security::TlsState::kOk;
    while (got < size) {
      std::size_t bytes = 0;
      state = tls_->read_plaintext({out + got, size - got}, &bytes);
      if (bytes == 0) break;
      got += bytes;
    }
    if (tls_->pending_ciphertext() > 0) (void)flush_tls();  // handshake messages, session tickets
    if (got > 0) {
      if (!tls_principal_taken_) {
        tls_principal_taken_ = true;
        if (auto principal = tls_->peer_principal()) session_.principal = *principal;
      }
      return static_cast<ssize_t>(got);
    }
    if (state == security::TlsState::kClosed) return 0;
    if (state == security::TlsState::kFailed) {
      errno = EPROTO;
      return -1;
    }
    // The session needs more: up to a few records from the socket (it holds at most kInputBytesMax).
    std::byte ciphertext[kTlsChunkBytes];
    const ssize_t n = ::recv(fd_, ciphertext, sizeof ciphertext, 0);
    if (n <= 0) return n;
    (void)tls_->feed_ciphertext({ciphertext, static_cast<std::size_t>(n)});  // empty: it asked for more
  }
}

Connection::SendFailure Connection::send_failed() {
  if (errno == EINTR) return SendFailure::kInterrupted;
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    if (!write_blocked_) write_blocked_since_ = Clock::now();
    write_blocked_ = true;
    return SendFailure::kBlocked;
  }
  fail_writes(status_from_errno(errno, "write failed").message());
  return SendFailure::kFailed;
}

bool Connection::flush_tls() {
  for (;;) {
    if (tls_out_sent_ == tls_out_.size()) {
      tls_out_sent_ = 0;
      const std::size_t waiting = tls_->pending_ciphertext();
      if (waiting == 0) {
        tls_out_.clear();
        return true;
      }
      tls_out_.resize(std::min(waiting, 2 * kTlsChunkBytes));
      tls_out_.resize(tls_->take_ciphertext(tls_out_));
    }
    const ssize_t n = ::send(fd_, tls_out_.data() + tls_out_sent_, tls_out_.size() - tls_out_sent_,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (send_failed() == SendFailure::kInterrupted) continue;
      return false;
    }
    tls_out_sent_ += static_cast<std::size_t>(n);
    last_activity_ = Clock::now();
  }
}

bool Connection::send_front_tls(Outgoing& outgoing, std::size_t total) {
  std::byte header[8];
  put_int32(header, static_cast<std::int32_t>(total - 4));
  put_int32(header + 4, outgoing.pending.correlation_id);
  std::vector<std::byte> chunk;
  chunk.reserve(kTlsChunkBytes);
  for (;;) {
    if (!flush_tls()) return write_failed_;  // the rest once the socket takes more (or dropped)
    if (outgoing.sent == total) break;
    // Up to kTlsChunkBytes of the frame into one buffer, encrypted into full-sized TLS records.
    chunk.clear();
    for (const iovec& part : frame_parts(outgoing, header, outgoing.sent)) {
      const std::size_t take = std::min(part.iov_len, kTlsChunkBytes - chunk.size());
      const auto* from = static_cast<const std::byte*>(part.iov_base);
      chunk.insert(chunk.end(), from, from + take);
      if (chunk.size() == kTlsChunkBytes) break;
    }
    if (tls_->write_plaintext(chunk) != security::TlsState::kOk) {
      fail_writes("TLS: " + tls_->error());
      return true;
    }
    outgoing.sent += chunk.size();
  }
  write_blocked_ = false;
  return true;
}

void Connection::on_readable(std::span<std::byte> scratch) {
  std::size_t read = 0;
  // TLS input already decrypted is read on past the limit: epoll would not report it again.
  while (!reading_done_ && (read < kReadPerEventMax || has_buffered_input()) && (interest() & EPOLLIN) != 0) {
    const std::size_t before = input_.size();
    const std::size_t n = receive(scratch);
    if (n == static_cast<std::size_t>(-1)) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      if (tls_ && !tls_->error().empty()) {
        end_reading("TLS: " + tls_->error() + ": closing");
      } else {
        end_reading(status_from_errno(errno, "read failed").message());
      }
      break;
    }
    if (n == 0) {
      if (!input_.empty()) log("connection ended inside a request");
      end_reading("");
      break;
    }
    read += n;
    last_activity_ = Clock::now();
    if (input_.size() > before) handle_buffered();
  }
  send_ready();
}

void Connection::handle_buffered() {
  if (input_.empty() || holding()) return;
  const std::size_t used = handle_frames(input_);
  if (reading_done_) return;
  input_.consume(used);
}

std::size_t Connection::handle_frames(std::span<const std::byte> data) {
  std::size_t at = 0;
  while (!reading_done_ && !holding() && data.size() - at >= 4) {
    const std::int32_t size = get_int32(data.data() + at);
    if (size < kFrameBytesMin || static_cast<std::size_t>(size) > limits_.max_request_bytes) {
      end_reading("request size " + std::to_string(size) + " outside 10.." +
                  std::to_string(limits_.max_request_bytes) +
                  " bytes (not a Kafka client, or --max-request-bytes is too small): closing");
      return at;
    }
    const auto frame_bytes = static_cast<std::size_t>(size);
    if (data.size() - at - 4 < frame_bytes) break;
    if (!handle_frame(data.subspan(at + 4, frame_bytes))) {
      at += 4 + frame_bytes;
      if (!reading_done_) end_reading("");
      return at;
    }
    at += 4 + frame_bytes;
  }
  return at;
}

bool Connection::handle_frame(std::span<const std::byte> frame) {
  if (session_.sasl && session_.sasl->expects_raw_token()) {
    PendingResponse pending = handler_.sasl_raw_token(frame, session_);
    const bool close = pending.close_connection;
    std::string why = pending.close_reason;
    queue(std::move(pending), frame.size());
    if (close) log(why + ": closing");
    return !close;
  }
  Request request;
  std::string why;
  const DecodeResult decoded = decode_request(frame, &request, &why);
  if (decoded == DecodeResult::kApiVersionsTooNew) {
    PendingResponse pending;
    pending.correlation_id = request.header.correlation_id;
    encode_api_versions_fallback(pending.frame);
    queue(std::move(pending), frame.size());
    return true;
  }
  if (decoded != DecodeResult::kOk) {
    log(why + ": closing");
    return false;
  }
  STRATA_PROBE4(request_received, fd_, request.header.api_key, request.header.correlation_id, frame.size());
  const RequestTiming timing{request.header.api_key, std::chrono::steady_clock::now()};
  PendingResponse pending = handler_.handle(request, session_);
  pending.timing = timing;
  const bool close = pending.close_connection;
  std::string close_reason = pending.close_reason;
  queue(std::move(pending), frame.size());
  if (close) {
    if (close_reason.empty()) {
      close_reason = std::string(api_name(request.header.api_key)) + " v" + std::to_string(request.header.api_version) +
            " with acks=0 refused";
    }
    log(close_reason + ": closing");
    return false;
  }
  return true;
}

void Connection::queue(PendingResponse pending, std::size_t request_bytes) {
  auto outgoing = std::make_unique<Outgoing>();
  outgoing->pending = std::move(pending);
  outgoing->charge = request_bytes;
  reactor_.charge(outgoing->charge);
  Outgoing& added = *queue_.emplace_back(std::move(outgoing));
  try_finish(added);
}

void Connection::try_finish(Outgoing& outgoing) {
  PendingResponse& pending = outgoing.pending;
  if (pending.ready && !pending.ready() && PendingResponse::Clock::now() < pending.deadline) {
    park(outgoing);
    return;
  }
  if (pending.finish && !pending.finish(pending.frame)) {
    park(outgoing);  // it waits again
    return;
  }
  mark_finished(outgoing);
}

void Connection::mark_finished(Outgoing& outgoing) {
  outgoing.finished = true;
  handler_.metrics().request_done(outgoing.pending.timing);
  const std::size_t frame_bytes = outgoing.pending.frame.size();
  reactor_.charge(frame_bytes);
  outgoing.charge += frame_bytes;
}

void Connection::park(Outgoing& outgoing) {
  outgoing.parked = true;
  PendingResponse& pending = outgoing.pending;
  if (!std::holds_alternative<std::monostate>(pending.woken_by) && pending.ready) {
    reactor_.park_here({this, &outgoing, pending.woken_by, &pending.ready, pending.deadline});
    return;
  }
  ParkedRequest parked;
  parked.ready = pending.ready ? pending.ready : [] { return false; };
  parked.deadline = pending.deadline;
  Reactor* reactor = &reactor_;
  Outgoing* raw = &outgoing;
  parked.resume = [reactor, this, raw] { reactor->post(this, raw); };
  reactor_.park(std::move(parked));
}

void Connection::on_resumed(void* parked) {
  auto* outgoing = static_cast<Outgoing*>(parked);
  outgoing->parked = false;
  // The ready() that resumed it ran on the waiter thread (or this reactor's); finish now, or park again.
  PendingResponse& pending = outgoing->pending;
  if (pending.finish && !pending.finish(pending.frame)) {
    park(*outgoing);
  } else {
    mark_finished(*outgoing);
  }
  send_ready();
  // A held connection goes on with the requests it had read.
  if (!reading_done_ && !holding()) handle_buffered();
  send_ready();
}

void Connection::on_writable() {
  write_blocked_ = false;
  send_ready();
}

void Connection::release_front() {
  reactor_.release(queue_.front()->charge);
  queue_.pop_front();
}

void Connection::send_ready() {
  if (tls_ && !write_failed_) (void)flush_tls();  // before the next response's records
  while (!queue_.empty() && queue_.front()->finished) {
    Outgoing& front = *queue_.front();
    if (front.pending.send && !write_failed_) {
      if (front.sent == 0) STRATA_PROBE3(request_answered, fd_, front.pending.correlation_id, front.pending.frame.size());
      if (!send_front(front)) return;  // the rest when the socket is writable
    }
    release_front();
  }
  if (queue_.empty() && reading_done_ && !ended_) {
    shut_down_socket();
    ended_ = true;
  }
}

std::vector<iovec> Connection::frame_parts(const Outgoing& outgoing, const std::byte* header, std::size_t skip) {
  const ResponseFrame& frame = outgoing.pending.frame;
  std::vector<iovec> parts;
  parts.reserve(2 + 2 * frame.splices.size());
  auto add = [&](const void* data, std::size_t bytes) {
    if (skip >= bytes) {
      skip -= bytes;
      return;
    }
    parts.push_back({const_cast<std::byte*>(static_cast<const std::byte*>(data)) + skip, bytes - skip});
    skip = 0;
  };
  add(header, outgoing.pending.raw ? 4 : 8);
  const std::vector<std::byte>& body = frame.body.buffer();
  std::size_t at = 0;
  for (const Splice& splice : frame.splices) {
    add(body.data() + at, splice.at - at);
    add(splice.data.data(), splice.data.size());
    at = splice.at;
  }
  add(body.data() + at, body.size() - at);
  return parts;
}

bool Connection::send_front(Outgoing& outgoing) {
  const ResponseFrame& frame = outgoing.pending.frame;
  // The correlation id + body + splices (a raw SASL token has no correlation id).
  const std::size_t size = (outgoing.pending.raw ? 0 : 4) + frame.size();
  if (size > static_cast<std::size_t>(INT32_MAX)) {
    fail_writes("response of " + std::to_string(size) + " bytes too large");
    return true;
  }
  if (tls_) return send_front_tls(outgoing, 4 + size);
  std::byte header[8];
  put_int32(header, static_cast<std::int32_t>(size));
  put_int32(header + 4, outgoing.pending.correlation_id);
  std::vector<iovec> parts = frame_parts(outgoing, header, outgoing.sent);

  std::size_t index = 0;
  while (index < parts.size()) {
    msghdr message{};
    message.msg_iov = parts.data() + index;
    message.msg_iovlen = std::min<std::size_t>(parts.size() - index, IOV_MAX);
    const ssize_t n = ::sendmsg(fd_, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      const SendFailure failure = send_failed();
      if (failure == SendFailure::kInterrupted) continue;
      return failure == SendFailure::kFailed;  // a failed connection's front response is done with
    }
    outgoing.sent += static_cast<std::size_t>(n);
    last_activity_ = Clock::now();
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
  write_blocked_ = false;
  return true;
}

}  // namespace strata::kafka
