#include "security/authorizer.h"

#include "security/security_files.h"

namespace strata::security {

namespace {

bool applies_to(const AclBinding& binding, std::string_view principal, const Resource& resource,
                std::string_view host) {
  return (binding.principal == principal || binding.principal == "User:*") &&
         (binding.host == "*" || binding.host == host) && acl_pattern_covers(binding, resource);
}

// Whether an allow binding for `granted` permits `wanted` (Kafka's implied operations).
bool allow_grants(AclOperation granted, AclOperation wanted) {
  if (granted == wanted || granted == AclOperation::kAll) return true;
  switch (wanted) {
    case AclOperation::kDescribe:
      return granted == AclOperation::kRead || granted == AclOperation::kWrite || granted == AclOperation::kDelete ||
             granted == AclOperation::kAlter;
    case AclOperation::kDescribeConfigs:
      return granted == AclOperation::kAlterConfigs;
    default:
      return false;
  }
}

Result<std::vector<AclBinding>> decode_acls_content(const FileContent& content, const std::string& path) {
  if (!content.exists) return std::vector<AclBinding>{};
  return decode_acls(content.bytes, path);
}

std::set<std::string> principals_of(const std::vector<std::string>& users) {
  std::set<std::string> out;
  for (const std::string& user : users) out.insert(user.starts_with("User:") ? user : "User:" + user);
  return out;
}

}  // namespace

bool acls_allow(const std::vector<AclBinding>& bindings, std::string_view principal, AclOperation operation,
                const Resource& resource, std::string_view host) {
  bool allowed = false;
  for (const AclBinding& binding : bindings) {
    if (!applies_to(binding, principal, resource, host)) continue;
    if (binding.permission == AclPermission::kDeny &&
        (binding.operation == operation || binding.operation == AclOperation::kAll)) {
      return false;  // deny wins, whatever else allows
    }
    if (binding.permission == AclPermission::kAllow && allow_grants(binding.operation, operation)) allowed = true;
  }
  return allowed;
}

Authorizer::Authorizer(const std::string& dir, std::set<std::string> super_users, std::chrono::milliseconds check_interval)
    : file_(dir + "/" + std::string(kAclsFileName), decode_acls_content, check_interval),
      super_users_(std::move(super_users)) {}

Result<std::unique_ptr<Authorizer>> Authorizer::open(const std::string& dir, const std::vector<std::string>& super_users,
                                                     std::chrono::milliseconds check_interval) {
  std::unique_ptr<Authorizer> authorizer(new Authorizer(dir, principals_of(super_users), check_interval));
  STRATA_RETURN_IF_ERROR(authorizer->file_.load());
  return authorizer;
}

bool Authorizer::allowed(std::string_view principal, AclOperation operation, const Resource& resource,
                         std::string_view host) {
  if (super_users_.contains(std::string(principal))) return true;
  return acls_allow(*file_.current(), principal, operation, resource, host);
}

}  // namespace strata::security
