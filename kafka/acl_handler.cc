// DescribeAcls, CreateAcls and DeleteAcls: the ACLs of the log directory (security/security_store.h, the same
// file `strata acl` changes), as Kafka's admin clients manage them. As in Kafka, they need an authorizer
// (serve --authorize; without it they answer SECURITY_DISABLED), DescribeAcls needs Describe on the cluster
// and the other two Alter on the cluster (CLUSTER_AUTHORIZATION_FAILED). A change reaches the running
// Authorizer within its reload interval.
#include <cstdio>

#include "kafka/request_handler.h"
#include "security/security_store.h"

namespace strata::kafka {

namespace {

using security::AclOperation;

constexpr std::string_view kNoAuthorizer = "no authorizer: strata serve runs without --authorize";

bool in_range(std::int8_t value, std::int8_t low, std::int8_t high) {
  return value >= low && value <= high;
}

// The filter's enum fields within what strata knows (Kafka's codes; resource types beyond the cluster and
// operations beyond IdempotentWrite are not served).
bool valid_codes(const AclWire& wire) {
  return in_range(wire.resource_type, 1, 4) && in_range(wire.pattern_type, 1, 4) && in_range(wire.operation, 1, 12) &&
         in_range(wire.permission, 1, 3);
}

security::AclFilter to_filter(const AclWire& wire) {
  security::AclFilter filter;
  if (wire.principal) filter.principal = std::string(*wire.principal);
  if (wire.host) filter.host = std::string(*wire.host);
  filter.resource_type = static_cast<security::ResourceType>(wire.resource_type);
  filter.pattern_type = static_cast<security::PatternType>(wire.pattern_type);
  if (wire.resource_name) filter.resource_name = std::string(*wire.resource_name);
  filter.operation = static_cast<AclOperation>(wire.operation);
  filter.permission = static_cast<security::AclPermission>(wire.permission);
  return filter;
}

AclDescription describe(const security::AclBinding& binding) {
  return {static_cast<std::int8_t>(binding.resource_type), binding.resource_name,
          static_cast<std::int8_t>(binding.pattern_type), binding.principal, binding.host,
          static_cast<std::int8_t>(binding.operation), static_cast<std::int8_t>(binding.permission)};
}

// Why the session may not run an ACL API (`operation` on the cluster), or kNone.
ErrorCode acl_api_refusal(const Session& session, AclOperation operation) {
  if (!RequestHandler::authorizing(session)) return ErrorCode::kSecurityDisabled;
  return RequestHandler::may(session, operation, security::ResourceType::kCluster, security::kClusterResourceName)
             ? ErrorCode::kNone
             : ErrorCode::kClusterAuthorizationFailed;
}

std::optional<std::string> refusal_message(ErrorCode error) {
  if (error == ErrorCode::kSecurityDisabled) return std::string(kNoAuthorizer);
  return std::nullopt;
}

}  // namespace

void RequestHandler::describe_acls(const DescribeAclsRequest& request, std::int16_t version, const Session& session,
                                   ResponseFrame& out) {
  DescribeAclsResponse response;
  response.error = acl_api_refusal(session, AclOperation::kDescribe);
  response.error_message = refusal_message(response.error);
  if (response.error == ErrorCode::kNone && !valid_codes(request.filter)) {
    response.error = ErrorCode::kInvalidRequest;
    response.error_message = "an ACL filter field holds a code strata does not know";
  }
  if (response.error == ErrorCode::kNone) {
    auto stored = security::read_acls(directory_);
    if (!stored) {
      response.error = ErrorCode::kUnknownServerError;
      response.error_message = stored.status().to_string();
    } else {
      const security::AclFilter filter = to_filter(request.filter);
      for (const security::AclBinding& binding : *stored) {
        if (security::acl_filter_matches(filter, binding)) response.acls.push_back(describe(binding));
      }
    }
  }
  encode(response, version, out);
}

void RequestHandler::create_acls(const CreateAclsRequest& request, std::int16_t version, const Session& session,
                                 ResponseFrame& out) {
  CreateAclsResponse response;
  const ErrorCode refusal = acl_api_refusal(session, AclOperation::kAlter);
  std::vector<security::AclBinding> valid;
  std::vector<std::size_t> valid_at;
  for (const AclWire& creation : request.creations) {
    auto& result = response.results.emplace_back();
    result.error = refusal;
    result.error_message = refusal_message(refusal);
    if (refusal != ErrorCode::kNone) continue;
    security::AclBinding binding;
    binding.principal = std::string(creation.principal.value_or(""));
    binding.host = std::string(creation.host.value_or(""));
    binding.resource_type = static_cast<security::ResourceType>(creation.resource_type);
    binding.pattern_type = static_cast<security::PatternType>(creation.pattern_type);
    binding.resource_name = std::string(creation.resource_name.value_or(""));
    binding.operation = static_cast<AclOperation>(creation.operation);
    binding.permission = static_cast<security::AclPermission>(creation.permission);
    const Status checked = valid_codes(creation) ? security::validate_acl_binding(binding)
                                                 : invalid_argument("a field holds a code strata does not know");
    if (!checked.is_ok()) {
      result.error = ErrorCode::kInvalidRequest;
      result.error_message = checked.message();
      continue;
    }
    valid.push_back(std::move(binding));
    valid_at.push_back(response.results.size() - 1);
  }
  if (!valid.empty()) {
    auto added = security::add_acls(directory_, valid);
    if (!added) {
      std::fprintf(stderr, "strata serve: CreateAcls: %s\n", added.status().to_string().c_str());
      for (std::size_t at : valid_at) {
        response.results[at].error = ErrorCode::kUnknownServerError;
        response.results[at].error_message = added.status().message();
      }
    }
  }
  encode(response, version, out);
}

void RequestHandler::delete_acls(const DeleteAclsRequest& request, std::int16_t version, const Session& session,
                                 ResponseFrame& out) {
  DeleteAclsResponse response;
  const ErrorCode refusal = acl_api_refusal(session, AclOperation::kAlter);
  std::vector<security::AclFilter> filters;
  std::vector<std::size_t> filters_at;
  for (const AclWire& wire : request.filters) {
    auto& result = response.results.emplace_back();
    result.error = refusal;
    result.error_message = refusal_message(refusal);
    if (refusal != ErrorCode::kNone) continue;
    if (!valid_codes(wire)) {
      result.error = ErrorCode::kInvalidRequest;
      result.error_message = "an ACL filter field holds a code strata does not know";
      continue;
    }
    filters.push_back(to_filter(wire));
    filters_at.push_back(response.results.size() - 1);
  }
  if (!filters.empty()) {
    auto removed = security::remove_acls(directory_, filters);
    for (std::size_t i = 0; i < filters_at.size(); ++i) {
      auto& result = response.results[filters_at[i]];
      if (!removed) {
        result.error = ErrorCode::kUnknownServerError;
        result.error_message = removed.status().message();
        continue;
      }
      for (const security::AclBinding& binding : (*removed)[i]) result.matching.push_back(describe(binding));
    }
  }
  encode(response, version, out);
}

}  // namespace strata::kafka
