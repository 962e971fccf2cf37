// File: an owned file descriptor with the operations the log needs, each returning a Status that names the
// file. Direct IO (O_DIRECT) is a property of how the file was opened; alignment() says what it requires.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "strata/status.h"

namespace strata::io {

enum class OpenMode : std::uint8_t {
  kReadOnly,
  kReadWrite,              // buffered; the file must exist
  kReadWriteCreate,        // buffered
  kReadWriteCreateDirect,  // O_DIRECT: every write's buffer, length and offset must be aligned
};

class File {
 public:
  File() = default;
  ~File();
  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  static Result<File> open(const std::string& path, OpenMode mode);

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  bool is_open() const { return fd_ >= 0; }

  // Direct-IO alignment for offsets and lengths: statx's DIOALIGN when the kernel reports it, otherwise the
  // filesystem block size.
  Result<std::size_t> direct_io_alignment() const;
  Result<std::uint64_t> size() const;
  // Which file this is (device and inode): two paths, or one path at two times, name the same file only
  // when these agree.
  struct Identity {
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    auto operator<=>(const Identity&) const = default;
  };
  Result<Identity> identity() const;
  // How many names the file has: 0 once it was removed or renamed over (a path now names another file).
  Result<std::uint64_t> link_count() const;

  // An advisory lock (flock) shared between processes, waiting for it: exclusive, or shared with other
  // shared holders. Held by this open file (every thread using it), until unlock() or close.
  Status lock(bool exclusive);
  void unlock();

  // Reserves [0, bytes) on disk so later writes do not extend the file (no metadata to sync per write).
  Status preallocate(std::uint64_t bytes);
  // Makes [offset, offset + bytes) read back as zeros, keeping the space allocated.
  Status zero_range(std::uint64_t offset, std::uint64_t bytes);
  Status truncate(std::uint64_t bytes);
  Status make_read_only();  // fchmod 0444
  Status sync_data();  // fdatasync
  Status sync_all();   // fsync

  // Reads up to out.size() bytes at offset; returns how many were read (short only at end of file).
  Result<std::size_t> read_at(std::span<std::byte> out, std::uint64_t offset) const;
  // Turns O_DIRECT on or off for this descriptor's later reads and writes (fcntl F_SETFL); an error where the
  // filesystem refuses direct IO.
  Status set_direct(bool direct);
  // read_at for a descriptor in direct mode: out's address and size and the offset must be aligned. One read,
  // short at the end of the file (where read_at would try again at an unaligned offset).
  Result<std::size_t> read_direct_at(std::span<std::byte> out, std::uint64_t offset) const;
  // Writes all of `bytes` at offset (buffered files; tests and small metadata files).
  Status write_at(std::span<const std::byte> bytes, std::uint64_t offset);

  void close();

 private:
  File(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

// fsync on a directory, so that a file created, renamed or removed in it survives a crash.
Status sync_directory(const std::string& path);
// Creates the directory if missing (one level).
Status create_directory(const std::string& path);
// Writes `bytes` to dir/name durably and atomically: a temporary file, fsync, rename over the old one,
// fsync of the directory. A crash leaves the old file or the new one, never a mix.
Status replace_file_durably(const std::string& dir, const std::string& name, std::span<const std::byte> bytes);
// Creates dir/name holding `bytes`, durably and whole (a temporary file, fsync, link, fsync of the directory):
// kAlreadyExists, leaving the existing file alone, when the name exists.
Status create_file_durably(const std::string& dir, const std::string& name, std::span<const std::byte> bytes);
// Renames dir/from to dir/to (replacing it) and fsyncs the directory, so the rename survives a crash.
Status rename_durably(const std::string& dir, const std::string& from, const std::string& to);
// The whole content of a small file; kCorruption when it is larger than bytes_max, kNotFound when missing.
Result<std::vector<std::byte>> read_small_file(const std::string& path, std::size_t bytes_max);
// The names in a directory (not "." and ".."), unsorted; kNotFound when it does not exist.
Result<std::vector<std::string>> list_directory(const std::string& path);
struct DirectoryEntry {
  std::string name;
  bool is_directory;
};
Result<std::vector<DirectoryEntry>> list_directory_entries(const std::string& path);
// Removes a file; a missing one is fine.
Status remove_file(const std::string& path);
// Removes a directory and everything in it (one level of files, as a partition directory holds).
Status remove_directory_files(const std::string& path);
// Whether files in directory `dir` can be opened with O_DIRECT (tmpfs on older kernels and some overlay
// setups refuse it with EINVAL). Probes with a scratch file, removed again.
Result<bool> supports_direct_io(const std::string& dir);
// For tests: before each fallocate, fdatasync, fsync (of a file or directory), pwrite and rename, asks `hook`
// for an errno to fail the call with (0: make it). `operation` is the call's name ("fallocate"). Empty: none.
using FileFaultHook = std::function<int(std::string_view operation, const std::string& path)>;
void set_file_fault_hook_for_testing(FileFaultHook hook);

// Makes supports_direct_io() answer false from now on, as such a filesystem would (false: ask the
// filesystem again). For tests: no filesystem on this project's machines refuses O_DIRECT.
void force_direct_io_refusal_for_testing(bool refuse);

}  // namespace strata::io
