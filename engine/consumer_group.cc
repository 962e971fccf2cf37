// Consumer-group checkpoints: <dir>/<topic>/groups/<group>, holding GroupCheckpoint.
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/format.h"
#include "io/file.h"
#include "strata/log.h"
#include "strata/reader.h"

namespace strata {

namespace {

struct GroupCheckpoint {
  char magic[8];           // "STRATGRP"
  std::uint64_t offset;    // the next offset to process (everything below was processed)
  std::uint64_t checksum;  // xxh3-64 of the 16 bytes before it
};
static_assert(sizeof(GroupCheckpoint) == 24);
constexpr char kGroupMagic[8] = {'S', 'T', 'R', 'A', 'T', 'G', 'R', 'P'};

std::uint64_t checksum_of(const GroupCheckpoint& checkpoint) {
  return format::checksum(
      {reinterpret_cast<const std::byte*>(&checkpoint), offsetof(GroupCheckpoint, checksum)});
}

Status validate(std::string_view topic, std::string_view group) {
  STRATA_RETURN_IF_ERROR(validate_topic_name(topic));
  Status status = validate_topic_name(group);
  if (!status.is_ok()) return invalid_argument("group name: " + status.message());
  return Status::ok();
}

}  // namespace

Status commit_group_offset(const std::string& dir, std::string_view topic, std::string_view group,
                           std::uint64_t offset) {
  STRATA_RETURN_IF_ERROR(validate(topic, group));
  const std::string topic_dir = dir + "/" + std::string(topic);
  const std::string groups_dir = topic_dir + "/groups";
  STRATA_RETURN_IF_ERROR(io::create_directory(topic_dir));
  STRATA_RETURN_IF_ERROR(io::create_directory(groups_dir));
  const std::string path = groups_dir + "/" + std::string(group);
  const std::string temporary = path + ".tmp";
  GroupCheckpoint checkpoint{};
  std::memcpy(checkpoint.magic, kGroupMagic, sizeof checkpoint.magic);
  checkpoint.offset = offset;
  checkpoint.checksum = checksum_of(checkpoint);
  auto file = io::File::open(temporary, io::OpenMode::kReadWriteCreate);
  if (!file) return file.status();
  STRATA_RETURN_IF_ERROR(
      file->write_at({reinterpret_cast<const std::byte*>(&checkpoint), sizeof checkpoint}, 0));
  STRATA_RETURN_IF_ERROR(file->sync_data());
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    return io_error("rename " + temporary + ": " + std::strerror(errno));
  }
  return io::sync_directory(groups_dir);  // the rename itself must survive a crash
}

Result<std::uint64_t> read_group_offset(const std::string& dir, std::string_view topic,
                                        std::string_view group) {
  STRATA_RETURN_IF_ERROR(validate(topic, group));
  const std::string path = dir + "/" + std::string(topic) + "/groups/" + std::string(group);
  auto file = io::File::open(path, io::OpenMode::kReadOnly);
  if (!file) {
    if (file.status().code() == StatusCode::kNotFound) {
      return Status(StatusCode::kNotFound,
                    "group " + std::string(group) + " has no checkpoint for topic " + std::string(topic));
    }
    return file.status();
  }
  GroupCheckpoint checkpoint{};
  auto read = file->read_at({reinterpret_cast<std::byte*>(&checkpoint), sizeof checkpoint}, 0);
  if (!read) return read.status();
  if (*read != sizeof checkpoint || std::memcmp(checkpoint.magic, kGroupMagic, sizeof kGroupMagic) != 0 ||
      checkpoint.checksum != checksum_of(checkpoint)) {
    return corruption(path + ": not a valid group checkpoint");
  }
  return checkpoint.offset;
}

}  // namespace strata
