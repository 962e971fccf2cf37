// Byte-level helpers of the projector: UTF-8 validation (a key or value binds as TEXT only when valid) and
// the stable hash of a projection's definition. Internal to projection/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace strata::projection {

// True when `bytes` is well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::span<const std::byte> bytes);

// 64-bit FNV-1a over the parts (each followed by a zero byte, so ("ab","c") and ("a","bc") differ), as 16
// lowercase hex digits. Stable across builds and machines: it is stored in databases.
std::string definition_hash(std::initializer_list<std::string_view> parts);

}  // namespace strata::projection
