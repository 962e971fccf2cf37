// The one declaration of every API strata serves: key, name, advertised version range, first flexible
// version (KIP-482), request and response types. Everything else derives from `Apis`: the ApiVersions
// answer and version checks (protocol.cc), the request variant and the decoder's dispatch (codec.h,
// request_decoder.cc), the request/response header versions, and the handler's dispatch (request_handler.cc,
// where std::visit over the variant makes a forgotten handler a compile error). Adding an API is one line
// here plus its codec and its handler.
//
// Every version in a range is implemented, because some clients ignore the minimum. Produce v0-2 are
// advertised but refused (kProduceServedMin).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "kafka/acl_messages.h"
#include "kafka/config_messages.h"
#include "kafka/messages.h"
#include "kafka/protocol.h"
#include "kafka/sasl_messages.h"

namespace strata::kafka {

// A string literal as a template argument (the API's name).
template <std::size_t N>
struct ApiName {
  char text[N];
  constexpr ApiName(const char (&name)[N]) {  // NOLINT(google-explicit-constructor): used as a literal
    for (std::size_t i = 0; i < N; ++i) text[i] = name[i];
  }
};

template <ApiKey Key, ApiName Name, std::int16_t Min, std::int16_t Max, std::int16_t FlexibleMin, typename Req,
          typename Resp>
struct Api {
  static_assert(Min <= Max);
  static constexpr ApiKey key = Key;
  static constexpr std::string_view name{Name.text, sizeof(Name.text) - 1};
  static constexpr ApiRange range{Key, Min, Max, FlexibleMin};
  using Request = Req;
  using Response = Resp;
};

template <typename... Entries>
struct ApiList {
  using RequestVariant = std::variant<typename Entries::Request...>;
  static constexpr std::array<ApiRange, sizeof...(Entries)> ranges{Entries::range...};
  static constexpr std::array<std::string_view, sizeof...(Entries)> names{Entries::name...};

  // Calls f.template operator()<Entry>() for the entry of `key`; false when no entry has that key.
  template <typename F>
  static bool with(ApiKey key, F&& f) {
    return ((Entries::key == key ? (f.template operator()<Entries>(), true) : false) || ...);
  }
};

// The versions from the first flexible one on use compact strings and arrays, tagged fields and request
// header v2 / response header v1 (except ApiVersions' response header, always v0). Fetch stops at 13 (topics
// by the ids topic_uuid() derives); its later versions are not implemented. See README.md for why each range
// ends where it does.
using Apis = ApiList<
    Api<ApiKey::kProduce, "Produce", 0, 9, 9, ProduceRequest, ProduceResponse>,
    Api<ApiKey::kFetch, "Fetch", 4, 13, 12, FetchRequest, FetchResponse>,
    Api<ApiKey::kListOffsets, "ListOffsets", 1, 6, 6, ListOffsetsRequest, ListOffsetsResponse>,
    Api<ApiKey::kMetadata, "Metadata", 0, 12, 9, MetadataRequest, MetadataResponse>,
    Api<ApiKey::kOffsetCommit, "OffsetCommit", 1, 8, 8, OffsetCommitRequest, OffsetCommitResponse>,
    Api<ApiKey::kOffsetFetch, "OffsetFetch", 1, 7, 6, OffsetFetchRequest, OffsetFetchResponse>,
    Api<ApiKey::kFindCoordinator, "FindCoordinator", 0, 4, 3, FindCoordinatorRequest, FindCoordinatorResponse>,
    Api<ApiKey::kJoinGroup, "JoinGroup", 0, 9, 6, JoinGroupRequest, JoinGroupResponse>,
    Api<ApiKey::kHeartbeat, "Heartbeat", 0, 4, 4, HeartbeatRequest, HeartbeatResponse>,
    Api<ApiKey::kLeaveGroup, "LeaveGroup", 0, 5, 4, LeaveGroupRequest, LeaveGroupResponse>,
    Api<ApiKey::kSyncGroup, "SyncGroup", 0, 5, 4, SyncGroupRequest, SyncGroupResponse>,
    Api<ApiKey::kDescribeGroups, "DescribeGroups", 0, 5, 5, DescribeGroupsRequest, DescribeGroupsResponse>,
    Api<ApiKey::kListGroups, "ListGroups", 0, 4, 3, ListGroupsRequest, ListGroupsResponse>,
    Api<ApiKey::kApiVersions, "ApiVersions", 0, 3, 3, ApiVersionsRequest, ApiVersionsResponse>,
    Api<ApiKey::kCreateTopics, "CreateTopics", 0, 7, 5, CreateTopicsRequest, CreateTopicsResponse>,
    Api<ApiKey::kInitProducerId, "InitProducerId", 0, 4, 2, InitProducerIdRequest, InitProducerIdResponse>,
    Api<ApiKey::kDeleteTopics, "DeleteTopics", 0, 6, 4, DeleteTopicsRequest, DeleteTopicsResponse>,
    Api<ApiKey::kCreatePartitions, "CreatePartitions", 0, 3, 2, CreatePartitionsRequest,
        CreatePartitionsResponse>,
    Api<ApiKey::kDescribeConfigs, "DescribeConfigs", 0, 4, 4, DescribeConfigsRequest, DescribeConfigsResponse>,
    Api<ApiKey::kAlterConfigs, "AlterConfigs", 0, 2, 2, AlterConfigsRequest, AlterConfigsResponse>,
    Api<ApiKey::kIncrementalAlterConfigs, "IncrementalAlterConfigs", 0, 1, 1, IncrementalAlterConfigsRequest,
        IncrementalAlterConfigsResponse>,
    Api<ApiKey::kSaslHandshake, "SaslHandshake", 0, 1, 2, SaslHandshakeRequest, SaslHandshakeResponse>,
    Api<ApiKey::kSaslAuthenticate, "SaslAuthenticate", 0, 2, 2, SaslAuthenticateRequest, SaslAuthenticateResponse>,
    Api<ApiKey::kDescribeAcls, "DescribeAcls", 1, 3, 2, DescribeAclsRequest, DescribeAclsResponse>,
    Api<ApiKey::kCreateAcls, "CreateAcls", 1, 3, 2, CreateAclsRequest, CreateAclsResponse>,
    Api<ApiKey::kDeleteAcls, "DeleteAcls", 1, 3, 2, DeleteAclsRequest, DeleteAclsResponse>>;

}  // namespace strata::kafka
