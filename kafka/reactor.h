// Reactor: one network thread's event loop. It accepts from the shared listening socket (each reactor waits
// on it with EPOLLEXCLUSIVE, so one of them takes each new connection), owns the connections it accepted and
// drives them (kafka/connection.h): reads, decodes, handles and writes without blocking. A Produce waiting
// for acknowledgements and a Fetch waiting for events wait here (park_here: the engine writes to the
// reactor's wake eventfd); group waits park with the waiter (kafka/waiter.h), which hands them back through
// the reactor's mailbox.
//
// Why epoll and not io_uring: the engine's writers already use io_uring for the disk, but a network loop on
// it needs provided-buffer rings and multishot receive to avoid a buffer per idle connection, which is more
// machinery than epoll's readiness model for the same result here: an idle connection costs no buffer
// either way (the reactor reads through one scratch buffer), and a request's cost is dominated by handling,
// not by the readiness syscall. epoll keeps the loop small enough to make robust in one file.
//
// Bounds: the bytes of requests in flight on this reactor (a request's frame and its response, from when it
// is read until its response is written) are counted against in_flight_bytes_max; over it, no connection of
// this reactor reads from its socket until answers drain (backpressure, never an unbounded queue). The
// server's connections_max counts the connections of every reactor; one more is accepted and closed at once
// with a log line. Running out of file descriptors or memory refuses the connection the same way (through a
// spare descriptor kept for it), never aborts.
//
// Threads: run() on its own thread; post(), park(), wake() and the counters from any.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/socket.h"
#include "kafka/connection.h"
#include "kafka/waiter.h"

namespace strata::kafka {

struct ReactorOptions {
  ConnectionLimits connection;
  std::size_t in_flight_bytes_max = 64u << 20;
  std::size_t connections_max = 1024;  // of the whole server
};

// A listening socket (non-blocking, the server's) and its listener's context, handed to its connections.
struct ReactorListener {
  int fd = -1;
  const ListenerContext* context = nullptr;
};

// What every reactor of a server shares.
struct ReactorShared {
  RequestHandler& handler;
  Waiter& waiter;
  std::atomic<std::size_t>& connections;  // open, over all reactors
  const std::atomic<bool>& stopping;
};

class Reactor {
 public:
  // The listening sockets stay the caller's.
  static Result<std::unique_ptr<Reactor>> create(std::vector<ReactorListener> listeners, ReactorShared shared,
                                                 ReactorOptions options);
  ~Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // The loop: until the server stops and every connection of this reactor has ended.
  void run();
  // Any thread: look at the stopping flag and the mailbox now.
  void wake();

  // Connection callbacks (this reactor's thread).
  void charge(std::size_t bytes) { in_flight_bytes_ += bytes; }
  void release(std::size_t bytes);
  bool over_budget() const { return in_flight_bytes_ >= options_.in_flight_bytes_max; }
  void park(ParkedRequest request) { shared_.waiter.park(std::move(request)); }
  // A response whose readiness this reactor watches itself (PendingResponse::woken_by: a Produce waiting
  // for acknowledgements, a Fetch for new events): its wake fd is armed with the source before each
  // epoll_wait, and the connection resumes when `ready` turns true or `deadline` passes.
  struct LocalWait {
    Connection* connection;
    void* parked;
    WakeSource source;
    const std::function<bool()>* ready;  // the parked response's; lives while it is parked
    std::chrono::steady_clock::time_point deadline;
  };
  void park_here(LocalWait wait) { local_waits_.push_back(wait); }
  // Any thread (the waiter's): hands a parked response back to its connection on this reactor's thread.
  void post(Connection* connection, void* parked);

 private:
  Reactor(std::vector<ReactorListener> listeners, ReactorShared shared, ReactorOptions options);
  bool watch_listeners();
  // The listening socket whose epoll user data `tag` is, or nullptr.
  const ReactorListener* listening_socket(const void* tag) const;
  void unwatch_listeners();
  void accept_ready(const ReactorListener& listener);
  void accept_one(int fd, const std::string& client, const ReactorListener& listener);
  void refuse_without_descriptors(const ReactorListener& listener, int error);
  void resume_accepting();
  void drain_mailbox();
  void check_timeouts();
  void begin_stop();
  // Arms the wake fd with every source waited on, then resumes the local waits that are ready or due: true
  // when one was (what it parked again is armed on the next pass).
  bool sweep_local_waits();
  // epoll_wait's timeout: the next timeout check, or the earliest local wait's deadline.
  int epoll_timeout_ms() const;
  // Brings the connection's epoll registration in line with what it wants; destroys it when finished.
  void settle(Connection* connection);

  const std::vector<ReactorListener> listeners_;  // epoll's user data points at them
  ReactorShared shared_;
  const ReactorOptions options_;
  OwnedFd epoll_fd_;
  OwnedFd wake_fd_;
  OwnedFd spare_fd_;  // closed to accept (and close) one connection when descriptors run out
  bool stop_begun_ = false;
  bool accept_paused_ = false;
  std::chrono::steady_clock::time_point accept_paused_until_;
  bool stop_forced_ = false;
  std::chrono::steady_clock::time_point stop_begun_at_;
  std::size_t in_flight_bytes_ = 0;
  std::vector<std::byte> scratch_;
  struct Owned {
    std::unique_ptr<Connection> connection;
    std::uint32_t registered = 0;  // the epoll events it is registered for
  };
  std::unordered_map<Connection*, Owned> connections_;
  std::unordered_set<Connection*> paused_;  // registered without EPOLLIN while over the budget
  std::chrono::steady_clock::time_point next_timeout_check_;
  std::chrono::steady_clock::time_point last_refusal_log_;
  std::size_t refusals_unlogged_ = 0;

  std::vector<LocalWait> local_waits_;
  std::vector<LocalWait> local_waits_due_;
  std::vector<WakeSource> watched_;    // every source ever armed with wake_fd_ (unwatched by the destructor)
  std::vector<WakeSource> armed_now_;  // those sweep_local_waits() arms this pass
  bool local_polling_ = false;       // a source refused the fd: look every millisecond instead

  std::mutex mailbox_mutex_;
  std::vector<std::pair<Connection*, void*>> mailbox_;  // guarded by mailbox_mutex_
};

}  // namespace strata::kafka
