// The two files security/ keeps in the log directory, and their one format (this header owns every byte):
//
//   strata-users.strata-security   the SCRAM credentials: per user and mechanism the salt, the iteration
//                                  count, StoredKey and ServerKey (never a password)
//   strata-acls.strata-security    the ACL bindings
//
//   magic[8] | version u32 | count u32 | count records | checksum u64 (xxh3-64 of every byte before it)
//   user record: name u16+bytes | mechanism u8 | iterations u32 | salt u8+bytes | stored_key u8+bytes |
//                server_key u8+bytes
//   acl record:  principal u16+bytes | host u16+bytes | resource_type i8 | pattern_type i8 |
//                resource_name u16+bytes | operation i8 | permission i8
// Integers little-endian. Written whole through strata::write_file_durably (temporary file, fsync, rename,
// directory fsync) under the lock file strata-security.strata-lock, so the CLI and a running server never
// see half a file; a file that fails any check is refused with its name, never half-read.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "security/acl.h"
#include "security/scram_credential.h"
#include "strata/status.h"

namespace strata::security {

inline constexpr std::string_view kUsersFileName = "strata-users.strata-security";
inline constexpr std::string_view kAclsFileName = "strata-acls.strata-security";
inline constexpr std::string_view kSecurityLockFileName = "strata-security.strata-lock";
inline constexpr char kUsersMagic[8] = {'S', 'T', 'R', 'A', 'T', 'U', 'S', 'R'};
inline constexpr char kAclsMagic[8] = {'S', 'T', 'R', 'A', 'T', 'A', 'C', 'L'};
inline constexpr std::uint32_t kSecurityFileVersion = 1;
inline constexpr std::size_t kSecurityFileBytesMax = 64 << 20;
inline constexpr std::size_t kUserNameBytesMax = 255;

// (user, mechanism) -> credential.
using CredentialTable = std::map<std::pair<std::string, ScramMechanism>, ScramCredential>;

std::vector<std::byte> encode_users(const CredentialTable& users);
// kCorruption naming `path` when the bytes are not a valid users file.
Result<CredentialTable> decode_users(std::span<const std::byte> bytes, const std::string& path);

std::vector<std::byte> encode_acls(const std::vector<AclBinding>& acls);
Result<std::vector<AclBinding>> decode_acls(std::span<const std::byte> bytes, const std::string& path);

// kInvalidArgument unless 1..255 bytes with no control character.
Status validate_user_name(std::string_view name);

}  // namespace strata::security
