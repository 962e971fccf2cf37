// Codecs of the ACL APIs: DescribeAcls, CreateAcls and DeleteAcls 1-3 (field layouts from Kafka's message
// schemas, clients/src/main/resources/common/message; versions 2 and 3 are flexible).
#include <map>
#include <tuple>

#include "kafka/codec.h"

namespace strata::kafka {

namespace {

// A binding or a filter: the same fields in the same order (CreateAcls' names are never null).
void read_acl(WireReader& in, AclWire* out) {
  out->resource_type = in.int8();
  out->resource_name = in.nullable_string();
  out->pattern_type = in.int8();
  out->principal = in.nullable_string();
  out->host = in.nullable_string();
  out->operation = in.int8();
  out->permission = in.int8();
}

// Smallest entry: type(1) name(2) pattern(1) principal(2) host(2) operation(1) permission(1).
constexpr std::size_t kAclWireBytesMin = 10;

bool decode_list(WireReader& in, std::vector<AclWire>* out) {
  const std::size_t count = in.array_count(kAclWireBytesMin);
  out->reserve(count);
  for (std::size_t i = 0; i < count && in.ok(); ++i) {
    read_acl(in, &out->emplace_back());
    in.tagged_fields();
  }
  in.tagged_fields();
  return in.ok();
}

void write_binding(WireWriter& w, const AclDescription& acl, bool with_resource) {
  if (with_resource) {
    w.int8(acl.resource_type);
    w.string(acl.resource_name);
    w.int8(acl.pattern_type);
  }
  w.string(acl.principal);
  w.string(acl.host);
  w.int8(acl.operation);
  w.int8(acl.permission);
  w.tagged_fields();
}

}  // namespace

bool decode(WireReader& in, std::int16_t /*version*/, DescribeAclsRequest* out) {
  read_acl(in, &out->filter);
  in.tagged_fields();
  return in.ok();
}

bool decode(WireReader& in, std::int16_t /*version*/, CreateAclsRequest* out) {
  return decode_list(in, &out->creations);
}

bool decode(WireReader& in, std::int16_t /*version*/, DeleteAclsRequest* out) {
  return decode_list(in, &out->filters);
}

void encode(const DescribeAclsResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kDescribeAcls, version, out);
  w.int32(0);  // throttle_time_ms
  w.int16(code(response.error));
  w.nullable_string(response.error_message);
  // One entry per resource (type, name, pattern), its bindings inside.
  std::map<std::tuple<std::int8_t, std::string, std::int8_t>, std::vector<const AclDescription*>> resources;
  for (const AclDescription& acl : response.acls) {
    resources[{acl.resource_type, acl.resource_name, acl.pattern_type}].push_back(&acl);
  }
  w.array_count(resources.size());
  for (const auto& [resource, acls] : resources) {
    w.int8(std::get<0>(resource));
    w.string(std::get<1>(resource));
    w.int8(std::get<2>(resource));
    w.array_count(acls.size());
    for (const AclDescription* acl : acls) write_binding(w, *acl, /*with_resource=*/false);
    w.tagged_fields();
  }
  w.tagged_fields();
}

void encode(const CreateAclsResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kCreateAcls, version, out);
  w.int32(0);  // throttle_time_ms
  w.array_count(response.results.size());
  for (const auto& result : response.results) {
    w.int16(code(result.error));
    w.nullable_string(result.error_message);
    w.tagged_fields();
  }
  w.tagged_fields();
}

void encode(const DeleteAclsResponse& response, std::int16_t version, ResponseFrame& out) {
  WireWriter& w = begin_response(ApiKey::kDeleteAcls, version, out);
  w.int32(0);  // throttle_time_ms
  w.array_count(response.results.size());
  for (const auto& result : response.results) {
    w.int16(code(result.error));
    w.nullable_string(result.error_message);
    w.array_count(result.matching.size());
    for (const AclDescription& acl : result.matching) {
      w.int16(0);               // error_code of this binding's deletion
      w.nullable_string(std::nullopt);
      write_binding(w, acl, /*with_resource=*/true);
    }
    w.tagged_fields();
  }
  w.tagged_fields();
}

}  // namespace strata::kafka
