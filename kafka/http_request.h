// The little of HTTP/1.x the metrics endpoint needs: a request's head parsed and checked, a response built.
// Bodies are never read (a GET has none; anything after the head is ignored, the connection then closes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::kafka {

enum class HttpParse : std::uint8_t {
  kIncomplete,  // the head has not ended yet: read more
  kComplete,    // *request is set
  kBad,         // not an HTTP/1.x request head: answer 400
  kTooLarge,    // no end of the head within max_bytes: answer 431
};

struct HttpRequest {
  std::string method;  // "GET", ...
  std::string path;    // the target without its query: "/metrics"
};

// Parses the request head at the start of `bytes` (up to the empty line that ends it, CRLF or LF).
HttpParse parse_http_request(std::string_view bytes, std::size_t max_bytes, HttpRequest* request);

// A complete response that closes the connection. `head_only`: the headers of the body without the body
// (HEAD). `extra_headers`: lines each ending in "\r\n".
std::string http_response(int status, std::string_view body, std::string_view content_type, bool head_only = false,
                          std::string_view extra_headers = {});
// The status line and headers alone, for a body of `content_length` bytes sent after them.
std::string http_response_head(int status, std::size_t content_length, std::string_view content_type,
                               std::string_view extra_headers = {});

}  // namespace strata::kafka
