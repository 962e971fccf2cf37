// The users and ACLs of a log directory, changed offline or while a server runs (the `strata user` and
// `strata acl` commands, and later CreateAcls/DeleteAcls): each change reads the file, changes it and
// writes it back durably under the lock file strata-security.strata-lock, so concurrent changes never lose
// one another. Readers (CredentialStore, Authorizer) follow the files through ReloadingFile.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "security/acl.h"
#include "security/security_files.h"

namespace strata::security {

// The credentials in `dir` (empty when there is no users file); kCorruption naming the file when corrupt.
Result<CredentialTable> read_users(const std::string& dir);
// Adds or replaces the user's credential for its mechanism.
Status put_user(const std::string& dir, const std::string& name, const ScramCredential& credential);
// Removes every credential of the user; kNotFound when there was none.
Status remove_user(const std::string& dir, const std::string& name);

Result<std::vector<AclBinding>> read_acls(const std::string& dir);
// Adds the bindings not already present (each validated first; nothing is written when one is invalid).
// Returns how many were new.
Result<std::size_t> add_acls(const std::string& dir, const std::vector<AclBinding>& bindings);
// Removes every binding that matches one of the filters; returns them (per filter, in file order).
Result<std::vector<std::vector<AclBinding>>> remove_acls(const std::string& dir, const std::vector<AclFilter>& filters);

}  // namespace strata::security
