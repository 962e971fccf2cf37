#include "strata/durability.h"

#include <array>

#include "engine/enum_names.h"

namespace strata {

namespace {
// Indexed by the enum's value.
constexpr std::array<std::string_view, 3> kDurabilityNames = {"none", "batch", "sync"};
}  // namespace

std::string_view durability_name(Durability durability) {
  return detail::enum_name(kDurabilityNames, durability);
}

bool parse_durability(std::string_view name, Durability* durability) {
  return detail::parse_enum_name(kDurabilityNames, name, durability);
}

}  // namespace strata
