// Names of an enum whose values are 0, 1, 2, ...: the table is indexed by the value. For the names users type
// (compression=zstd, --durability sync).
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace strata::detail {

// "unknown" for a value past the table.
template <typename Enum, std::size_t N>
std::string_view enum_name(const std::array<std::string_view, N>& names, Enum value) {
  const auto index = static_cast<std::size_t>(value);
  return index < N ? names[index] : "unknown";
}

// The value named exactly `name`; false (and *value untouched) for anything else.
template <typename Enum, std::size_t N>
bool parse_enum_name(const std::array<std::string_view, N>& names, std::string_view name, Enum* value) {
  for (std::size_t i = 0; i < N; ++i) {
    if (name == names[i]) {
      *value = static_cast<Enum>(i);
      return true;
    }
  }
  return false;
}

}  // namespace strata::detail
