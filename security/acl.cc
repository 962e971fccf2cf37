#include "security/acl.h"

#include <array>
#include <cctype>
#include <utility>

namespace strata::security {

namespace {

constexpr std::array<std::pair<AclOperation, std::string_view>, 12> kOperationNames = {{
    {AclOperation::kAny, "Any"},
    {AclOperation::kAll, "All"},
    {AclOperation::kRead, "Read"},
    {AclOperation::kWrite, "Write"},
    {AclOperation::kCreate, "Create"},
    {AclOperation::kDelete, "Delete"},
    {AclOperation::kAlter, "Alter"},
    {AclOperation::kDescribe, "Describe"},
    {AclOperation::kClusterAction, "ClusterAction"},
    {AclOperation::kDescribeConfigs, "DescribeConfigs"},
    {AclOperation::kAlterConfigs, "AlterConfigs"},
    {AclOperation::kIdempotentWrite, "IdempotentWrite"},
}};

std::string folded(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c != '_' && c != '-') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool optional_equals(const std::optional<std::string>& wanted, const std::string& value) {
  return !wanted || *wanted == value;
}

bool resource_name_matches(const AclFilter& filter, const AclBinding& binding) {
  if (!filter.resource_name) return true;
  if (filter.pattern_type != PatternType::kMatch) return *filter.resource_name == binding.resource_name;
  return acl_pattern_covers(binding, Resource{binding.resource_type, *filter.resource_name});
}

}  // namespace

Status validate_acl_binding(const AclBinding& binding) {
  if (!binding.principal.starts_with("User:") || binding.principal.size() == 5 ||
      binding.principal.size() > kAclNameBytesMax) {
    return invalid_argument("principal " + binding.principal + ": expected User:NAME");
  }
  if (binding.host.empty() || binding.host.size() > kAclNameBytesMax) return invalid_argument("host: empty or too long");
  if (binding.resource_type != ResourceType::kTopic && binding.resource_type != ResourceType::kGroup &&
      binding.resource_type != ResourceType::kCluster) {
    return invalid_argument("resource type: expected topic, group or cluster");
  }
  if (binding.pattern_type != PatternType::kLiteral && binding.pattern_type != PatternType::kPrefixed) {
    return invalid_argument("pattern type: expected literal or prefixed");
  }
  if (binding.resource_name.empty() || binding.resource_name.size() > kAclNameBytesMax) {
    return invalid_argument("resource name: empty or longer than 1024 bytes");
  }
  if (binding.resource_type == ResourceType::kCluster &&
      (binding.resource_name != kClusterResourceName || binding.pattern_type != PatternType::kLiteral)) {
    return invalid_argument("the cluster resource is the literal name kafka-cluster");
  }
  if (binding.operation == AclOperation::kAny || static_cast<int>(binding.operation) < 1 ||
      static_cast<int>(binding.operation) > static_cast<int>(AclOperation::kIdempotentWrite)) {
    return invalid_argument("operation: expected one of Read, Write, Create, Delete, Alter, Describe, "
                            "DescribeConfigs, AlterConfigs, All");
  }
  if (binding.permission != AclPermission::kAllow && binding.permission != AclPermission::kDeny) {
    return invalid_argument("permission: expected allow or deny");
  }
  return Status::ok();
}

bool acl_pattern_covers(const AclBinding& binding, const Resource& resource) {
  if (binding.resource_type != resource.type) return false;
  if (binding.pattern_type == PatternType::kPrefixed) return resource.name.starts_with(binding.resource_name);
  return binding.resource_name == resource.name || binding.resource_name == kWildcardName;
}

bool acl_filter_matches(const AclFilter& filter, const AclBinding& binding) {
  if (filter.resource_type != ResourceType::kAny && filter.resource_type != binding.resource_type) return false;
  if (filter.pattern_type != PatternType::kAny && filter.pattern_type != PatternType::kMatch &&
      filter.pattern_type != binding.pattern_type) {
    return false;
  }
  if (filter.operation != AclOperation::kAny && filter.operation != binding.operation) return false;
  if (filter.permission != AclPermission::kAny && filter.permission != binding.permission) return false;
  return optional_equals(filter.principal, binding.principal) && optional_equals(filter.host, binding.host) &&
         resource_name_matches(filter, binding);
}

std::string_view acl_operation_name(AclOperation operation) {
  for (const auto& [value, name] : kOperationNames) {
    if (value == operation) return name;
  }
  return "Unknown";
}

std::optional<AclOperation> parse_acl_operation(std::string_view name) {
  for (const auto& [value, known] : kOperationNames) {
    if (value != AclOperation::kAny && folded(known) == folded(name)) return value;
  }
  return std::nullopt;
}

std::string_view resource_type_name(ResourceType type) {
  switch (type) {
    case ResourceType::kTopic: return "Topic";
    case ResourceType::kGroup: return "Group";
    case ResourceType::kCluster: return "Cluster";
    case ResourceType::kAny: return "Any";
  }
  return "Unknown";
}

std::string_view pattern_type_name(PatternType type) {
  switch (type) {
    case PatternType::kLiteral: return "Literal";
    case PatternType::kPrefixed: return "Prefixed";
    case PatternType::kMatch: return "Match";
    case PatternType::kAny: return "Any";
  }
  return "Unknown";
}

std::string_view acl_permission_name(AclPermission permission) {
  switch (permission) {
    case AclPermission::kAllow: return "Allow";
    case AclPermission::kDeny: return "Deny";
    case AclPermission::kAny: return "Any";
  }
  return "Unknown";
}

}  // namespace strata::security
