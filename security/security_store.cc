#include "security/security_store.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "security/reloading_file.h"
#include "strata/durable_file.h"
#include "strata/file_lock.h"

namespace strata::security {

namespace {

// The lock is taken without waiting by FileLock; a concurrent change holds it for milliseconds, so retry
// for a bounded time (5 s) before reporting it busy.
Result<FileLock> lock_security_files(const std::string& dir) {
  if (!std::filesystem::is_directory(dir)) return Status(StatusCode::kNotFound, "no log directory " + dir);
  const std::string path = dir + "/" + std::string(kSecurityLockFileName);
  for (int attempt = 0;; ++attempt) {
    auto lock = FileLock::acquire(path);
    if (lock || lock.status().code() != StatusCode::kBusy || attempt == 500) return lock;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

template <typename T>
Result<T> read_decoded(const std::string& dir, std::string_view name,
                       Result<T> (*decode)(std::span<const std::byte>, const std::string&)) {
  const std::string path = dir + "/" + std::string(name);
  auto content = read_file_content(path, kSecurityFileBytesMax);
  if (!content) return content.status();
  if (!content->exists) return T{};
  return decode(content->bytes, path);
}

// Read, change, write back, under the lock. `change` answers false to leave the file as it was.
template <typename T>
Status update(const std::string& dir, std::string_view name,
              Result<T> (*decode)(std::span<const std::byte>, const std::string&),
              std::vector<std::byte> (*encode)(const T&), const std::function<Result<bool>(T*)>& change) {
  auto lock = lock_security_files(dir);
  if (!lock) return lock.status();
  auto value = read_decoded<T>(dir, name, decode);
  if (!value) return value.status();
  auto changed = change(&value.value());
  if (!changed) return changed.status();
  if (!*changed) return Status::ok();
  return write_file_durably(dir, std::string(name), encode(*value), 0600);
}

}  // namespace

Result<CredentialTable> read_users(const std::string& dir) {
  return read_decoded<CredentialTable>(dir, kUsersFileName, decode_users);
}

Status put_user(const std::string& dir, const std::string& name, const ScramCredential& credential) {
  STRATA_RETURN_IF_ERROR(validate_user_name(name));
  return update<CredentialTable>(dir, kUsersFileName, decode_users, encode_users, [&](CredentialTable* users) {
    users->insert_or_assign({name, credential.mechanism}, credential);
    return Result<bool>(true);
  });
}

Status remove_user(const std::string& dir, const std::string& name) {
  return update<CredentialTable>(dir, kUsersFileName, decode_users, encode_users,
                                 [&](CredentialTable* users) -> Result<bool> {
                                   const auto erased = std::erase_if(
                                       *users, [&](const auto& entry) { return entry.first.first == name; });
                                   if (erased == 0) return Status(StatusCode::kNotFound, "no user " + name);
                                   return true;
                                 });
}

Result<std::vector<AclBinding>> read_acls(const std::string& dir) {
  return read_decoded<std::vector<AclBinding>>(dir, kAclsFileName, decode_acls);
}

Result<std::size_t> add_acls(const std::string& dir, const std::vector<AclBinding>& bindings) {
  for (const AclBinding& binding : bindings) STRATA_RETURN_IF_ERROR(validate_acl_binding(binding));
  std::size_t added = 0;
  STRATA_RETURN_IF_ERROR(update<std::vector<AclBinding>>(
      dir, kAclsFileName, decode_acls, encode_acls, [&](std::vector<AclBinding>* acls) {
        for (const AclBinding& binding : bindings) {
          if (std::find(acls->begin(), acls->end(), binding) != acls->end()) continue;
          acls->push_back(binding);
          ++added;
        }
        return Result<bool>(added > 0);
      }));
  return added;
}

Result<std::vector<std::vector<AclBinding>>> remove_acls(const std::string& dir, const std::vector<AclFilter>& filters) {
  std::vector<std::vector<AclBinding>> removed(filters.size());
  STRATA_RETURN_IF_ERROR(update<std::vector<AclBinding>>(
      dir, kAclsFileName, decode_acls, encode_acls, [&](std::vector<AclBinding>* acls) {
        std::size_t count = 0;
        std::erase_if(*acls, [&](const AclBinding& binding) {
          for (std::size_t i = 0; i < filters.size(); ++i) {
            if (!acl_filter_matches(filters[i], binding)) continue;
            removed[i].push_back(binding);
            ++count;
            return true;
          }
          return false;
        });
        return Result<bool>(count > 0);
      }));
  return removed;
}

}  // namespace strata::security
