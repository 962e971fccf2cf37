// Checks for numeric command-line options that say in words what was wanted. CLI11 2.1's own PositiveNumber
// and NonNegativeNumber print their range as doubles ("not in range 0.000000 to 179769313486231570814..."),
// and its unsigned conversion takes "-5" as 2^64 - 5: `cat --count -5` printed everything and `--from -3`
// nothing.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>

namespace strata::tools {

// A whole number of at least `min`, in decimal digits only (no sign): "--events: expected a whole number of
// at least 1, got 0", "--from: expected a whole number (0 or more), got '-3'".
CLI::Validator whole_number(std::uint64_t min = 0);

// A partition index within a topic: 0 to kPartitionsMax - 1.
CLI::Validator partition_index();

// A size that is not negative, with a unit or without ("64MiB", "4096"): CLI11's AsSizeValue behind a check
// for a sign. Use it in place of `transform(CLI::AsSizeValue(false))`.
CLI::Validator size_value();

}  // namespace strata::tools
