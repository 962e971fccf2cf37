// Kafka's ACL model: a binding says that a principal (User:NAME, or User:* for everyone) may (allow) or may
// not (deny) perform an operation on a resource (a topic, a group or the cluster) named literally or by a
// prefix, from a host ("*" for any). Enum values are Kafka's wire codes, so CreateAcls, DescribeAcls and
// DeleteAcls map onto these types directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata::security {

enum class ResourceType : std::int8_t { kAny = 1, kTopic = 2, kGroup = 3, kCluster = 4 };
enum class PatternType : std::int8_t { kAny = 1, kMatch = 2, kLiteral = 3, kPrefixed = 4 };
enum class AclOperation : std::int8_t {
  kAny = 1,
  kAll = 2,
  kRead = 3,
  kWrite = 4,
  kCreate = 5,
  kDelete = 6,
  kAlter = 7,
  kDescribe = 8,
  kClusterAction = 9,
  kDescribeConfigs = 10,
  kAlterConfigs = 11,
  kIdempotentWrite = 12,
};
enum class AclPermission : std::int8_t { kAny = 1, kDeny = 2, kAllow = 3 };

inline constexpr std::string_view kClusterResourceName = "kafka-cluster";  // Kafka's name for the cluster
inline constexpr std::string_view kWildcardName = "*";  // a literal resource name or principal "User:*"
inline constexpr std::size_t kAclNameBytesMax = 1024;

struct Resource {
  ResourceType type = ResourceType::kTopic;
  std::string name;
};

struct AclBinding {
  std::string principal;  // "User:NAME" or "User:*"
  std::string host = "*";
  ResourceType resource_type = ResourceType::kTopic;
  PatternType pattern_type = PatternType::kLiteral;
  std::string resource_name;
  AclOperation operation = AclOperation::kRead;
  AclPermission permission = AclPermission::kAllow;
  bool operator==(const AclBinding&) const = default;
};

// kInvalidArgument naming the field when a binding cannot be stored: a principal that is not "User:NAME",
// an "Any"/"Match" value, an empty or oversized name, a cluster resource not named kafka-cluster.
Status validate_acl_binding(const AclBinding& binding);

// A filter as DescribeAcls and DeleteAcls send it: unset fields (and kAny) match everything; kMatch matches
// the bindings that would apply to the named resource (literal, wildcard and prefixes of it).
struct AclFilter {
  std::optional<std::string> principal;
  std::optional<std::string> host;
  ResourceType resource_type = ResourceType::kAny;
  PatternType pattern_type = PatternType::kAny;
  std::optional<std::string> resource_name;
  AclOperation operation = AclOperation::kAny;
  AclPermission permission = AclPermission::kAny;
};
bool acl_filter_matches(const AclFilter& filter, const AclBinding& binding);

// Whether a binding's resource pattern covers `resource` (a literal name, the wildcard "*", or a prefix).
bool acl_pattern_covers(const AclBinding& binding, const Resource& resource);

// Names as Kafka's tools print them: "Read", "DescribeConfigs", "Topic", "Prefixed", "Allow", ...
std::string_view acl_operation_name(AclOperation operation);
std::string_view resource_type_name(ResourceType type);
std::string_view pattern_type_name(PatternType type);
std::string_view acl_permission_name(AclPermission permission);
// Case-insensitive, with or without underscores ("describe_configs", "DescribeConfigs").
std::optional<AclOperation> parse_acl_operation(std::string_view name);

}  // namespace strata::security
