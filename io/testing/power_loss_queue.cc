#include "io/testing/power_loss_queue.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

#include "strata/errno_status.h"

namespace strata::io {

namespace {

constexpr std::uint64_t kSectorBytes = 512;

std::string path_of_fd(int fd) {
  std::error_code error;
  const auto path = std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd), error);
  return error ? std::string() : path.string();
}

// What [offset, offset + bytes) of fd holds now; zeros past the end of the file. The buffer is aligned so
// that the read also works on an O_DIRECT descriptor (the writer's writes are block-aligned).
std::vector<std::byte> read_region(int fd, std::uint64_t offset, std::size_t bytes) {
  std::vector<std::byte> out(bytes);
  void* aligned = std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096);
  const ssize_t read = ::pread(fd, aligned, bytes, static_cast<off_t>(offset));
  if (read > 0) std::memcpy(out.data(), aligned, static_cast<std::size_t>(read));
  std::free(aligned);
  return out;
}

}  // namespace

bool PowerLossState::crashed() const {
  std::lock_guard lock(mutex_);
  return crashed_;
}

std::uint64_t PowerLossState::reaps() const {
  std::lock_guard lock(mutex_);
  return reaps_;
}

PowerLossState::CutSummary PowerLossState::summary() const {
  std::lock_guard lock(mutex_);
  return summary_;
}

Status PowerLossState::crash_now() {
  std::lock_guard lock(mutex_);
  return cut_locked();
}

void PowerLossState::queued_write(int fd, std::span<const std::byte> bytes, std::uint64_t offset,
                                  std::uint64_t user_data) {
  std::lock_guard lock(mutex_);
  const std::uint64_t id = next_write_id_++;
  unsynced_.push_back({id,
                       fd,
                       path_of_fd(fd),
                       offset,
                       {bytes.begin(), bytes.end()},
                       read_region(fd, offset, bytes.size()),
                       false});
  write_by_user_data_[user_data] = id;
  last_queued_write_ = id;
}

void PowerLossState::queued_sync(int fd, std::uint64_t user_data, bool linked) {
  std::lock_guard lock(mutex_);
  PendingSync sync{fd, {}};
  for (const PendingWrite& write : unsynced_) {
    if (write.fd == fd && (write.completed || (linked && write.id == last_queued_write_))) {
      sync.covers.push_back(write.id);
    }
  }
  sync_by_user_data_[user_data] = std::move(sync);
  last_queued_write_ = UINT64_MAX;
}

bool PowerLossState::on_reap_call() {
  std::lock_guard lock(mutex_);
  ++reaps_;
  if (!crashed_ && reaps_ == plan_.crash_at_reap) {
    // A cut the test cannot write down is a broken test, not a result: stop here.
    if (Status status = cut_locked(); !status.is_ok()) {
      std::fprintf(stderr, "power-loss cut failed: %s\n", status.to_string().c_str());
      std::abort();
    }
  }
  return crashed_;
}

void PowerLossState::completed(std::uint64_t user_data, std::int32_t result) {
  std::lock_guard lock(mutex_);
  if (const auto write = write_by_user_data_.find(user_data); write != write_by_user_data_.end()) {
    const auto found = std::find_if(unsynced_.begin(), unsynced_.end(),
                                    [&](const PendingWrite& w) { return w.id == write->second; });
    write_by_user_data_.erase(write);
    if (found == unsynced_.end() || result < 0) return;  // a failed write stays "maybe written", never synced
    // A short write put only its first `result` bytes there; the writer resubmits the rest as a new write.
    found->bytes.erase(found->bytes.begin() + result, found->bytes.end());
    found->previous.erase(found->previous.begin() + result, found->previous.end());
    found->completed = true;
    return;
  }
  const auto sync = sync_by_user_data_.find(user_data);
  if (sync == sync_by_user_data_.end()) return;
  if (result == 0) {
    std::erase_if(unsynced_, [&](const PendingWrite& w) {
      return std::find(sync->second.covers.begin(), sync->second.covers.end(), w.id) !=
             sync->second.covers.end();
    });
  }
  sync_by_user_data_.erase(sync);
}

Status PowerLossState::cut_locked() {
  if (crashed_) return Status::ok();
  crashed_ = true;
  std::error_code error;
  const std::string log_directory = std::filesystem::canonical(plan_.log_directory, error).string();
  if (error) return status_from_errno(error.value(), "canonical " + plan_.log_directory);
  STRATA_RETURN_IF_ERROR(copy_directory(log_directory, plan_.crash_directory));
  std::map<std::string, std::vector<const PendingWrite*>> by_path;  // each file's writes, in queue order
  for (const PendingWrite& write : unsynced_) {
    if (!write.path.starts_with(log_directory + "/")) continue;  // closed or not the log's
    by_path[write.path].push_back(&write);
  }
  for (const auto& [path, writes] : by_path) {
    STRATA_RETURN_IF_ERROR(
        rewrite_unsynced(writes, plan_.crash_directory + path.substr(log_directory.size())));
  }
  return Status::ok();
}

Status PowerLossState::copy_directory(const std::string& from, const std::string& to) const {
  // The log's other threads may rename a file in the middle of the copy (a topic's metadata is written to a
  // temporary file, then renamed): a file listed and gone by the time it is copied says only that, so the
  // copy starts over. (The cut is on the writer thread; nothing else writes segment data.)
  std::error_code error;
  for (int attempt = 0; attempt < 100; ++attempt) {
    error.clear();
    std::filesystem::remove_all(to, error);
    std::filesystem::copy(from, to, std::filesystem::copy_options::recursive, error);
    if (error != std::errc::no_such_file_or_directory) break;
  }
  if (error) return status_from_errno(error.value(), "copy " + from + " to " + to);
  return Status::ok();
}

Status PowerLossState::rewrite_unsynced(const std::vector<const PendingWrite*>& writes,
                                        const std::string& copy_path) {
  const int fd = ::open(copy_path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return status_from_errno(errno, "open " + copy_path);
  auto put = [&](std::span<const std::byte> bytes, std::uint64_t offset) {
    return ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset)) ==
           static_cast<ssize_t>(bytes.size());
  };
  bool ok = true;
  // What the device held before any of them: undo them newest first (a rewritten tail block's "previous"
  // is the older write's content).
  for (auto it = writes.rbegin(); it != writes.rend(); ++it) ok = ok && put((*it)->previous, (*it)->offset);
  std::vector<const PendingWrite*> kept;
  for (const PendingWrite* write : writes) {
    if (random_() % 2 == 0) kept.push_back(write);
  }
  summary_.dropped += writes.size() - kept.size();
  for (std::size_t i = 0; i < kept.size(); ++i) {
    std::span<const std::byte> bytes = kept[i]->bytes;
    if (i + 1 == kept.size() && random_() % 2 == 0) {
      const std::uint64_t sectors = bytes.size() / kSectorBytes;
      bytes = bytes.first(sectors == 0 ? 0 : random_() % sectors * kSectorBytes);
      ++summary_.torn;
    } else {
      ++summary_.kept;
    }
    ok = ok && put(bytes, kept[i]->offset);
  }
  const int error_number = errno;
  ::close(fd);
  if (!ok) return status_from_errno(error_number, "pwrite " + copy_path);
  return Status::ok();
}

bool PowerLossQueue::prep_write(int fd, std::span<const std::byte> bytes, std::uint64_t offset,
                                std::uint64_t user_data) {
  if (!inner_->prep_write(fd, bytes, offset, user_data)) return false;
  state_->queued_write(fd, bytes, offset, user_data);
  return true;
}

bool PowerLossQueue::prep_write_fixed(int fd, std::span<const std::byte> bytes, std::uint64_t offset,
                                      std::uint64_t user_data, unsigned index) {
  // The preimage is read before the kernel can see the write: prep only queues it until submit().
  if (!inner_->prep_write_fixed(fd, bytes, offset, user_data, index)) return false;
  state_->queued_write(fd, bytes, offset, user_data);
  return true;
}

bool PowerLossQueue::prep_sync(int fd, std::uint64_t user_data) {
  if (!inner_->prep_sync(fd, user_data)) return false;
  state_->queued_sync(fd, user_data, /*linked=*/false);
  return true;
}

bool PowerLossQueue::prep_sync_after_previous(int fd, std::uint64_t user_data) {
  if (!inner_->prep_sync_after_previous(fd, user_data)) return false;
  state_->queued_sync(fd, user_data, /*linked=*/true);
  return true;
}

Result<std::size_t> PowerLossQueue::reap(std::span<Completion> out, std::chrono::microseconds timeout) {
  const bool power_out = state_->on_reap_call();
  auto reaped = inner_->reap(out, timeout);
  if (!reaped) return reaped;
  for (std::size_t i = 0; i < *reaped; ++i) {
    if (power_out) {
      out[i].result = -EIO;  // the device is gone: nothing more is written or synced
    } else {
      state_->completed(out[i].user_data, out[i].result);
    }
  }
  return reaped;
}

}  // namespace strata::io
