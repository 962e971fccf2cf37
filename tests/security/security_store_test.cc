// The users and ACL files: round trips, corruption refused with the file's name, concurrent changes, and
// reloads seen by a running CredentialStore / Authorizer.
#include "security/security_store.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "security/authorizer.h"
#include "security/credential_store.h"
#include "tests/engine/test_dir.h"

namespace strata::security {
namespace {

using namespace std::chrono_literals;

ScramCredential credential_for(std::string_view password, ScramMechanism mechanism = ScramMechanism::kSha256) {
  return make_scram_credential(mechanism, password, 4096).value();
}

AclBinding allow(std::string principal, AclOperation operation, ResourceType type, std::string name,
                 PatternType pattern = PatternType::kLiteral) {
  AclBinding binding;
  binding.principal = std::move(principal);
  binding.operation = operation;
  binding.resource_type = type;
  binding.resource_name = std::move(name);
  binding.pattern_type = pattern;
  return binding;
}

void flip_byte(const std::string& path, std::size_t at) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekg(static_cast<std::streamoff>(at));
  char c = 0;
  file.get(c);
  file.seekp(static_cast<std::streamoff>(at));
  file.put(static_cast<char>(c ^ 0x40));
}

TEST(SecurityStore, UsersRoundTripWithoutThePassword) {
  testing::TestDir dir;
  const auto alice = credential_for("wonderland");
  ASSERT_TRUE(put_user(dir.path(), "alice", alice).is_ok());
  ASSERT_TRUE(put_user(dir.path(), "alice", credential_for("wonderland", ScramMechanism::kSha512)).is_ok());
  ASSERT_TRUE(put_user(dir.path(), "bob", credential_for("builder")).is_ok());
  auto users = read_users(dir.path());
  ASSERT_TRUE(users.is_ok()) << users.status().to_string();
  EXPECT_EQ(users->size(), 3u);
  EXPECT_EQ(users->at({"alice", ScramMechanism::kSha256}), alice);
  std::ifstream file(dir.sub(std::string(kUsersFileName)), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(file)), {});
  EXPECT_EQ(bytes.find("wonderland"), std::string::npos);
  ASSERT_TRUE(remove_user(dir.path(), "alice").is_ok());
  EXPECT_EQ(read_users(dir.path())->size(), 1u);
  EXPECT_EQ(remove_user(dir.path(), "alice").code(), StatusCode::kNotFound);
}

TEST(SecurityStore, MissingFilesAreEmpty) {
  testing::TestDir dir;
  EXPECT_TRUE(read_users(dir.path())->empty());
  EXPECT_TRUE(read_acls(dir.path())->empty());
}

TEST(SecurityStore, EveryFlippedByteIsRefusedWithTheFileName) {
  testing::TestDir dir;
  ASSERT_TRUE(put_user(dir.path(), "alice", credential_for("x")).is_ok());
  ASSERT_TRUE(add_acls(dir.path(), {allow("User:alice", AclOperation::kRead, ResourceType::kTopic, "t")}).is_ok());
  for (std::string_view name : {kUsersFileName, kAclsFileName}) {
    const std::string path = dir.sub(std::string(name));
    const auto size = std::filesystem::file_size(path);
    for (std::size_t at = 0; at < size; ++at) {
      flip_byte(path, at);
      const Status status = name == kUsersFileName ? read_users(dir.path()).status() : read_acls(dir.path()).status();
      EXPECT_EQ(status.code(), StatusCode::kCorruption) << name << " byte " << at;
      EXPECT_NE(status.message().find(path), std::string::npos) << status.to_string();
      flip_byte(path, at);
    }
    std::filesystem::resize_file(path, size - 1);
    EXPECT_FALSE(read_users(dir.path()).is_ok() && read_acls(dir.path()).is_ok());
  }
}

TEST(SecurityStore, InvalidNamesAndBindingsAreRefused) {
  testing::TestDir dir;
  EXPECT_FALSE(put_user(dir.path(), "", credential_for("x")).is_ok());
  EXPECT_FALSE(put_user(dir.path(), "a\nb", credential_for("x")).is_ok());
  EXPECT_FALSE(put_user(dir.path(), std::string(256, 'a'), credential_for("x")).is_ok());
  EXPECT_FALSE(add_acls(dir.path(), {allow("alice", AclOperation::kRead, ResourceType::kTopic, "t")}).is_ok());
  EXPECT_FALSE(add_acls(dir.path(), {allow("User:a", AclOperation::kAny, ResourceType::kTopic, "t")}).is_ok());
  EXPECT_FALSE(add_acls(dir.path(), {allow("User:a", AclOperation::kRead, ResourceType::kCluster, "c")}).is_ok());
  EXPECT_FALSE(add_acls(dir.path(), {allow("User:a", AclOperation::kRead, ResourceType::kTopic, "")}).is_ok());
  EXPECT_TRUE(read_acls(dir.path())->empty());
}

TEST(SecurityStore, AclsAddOnceAndRemoveByFilter) {
  testing::TestDir dir;
  const auto read_t = allow("User:alice", AclOperation::kRead, ResourceType::kTopic, "t");
  const auto write_p = allow("User:alice", AclOperation::kWrite, ResourceType::kTopic, "orders-", PatternType::kPrefixed);
  EXPECT_EQ(add_acls(dir.path(), {read_t, write_p}).value(), 2u);
  EXPECT_EQ(add_acls(dir.path(), {read_t}).value(), 0u);
  AclFilter by_operation;
  by_operation.operation = AclOperation::kWrite;
  auto removed = remove_acls(dir.path(), {by_operation});
  ASSERT_TRUE(removed.is_ok());
  ASSERT_EQ(removed->at(0).size(), 1u);
  EXPECT_EQ(removed->at(0)[0], write_p);
  EXPECT_EQ(read_acls(dir.path()).value(), std::vector<AclBinding>{read_t});
}

TEST(SecurityStore, ConcurrentChangesAreNeverLost) {
  testing::TestDir dir;
  constexpr int kThreads = 4;
  constexpr int kEach = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto binding = allow("User:u" + std::to_string(t), AclOperation::kRead, ResourceType::kTopic, std::to_string(i));
        EXPECT_TRUE(add_acls(dir.path(), {binding}).is_ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(read_acls(dir.path())->size(), static_cast<std::size_t>(kThreads * kEach));
}

TEST(CredentialStore, SeesUsersAddedAndRemovedWhileOpen) {
  testing::TestDir dir;
  auto store = CredentialStore::open(dir.path(), 0ms);
  ASSERT_TRUE(store.is_ok());
  EXPECT_FALSE(store.value()->find("alice", ScramMechanism::kSha256));
  const auto alice = credential_for("x");
  ASSERT_TRUE(put_user(dir.path(), "alice", alice).is_ok());
  EXPECT_EQ(store.value()->find("alice", ScramMechanism::kSha256), alice);
  EXPECT_FALSE(store.value()->find("alice", ScramMechanism::kSha512));
  EXPECT_EQ(store.value()->find_any("alice"), alice);
  ASSERT_TRUE(remove_user(dir.path(), "alice").is_ok());
  EXPECT_FALSE(store.value()->find("alice", ScramMechanism::kSha256));
}

TEST(CredentialStore, ACorruptFileIsRefusedAtOpenAndKeepsTheOldUsersOnReload) {
  testing::TestDir dir;
  ASSERT_TRUE(put_user(dir.path(), "alice", credential_for("x")).is_ok());
  const std::string path = dir.sub(std::string(kUsersFileName));
  auto store = CredentialStore::open(dir.path(), 0ms);
  ASSERT_TRUE(store.is_ok());
  std::filesystem::copy_file(path, path + ".copy");
  flip_byte(path + ".copy", 20);
  std::filesystem::rename(path + ".copy", path);  // a new inode, as a writer would make
  EXPECT_TRUE(store.value()->find("alice", ScramMechanism::kSha256).has_value());
  EXPECT_EQ(store.value()->last_error().code(), StatusCode::kCorruption);
  auto reopened = CredentialStore::open(dir.path());
  ASSERT_FALSE(reopened.is_ok());
  EXPECT_NE(reopened.status().message().find(path), std::string::npos);
}

TEST(CredentialStore, ChangesTakeEffectWithinTheCheckInterval) {
  testing::TestDir dir;
  auto store = CredentialStore::open(dir.path(), 200ms);
  ASSERT_TRUE(store.is_ok());
  EXPECT_FALSE(store.value()->find("alice", ScramMechanism::kSha256));
  ASSERT_TRUE(put_user(dir.path(), "alice", credential_for("x")).is_ok());
  const auto start = std::chrono::steady_clock::now();
  while (!store.value()->find("alice", ScramMechanism::kSha256)) {
    ASSERT_LT(std::chrono::steady_clock::now() - start, 1s) << "not seen within a second";
    std::this_thread::sleep_for(10ms);
  }
}

TEST(Authorizer, FollowsAclChangesAndSuperUsers) {
  testing::TestDir dir;
  auto authorizer = Authorizer::open(dir.path(), {"admin"}, 0ms);
  ASSERT_TRUE(authorizer.is_ok());
  const Resource topic{ResourceType::kTopic, "orders"};
  EXPECT_FALSE(authorizer.value()->allowed("User:alice", AclOperation::kRead, topic));
  EXPECT_TRUE(authorizer.value()->allowed("User:admin", AclOperation::kDelete, topic));
  ASSERT_TRUE(add_acls(dir.path(), {allow("User:alice", AclOperation::kRead, ResourceType::kTopic, "orders")}).is_ok());
  EXPECT_TRUE(authorizer.value()->allowed("User:alice", AclOperation::kRead, topic));
  AclFilter everything;
  ASSERT_TRUE(remove_acls(dir.path(), {everything}).is_ok());
  EXPECT_FALSE(authorizer.value()->allowed("User:alice", AclOperation::kRead, topic));
}

}  // namespace
}  // namespace strata::security
