// A network thread's event loop (see reactor.h).
#include "kafka/reactor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>

#include "base/socket.h"
#include "strata/errno_status.h"

namespace strata::kafka {

namespace {

constexpr std::size_t kScratchBytes = 256u << 10;
constexpr int kEventsMax = 256;
constexpr int kAcceptsPerWakeMax = 64;  // then the other reactors and the connections get a turn
constexpr auto kTimeoutCheckInterval = std::chrono::seconds(1);
constexpr auto kAcceptPause = std::chrono::milliseconds(100);  // out of descriptors with no spare to refuse on
constexpr auto kStopWritesMax = std::chrono::milliseconds(500);  // then a stopping server drops unsent answers
constexpr auto kRefusalLogInterval = std::chrono::seconds(1);
constexpr std::uint32_t kUnregistered = UINT32_MAX;  // Owned::registered of a socket taken out of epoll
// epoll's user data for the wake-up descriptor (a listening socket's is its ReactorListener).
char wake_tag;

std::string address_text(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(v4->sin_port));
  }
  if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(v6->sin6_port));
  }
  return "unknown";
}

Status watch(const WakeSource& source, int fd) {
  if (auto* producer = std::get_if<Producer*>(&source)) return (*producer)->watch_acknowledgements(fd);
  if (auto* log = std::get_if<Log*>(&source)) return (*log)->watch_appends(fd);
  if (auto* commits = std::get_if<GroupCommits*>(&source)) return (*commits)->watch(fd);
  return Status::ok();
}

void unwatch(const WakeSource& source, int fd) {
  if (auto* producer = std::get_if<Producer*>(&source)) (*producer)->unwatch_acknowledgements(fd);
  if (auto* log = std::get_if<Log*>(&source)) (*log)->unwatch_appends(fd);
  if (auto* commits = std::get_if<GroupCommits*>(&source)) (*commits)->unwatch(fd);
}

bool out_of_descriptors_or_memory(int error) {
  return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

}  // namespace

Reactor::Reactor(std::vector<ReactorListener> listeners, ReactorShared shared, ReactorOptions options)
    : listeners_(std::move(listeners)), shared_(shared), options_(options), scratch_(kScratchBytes) {}

Result<std::unique_ptr<Reactor>> Reactor::create(std::vector<ReactorListener> listeners, ReactorShared shared,
                                                 ReactorOptions options) {
  std::unique_ptr<Reactor> reactor(new Reactor(std::move(listeners), shared, options));
  reactor->epoll_fd_.reset(epoll_create1(EPOLL_CLOEXEC));
  if (!reactor->epoll_fd_.is_open()) return status_from_errno(errno, "epoll_create1 for a reactor");
  reactor->wake_fd_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!reactor->wake_fd_.is_open()) return status_from_errno(errno, "eventfd for a reactor");
  reactor->spare_fd_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.ptr = &wake_tag;
  if (epoll_ctl(reactor->epoll_fd_.get(), EPOLL_CTL_ADD, reactor->wake_fd_.get(), &wake) != 0 || !reactor->watch_listeners()) {
    return status_from_errno(errno, "epoll_ctl adding a reactor's sockets");
  }
  return reactor;
}

bool Reactor::watch_listeners() {
  for (const ReactorListener& listener : listeners_) {
    epoll_event listen{};
    // EPOLLEXCLUSIVE: a new connection wakes one reactor, not all of them.
    listen.events = EPOLLIN | EPOLLEXCLUSIVE;
    listen.data.ptr = const_cast<ReactorListener*>(&listener);
    if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, listener.fd, &listen) != 0 && errno != EEXIST) return false;
  }
  return true;
}

const ReactorListener* Reactor::listening_socket(const void* tag) const {
  for (const ReactorListener& listener : listeners_) {
    if (&listener == tag) return &listener;
  }
  return nullptr;
}

void Reactor::unwatch_listeners() {
  for (const ReactorListener& listener : listeners_) (void)epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, listener.fd, nullptr);
}

Reactor::~Reactor() {
  for (const WakeSource& source : watched_) unwatch(source, wake_fd_.get());
  connections_.clear();  // before the descriptors below close (members)
}

void Reactor::wake() {
  const std::uint64_t one = 1;
  (void)::write(wake_fd_.get(), &one, sizeof one);
}

void Reactor::post(Connection* connection, void* parked) {
  bool was_empty = false;
  {
    std::lock_guard lock(mailbox_mutex_);
    was_empty = mailbox_.empty();
    mailbox_.emplace_back(connection, parked);
  }
  if (was_empty) wake();  // else a wake-up is already on its way
}

void Reactor::release(std::size_t bytes) {
  // The paused connections read again at the end of this loop iteration (run()); not here, where a
  // connection may be inside its own callback.
  in_flight_bytes_ -= bytes;
}

void Reactor::settle(Connection* connection) {
  auto found = connections_.find(connection);
  if (found == connections_.end()) return;
  Owned& owned = found->second;
  // TLS input decrypted ahead is invisible to epoll: read it as soon as the connection reads again.
  if (!connection->socket_closed() && connection->has_buffered_input() && (connection->interest() & EPOLLIN) != 0) {
    connection->on_readable(scratch_);
  }
  if (connection->finished()) {
    if (owned.registered != kUnregistered) (void)epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, connection->fd(), nullptr);
    paused_.erase(connection);
    connections_.erase(found);
    shared_.connections.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  if (connection->socket_closed()) {
    // Shut down or reset: epoll would report it on every wait until its parked responses finish.
    if (owned.registered != kUnregistered) (void)epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, connection->fd(), nullptr);
    owned.registered = kUnregistered;
    paused_.erase(connection);
    return;
  }
  const std::uint32_t wanted = connection->interest();
  if (over_budget() && (wanted & EPOLLIN) == 0) {
    paused_.insert(connection);
  } else {
    paused_.erase(connection);
  }
  if (wanted == owned.registered) return;
  epoll_event event{};
  event.events = wanted;
  event.data.ptr = connection;
  (void)epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, connection->fd(), &event);
  owned.registered = wanted;
}

void Reactor::refuse_without_descriptors(const ReactorListener& listener, int error) {
  // Accept the connection on the spare descriptor and close it: the client learns at once, and the listening
  // socket does not stay ready (which would spin this loop).
  bool refused = false;
  if (spare_fd_.is_open()) {
    spare_fd_.reset();
    const int fd = ::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      ::close(fd);
      refused = true;
    }
    spare_fd_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  }
  if (!spare_fd_.is_open()) {
    // No spare (another thread took the descriptor): stop looking at the sockets for a moment instead.
    unwatch_listeners();
    accept_paused_until_ = std::chrono::steady_clock::now() + kAcceptPause;
    accept_paused_ = true;
  }
  if (!refused) return;
  ++refusals_unlogged_;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_refusal_log_ >= kRefusalLogInterval) {
    std::fprintf(stderr, "strata serve: refused %zu connection(s): %s (raise ulimit -n or lower --max-connections)\n",
                 refusals_unlogged_, status_from_errno(error, "accept").message().c_str());
    refusals_unlogged_ = 0;
    last_refusal_log_ = now;
  }
}

void Reactor::resume_accepting() {
  if (!accept_paused_ || stop_begun_ || std::chrono::steady_clock::now() < accept_paused_until_) return;
  if (!spare_fd_.is_open()) spare_fd_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (watch_listeners()) accept_paused_ = false;
}

void Reactor::accept_one(int fd, const std::string& client, const ReactorListener& listener) {
  const std::size_t open = shared_.connections.fetch_add(1, std::memory_order_relaxed);
  if (open >= options_.connections_max) {
    shared_.connections.fetch_sub(1, std::memory_order_relaxed);
    ::close(fd);
    ++refusals_unlogged_;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_refusal_log_ >= kRefusalLogInterval) {
      std::fprintf(stderr, "strata serve: %s: refused (and %zu more since the last line): %zu connections already (--max-connections)\n",
                   client.c_str(), refusals_unlogged_ - 1, open);
      refusals_unlogged_ = 0;
      last_refusal_log_ = now;
    }
    return;
  }
  (void)set_no_delay(fd, client);  // only latency is at stake: serve the connection either way
  try {
    auto connection = std::make_unique<Connection>(fd, client, *this, shared_.handler, options_.connection,
                                                   shared_.stopping, *listener.context);
    Connection* raw = connection.get();
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = raw;
    if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
      std::fprintf(stderr, "strata serve: %s: refused: %s\n", client.c_str(),
                   status_from_errno(errno, "epoll_ctl").message().c_str());
      shared_.connections.fetch_sub(1, std::memory_order_relaxed);
      return;  // the Connection closes fd
    }
    connections_.emplace(raw, Owned{std::move(connection), EPOLLIN});
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "strata serve: %s: refused: out of memory\n", client.c_str());
    shared_.connections.fetch_sub(1, std::memory_order_relaxed);
  }
}

void Reactor::accept_ready(const ReactorListener& listener) {
  for (int i = 0; i < kAcceptsPerWakeMax && !stop_begun_; ++i) {
    sockaddr_storage peer{};
    socklen_t peer_size = sizeof peer;
    const int fd = ::accept4(listener.fd, reinterpret_cast<sockaddr*>(&peer), &peer_size,
                             SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      const int error = errno;
      if (error == EAGAIN || error == EWOULDBLOCK) return;
      if (error == EINTR || error == ECONNABORTED || error == EPROTO) continue;
      if (out_of_descriptors_or_memory(error)) {
        refuse_without_descriptors(listener, error);
        return;  // the connections and the other reactors get a turn (their closes free descriptors)
      }
      std::fprintf(stderr, "strata serve: %s\n", status_from_errno(error, "accept").message().c_str());
      return;
    }
    accept_one(fd, address_text(peer), listener);
  }
}

void Reactor::drain_mailbox() {
  std::vector<std::pair<Connection*, void*>> arrived;
  {
    std::lock_guard lock(mailbox_mutex_);
    arrived.swap(mailbox_);
  }
  for (auto [connection, parked] : arrived) {
    connection->on_resumed(parked);
    settle(connection);
  }
}

bool Reactor::sweep_local_waits() {
  if (local_waits_.empty()) return false;
  // Arm first: whatever the source publishes after the look below writes to wake_fd_. Only the sources
  // waited on now (a Fetch's log is not armed for a reactor that waits only for acknowledgements).
  armed_now_.clear();
  for (const LocalWait& wait : local_waits_) {
    if (std::find(armed_now_.begin(), armed_now_.end(), wait.source) != armed_now_.end()) continue;
    armed_now_.push_back(wait.source);
    if (std::find(watched_.begin(), watched_.end(), wait.source) == watched_.end()) watched_.push_back(wait.source);
  }
  for (const WakeSource& source : armed_now_) {
    if (Status armed = watch(source, wake_fd_.get()); !armed.is_ok() && !local_polling_) {
      std::fprintf(stderr, "strata serve: %s: polling every millisecond instead\n", armed.to_string().c_str());
      local_polling_ = true;
    }
  }
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(local_waits_, [&](const LocalWait& wait) {
    if (now < wait.deadline && !(*wait.ready)()) return false;
    local_waits_due_.push_back(wait);
    return true;
  });
  for (const LocalWait& wait : local_waits_due_) {
    wait.connection->on_resumed(wait.parked);
    settle(wait.connection);
  }
  const bool resumed = !local_waits_due_.empty();
  local_waits_due_.clear();
  return resumed;
}

int Reactor::epoll_timeout_ms() const {
  // Stopping: the timeouts are looked at every 100 ms, so a connection stalled in a write ends in time.
  int timeout_ms = stop_begun_ || accept_paused_ ? 100 : 1000;
  if (local_waits_.empty()) return timeout_ms;
  if (local_polling_) return 1;
  const auto now = std::chrono::steady_clock::now();
  for (const LocalWait& wait : local_waits_) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(wait.deadline - now).count();
    timeout_ms = static_cast<int>(std::clamp<std::int64_t>(left, 0, timeout_ms));
  }
  return timeout_ms;
}

void Reactor::check_timeouts() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_timeout_check_) return;
  next_timeout_check_ = now + kTimeoutCheckInterval;
  if (refusals_unlogged_ > 0 && now - last_refusal_log_ >= kRefusalLogInterval) {
    std::fprintf(stderr, "strata serve: refused %zu more connection(s) since the last line, for the same reason\n",
                 refusals_unlogged_);
    refusals_unlogged_ = 0;
    last_refusal_log_ = now;
  }
  std::vector<Connection*> all;
  all.reserve(connections_.size());
  for (auto& [raw, owned] : connections_) all.push_back(raw);
  for (Connection* connection : all) {
    connection->check_timeouts(now);
    settle(connection);
  }
}

void Reactor::begin_stop() {
  stop_begun_ = true;
  stop_begun_at_ = std::chrono::steady_clock::now();
  unwatch_listeners();
  std::vector<Connection*> all;
  for (auto& [raw, owned] : connections_) all.push_back(raw);
  for (Connection* connection : all) {
    connection->on_stop();
    settle(connection);
  }
}

void Reactor::run() {
  epoll_event events[kEventsMax];
  next_timeout_check_ = std::chrono::steady_clock::now() + kTimeoutCheckInterval;
  for (;;) {
    if (shared_.stopping.load(std::memory_order_acquire) && !stop_begun_) begin_stop();
    if (stop_begun_ && connections_.empty()) return;
    if (stop_begun_ && !stop_forced_ && std::chrono::steady_clock::now() - stop_begun_at_ >= kStopWritesMax) {
      // A client that does not read its answers does not hold the server's stop up.
      stop_forced_ = true;
      std::vector<Connection*> all;
      for (auto& [raw, owned] : connections_) all.push_back(raw);
      for (Connection* connection : all) {
        connection->on_hangup();
        settle(connection);
      }
    }
    const bool resumed = sweep_local_waits();
    const int ready = epoll_wait(epoll_fd_.get(), events, kEventsMax, resumed ? 0 : epoll_timeout_ms());
    if (ready < 0 && errno != EINTR) {
      std::fprintf(stderr, "strata serve: %s\n", status_from_errno(errno, "epoll_wait").message().c_str());
      return;
    }
    for (int i = 0; i < ready; ++i) {
      void* tag = events[i].data.ptr;
      if (const ReactorListener* listener = listening_socket(tag)) {
        accept_ready(*listener);
      } else if (tag == &wake_tag) {
        std::uint64_t count = 0;
        (void)::read(wake_fd_.get(), &count, sizeof count);
      } else {
        auto* connection = static_cast<Connection*>(tag);
        if (connections_.find(connection) == connections_.end()) continue;  // ended earlier in this batch
        if ((events[i].events & (EPOLLERR | EPOLLHUP)) != 0) {
          connection->on_hangup();
        } else {
          if ((events[i].events & EPOLLOUT) != 0) connection->on_writable();
          if ((events[i].events & EPOLLIN) != 0) connection->on_readable(scratch_);
        }
        settle(connection);
      }
    }
    drain_mailbox();
    if (!over_budget() && !paused_.empty()) {
      std::vector<Connection*> paused(paused_.begin(), paused_.end());
      for (Connection* connection : paused) settle(connection);
    }
    check_timeouts();
    resume_accepting();
  }
}

}  // namespace strata::kafka
