// Session::handle: version checks and dispatch to the handler of each API.
#include "kafka/protocol.h"
#include "kafka/session.h"

namespace strata::kafka {

Session::Outcome Session::handle(const RequestHeader& header, Decoder& body, Encoder& out) {
  // ApiVersions answers any version (a newer one with the v0 layout and error 35).
  if (header.api_key == kApiVersions) return api_versions(header, out);
  const ApiRange* api = find_api(header.api_key);
  if (api == nullptr || header.api_version < api->min || header.api_version > api->max) {
    // An API or version we do not advertise: the body's layout is unknown, so the connection closes, as a
    // Kafka broker closes it.
    log_refusal(header, "unsupported API or version");
    return Outcome::kClose;
  }
  switch (header.api_key) {
    case kMetadata:
      return metadata(header, body, out);
    case kProduce:
      return produce(header, body, out);
    case kFetch:
      return fetch(header, body, out);
    case kListOffsets:
      return list_offsets(header, body, out);
    case kInitProducerId:
      return init_producer_id(header, body, out);
    case kFindCoordinator:
      return find_coordinator(header, body, out);
    case kJoinGroup:
      return join_group(header, body, out);
    case kSyncGroup:
      return sync_group(header, body, out);
    case kHeartbeat:
      return heartbeat(header, body, out);
    case kLeaveGroup:
      return leave_group(header, body, out);
    case kOffsetCommit:
      return offset_commit(header, body, out);
    case kOffsetFetch:
      return offset_fetch(header, body, out);
    default:
      return Outcome::kClose;
  }
}

}  // namespace strata::kafka
