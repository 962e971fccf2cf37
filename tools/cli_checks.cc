#include "tools/cli_checks.h"

#include <charconv>
#include <string>

#include "strata/log.h"

namespace strata::tools {

CLI::Validator whole_number(std::uint64_t min) {
  const std::string wanted = min == 0 ? std::string("a whole number (0 or more)")
                                      : "a whole number of at least " + std::to_string(min);
  return CLI::Validator(
      [min, wanted](std::string& input) -> std::string {
        std::uint64_t value = 0;
        const char* end = input.data() + input.size();
        const auto [stop, error] = std::from_chars(input.data(), end, value);
        // from_chars takes no '+' and no leading space; '-' is refused for an unsigned type.
        if (input.empty() || error != std::errc{} || stop != end) {
          return "expected " + wanted + ", got '" + input + "'";
        }
        if (value < min) return "expected " + wanted + ", got " + input;
        return {};
      },
      "", "whole number");
}

CLI::Validator partition_index() {
  return CLI::Range(std::int64_t{0}, std::int64_t{kPartitionsMax - 1});
}

CLI::Validator size_value() {
  const CLI::Validator sizes = CLI::AsSizeValue(false);
  return CLI::Validator(
      [sizes](std::string& input) -> std::string {
        const std::size_t first = input.find_first_not_of(" \t");
        if (first != std::string::npos && input[first] == '-') {
          return "expected a size of 0 or more (units such as 64MiB work), got '" + input + "'";
        }
        return sizes(input);
      },
      sizes.get_description(), "size");
}

}  // namespace strata::tools
