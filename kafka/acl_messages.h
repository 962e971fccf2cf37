// The decoded forms of Kafka's ACL APIs: DescribeAcls (key 29), CreateAcls (30) and DeleteAcls (31), versions
// 1-3 (2 and 3 flexible; v0, without pattern types, is not served). Enum fields carry Kafka's wire codes,
// which security/acl.h's enums share. Requests hold views into the request frame; responses own their strings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol.h"

namespace strata::kafka {

// A binding as CreateAcls sends it, or a filter as DescribeAcls and DeleteAcls send it (null: any).
struct AclWire {
  std::int8_t resource_type = 0;
  std::optional<std::string_view> resource_name;
  std::int8_t pattern_type = 0;
  std::optional<std::string_view> principal;
  std::optional<std::string_view> host;
  std::int8_t operation = 0;
  std::int8_t permission = 0;
};

// A stored binding in a response.
struct AclDescription {
  std::int8_t resource_type = 0;
  std::string resource_name;
  std::int8_t pattern_type = 0;
  std::string principal;
  std::string host;
  std::int8_t operation = 0;
  std::int8_t permission = 0;
};

struct DescribeAclsRequest {
  AclWire filter;
};
struct DescribeAclsResponse {
  ErrorCode error = ErrorCode::kNone;
  std::optional<std::string> error_message;
  std::vector<AclDescription> acls;  // grouped by resource when encoded
};

struct CreateAclsRequest {
  std::vector<AclWire> creations;
};
struct CreateAclsResponse {
  struct Result {
    ErrorCode error = ErrorCode::kNone;
    std::optional<std::string> error_message;
  };
  std::vector<Result> results;
};

struct DeleteAclsRequest {
  std::vector<AclWire> filters;
};
struct DeleteAclsResponse {
  struct FilterResult {
    ErrorCode error = ErrorCode::kNone;
    std::optional<std::string> error_message;
    std::vector<AclDescription> matching;
  };
  std::vector<FilterResult> results;
};

}  // namespace strata::kafka
