// SASL and ACL request frames built field by field from Kafka's message schemas (the codec test's inputs and
// the request fuzzer's seeds).
#pragma once

#include <string>
#include <vector>

#include "tests/kafka/request_builder.h"

namespace strata::kafka::testing {

inline WireWriter any_header(std::int16_t key, std::int16_t version, std::int16_t flexible_min) {
  return version >= flexible_min ? flexible_header(key, version) : header(key, version);
}

inline std::vector<std::byte> sasl_handshake_request(std::int16_t version, const std::string& mechanism) {
  WireWriter w = header(17, version);
  w.string(mechanism);
  return w.buffer();
}

inline std::vector<std::byte> sasl_authenticate_request(std::int16_t version, const std::string& token) {
  WireWriter w = any_header(36, version, 2);
  w.bytes(as_bytes(token));
  w.tagged_fields();
  return w.buffer();
}

// A filter matching `principal`'s bindings on any resource, or a literal topic binding/filter.
inline void acl_fields(WireWriter& w, std::int8_t resource_type, std::optional<std::string> name, std::int8_t pattern,
                       std::optional<std::string> principal, std::int8_t operation, std::int8_t permission) {
  w.int8(resource_type);
  w.nullable_string(name);
  w.int8(pattern);
  w.nullable_string(principal);
  w.nullable_string(std::optional<std::string>("*"));
  w.int8(operation);
  w.int8(permission);
}

inline std::vector<std::byte> describe_acls_request(std::int16_t version, const std::string& principal) {
  WireWriter w = any_header(29, version, 2);
  acl_fields(w, 1, std::nullopt, 1, principal, 1, 1);
  w.tagged_fields();
  return w.buffer();
}

inline std::vector<std::byte> create_acls_request(std::int16_t version, const std::string& topic,
                                                  const std::string& principal) {
  WireWriter w = any_header(30, version, 2);
  w.array_count(1);
  acl_fields(w, 2, topic, 3, principal, 4, 3);  // topic, literal, Write, Allow
  w.tagged_fields();
  w.tagged_fields();
  return w.buffer();
}

inline std::vector<std::byte> delete_acls_request(std::int16_t version, const std::string& topic) {
  WireWriter w = any_header(31, version, 2);
  w.array_count(1);
  acl_fields(w, 2, topic, 3, std::nullopt, 1, 1);
  w.tagged_fields();
  w.tagged_fields();
  return w.buffer();
}

}  // namespace strata::kafka::testing
