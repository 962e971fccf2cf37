// base/: errno as a Status, the file lock, owned descriptors and the socket options.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "base/socket.h"
#include "strata/errno_status.h"
#include "strata/file_lock.h"

namespace strata {
namespace {

bool is_open_descriptor(int fd) {
  return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

std::string temporary_path(const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/strata-base-test-" + std::to_string(::getpid()) + "-" + name;
}

TEST(ErrnoStatus, CodeFollowsTheErrnoAndTheMessageSaysWhatAndWhy) {
  EXPECT_EQ(status_from_errno(ENOSPC, "x").code(), StatusCode::kNoSpace);
  EXPECT_EQ(status_from_errno(EDQUOT, "x").code(), StatusCode::kNoSpace);
  EXPECT_EQ(status_from_errno(ENOENT, "x").code(), StatusCode::kNotFound);
  EXPECT_EQ(status_from_errno(EEXIST, "x").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(status_from_errno(EWOULDBLOCK, "x").code(), StatusCode::kBusy);
  EXPECT_EQ(status_from_errno(EACCES, "x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status_from_errno(EOPNOTSUPP, "x").code(), StatusCode::kUnsupported);
  EXPECT_EQ(status_from_errno(ETIMEDOUT, "x").code(), StatusCode::kTimedOut);
  EXPECT_EQ(status_from_errno(EIO, "x").code(), StatusCode::kIoError);
  EXPECT_EQ(status_from_errno(ECONNRESET, "x").code(), StatusCode::kIoError);  // anything unexpected
  const Status status = status_from_errno(ENOENT, "open /d/t/000.seg");
  EXPECT_EQ(status.message(), "open /d/t/000.seg: No such file or directory");
}

TEST(FileLock, ASecondLockOnTheSameFileIsBusyUntilTheFirstIsReleased) {
  const std::string path = temporary_path("lock");
  auto first = FileLock::acquire(path);
  ASSERT_TRUE(first) << first.status().to_string();
  EXPECT_TRUE(first->is_held());
  auto second = FileLock::acquire(path);  // another open file description: flock conflicts
  ASSERT_FALSE(second);
  EXPECT_EQ(second.status().code(), StatusCode::kBusy);
  EXPECT_NE(second.status().message().find("flock " + path), std::string::npos) << second.status().to_string();
  first->release();
  EXPECT_FALSE(first->is_held());
  auto third = FileLock::acquire(path);
  EXPECT_TRUE(third) << third.status().to_string();
  ::unlink(path.c_str());
}

TEST(FileLock, AMissingDirectorySaysWhichPath) {
  const std::string path = temporary_path("no-such-dir") + "/lock";
  auto lock = FileLock::acquire(path);
  ASSERT_FALSE(lock);
  EXPECT_EQ(lock.status().code(), StatusCode::kNotFound);
  EXPECT_NE(lock.status().message().find("open " + path), std::string::npos) << lock.status().to_string();
}

TEST(OwnedFd, ClosesOnDestructionAndResetButNotAfterRelease) {
  int raw = -1;
  {
    OwnedFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    raw = fd.get();
    ASSERT_TRUE(fd.is_open());
    EXPECT_TRUE(is_open_descriptor(raw));
  }
  EXPECT_FALSE(is_open_descriptor(raw));

  OwnedFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  raw = fd.get();
  fd.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  EXPECT_FALSE(is_open_descriptor(raw)) << "reset closes the one held";
  raw = fd.release();
  EXPECT_FALSE(fd.is_open());
  EXPECT_TRUE(is_open_descriptor(raw)) << "release hands it over open";
  ::close(raw);
}

TEST(OwnedFd, MovingHandsOverTheDescriptorAndClosesTheOneReplaced) {
  OwnedFd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  OwnedFd b(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int a_raw = a.get();
  const int b_raw = b.get();
  b = std::move(a);
  EXPECT_FALSE(a.is_open());  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  EXPECT_EQ(b.get(), a_raw);
  EXPECT_FALSE(is_open_descriptor(b_raw));
  OwnedFd c(std::move(b));
  EXPECT_EQ(c.get(), a_raw);
  EXPECT_TRUE(is_open_descriptor(a_raw));
}

TEST(SocketOptions, NonblockingAndNoDelayAreSetOnATcpSocket) {
  OwnedFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(fd.is_open());
  ASSERT_EQ(::fcntl(fd.get(), F_GETFL) & O_NONBLOCK, 0);
  ASSERT_TRUE(set_nonblocking(fd.get(), "test socket").is_ok());
  EXPECT_NE(::fcntl(fd.get(), F_GETFL) & O_NONBLOCK, 0);
  ASSERT_TRUE(set_no_delay(fd.get(), "test socket").is_ok());
  int value = 0;
  socklen_t size = sizeof value;
  ASSERT_EQ(::getsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &value, &size), 0);
  EXPECT_EQ(value, 1);
}

TEST(SocketOptions, FailuresNameTheSocketAndTheOption) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  OwnedFd read_end(pipe_fds[0]);
  OwnedFd write_end(pipe_fds[1]);
  const Status not_a_socket = set_no_delay(read_end.get(), "pipe end");
  ASSERT_FALSE(not_a_socket.is_ok());
  EXPECT_NE(not_a_socket.message().find("setsockopt TCP_NODELAY on pipe end"), std::string::npos)
      << not_a_socket.to_string();
  const int closed = ::dup(write_end.get());
  ::close(closed);
  const Status bad_descriptor = set_nonblocking(closed, "closed socket");
  ASSERT_FALSE(bad_descriptor.is_ok());
  EXPECT_NE(bad_descriptor.message().find("fcntl O_NONBLOCK on closed socket"), std::string::npos)
      << bad_descriptor.to_string();
}

}  // namespace
}  // namespace strata
