// How a Fetch response's stored batches reach the socket: sendmsg with one iovec per batch pointing into
// the sealed segment's mapping (what kafka/connection.cc does: the kernel copies from the page cache into
// the socket buffers) against sendfile of the same byte range (no pass through user space; batches of a
// sealed segment lie back to back, so one sendfile covers a partition's run). Over loopback TCP to a thread
// that drains and discards, as a consumer on the same machine would; the file is in the page cache, as a
// recently written segment is. Arguments: response bytes, batch bytes.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t kFileBytes = 64u << 20;

// A segment-like file in the page cache, mapped, and a loopback connection whose far end is drained.
class Fixture {
 public:
  Fixture() {
    char path[] = "/tmp/strata-fetch-send-XXXXXX";
    file_fd_ = ::mkstemp(path);
    ::unlink(path);
    std::vector<char> chunk(1 << 20);
    for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<char>(i * 2654435761u >> 13);
    for (std::size_t at = 0; at < kFileBytes; at += chunk.size()) {
      if (::pwrite(file_fd_, chunk.data(), chunk.size(), static_cast<off_t>(at)) < 0) std::abort();
    }
    mapping_ = static_cast<const char*>(::mmap(nullptr, kFileBytes, PROT_READ, MAP_SHARED, file_fd_, 0));
    if (mapping_ == MAP_FAILED) std::abort();

    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener, 1) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      std::abort();
    }
    socket_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (::connect(socket_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) std::abort();
    const int drain_fd = ::accept(listener, nullptr, nullptr);
    ::close(listener);
    drain_ = std::thread([drain_fd] {
      std::vector<char> sink(1 << 20);
      while (::recv(drain_fd, sink.data(), sink.size(), 0) > 0) {
      }
      ::close(drain_fd);
    });
  }
  ~Fixture() {
    ::shutdown(socket_fd_, SHUT_RDWR);
    drain_.join();
    ::close(socket_fd_);
    ::munmap(const_cast<char*>(mapping_), kFileBytes);
    ::close(file_fd_);
  }
  int socket_fd() const { return socket_fd_; }
  int file_fd() const { return file_fd_; }
  const char* mapping() const { return mapping_; }

 private:
  int file_fd_ = -1;
  int socket_fd_ = -1;
  const char* mapping_ = nullptr;
  std::thread drain_;
};

Fixture& fixture() {
  static Fixture instance;
  return instance;
}

// The next response's start in the file: successive responses read successive ranges, wrapping.
std::size_t next_position(std::size_t* position, std::size_t response_bytes) {
  if (*position + response_bytes > kFileBytes) *position = 0;
  const std::size_t at = *position;
  *position += response_bytes;
  return at;
}

void send_all_iovecs(int fd, std::vector<iovec>& parts) {
  std::size_t index = 0;
  while (index < parts.size()) {
    msghdr message{};
    message.msg_iov = parts.data() + index;
    message.msg_iovlen = std::min<std::size_t>(parts.size() - index, IOV_MAX);
    ssize_t sent = ::sendmsg(fd, &message, MSG_NOSIGNAL);
    if (sent < 0) std::abort();
    while (sent > 0) {
      if (static_cast<std::size_t>(sent) >= parts[index].iov_len) {
        sent -= static_cast<ssize_t>(parts[index].iov_len);
        ++index;
      } else {
        parts[index].iov_base = static_cast<char*>(parts[index].iov_base) + sent;
        parts[index].iov_len -= static_cast<std::size_t>(sent);
        sent = 0;
      }
    }
  }
}

void BM_FetchSendmsgFromMapping(benchmark::State& state) {
  Fixture& f = fixture();
  const auto response_bytes = static_cast<std::size_t>(state.range(0));
  const auto batch_bytes = static_cast<std::size_t>(state.range(1));
  char header[64] = {};
  std::size_t position = 0;
  std::vector<iovec> parts;
  for (auto _ : state) {
    const std::size_t at = next_position(&position, response_bytes);
    parts.clear();
    parts.push_back({header, sizeof header});
    for (std::size_t offset = 0; offset < response_bytes; offset += batch_bytes) {
      parts.push_back(
          {const_cast<char*>(f.mapping() + at + offset), std::min(batch_bytes, response_bytes - offset)});
    }
    send_all_iovecs(f.socket_fd(), parts);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * response_bytes));
}

void BM_FetchSendfile(benchmark::State& state) {
  Fixture& f = fixture();
  const auto response_bytes = static_cast<std::size_t>(state.range(0));
  char header[64] = {};
  std::size_t position = 0;
  for (auto _ : state) {
    const std::size_t at = next_position(&position, response_bytes);
    if (::send(f.socket_fd(), header, sizeof header, MSG_MORE | MSG_NOSIGNAL) != sizeof header) std::abort();
    off_t offset = static_cast<off_t>(at);
    std::size_t left = response_bytes;
    while (left > 0) {
      const ssize_t sent = ::sendfile(f.socket_fd(), f.file_fd(), &offset, left);
      if (sent <= 0) std::abort();
      left -= static_cast<std::size_t>(sent);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * response_bytes));
}

// 1 MiB: Kafka's default max.partition.fetch.bytes; 64 KiB: a consumer keeping up. Batches of 16 KiB
// (linger-sized) and 1 MiB (a large producer batch). Real time: the drain thread shares the 2 cores.
BENCHMARK(BM_FetchSendmsgFromMapping)
    ->UseRealTime()
    ->Args({1 << 20, 16 << 10})
    ->Args({1 << 20, 1 << 20})
    ->Args({64 << 10, 16 << 10});
BENCHMARK(BM_FetchSendfile)
    ->UseRealTime()
    ->Args({1 << 20, 16 << 10})
    ->Args({1 << 20, 1 << 20})
    ->Args({64 << 10, 16 << 10});

}  // namespace

BENCHMARK_MAIN();
