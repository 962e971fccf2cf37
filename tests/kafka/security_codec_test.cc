// The SASL and ACL APIs' codecs: requests built field by field as Kafka's schemas lay them out decode to
// what was sent (classic and flexible versions), and responses encode to the bytes the schemas say.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kafka/codec.h"
#include "tests/kafka/request_builder.h"
#include "tests/kafka/security_requests.h"

namespace strata::kafka {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int value : values) out.push_back(static_cast<std::byte>(value));
  return out;
}

// A decoded request's strings and bytes are views into its frame: the frame must outlive the body.
template <typename Body>
Body decoded(const std::vector<std::byte>& frame) {
  Request request;
  std::string why;
  EXPECT_EQ(decode_request(frame, &request, &why), DecodeResult::kOk) << why;
  return std::get<Body>(request.body);
}

TEST(KafkaSecurityCodec, SaslHandshakeAndAuthenticateDecodeInEveryVersion) {
  EXPECT_EQ(decoded<SaslHandshakeRequest>(testing::sasl_handshake_request(0, "PLAIN")).mechanism, "PLAIN");
  EXPECT_EQ(decoded<SaslHandshakeRequest>(testing::sasl_handshake_request(1, "SCRAM-SHA-512")).mechanism,
            "SCRAM-SHA-512");
  for (std::int16_t version = 0; version <= 2; ++version) {
    const auto frame = testing::sasl_authenticate_request(version, "n,,n=a,r=x");
    const auto body = decoded<SaslAuthenticateRequest>(frame);
    EXPECT_EQ(as_text(body.auth_bytes), "n,,n=a,r=x") << "v" << version;
  }
}

TEST(KafkaSecurityCodec, SaslAuthenticateResponseLayouts) {
  SaslAuthenticateResponse response;
  response.error = ErrorCode::kSaslAuthenticationFailed;
  response.error_message = "no";
  response.auth_bytes = "ab";
  ResponseFrame v1;
  encode(response, 1, v1);  // error int16, message string, bytes int32 + data, session_lifetime_ms int64
  EXPECT_EQ(v1.body.buffer(), bytes({0, 58, 0, 2, 'n', 'o', 0, 0, 0, 2, 'a', 'b', 0, 0, 0, 0, 0, 0, 0, 0}));
  ResponseFrame v2;
  encode(response, 2, v2);  // header tags, then compact (length + 1) fields and the body's tags
  EXPECT_EQ(v2.body.buffer(), bytes({0, 0, 58, 3, 'n', 'o', 3, 'a', 'b', 0, 0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(KafkaSecurityCodec, AclRequestsDecodeClassicAndFlexible) {
  for (std::int16_t version = 1; version <= 3; ++version) {
    const auto describe_frame = testing::describe_acls_request(version, "User:bob");
    const auto describe = decoded<DescribeAclsRequest>(describe_frame);
    EXPECT_EQ(describe.filter.resource_type, 1);
    EXPECT_FALSE(describe.filter.resource_name);
    EXPECT_EQ(describe.filter.principal, "User:bob");
    const auto create_frame = testing::create_acls_request(version, "orders", "User:bob");
    const auto create = decoded<CreateAclsRequest>(create_frame);
    ASSERT_EQ(create.creations.size(), 1u);
    EXPECT_EQ(create.creations[0].resource_name, "orders");
    EXPECT_EQ(create.creations[0].operation, 4);
    EXPECT_EQ(create.creations[0].permission, 3);
    const auto remove_frame = testing::delete_acls_request(version, "orders");
    const auto remove = decoded<DeleteAclsRequest>(remove_frame);
    ASSERT_EQ(remove.filters.size(), 1u);
    EXPECT_EQ(remove.filters[0].resource_name, "orders");
  }
}

TEST(KafkaSecurityCodec, DescribeAclsResponseGroupsBindingsByResource) {
  DescribeAclsResponse response;
  response.acls.push_back({2, "t", 3, "User:a", "*", 3, 3});
  response.acls.push_back({2, "t", 3, "User:b", "*", 4, 3});
  ResponseFrame v1;
  encode(response, 1, v1);
  EXPECT_EQ(v1.body.buffer(),
            bytes({0, 0, 0, 0, 0, 0, 0xff, 0xff,  // throttle, error, null message
                   0, 0, 0, 1, 2, 0, 1, 't', 3,   // one resource: topic t, literal
                   0, 0, 0, 2,                    // two bindings
                   0, 6, 'U', 's', 'e', 'r', ':', 'a', 0, 1, '*', 3, 3,
                   0, 6, 'U', 's', 'e', 'r', ':', 'b', 0, 1, '*', 4, 3}));
}

}  // namespace
}  // namespace strata::kafka
