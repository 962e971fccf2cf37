// The metrics endpoint's accept, read and write loop (see metrics_http.h).
#include "kafka/metrics_http.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "kafka/http_request.h"
#include "kafka/listener.h"
#include "kafka/metrics_text.h"
#include "strata/errno_status.h"

namespace strata::kafka {

namespace {

using Clock = std::chrono::steady_clock;

struct Client {
  int fd = -1;
  Clock::time_point deadline;
  std::string in;
  std::string head;  // the answer's status line and headers, once the request is read
  std::string body;  // then its body (a reused buffer)
  std::size_t sent = 0;  // of head, then body
};

// Bodies of finished answers, kept with their capacity for the next ones.
using Spares = std::vector<std::string>;

void answer(const MetricsEndpoint::Render& render, HttpParse parsed, const HttpRequest& request, Client& client) {
  constexpr std::string_view kText = "text/plain; charset=utf-8";
  const bool head_only = parsed == HttpParse::kComplete && request.method == "HEAD";
  int status = 200;
  std::string_view type = kPrometheusTextContentType;
  std::string_view extra;
  if (parsed == HttpParse::kTooLarge) {
    status = 431, type = kText, client.body = "request head over 8 KiB\n";
  } else if (parsed != HttpParse::kComplete) {
    status = 400, type = kText, client.body = "not an HTTP/1.x request\n";
  } else if (request.method != "GET" && !head_only) {
    status = 405, type = kText, extra = "Allow: GET, HEAD\r\n", client.body = "only GET and HEAD\n";
  } else if (request.path != "/metrics") {
    status = 404, type = kText, client.body = "not found: try /metrics\n";
  } else if (Status rendered = render(&client.body); !rendered.is_ok()) {
    status = 500, type = kText, client.body = rendered.to_string() + "\n";
  }
  client.head = http_response_head(status, client.body.size(), type, extra);
  if (head_only) client.body.clear();
}

// Reads what arrived; true while the client stays open. Sets the answer once the request head is complete.
bool read_request(Client& client, const MetricsEndpoint::Render& render, Spares& spares) {
  char buffer[4096];
  const ssize_t n = ::recv(client.fd, buffer, sizeof buffer, 0);
  if (n == 0) return false;
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  client.in.append(buffer, static_cast<std::size_t>(n));
  HttpRequest request;
  const HttpParse parsed = parse_http_request(client.in, MetricsEndpoint::kRequestBytesMax, &request);
  if (parsed == HttpParse::kIncomplete) return true;
  if (!spares.empty()) {
    client.body = std::move(spares.back());
    spares.pop_back();
  }
  client.body.clear();
  answer(render, parsed, request, client);
  client.in = std::string();
  return true;
}

// Writes what the socket takes; true while there is more to write.
bool write_answer(Client& client) {
  iovec parts[2];
  int count = 0;
  auto add = [&](const std::string& text, std::size_t from) {
    if (from < text.size()) parts[count++] = {const_cast<char*>(text.data()) + from, text.size() - from};
  };
  add(client.head, client.sent);
  add(client.body, client.sent > client.head.size() ? client.sent - client.head.size() : 0);
  if (count == 0) return false;
  msghdr message{};
  message.msg_iov = parts;
  message.msg_iovlen = static_cast<std::size_t>(count);
  const ssize_t n = ::sendmsg(client.fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  client.sent += static_cast<std::size_t>(n);
  return client.sent < client.head.size() + client.body.size();
}

void close_client(Client& client, Spares& spares) {
  ::close(client.fd);
  client.fd = -1;
  if (client.body.capacity() > 0 && spares.size() < MetricsEndpoint::kClientsMax) {
    spares.push_back(std::move(client.body));
  }
}

void serve_client(Client& client, short revents, const MetricsEndpoint::Render& render, Spares& spares) {
  if ((revents & (POLLERR | POLLNVAL)) != 0) return close_client(client, spares);
  if (client.head.empty()) {
    if (!read_request(client, render, spares)) return close_client(client, spares);
    if (client.head.empty()) return;
  }
  if (!write_answer(client)) close_client(client, spares);  // all written (most answers fit at once), or failed
}

}  // namespace

MetricsEndpoint::MetricsEndpoint(std::string host, std::uint16_t port, int listen_fd, int wake_fd, Render render)
    : host_(std::move(host)), port_(port), listen_fd_(listen_fd), wake_fd_(wake_fd), render_(std::move(render)) {}

Result<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::start(const std::string& host, std::uint16_t port,
                                                                Render render) {
  auto listener = Listener::bind(host, port);
  if (!listener) return listener.status();
  const int wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) return status_from_errno(errno, "eventfd for the metrics endpoint");
  const std::uint16_t bound = listener->port();
  std::unique_ptr<MetricsEndpoint> endpoint(
      new MetricsEndpoint(host, bound, listener->release(), wake_fd, std::move(render)));
  endpoint->thread_ = std::thread([raw = endpoint.get()] { raw->serve(); });
  return endpoint;
}

MetricsEndpoint::~MetricsEndpoint() {
  stop();
  ::close(listen_fd_);
  ::close(wake_fd_);
}

std::string MetricsEndpoint::address() const {
  const bool v6 = host_.find(':') != std::string::npos;
  return (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_);
}

void MetricsEndpoint::stop() {
  std::lock_guard lock(stop_mutex_);
  stopping_.store(true, std::memory_order_release);
  const std::uint64_t one = 1;
  (void)::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

void MetricsEndpoint::serve() {
  std::vector<Client> clients;
  std::vector<pollfd> fds;
  Spares spares;
  while (!stopping_.load(std::memory_order_acquire)) {
    const auto now = Clock::now();
    std::erase_if(clients, [&](Client& client) {
      if (client.fd >= 0 && now < client.deadline) return false;
      if (client.fd >= 0) close_client(client, spares);  // too slow: 10 s to send a request and take its answer
      return true;
    });
    fds.assign({{wake_fd_, POLLIN, 0}, {listen_fd_, static_cast<short>(clients.size() < kClientsMax ? POLLIN : 0), 0}});
    int timeout_ms = kDeadlineMs;
    for (const Client& client : clients) {
      fds.push_back({client.fd, static_cast<short>(client.head.empty() ? POLLIN : POLLOUT), 0});
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(client.deadline - now).count();
      timeout_ms = std::min<int>(timeout_ms, static_cast<int>(std::max<std::int64_t>(left, 0)) + 1);
    }
    if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) {
      std::fprintf(stderr, "strata serve: metrics: %s\n", status_from_errno(errno, "poll").message().c_str());
      break;
    }
    for (std::size_t i = 0; i < clients.size(); ++i) {
      if (fds[i + 2].revents != 0) serve_client(clients[i], fds[i + 2].revents, render_, spares);
    }
    if ((fds[1].revents & POLLIN) != 0) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd >= 0) clients.push_back({fd, Clock::now() + std::chrono::milliseconds(kDeadlineMs), {}, {}, {}, 0});
    }
  }
  for (Client& client : clients) {
    if (client.fd >= 0) close_client(client, spares);
  }
}

}  // namespace strata::kafka
