#include "io/file.h"

#include <dirent.h>

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <thread>
#include <vector>
#include <utility>

#include "strata/errno_status.h"
#include "io/sync_paths.h"

namespace strata::io {

namespace {

std::atomic<bool> file_fault_hook_set{false};  // skips the mutex when no test installed a hook
std::mutex file_fault_hook_mutex;
FileFaultHook& file_fault_hook() {
  static FileFaultHook hook;
  return hook;
}

// The errno a test wants `operation` on `path` to fail with; 0 (always, outside tests): make the call.
int injected_fault(std::string_view operation, const std::string& path) {
  if (!file_fault_hook_set.load(std::memory_order_acquire)) [[likely]] {
    return 0;
  }
  std::lock_guard lock(file_fault_hook_mutex);
  return file_fault_hook() ? file_fault_hook()(operation, path) : 0;
}

// Bounds the retries of a call interrupted by a signal (EINTR) or making no progress.
constexpr int kInterruptedRetriesMax = 64;

}  // namespace

void set_file_fault_hook_for_testing(FileFaultHook hook) {
  std::lock_guard lock(file_fault_hook_mutex);
  file_fault_hook_set.store(static_cast<bool>(hook), std::memory_order_release);
  file_fault_hook() = std::move(hook);
}

File::~File() {
  close();
}

File::File(File&& other) noexcept : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

void File::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<File> File::open(const std::string& path, OpenMode mode) {
  int flags = O_CLOEXEC;
  switch (mode) {
    case OpenMode::kReadOnly:
      flags |= O_RDONLY;
      break;
    case OpenMode::kReadWrite:
      flags |= O_RDWR;
      break;
    case OpenMode::kReadWriteCreate:
      flags |= O_RDWR | O_CREAT;
      break;
    case OpenMode::kReadWriteCreateDirect:
      flags |= O_RDWR | O_CREAT | O_DIRECT;
      break;
  }
  const int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return status_from_errno(errno, "open " + path);
  return File(fd, path);
}

Result<std::size_t> File::direct_io_alignment() const {
  struct statx info {};
  if (::statx(fd_, "", AT_EMPTY_PATH, STATX_DIOALIGN | STATX_BLOCKS, &info) != 0) {
    return status_from_errno(errno, "statx " + path_);
  }
  if ((info.stx_mask & STATX_DIOALIGN) != 0 && info.stx_dio_offset_align != 0) {
    return static_cast<std::size_t>(info.stx_dio_offset_align);
  }
  return static_cast<std::size_t>(info.stx_blksize);
}

Result<std::uint64_t> File::size() const {
  struct stat info {};
  if (::fstat(fd_, &info) != 0) return status_from_errno(errno, "fstat " + path_);
  return static_cast<std::uint64_t>(info.st_size);
}

Result<File::Identity> File::identity() const {
  struct stat info {};
  if (::fstat(fd_, &info) != 0) return status_from_errno(errno, "fstat " + path_);
  return Identity{static_cast<std::uint64_t>(info.st_dev), static_cast<std::uint64_t>(info.st_ino)};
}

Result<std::uint64_t> File::link_count() const {
  struct stat info {};
  if (::fstat(fd_, &info) != 0) return status_from_errno(errno, "fstat " + path_);
  return static_cast<std::uint64_t>(info.st_nlink);
}

Status File::lock(bool exclusive) {
  while (::flock(fd_, exclusive ? LOCK_EX : LOCK_SH) != 0) {
    if (errno != EINTR) return status_from_errno(errno, "flock " + path_);
  }
  return Status::ok();
}

void File::unlock() { (void)::flock(fd_, LOCK_UN); }

Status File::preallocate(std::uint64_t bytes) {
  const int fault = injected_fault("fallocate", path_);
  if (fault != 0 || ::fallocate(fd_, 0, 0, static_cast<off_t>(bytes)) != 0) {
    return status_from_errno(fault != 0 ? fault : errno, "fallocate " + path_);
  }
  return Status::ok();
}

Status File::make_read_only() {
  if (::fchmod(fd_, 0444) != 0) return status_from_errno(errno, "making " + path_ + " read-only");
  return Status::ok();
}

Status File::zero_range(std::uint64_t offset, std::uint64_t bytes) {
  if (bytes == 0) return Status::ok();
  if (::fallocate(fd_, FALLOC_FL_ZERO_RANGE, static_cast<off_t>(offset), static_cast<off_t>(bytes)) == 0) {
    return Status::ok();
  }
  if (errno != EOPNOTSUPP) return status_from_errno(errno, "zeroing a range of " + path_);
  // Filesystems without ZERO_RANGE: punch a hole, then allocate it again.
  if (::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                  static_cast<off_t>(bytes)) != 0 ||
      ::fallocate(fd_, 0, static_cast<off_t>(offset), static_cast<off_t>(bytes)) != 0) {
    return status_from_errno(errno, "zeroing a range of " + path_);
  }
  return Status::ok();
}

Status File::truncate(std::uint64_t bytes) {
  if (::ftruncate(fd_, static_cast<off_t>(bytes)) != 0) return status_from_errno(errno, "ftruncate " + path_);
  return Status::ok();
}

Status File::sync_data() {
  const int fault = injected_fault("fdatasync", path_);
  if (fault != 0 || ::fdatasync(fd_) != 0) {
    return status_from_errno(fault != 0 ? fault : errno, "fdatasync " + path_);
  }
  return Status::ok();
}

Status File::sync_all() {
  const int fault = injected_fault("fsync", path_);
  if (fault != 0 || ::fsync(fd_) != 0) return status_from_errno(fault != 0 ? fault : errno, "fsync " + path_);
  return Status::ok();
}

Result<std::size_t> File::read_at(std::span<std::byte> out, std::uint64_t offset) const {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return status_from_errno(errno, "pread " + path_ + " at " + std::to_string(offset + done));
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

Status File::set_direct(bool direct) {
  const int flags = ::fcntl(fd_, F_GETFL);
  if (flags < 0) return status_from_errno(errno, "fcntl F_GETFL " + path_);
  if (::fcntl(fd_, F_SETFL, direct ? flags | O_DIRECT : flags & ~O_DIRECT) != 0) {
    const std::string what = direct ? "turning on O_DIRECT for " : "turning off O_DIRECT for ";
    return status_from_errno(errno, what + path_);
  }
  return Status::ok();
}

Result<std::size_t> File::read_direct_at(std::span<std::byte> out, std::uint64_t offset) const {
  for (;;) {
    const ssize_t n = ::pread(fd_, out.data(), out.size(), static_cast<off_t>(offset));
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) {
      return status_from_errno(errno, "direct pread " + path_ + " at " + std::to_string(offset));
    }
  }
}

Status File::write_at(std::span<const std::byte> bytes, std::uint64_t offset) {
  if (const int fault = injected_fault("pwrite", path_); fault != 0) {
    return status_from_errno(fault, "pwrite " + path_ + " at " + std::to_string(offset));
  }
  std::size_t done = 0;
  // Bounded: every pass writes something, or is one of a bounded number of interruptions.
  for (int stalls = 0; done < bytes.size();) {
    const ssize_t n =
        ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    const int error_number = n < 0 ? errno : EIO;  // a write of 0 bytes to a regular file: no progress
    if ((error_number == EINTR || n == 0) && ++stalls < kInterruptedRetriesMax) continue;
    return status_from_errno(error_number, "pwrite " + path_ + " at " + std::to_string(offset + done));
  }
  return Status::ok();
}

Status sync_directory(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return status_from_errno(errno, "open directory " + path);
  const int fault = injected_fault("fsync directory", path);
  const int result = fault != 0 ? -1 : ::fsync(fd);
  const int error_number = fault != 0 ? fault : errno;
  ::close(fd);
  if (result != 0) return status_from_errno(error_number, "fsync directory " + path);
  return Status::ok();
}

Status sync_paths(std::span<const std::string> paths, bool directories) {
  const std::string_view operation = directories ? "fsync directory" : "fsync";
  for (const std::string& path : paths) {
    if (const int fault = injected_fault(operation, path); fault != 0) {
      return status_from_errno(fault, std::string(operation) + " " + path);
    }
  }
  std::atomic<std::size_t> next{0};
  std::mutex error_mutex;
  Status error;
  auto work = [&] {
    for (std::size_t i = next.fetch_add(1, std::memory_order_relaxed); i < paths.size();
         i = next.fetch_add(1, std::memory_order_relaxed)) {
      const std::string& path = paths[i];
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (directories ? O_DIRECTORY : 0));
      const bool synced = fd >= 0 && ::fsync(fd) == 0;
      const int error_number = errno;
      if (fd >= 0) ::close(fd);
      if (!synced) {
        std::lock_guard lock(error_mutex);
        if (error.is_ok()) error = status_from_errno(error_number, std::string(operation) + " " + path);
      }
    }
  };
  constexpr std::size_t kThreadsMax = 16;  // the fsyncs wait on the device, not on a core
  std::vector<std::thread> threads;
  for (std::size_t t = 1; t < std::min(kThreadsMax, paths.size()); ++t) threads.emplace_back(work);
  work();
  for (std::thread& thread : threads) thread.join();
  return error;
}


namespace {
std::atomic<bool> direct_io_refused_for_testing{false};
}  // namespace

void force_direct_io_refusal_for_testing(bool refuse) {
  direct_io_refused_for_testing.store(refuse);
}

Result<bool> supports_direct_io(const std::string& dir) {
  if (direct_io_refused_for_testing.load()) return false;
  const std::string probe_path = dir + "/.direct-io-probe";
  const int probe = ::open(probe_path.c_str(), O_RDWR | O_CREAT | O_DIRECT | O_CLOEXEC, 0644);
  if (probe < 0) {
    if (errno == EINVAL) return false;
    return status_from_errno(errno, "open " + probe_path);
  }
  ::close(probe);
  ::unlink(probe_path.c_str());
  return true;
}

Status create_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return status_from_errno(errno, "mkdir " + path);
  return Status::ok();
}

Status replace_file_durably(const std::string& dir, const std::string& name, std::span<const std::byte> bytes) {
  const std::string path = dir + "/" + name;
  const std::string temporary = path + ".tmp";
  auto file = File::open(temporary, OpenMode::kReadWriteCreate);
  if (!file) return file.status();
  STRATA_RETURN_IF_ERROR(file->truncate(0));
  STRATA_RETURN_IF_ERROR(file->write_at(bytes, 0));
  STRATA_RETURN_IF_ERROR(file->sync_all());
  file->close();
  const int fault = injected_fault("rename", path);
  if (fault != 0 || ::rename(temporary.c_str(), path.c_str()) != 0) {
    return status_from_errno(fault != 0 ? fault : errno, "rename " + temporary + " to " + path);
  }
  return sync_directory(dir);  // the rename itself must survive a crash
}

Status create_file_durably(const std::string& dir, const std::string& name, std::span<const std::byte> bytes) {
  const std::string path = dir + "/" + name;
  // Unique per process: two processes may create the same name at once; link() lets exactly one win.
  const std::string temporary = path + ".tmp-" + std::to_string(::getpid());
  {
    auto file = File::open(temporary, OpenMode::kReadWriteCreate);
    if (!file) return file.status();
    Status written = file->truncate(0);
    if (written.is_ok()) written = file->write_at(bytes, 0);
    if (written.is_ok()) written = file->sync_all();
    if (!written.is_ok()) {
      (void)::unlink(temporary.c_str());
      return written;
    }
  }
  const int linked = ::link(temporary.c_str(), path.c_str()) == 0 ? 0 : errno;
  (void)::unlink(temporary.c_str());
  if (linked != 0) return status_from_errno(linked, "link " + temporary + " to " + path);
  return sync_directory(dir);
}

Status rename_durably(const std::string& dir, const std::string& from, const std::string& to) {
  const std::string from_path = dir + "/" + from;
  const std::string to_path = dir + "/" + to;
  if (::rename(from_path.c_str(), to_path.c_str()) != 0) {
    return status_from_errno(errno, "rename " + from_path + " to " + to_path);
  }
  return sync_directory(dir);
}

Result<std::vector<std::byte>> read_small_file(const std::string& path, std::size_t bytes_max) {
  auto file = File::open(path, OpenMode::kReadOnly);
  if (!file) return file.status();
  auto size = file->size();
  if (!size) return size.status();
  if (*size > bytes_max) {
    return corruption(path + ": " + std::to_string(*size) + " bytes, more than the " + std::to_string(bytes_max) +
                      " such a file can hold");
  }
  std::vector<std::byte> bytes(*size);
  auto read = file->read_at(bytes, 0);
  if (!read) return read.status();
  bytes.resize(*read);
  return bytes;
}

Result<std::vector<DirectoryEntry>> list_directory_entries(const std::string& path) {
  DIR* listing = ::opendir(path.c_str());
  if (listing == nullptr) return status_from_errno(errno, "opendir " + path);
  std::vector<DirectoryEntry> entries;
  errno = 0;
  while (const dirent* entry = ::readdir(listing)) {
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    bool is_directory = entry->d_type == DT_DIR;
    if (entry->d_type == DT_UNKNOWN) {
      struct stat info {};
      is_directory = ::stat((path + "/" + std::string(name)).c_str(), &info) == 0 && S_ISDIR(info.st_mode);
    }
    entries.push_back({std::string(name), is_directory});
  }
  const int error_number = errno;
  ::closedir(listing);
  if (error_number != 0) return status_from_errno(error_number, "readdir " + path);
  return entries;
}

Result<std::vector<std::string>> list_directory(const std::string& path) {
  auto entries = list_directory_entries(path);
  if (!entries) return entries.status();
  std::vector<std::string> names;
  for (auto& entry : *entries) names.push_back(std::move(entry.name));
  return names;
}

Status remove_file(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return status_from_errno(errno, "remove " + path);
  return Status::ok();
}

Status remove_directory_files(const std::string& path) {
  auto names = list_directory(path);
  if (!names) return names.status().code() == StatusCode::kNotFound ? Status::ok() : names.status();
  for (const std::string& name : *names) STRATA_RETURN_IF_ERROR(remove_file(path + "/" + name));
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return status_from_errno(errno, "rmdir " + path);
  return Status::ok();
}

}  // namespace strata::io
