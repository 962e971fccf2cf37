// Kafka's authorization rules over a set of bindings (security/authorizer.h's acls_allow).
#include "security/authorizer.h"

#include <gtest/gtest.h>

namespace strata::security {
namespace {

AclBinding binding(std::string principal, AclOperation operation, ResourceType type, std::string name,
                   PatternType pattern = PatternType::kLiteral, AclPermission permission = AclPermission::kAllow) {
  AclBinding out;
  out.principal = std::move(principal);
  out.operation = operation;
  out.resource_type = type;
  out.resource_name = std::move(name);
  out.pattern_type = pattern;
  out.permission = permission;
  return out;
}

bool allows(const std::vector<AclBinding>& acls, AclOperation operation, Resource resource,
            std::string_view principal = "User:alice", std::string_view host = "10.0.0.1") {
  return acls_allow(acls, principal, operation, resource, host);
}

const Resource kOrders{ResourceType::kTopic, "orders"};

TEST(Acl, NoBindingMeansNo) {
  EXPECT_FALSE(allows({}, AclOperation::kRead, kOrders));
}

TEST(Acl, LiteralPrefixedAndWildcardPatterns) {
  EXPECT_TRUE(allows({binding("User:alice", AclOperation::kRead, ResourceType::kTopic, "orders")}, AclOperation::kRead, kOrders));
  EXPECT_FALSE(allows({binding("User:alice", AclOperation::kRead, ResourceType::kTopic, "order")}, AclOperation::kRead, kOrders));
  EXPECT_TRUE(allows({binding("User:alice", AclOperation::kRead, ResourceType::kTopic, "ord", PatternType::kPrefixed)},
                     AclOperation::kRead, kOrders));
  EXPECT_FALSE(allows({binding("User:alice", AclOperation::kRead, ResourceType::kTopic, "orders-", PatternType::kPrefixed)},
                      AclOperation::kRead, kOrders));
  EXPECT_TRUE(allows({binding("User:alice", AclOperation::kRead, ResourceType::kTopic, "*")}, AclOperation::kRead, kOrders));
  // A prefixed "*" is a prefix of the character '*', not a wildcard.
  EXPECT_FALSE(allows({binding("User:alice", AclOperation::kRead, ResourceType::kTopic, "*", PatternType::kPrefixed)},
                      AclOperation::kRead, kOrders));
  // The resource type must match: a group named orders is not the topic.
  EXPECT_FALSE(allows({binding("User:alice", AclOperation::kRead, ResourceType::kGroup, "orders")}, AclOperation::kRead, kOrders));
}

TEST(Acl, PrincipalsAndHosts) {
  EXPECT_FALSE(allows({binding("User:bob", AclOperation::kRead, ResourceType::kTopic, "orders")}, AclOperation::kRead, kOrders));
  EXPECT_TRUE(allows({binding("User:*", AclOperation::kRead, ResourceType::kTopic, "orders")}, AclOperation::kRead, kOrders));
  auto from_host = binding("User:alice", AclOperation::kRead, ResourceType::kTopic, "orders");
  from_host.host = "10.0.0.2";
  EXPECT_FALSE(allows({from_host}, AclOperation::kRead, kOrders));
  from_host.host = "10.0.0.1";
  EXPECT_TRUE(allows({from_host}, AclOperation::kRead, kOrders));
}

TEST(Acl, ImpliedOperationsAsKafkaDefinesThem) {
  for (AclOperation granted : {AclOperation::kRead, AclOperation::kWrite, AclOperation::kDelete, AclOperation::kAlter,
                               AclOperation::kAll, AclOperation::kDescribe}) {
    EXPECT_TRUE(allows({binding("User:alice", granted, ResourceType::kTopic, "orders")}, AclOperation::kDescribe, kOrders))
        << acl_operation_name(granted);
  }
  for (AclOperation granted : {AclOperation::kCreate, AclOperation::kDescribeConfigs, AclOperation::kAlterConfigs}) {
    EXPECT_FALSE(allows({binding("User:alice", granted, ResourceType::kTopic, "orders")}, AclOperation::kDescribe, kOrders))
        << acl_operation_name(granted);
  }
  EXPECT_TRUE(allows({binding("User:alice", AclOperation::kAlterConfigs, ResourceType::kTopic, "orders")},
                     AclOperation::kDescribeConfigs, kOrders));
  EXPECT_FALSE(allows({binding("User:alice", AclOperation::kDescribeConfigs, ResourceType::kTopic, "orders")},
                      AclOperation::kAlterConfigs, kOrders));
  EXPECT_FALSE(allows({binding("User:alice", AclOperation::kRead, ResourceType::kTopic, "orders")}, AclOperation::kWrite, kOrders));
  EXPECT_TRUE(allows({binding("User:alice", AclOperation::kAll, ResourceType::kTopic, "orders")}, AclOperation::kDelete, kOrders));
}

TEST(Acl, DenyWins) {
  const auto allow_all = binding("User:*", AclOperation::kAll, ResourceType::kTopic, "*");
  const auto deny_write = binding("User:alice", AclOperation::kWrite, ResourceType::kTopic, "ord", PatternType::kPrefixed,
                                  AclPermission::kDeny);
  EXPECT_FALSE(allows({allow_all, deny_write}, AclOperation::kWrite, kOrders));
  EXPECT_FALSE(allows({deny_write, allow_all}, AclOperation::kWrite, kOrders));
  EXPECT_TRUE(allows({allow_all, deny_write}, AclOperation::kRead, kOrders));
  // A deny of All denies every operation; a deny of Read does not deny the Describe that Read implies.
  const auto deny_all = binding("User:alice", AclOperation::kAll, ResourceType::kTopic, "orders", PatternType::kLiteral,
                                AclPermission::kDeny);
  EXPECT_FALSE(allows({allow_all, deny_all}, AclOperation::kDescribe, kOrders));
  const auto deny_read = binding("User:alice", AclOperation::kRead, ResourceType::kTopic, "orders", PatternType::kLiteral,
                                 AclPermission::kDeny);
  EXPECT_TRUE(allows({allow_all, deny_read}, AclOperation::kDescribe, kOrders));
}

TEST(Acl, ClusterAndGroupResources) {
  const Resource cluster{ResourceType::kCluster, std::string(kClusterResourceName)};
  EXPECT_TRUE(allows({binding("User:alice", AclOperation::kCreate, ResourceType::kCluster, "kafka-cluster")},
                     AclOperation::kCreate, cluster));
  EXPECT_TRUE(allows({binding("User:alice", AclOperation::kRead, ResourceType::kGroup, "app-", PatternType::kPrefixed)},
                     AclOperation::kRead, Resource{ResourceType::kGroup, "app-1"}));
}

TEST(Acl, FiltersAsDescribeAndDeleteAclsSendThem) {
  const auto prefixed = binding("User:alice", AclOperation::kRead, ResourceType::kTopic, "ord", PatternType::kPrefixed);
  AclFilter match;
  match.resource_type = ResourceType::kTopic;
  match.pattern_type = PatternType::kMatch;
  match.resource_name = "orders";
  EXPECT_TRUE(acl_filter_matches(match, prefixed));
  AclFilter literal = match;
  literal.pattern_type = PatternType::kLiteral;
  EXPECT_FALSE(acl_filter_matches(literal, prefixed));
  AclFilter by_principal;
  by_principal.principal = "User:bob";
  EXPECT_FALSE(acl_filter_matches(by_principal, prefixed));
  EXPECT_TRUE(acl_filter_matches(AclFilter{}, prefixed));
}

TEST(Acl, OperationNamesParseAsKafkaToolsWriteThem) {
  EXPECT_EQ(parse_acl_operation("DescribeConfigs"), AclOperation::kDescribeConfigs);
  EXPECT_EQ(parse_acl_operation("describe_configs"), AclOperation::kDescribeConfigs);
  EXPECT_EQ(parse_acl_operation("ALL"), AclOperation::kAll);
  EXPECT_EQ(parse_acl_operation("Any"), std::nullopt);
  EXPECT_EQ(parse_acl_operation("Fly"), std::nullopt);
}

}  // namespace
}  // namespace strata::security
