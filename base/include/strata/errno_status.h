// The one place where an errno becomes a Status: io/, the sockets of kafka/ and whatever else calls the kernel
// return Status or Result, never errno or strerror's text.
#pragma once

#include <string_view>

#include "strata/status.h"

namespace strata {

// `what` names the operation and its object ("fdatasync /d/t/000.seg"); the message adds strerror.
Status status_from_errno(int error_number, std::string_view what);

}  // namespace strata
