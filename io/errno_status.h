// The one place where an errno becomes a Status. Everything in io/ returns Status or Result; nothing above
// io/ looks at errno.
#pragma once

#include <string_view>

#include "strata/status.h"

namespace strata::io {

// `what` names the operation and its object ("fdatasync /d/t/000.seg"); the message adds strerror.
Status status_from_errno(int error_number, std::string_view what);

}  // namespace strata::io
