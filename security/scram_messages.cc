#include "security/scram_messages.h"

#include <span>
#include <vector>

#include "security/crypto.h"

namespace strata::security {

namespace {

Status refuse(std::string_view message, std::string reason) {
  return invalid_argument(std::string(message) + " message: " + std::move(reason));
}

// RFC 5802's "printable": %x21-2B / %x2D-7E (visible ASCII except ',').
bool is_printable(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x21 || byte > 0x7e || c == ',') return false;
  }
  return true;
}

// saslname: any byte but NUL, control characters, ',' and a bare '='; "=2C" and "=3D" escape ',' and '='.
Result<std::string> decode_scram_name(std::string_view message, std::string_view what, std::string_view text) {
  if (text.empty()) return refuse(message, std::string(what) + " is empty");
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f || text[i] == ',') return refuse(message, std::string(what) + " has a control character");
    if (text[i] != '=') {
      out += text[i];
      continue;
    }
    const std::string_view escape = text.substr(i, 3);
    if (escape == "=2C") {
      out += ',';
    } else if (escape == "=3D") {
      out += '=';
    } else {
      return refuse(message, std::string(what) + " has '=' not followed by 2C or 3D");
    }
    i += 2;
  }
  if (out.size() > kScramNameBytesMax) return refuse(message, std::string(what) + " is longer than 255 bytes");
  return out;
}

// Splits at ',' into at most `parts_max` + 1 fields (one more than allowed, so the caller sees too many).
std::vector<std::string_view> split_fields(std::string_view text, std::size_t parts_max) {
  std::vector<std::string_view> fields;
  while (fields.size() <= parts_max) {
    const std::size_t comma = text.find(',');
    fields.push_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return fields;
}

// attr-val: one letter, '=', a value (which may be empty only where the caller allows).
bool has_attribute(std::string_view field, char attribute) {
  return field.size() >= 2 && field[0] == attribute && field[1] == '=';
}

Result<std::string> parse_nonce(std::string_view message, std::string_view field) {
  if (!has_attribute(field, 'r')) return refuse(message, "expected the nonce attribute r=");
  const std::string_view nonce = field.substr(2);
  if (nonce.empty() || nonce.size() > kScramNonceBytesMax || !is_printable(nonce)) {
    return refuse(message, "bad nonce (1 to 256 printable characters expected)");
  }
  return std::string(nonce);
}

// Extensions after the nonce: "name=value" with a lower-case name. Kafka's tokenauth=true is noted; others
// are ignored as RFC 5802 allows for unknown extensions... except that none may be mandatory ("m=").
Status parse_extensions(std::string_view message, std::span<const std::string_view> fields, bool* token_auth) {
  if (fields.size() > kScramExtensionsMax) return refuse(message, "too many extensions");
  for (std::string_view field : fields) {
    const std::size_t equals = field.find('=');
    if (equals == 0 || equals == std::string_view::npos || !is_printable(field.substr(equals + 1))) {
      return refuse(message, "malformed extension");
    }
    for (char c : field.substr(0, equals)) {
      if (c < 'a' || c > 'z') return refuse(message, "malformed extension name");
    }
    if (field.substr(0, equals) == "tokenauth") *token_auth = field.substr(equals + 1) == "true";
  }
  return Status::ok();
}

// gs2-header: ("n" | "y" | "p=...") "," [ "a=" saslname ] ","; returns the length of the header.
Result<std::size_t> parse_gs2_header(std::string_view text, ClientFirstMessage* out) {
  constexpr std::string_view kMessage = "client-first";
  if (text.starts_with("p=")) return refuse(kMessage, "channel binding requested, but strata offers none");
  if (!text.starts_with("n,") && !text.starts_with("y,")) return refuse(kMessage, "bad channel-binding flag (n or y expected)");
  const std::size_t end = text.find(',', 2);
  if (end == std::string_view::npos) return refuse(kMessage, "gs2 header is not terminated");
  const std::string_view authzid = text.substr(2, end - 2);
  if (!authzid.empty()) {
    if (!has_attribute(authzid, 'a')) return refuse(kMessage, "bad authzid (a= expected)");
    auto decoded = decode_scram_name(kMessage, "authzid", authzid.substr(2));
    if (!decoded) return decoded.status();
    out->authzid = std::move(*decoded);
  }
  out->gs2_header = std::string(text.substr(0, end + 1));
  return end + 1;
}

}  // namespace

Result<ClientFirstMessage> parse_client_first(std::string_view message) {
  constexpr std::string_view kMessage = "client-first";
  if (message.size() > kScramMessageBytesMax) return refuse(kMessage, "longer than 4096 bytes");
  ClientFirstMessage out;
  auto header = parse_gs2_header(message, &out);
  if (!header) return header.status();
  out.bare = std::string(message.substr(*header));
  const auto fields = split_fields(out.bare, 2 + kScramExtensionsMax);
  if (!fields.empty() && has_attribute(fields[0], 'm')) return refuse(kMessage, "mandatory extension m= is not supported");
  if (fields.size() < 2) return refuse(kMessage, "expected n=USER,r=NONCE");
  if (!has_attribute(fields[0], 'n')) return refuse(kMessage, "expected the user name attribute n=");
  auto username = decode_scram_name(kMessage, "user name", fields[0].substr(2));
  if (!username) return username.status();
  out.username = std::move(*username);
  auto nonce = parse_nonce(kMessage, fields[1]);
  if (!nonce) return nonce.status();
  out.nonce = std::move(*nonce);
  STRATA_RETURN_IF_ERROR(parse_extensions(kMessage, std::span(fields).subspan(2), &out.token_auth));
  return out;
}

Result<ClientFinalMessage> parse_client_final(std::string_view message) {
  constexpr std::string_view kMessage = "client-final";
  if (message.size() > kScramMessageBytesMax) return refuse(kMessage, "longer than 4096 bytes");
  const auto fields = split_fields(message, 3 + kScramExtensionsMax);
  if (fields.size() < 3) return refuse(kMessage, "expected c=BINDING,r=NONCE,p=PROOF");
  if (!has_attribute(fields[0], 'c')) return refuse(kMessage, "expected the channel-binding attribute c=");
  auto binding = base64_decode(fields[0].substr(2));
  if (!binding) return refuse(kMessage, "channel binding is not base64");
  auto nonce = parse_nonce(kMessage, fields[1]);
  if (!nonce) return nonce.status();
  const std::string_view last = fields.back();
  if (!has_attribute(last, 'p')) return refuse(kMessage, "expected the proof attribute p= last");
  auto proof = base64_decode(last.substr(2));
  if (!proof || proof->empty()) return refuse(kMessage, "proof is not base64");
  bool token_auth = false;
  STRATA_RETURN_IF_ERROR(parse_extensions(kMessage, std::span(fields).subspan(2, fields.size() - 3), &token_auth));
  ClientFinalMessage out;
  out.channel_binding = std::move(*binding);
  out.nonce = std::move(*nonce);
  out.proof = std::move(*proof);
  out.without_proof = std::string(message.substr(0, message.size() - last.size() - 1));
  return out;
}

std::string encode_scram_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == ',') {
      out += "=2C";
    } else if (c == '=') {
      out += "=3D";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace strata::security
