// Connection: one client's TCP connection, owned by one reactor (kafka/reactor.h) and driven by its events;
// it never blocks. Readable: it reads what the socket holds, cuts frames (an int32 size, then the request),
// decodes and handles each in order. Writable: it sends the responses in request order. A response that must
// wait parks with the waiter (kafka/waiter.h) and is finished on the reactor when it is ready; the responses
// behind it wait their turn, so pipelined requests are answered in order, and a long-polling Fetch or a
// parked JoinGroup delays the responses (and the handling of the requests) behind it, as in Kafka.
//
// Bounds: a frame larger than max_request_bytes closes the connection before anything is allocated for it,
// and a frame's buffer grows only as its bytes arrive; at most kResponsesMax responses wait to be written
// (then the connection stops reading); a connection silent for idle_timeout is closed; a write blocked for
// kWriteStallMax closes it. A connection quiet for a second holds no buffer.
//
// TLS (ssl and sasl_ssl listeners): a TlsSession sits between the socket and the frames. Reads take
// ciphertext from the socket only when the session needs more, and decrypt into the same buffers the
// plaintext path reads into; responses (their stored batches included) are copied through OpenSSL in chunks,
// at most kTlsChunkBytes of ciphertext waiting per connection. A handshake not done within kHandshakeMax,
// or a SASL login not done within kLoginMax, closes the connection; a failed handshake closes it at once.
//
// Threads: its reactor's only.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "kafka/input_buffer.h"
#include "kafka/request_handler.h"

namespace strata::kafka {

class Reactor;

struct ConnectionLimits {
  std::size_t max_request_bytes = 100u << 20;
  std::chrono::milliseconds idle_timeout{600'000};
};

class Connection {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kResponsesMax = 64;
  static constexpr auto kWriteStallMax = std::chrono::seconds(30);
  static constexpr auto kHandshakeMax = std::chrono::seconds(10);
  static constexpr auto kLoginMax = std::chrono::seconds(30);
  static constexpr std::size_t kTlsChunkBytes = 64u << 10;

  // Takes ownership of `fd` (non-blocking; closed by the destructor).
  Connection(int fd, std::string client_address, Reactor& reactor, RequestHandler& handler,
             ConnectionLimits limits, const std::atomic<bool>& stopping, const ListenerContext& listener);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd() const { return fd_; }
  const std::string& client_address() const { return session_.client_address; }

  // The socket is readable: reads (through `scratch`, the reactor's buffer) and handles what came.
  void on_readable(std::span<std::byte> scratch);
  // The socket is writable again.
  void on_writable();
  // A parked response's ready() came true or its deadline passed (its reactor's mailbox).
  void on_resumed(void* parked);
  // The socket reported an error or a hang-up: nothing more can be read or written.
  void on_hangup();
  // The server stops: read nothing more; answer what was read, then end.
  void on_stop();
  // Closes it now if silent for idle_timeout or stalled in a write for kWriteStallMax.
  void check_timeouts(Clock::time_point now);

  // The epoll events it wants now.
  std::uint32_t interest() const;
  // Shut down or failed: its socket has nothing more to report.
  bool socket_closed() const { return write_failed_ || ended_; }
  // Nothing more to do: closed (or ended by the client) and no response left, none parked.
  bool finished() const { return ended_ && queue_.empty(); }
  // Decrypted-but-unread input is waiting inside the TLS session (epoll cannot see it): the reactor calls
  // on_readable() when the connection wants to read again.
  bool has_buffered_input() const;

 private:
  struct Outgoing {
    PendingResponse pending;
    std::size_t charge = 0;   // bytes counted against the reactor's in-flight budget
    bool parked = false;      // with the waiter, or its reactor for acknowledgements
    bool finished = false;    // finish ran (or there is none): the frame is final
    std::size_t sent = 0;     // bytes of the frame written so far
  };

  std::size_t receive(std::span<std::byte> scratch);
  // recv(), or on TLS plaintext from the session (reading ciphertext from the socket as it needs): recv()'s
  // conventions (-1 with errno, EPROTO for a TLS failure; 0 at the end).
  ssize_t read_socket(std::byte* out, std::size_t size);
  // Sends the ciphertext waiting in the session: false when the socket is full (or the write failed).
  bool flush_tls();
  bool send_front_tls(Outgoing& outgoing, std::size_t total);
  void shut_down_socket();
  // The front response as iovecs from byte `skip` on (after `header`, its size and correlation id).
  static std::vector<iovec> frame_parts(const Outgoing& outgoing, const std::byte* header, std::size_t skip);
  // Handles the complete frames in `data`; returns how many bytes it consumed.
  std::size_t handle_frames(std::span<const std::byte> data);
  // One frame; false when the connection must end.
  bool handle_frame(std::span<const std::byte> frame);
  void queue(PendingResponse pending, std::size_t request_bytes);
  // The response is ready to send: its latency observed, its bytes charged to the reactor.
  void mark_finished(Outgoing& outgoing);
  void park(Outgoing& outgoing);
  void try_finish(Outgoing& outgoing);
  void send_ready();
  // Writes what it can of the front response: true when all of it went out.
  bool send_front(Outgoing& outgoing);
  void release_front();
  void handle_buffered();
  void end_reading(const std::string& why);
  void fail_writes(const std::string& why);
  // After a send that answered -1: EINTR (try again), EAGAIN (the write is now blocked) or a failure
  // (fail_writes was called).
  enum class SendFailure { kInterrupted, kBlocked, kFailed };
  SendFailure send_failed();
  void log(const std::string& message) const;
  bool holding() const;

  const int fd_;
  Session session_;
  Reactor& reactor_;
  RequestHandler& handler_;
  const ConnectionLimits limits_;
  const std::atomic<bool>& stopping_;

  // The start of a frame not yet complete (empty, and freed once quiet for a second).
  InputBuffer input_;
  std::deque<std::unique_ptr<Outgoing>> queue_;
  bool reading_done_ = false;  // the client ended, broke a rule, or the server stops
  bool write_failed_ = false;  // answers are dropped (their continuations still finish)
  bool ended_ = false;         // reading done and the socket shut down (or failed)
  bool write_blocked_ = false;
  Clock::time_point last_activity_;
  Clock::time_point write_blocked_since_;
  const Clock::time_point opened_;

  std::unique_ptr<security::TlsSession> tls_;  // ssl and sasl_ssl listeners
  bool tls_principal_taken_ = false;           // the client certificate's subject looked at
  std::vector<std::byte> tls_out_;             // ciphertext taken from the session, not yet sent
  std::size_t tls_out_sent_ = 0;
};

}  // namespace strata::kafka
