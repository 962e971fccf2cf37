// JSON text for the command line's --json and --format json output.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace strata::tools {

// A quoted JSON string. Valid UTF-8 passes through; quotes, backslashes and control characters are escaped;
// a byte that is not part of valid UTF-8 (event values are arbitrary bytes) becomes \u00XX, so the output
// is always valid JSON.
std::string json_string(std::string_view text);
std::string json_string(std::span<const std::byte> bytes);

// A JSON number with six significant digits; null for NaN and infinities, which JSON cannot spell.
std::string json_number(double value);

}  // namespace strata::tools
