#include "engine/segment_files.h"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "engine/format.h"

namespace strata::detail {

Result<std::vector<std::uint64_t>> list_segment_bases(const std::string& topic_dir) {
  DIR* listing = ::opendir(topic_dir.c_str());
  if (listing == nullptr) {
    if (errno == ENOENT) return Status(StatusCode::kNotFound, "no topic directory " + topic_dir);
    return io_error("opendir " + topic_dir + ": " + std::strerror(errno));
  }
  std::vector<std::uint64_t> bases;
  while (const dirent* entry = ::readdir(listing)) {
    std::uint64_t base = 0;
    if (format::parse_segment_file_name(entry->d_name, &base)) bases.push_back(base);
  }
  ::closedir(listing);
  std::sort(bases.begin(), bases.end());
  return bases;
}

std::string segment_path(const std::string& topic_dir, std::uint64_t base_offset) {
  return topic_dir + "/" + format::segment_file_name(base_offset);
}

std::string index_path(const std::string& topic_dir, std::uint64_t base_offset) {
  return topic_dir + "/" + format::index_file_name(base_offset);
}

}  // namespace strata::detail
