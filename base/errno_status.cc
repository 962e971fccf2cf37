#include "strata/errno_status.h"

#include <cerrno>
#include <cstring>
#include <string>

namespace strata {

namespace {

StatusCode code_for(int error_number) {
  switch (error_number) {
    case ENOSPC:
    case EDQUOT:
      return StatusCode::kNoSpace;
    case ENOENT:
      return StatusCode::kNotFound;
    case EEXIST:
      return StatusCode::kAlreadyExists;
    case EWOULDBLOCK:
    case EBUSY:
      return StatusCode::kBusy;
    case EACCES:  // permissions and read-only filesystems: the caller pointed us at the wrong place
    case EPERM:
    case EROFS:
    case EINVAL:
    case ENAMETOOLONG:
    case ENOTDIR:
    case EISDIR:
      return StatusCode::kInvalidArgument;
    case ENOSYS:
    case EOPNOTSUPP:
      return StatusCode::kUnsupported;
    case ETIME:
    case ETIMEDOUT:
      return StatusCode::kTimedOut;
    default:
      return StatusCode::kIoError;  // EIO, EBADF and anything unexpected
  }
}

}  // namespace

Status status_from_errno(int error_number, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += std::strerror(error_number);
  return {code_for(error_number), std::move(message)};
}

}  // namespace strata
