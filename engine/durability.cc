#include "strata/durability.h"

#include <array>
#include <cstddef>

namespace strata {

namespace {
// Indexed by the enum's value.
constexpr std::array<std::string_view, 3> kDurabilityNames = {"none", "batch", "sync"};
}  // namespace

std::string_view durability_name(Durability durability) {
  const auto index = static_cast<std::size_t>(durability);
  return index < kDurabilityNames.size() ? kDurabilityNames[index] : "unknown";
}

bool parse_durability(std::string_view name, Durability* durability) {
  for (std::size_t i = 0; i < kDurabilityNames.size(); ++i) {
    if (name == kDurabilityNames[i]) {
      *durability = static_cast<Durability>(i);
      return true;
    }
  }
  return false;
}

}  // namespace strata
