// FileLock: an exclusive advisory lock (flock) on a file, created if missing, held while the object lives.
// Public so that folders built on the public API (projection/, security/) lock their files the way the log
// locks its directory (base/file_lock.cc).
// Another process's lock makes acquire() answer kBusy.
#pragma once

#include <string>

#include "strata/status.h"

namespace strata {

class FileLock {
 public:
  FileLock() = default;
  ~FileLock() { release(); }
  FileLock(FileLock&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) { other.fd_ = -1; }
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  // Takes the lock without waiting: kBusy when another open file description holds it.
  static Result<FileLock> acquire(const std::string& path);
  bool is_held() const { return fd_ >= 0; }
  void release();

 private:
  FileLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

}  // namespace strata
