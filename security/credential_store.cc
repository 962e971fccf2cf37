#include "security/credential_store.h"

namespace strata::security {

namespace {

Result<CredentialTable> decode_users_content(const FileContent& content, const std::string& path) {
  if (!content.exists) return CredentialTable{};
  return decode_users(content.bytes, path);
}

}  // namespace

CredentialStore::CredentialStore(const std::string& dir, std::chrono::milliseconds check_interval)
    : file_(dir + "/" + std::string(kUsersFileName), decode_users_content, check_interval) {}

Result<std::unique_ptr<CredentialStore>> CredentialStore::open(const std::string& dir,
                                                               std::chrono::milliseconds check_interval) {
  std::unique_ptr<CredentialStore> store(new CredentialStore(dir, check_interval));
  STRATA_RETURN_IF_ERROR(store->file_.load());
  return store;
}

std::optional<ScramCredential> CredentialStore::find(std::string_view user, ScramMechanism mechanism) {
  const auto users = file_.current();
  const auto found = users->find({std::string(user), mechanism});
  if (found == users->end()) return std::nullopt;
  return found->second;
}

std::optional<ScramCredential> CredentialStore::find_any(std::string_view user) {
  if (auto found = find(user, ScramMechanism::kSha256)) return found;
  return find(user, ScramMechanism::kSha512);
}

ScramCredentialLookup CredentialStore::lookup() {
  return [this](std::string_view user, ScramMechanism mechanism) { return find(user, mechanism); };
}

}  // namespace strata::security
