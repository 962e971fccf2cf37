#include "tests/engine/power_cut_model.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace strata::testing {
namespace {

constexpr std::size_t kSectorBytes = 512;  // what a device writes whole

bool is_sync(std::string_view operation) {
  return operation == "fdatasync" || operation == "fsync";
}

std::string parent_of(const std::string& path) {
  return std::filesystem::path(path).parent_path().string();
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("power cut model: writing " + path);
}

// `durable` with `now`'s bytes over its first `sectors` sectors: a write that reached the device in part.
std::string torn(const std::string& durable, const std::string& now, std::size_t sectors) {
  const std::size_t cut = std::min(now.size(), sectors * kSectorBytes);
  std::string bytes = now.substr(0, cut);
  if (durable.size() > cut) bytes += durable.substr(cut);
  return bytes;
}

}  // namespace

PowerCutModel::PowerCutModel(std::string dir) : dir_(std::move(dir)) {
  durable_names_ = list_and_hold();
  for (const auto& [name, inode] : durable_names_) durable_bytes_[inode] = content(inode);
}

PowerCutModel::~PowerCutModel() {
  for (const auto& [inode, fd] : held_) ::close(fd);
}

PowerCutModel::Names PowerCutModel::list_and_hold() {
  Names names;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    if (!entry.is_regular_file()) continue;
    const std::string path = entry.path().string();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;  // removed meanwhile
    struct stat info {};
    ::fstat(fd, &info);
    if (held_.emplace(info.st_ino, fd).second == false) ::close(fd);
    names[entry.path().filename().string()] = info.st_ino;
  }
  return names;
}

std::string PowerCutModel::content(ino_t inode) const {
  const int fd = held_.at(inode);
  struct stat info {};
  ::fstat(fd, &info);
  std::string bytes(static_cast<std::size_t>(info.st_size), '\0');
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::pread(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

void PowerCutModel::observe(std::string_view operation, const std::string& path) {
  const bool directory_sync = operation == "fsync directory" && path == dir_;
  if (!directory_sync && parent_of(path) != dir_) return;
  const Names names = list_and_hold();  // holds new files before they can be removed and their inode reused
  if (directory_sync) {
    durable_names_ = names;
  } else if (is_sync(operation)) {
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && held_.contains(info.st_ino)) {
      durable_bytes_[info.st_ino] = content(info.st_ino);
    }
  }
}

void PowerCutModel::write_image(const std::string& out, CutImage image, std::mt19937_64& random) {
  const Names today = list_and_hold();
  const bool durable_names = image == CutImage::kDurableOnly || (image == CutImage::kRandom && random() % 2 == 0);
  std::filesystem::create_directories(out);
  for (const auto& [name, inode] : durable_names ? durable_names_ : today) {
    const auto synced = durable_bytes_.find(inode);
    const std::string durable = synced != durable_bytes_.end() ? synced->second : std::string();
    std::string bytes = durable;
    if (image == CutImage::kRandom) {
      const std::string now = content(inode);
      const std::size_t sectors = (std::max(now.size(), durable.size()) + kSectorBytes - 1) / kSectorBytes;
      switch (random() % 3) {
        case 0: break;
        case 1: bytes = now; break;
        default: bytes = torn(durable, now, random() % (sectors + 1)); break;
      }
    }
    write_file(out + "/" + name, bytes);
  }
}

}  // namespace strata::testing
