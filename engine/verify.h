// verify: checks every record of every segment of a log directory (read-only; takes no lock).
#pragma once

#include <functional>
#include <string>
#include <vector>
#include <string>
#include <vector>

#include "strata/status.h"

namespace strata::detail {

struct VerifyProblem {
  std::string file;
  std::uint64_t position = 0;
  std::string reason;
};

struct VerifyReport {
  std::uint64_t segments = 0;
  std::uint64_t events = 0;
  std::uint64_t bytes = 0;
  std::vector<VerifyProblem> problems;
};

// `progress` (may be empty) is called after each segment with the segment's path.
Result<VerifyReport> verify_log(const std::string& dir, const std::string& topic,
                                const std::function<void(const std::string&)>& progress);

}  // namespace strata::detail
