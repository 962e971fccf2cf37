// Random bytes from the kernel (getrandom), for identifiers that must differ across runs and machines.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "strata/status.h"

namespace strata::io {

// Fills `out`; `what` names the purpose in the error ("the log id of topic orders").
Status random_bytes(std::span<std::byte> out, std::string_view what);

}  // namespace strata::io
