#include "security/security_files.h"

#include <xxhash.h>

#include <cstring>
#include <optional>

namespace strata::security {

namespace {

class ByteWriter {
 public:
  void raw(std::string_view bytes) {
    const auto* data = reinterpret_cast<const std::byte*>(bytes.data());
    out_.insert(out_.end(), data, data + bytes.size());
  }
  template <typename Int>
  void integer(Int value) {
    for (std::size_t i = 0; i < sizeof(Int); ++i) {
      out_.push_back(static_cast<std::byte>(static_cast<std::uint64_t>(value) >> (8 * i)));
    }
  }
  template <typename Length>
  void text(std::string_view bytes) {
    integer(static_cast<Length>(bytes.size()));
    raw(bytes);
  }
  std::vector<std::byte> finish() && {
    integer(static_cast<std::uint64_t>(XXH3_64bits(out_.data(), out_.size())));
    return std::move(out_);
  }

 private:
  std::vector<std::byte> out_;
};

// Reads within `bytes`; any read past the end sets failed() and returns zeros, so decoders check once.
class ByteReader {
 public:
  explicit ByteReader(std::span<const std::byte> bytes) : bytes_(bytes) {}
  template <typename Int>
  Int integer() {
    if (!has(sizeof(Int))) return 0;
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < sizeof(Int); ++i) value |= std::to_integer<std::uint64_t>(bytes_[at_ + i]) << (8 * i);
    at_ += sizeof(Int);
    return static_cast<Int>(value);
  }
  template <typename Length>
  std::string text() {
    const std::size_t size = integer<Length>();
    if (!has(size)) return {};
    std::string out(reinterpret_cast<const char*>(bytes_.data() + at_), size);
    at_ += size;
    return out;
  }
  bool failed() const { return failed_; }
  bool at_end() const { return at_ == bytes_.size(); }

 private:
  bool has(std::size_t size) {
    if (failed_ || bytes_.size() - at_ < size) failed_ = true;
    return !failed_;
  }
  std::span<const std::byte> bytes_;
  std::size_t at_ = 0;
  bool failed_ = false;
};

void write_header(ByteWriter& writer, const char (&magic)[8], std::size_t count) {
  writer.raw(std::string_view(magic, sizeof magic));
  writer.integer(kSecurityFileVersion);
  writer.integer(static_cast<std::uint32_t>(count));
}

// Checks size, checksum, magic and version; returns the record count and a reader over the records.
Result<std::pair<std::uint32_t, std::span<const std::byte>>> open_records(std::span<const std::byte> bytes,
                                                                            const char (&magic)[8],
                                                                            const std::string& path) {
  constexpr std::size_t kHeader = 8 + 4 + 4;
  if (bytes.size() < kHeader + 8) return corruption(path + ": " + std::to_string(bytes.size()) + " bytes, too short");
  std::uint64_t stored = 0;
  for (std::size_t i = 0; i < 8; ++i) stored |= std::to_integer<std::uint64_t>(bytes[bytes.size() - 8 + i]) << (8 * i);
  if (stored != XXH3_64bits(bytes.data(), bytes.size() - 8)) return corruption(path + ": checksum mismatch");
  if (std::memcmp(bytes.data(), magic, sizeof magic) != 0) return corruption(path + ": bad magic");
  ByteReader header(bytes.subspan(8, 8));
  if (const auto version = header.integer<std::uint32_t>(); version != kSecurityFileVersion) {
    return corruption(path + ": version " + std::to_string(version) + ", expected " + std::to_string(kSecurityFileVersion));
  }
  return std::pair{header.integer<std::uint32_t>(), bytes.subspan(kHeader, bytes.size() - kHeader - 8)};
}

std::optional<ScramCredential> read_credential(ByteReader& reader) {
  ScramCredential credential;
  const auto mechanism = reader.integer<std::uint8_t>();
  credential.iterations = reader.integer<std::uint32_t>();
  credential.salt = reader.text<std::uint8_t>();
  credential.stored_key = reader.text<std::uint8_t>();
  credential.server_key = reader.text<std::uint8_t>();
  if (reader.failed() || (mechanism != 1 && mechanism != 2)) return std::nullopt;
  credential.mechanism = static_cast<ScramMechanism>(mechanism);
  const std::size_t digest = digest_bytes(scram_hash(credential.mechanism));
  if (credential.stored_key.size() != digest || credential.server_key.size() != digest || credential.salt.empty() ||
      credential.iterations < kScramIterationsMin || credential.iterations > kScramIterationsMax) {
    return std::nullopt;
  }
  return credential;
}

}  // namespace

Status validate_user_name(std::string_view name) {
  if (name.empty() || name.size() > kUserNameBytesMax) return invalid_argument("user name: 1 to 255 bytes expected");
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return invalid_argument("user name: control character");
  }
  return Status::ok();
}

std::vector<std::byte> encode_users(const CredentialTable& users) {
  ByteWriter writer;
  write_header(writer, kUsersMagic, users.size());
  for (const auto& [key, credential] : users) {
    writer.text<std::uint16_t>(key.first);
    writer.integer(static_cast<std::uint8_t>(credential.mechanism));
    writer.integer(credential.iterations);
    writer.text<std::uint8_t>(credential.salt);
    writer.text<std::uint8_t>(credential.stored_key);
    writer.text<std::uint8_t>(credential.server_key);
  }
  return std::move(writer).finish();
}

Result<CredentialTable> decode_users(std::span<const std::byte> bytes, const std::string& path) {
  auto records = open_records(bytes, kUsersMagic, path);
  if (!records) return records.status();
  ByteReader reader(records->second);
  CredentialTable users;
  for (std::uint32_t i = 0; i < records->first; ++i) {
    std::string name = reader.text<std::uint16_t>();
    auto credential = read_credential(reader);
    if (!credential || !validate_user_name(name).is_ok()) {
      return corruption(path + ": user record " + std::to_string(i) + " is malformed");
    }
    const ScramMechanism mechanism = credential->mechanism;
    users.insert_or_assign({std::move(name), mechanism}, std::move(*credential));
  }
  if (!reader.at_end()) return corruption(path + ": bytes after the last user record");
  return users;
}

std::vector<std::byte> encode_acls(const std::vector<AclBinding>& acls) {
  ByteWriter writer;
  write_header(writer, kAclsMagic, acls.size());
  for (const AclBinding& acl : acls) {
    writer.text<std::uint16_t>(acl.principal);
    writer.text<std::uint16_t>(acl.host);
    writer.integer(static_cast<std::int8_t>(acl.resource_type));
    writer.integer(static_cast<std::int8_t>(acl.pattern_type));
    writer.text<std::uint16_t>(acl.resource_name);
    writer.integer(static_cast<std::int8_t>(acl.operation));
    writer.integer(static_cast<std::int8_t>(acl.permission));
  }
  return std::move(writer).finish();
}

Result<std::vector<AclBinding>> decode_acls(std::span<const std::byte> bytes, const std::string& path) {
  auto records = open_records(bytes, kAclsMagic, path);
  if (!records) return records.status();
  ByteReader reader(records->second);
  std::vector<AclBinding> acls;
  for (std::uint32_t i = 0; i < records->first && !reader.failed(); ++i) {
    AclBinding acl;
    acl.principal = reader.text<std::uint16_t>();
    acl.host = reader.text<std::uint16_t>();
    acl.resource_type = static_cast<ResourceType>(reader.integer<std::int8_t>());
    acl.pattern_type = static_cast<PatternType>(reader.integer<std::int8_t>());
    acl.resource_name = reader.text<std::uint16_t>();
    acl.operation = static_cast<AclOperation>(reader.integer<std::int8_t>());
    acl.permission = static_cast<AclPermission>(reader.integer<std::int8_t>());
    if (reader.failed() || !validate_acl_binding(acl).is_ok()) {
      return corruption(path + ": ACL record " + std::to_string(i) + " is malformed");
    }
    acls.push_back(std::move(acl));
  }
  if (!reader.at_end()) return corruption(path + ": bytes after the last ACL record");
  return acls;
}

}  // namespace strata::security
