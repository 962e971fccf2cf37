// Decides whether a principal may perform an operation on a resource, from the ACLs of the log directory
// (followed while the server runs, as CredentialStore follows the users) and Kafka's rules:
// - a super user may do everything;
// - a deny binding that matches (the operation itself or All) wins over any allow;
// - an allow binding matches its operation, All, and what Kafka makes it imply: Read, Write, Delete and
//   Alter each imply Describe; AlterConfigs implies DescribeConfigs;
// - a binding matches when its principal is the principal or User:*, its host is the host or *, and its
//   pattern covers the resource (literal name, the literal wildcard *, or a prefix);
// - nothing matching means no (Kafka's allow.everyone.if.no.acl.found=false).
// Thread-safe; allowed() stats the file at most every check interval and otherwise takes one mutex.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "security/acl.h"
#include "security/reloading_file.h"

namespace strata::security {

class Authorizer {
 public:
  // kCorruption naming the file when the ACL file exists and is corrupt. `super_users` are user names
  // (NAME or User:NAME).
  static Result<std::unique_ptr<Authorizer>> open(const std::string& dir, const std::vector<std::string>& super_users,
                                                  std::chrono::milliseconds check_interval = kReloadCheckInterval);

  // `principal` is "User:NAME" (ANONYMOUS on a plaintext listener is "User:ANONYMOUS").
  bool allowed(std::string_view principal, AclOperation operation, const Resource& resource,
               std::string_view host = "*");

  // The bindings in force (for DescribeAcls), and why the last reload failed.
  std::shared_ptr<const std::vector<AclBinding>> bindings() { return file_.current(); }
  Status last_error() const { return file_.last_error(); }

 private:
  Authorizer(const std::string& dir, std::set<std::string> super_users, std::chrono::milliseconds check_interval);
  ReloadingFile<std::vector<AclBinding>> file_;
  const std::set<std::string> super_users_;  // as User:NAME
};

// The pure rule, for tests and DescribeAcls-side checks: Kafka's decision over `bindings`.
bool acls_allow(const std::vector<AclBinding>& bindings, std::string_view principal, AclOperation operation,
                const Resource& resource, std::string_view host);

}  // namespace strata::security
