// HTTP/1.x request heads and responses for the metrics endpoint (see http_request.h).
#include "kafka/http_request.h"

#include <algorithm>
#include <cstdint>

namespace strata::kafka {

namespace {

constexpr std::size_t kMethodBytesMax = 16;

bool is_method(std::string_view text) {
  return !text.empty() && text.size() <= kMethodBytesMax &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// Origin-form only ("/path?query"): visible ASCII, no spaces.
bool is_target(std::string_view text) {
  return !text.empty() && text.front() == '/' &&
         std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

// A header line: a name of visible ASCII before a colon, then no control characters but tab.
bool is_header_line(std::string_view line) {
  const auto colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  const bool name_ok = std::all_of(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(colon),
                                   [](char c) { return c > ' ' && c < 0x7f; });
  return name_ok && std::none_of(line.begin() + static_cast<std::ptrdiff_t>(colon), line.end(), [](char c) {
           const auto byte = static_cast<unsigned char>(c);
           return (byte < ' ' && byte != '\t') || byte == 0x7f;
         });
}

// Splits off the next line (without its LF and an optional CR before it).
std::string_view next_line(std::string_view* rest) {
  const auto end = rest->find('\n');
  std::string_view line = rest->substr(0, end);
  rest->remove_prefix(end == std::string_view::npos ? rest->size() : end + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

HttpParse parse_request_line(std::string_view line, HttpRequest* request) {
  const auto first = line.find(' ');
  if (first == std::string_view::npos) return HttpParse::kBad;
  const auto second = line.find(' ', first + 1);
  if (second == std::string_view::npos || line.find(' ', second + 1) != std::string_view::npos) {
    return HttpParse::kBad;
  }
  const std::string_view method = line.substr(0, first);
  const std::string_view target = line.substr(first + 1, second - first - 1);
  const std::string_view version = line.substr(second + 1);
  if (!is_method(method) || !is_target(target) || (version != "HTTP/1.1" && version != "HTTP/1.0")) {
    return HttpParse::kBad;
  }
  request->method = std::string(method);
  request->path = std::string(target.substr(0, target.find('?')));
  return HttpParse::kComplete;
}

std::string_view reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
  }
}

// Whether the request line so far could still become a valid one: an upper-case letter first, then no
// control or non-ASCII bytes (a TLS handshake or binary garbage is refused at once, not after the timeout).
bool plausible_start(std::string_view bytes) {
  const std::string_view line = bytes.substr(0, bytes.find('\n'));
  if (!line.empty() && (line.front() < 'A' || line.front() > 'Z')) return false;
  return std::all_of(line.begin(), line.end(), [](char c) { return (c >= ' ' && c < 0x7f) || c == '\r'; });
}

}  // namespace

HttpParse parse_http_request(std::string_view bytes, std::size_t max_bytes, HttpRequest* request) {
  if (!plausible_start(bytes)) return HttpParse::kBad;
  // The head ends at the first empty line: "\n\n" or "\n\r\n".
  std::size_t end = std::string_view::npos;
  for (std::size_t at = bytes.find('\n'); at != std::string_view::npos; at = bytes.find('\n', at + 1)) {
    if (at + 1 < bytes.size() && bytes[at + 1] == '\n') end = at + 2;
    if (at + 2 < bytes.size() && bytes[at + 1] == '\r' && bytes[at + 2] == '\n') end = at + 3;
    if (end != std::string_view::npos) break;
  }
  if (end == std::string_view::npos || end > max_bytes) {
    if (bytes.find('\0') != std::string_view::npos) return HttpParse::kBad;
    return bytes.size() >= max_bytes ? HttpParse::kTooLarge : HttpParse::kIncomplete;
  }
  std::string_view rest = bytes.substr(0, end);
  if (rest.find('\0') != std::string_view::npos) return HttpParse::kBad;
  if (parse_request_line(next_line(&rest), request) != HttpParse::kComplete) return HttpParse::kBad;
  for (std::string_view line = next_line(&rest); !line.empty(); line = next_line(&rest)) {
    if (!is_header_line(line)) return HttpParse::kBad;
  }
  return HttpParse::kComplete;
}

std::string http_response_head(int status, std::size_t content_length, std::string_view content_type,
                               std::string_view extra_headers) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason(status)) + "\r\n";
  out += "Content-Type: " + std::string(content_type) + "\r\n";
  out += "Content-Length: " + std::to_string(content_length) + "\r\n";
  out += "Connection: close\r\n";
  out += extra_headers;
  out += "\r\n";
  return out;
}

std::string http_response(int status, std::string_view body, std::string_view content_type, bool head_only,
                          std::string_view extra_headers) {
  std::string out = http_response_head(status, body.size(), content_type, extra_headers);
  if (!head_only) out += body;
  return out;
}

}  // namespace strata::kafka
