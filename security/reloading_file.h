// A decoded file that follows changes made by another process (`strata user add` while a server runs): at
// most every check interval, current() stats the file and decodes it again when its identity (inode, size,
// modification time) changed. Writers replace the file by rename, so a new inode marks every change. A file
// that fails to load keeps the previous content in force (and says why in last_error()); a missing file
// loads as empty. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "strata/durable_file.h"
#include "strata/status.h"

namespace strata::security {

using FileStamp = FileVersion;

// The file's content, or nothing (an empty vector and stamp zero) when it is missing.
struct FileContent {
  std::vector<std::byte> bytes;
  FileStamp stamp;
  bool exists = false;
};
Result<FileContent> read_file_content(const std::string& path, std::size_t bytes_max);

inline constexpr std::chrono::milliseconds kReloadCheckInterval{200};

template <typename T>
class ReloadingFile {
 public:
  // `decode` turns the file's bytes into T; called with an empty span when the file is missing (decode
  // must then answer the empty T).
  using Decoder = std::function<Result<T>(const FileContent& content, const std::string& path)>;

  ReloadingFile(std::string path, Decoder decode, std::chrono::milliseconds check_interval = kReloadCheckInterval)
      : path_(std::move(path)), decode_(std::move(decode)), check_interval_(check_interval) {}

  // The first load: the error (naming the file) when it is corrupt or unreadable.
  Status load() {
    std::lock_guard lock(mutex_);
    return reload_locked();
  }

  // The content in force, reloaded first when the check interval passed and the file changed.
  std::shared_ptr<const T> current() {
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    if (now - last_check_.load(std::memory_order_relaxed) >= check_interval_ns()) {
      std::lock_guard lock(mutex_);
      last_check_.store(now, std::memory_order_relaxed);  // relaxed: only throttles how often we stat
      auto stamp = file_version(path_);
      if (!stamp || !(*stamp == stamp_)) (void)reload_locked();
    }
    std::lock_guard lock(mutex_);
    return value_;
  }

  // Why the last reload failed (OK when it did not), and how many loads took effect.
  Status last_error() const {
    std::lock_guard lock(mutex_);
    return last_error_;
  }
  std::uint64_t generation() const { return generation_.load(std::memory_order_relaxed); }
  const std::string& path() const { return path_; }

 private:
  std::int64_t check_interval_ns() const {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(check_interval_).count();
  }
  Status reload_locked() {
    auto content = read_file_content(path_, std::size_t{64} << 20);
    if (!content) return last_error_ = content.status();
    auto decoded = decode_(*content, path_);
    if (!decoded) return last_error_ = decoded.status();
    value_ = std::make_shared<const T>(std::move(decoded.value()));
    stamp_ = content->stamp;
    generation_.fetch_add(1, std::memory_order_relaxed);
    return last_error_ = Status::ok();
  }

  const std::string path_;
  const Decoder decode_;
  const std::chrono::milliseconds check_interval_;
  mutable std::mutex mutex_;
  std::shared_ptr<const T> value_ = std::make_shared<const T>();
  FileStamp stamp_;
  Status last_error_;
  std::atomic<std::int64_t> last_check_{0};
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace strata::security
