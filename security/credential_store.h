// The credentials a running server checks logins against: the users file of the log directory, followed
// while the server runs (a user added, changed or removed takes effect for new logins within
// kReloadCheckInterval plus one login). Thread-safe; find() is what ScramServer's lookup calls.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "security/reloading_file.h"
#include "security/scram_server.h"
#include "security/security_files.h"

namespace strata::security {

class CredentialStore {
 public:
  // kCorruption naming the file when the users file exists and is corrupt; an absent file is no users.
  static Result<std::unique_ptr<CredentialStore>> open(const std::string& dir,
                                                       std::chrono::milliseconds check_interval = kReloadCheckInterval);

  std::optional<ScramCredential> find(std::string_view user, ScramMechanism mechanism);
  // Any credential of the user (SHA-256 first): what PLAIN checks a password against.
  std::optional<ScramCredential> find_any(std::string_view user);
  ScramCredentialLookup lookup();
  // Why the last reload failed (the previous users stay in force), OK otherwise.
  Status last_error() const { return file_.last_error(); }
  std::uint64_t generation() const { return file_.generation(); }

 private:
  CredentialStore(const std::string& dir, std::chrono::milliseconds check_interval);
  ReloadingFile<CredentialTable> file_;
};

}  // namespace strata::security
