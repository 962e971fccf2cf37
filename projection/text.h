// Byte-level helpers of the projector: UTF-8 validation (a key or value binds as TEXT only when valid), the
// JSON object bound as :headers, and the normalized, stable hash of a projection's definition. Internal to
// projection/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "strata/reader.h"

namespace strata::projection {

// True when `bytes` is well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::span<const std::byte> bytes);

// 64-bit FNV-1a over the parts (each followed by a zero byte, so ("ab","c") and ("a","bc") differ), as 16
// lowercase hex digits. Stable across builds and machines: it is stored in databases.
std::string definition_hash(std::initializer_list<std::string_view> parts);

// SQL text as the definition compares it: surrounding whitespace and ';' dropped, every run of whitespace
// outside quotes ('text', "name", `name`, [name]) one space; so a final newline in an @FILE, an indentation
// or a line break moved does not count as a change, while a changed literal does.
std::string normalize_sql(std::string_view sql);

// Standard base64 (RFC 4648, with padding).
std::string base64(std::span<const std::byte> bytes);

// A record's headers as one JSON object {"name":"value",...}: a value as a JSON string when valid UTF-8, else
// its base64 text (a null value reads as ""); a repeated name keeps its last value (Kafka allows repeats; a JSON
// object has one value per name). Appends to `out` (cleared first), which callers keep to avoid allocating.
void headers_json(std::span<const EventHeader> headers, std::string& out);

}  // namespace strata::projection
