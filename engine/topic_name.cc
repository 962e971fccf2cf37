#include <string>

#include "strata/log.h"

namespace strata {

Status validate_topic_name(std::string_view name) {
  if (name.empty()) return invalid_argument("topic name is empty");
  if (name.size() > 128) {
    return invalid_argument("topic name is " + std::to_string(name.size()) +
                            " bytes long; at most 128 allowed");
  }
  if (name == "." || name == "..") return invalid_argument("topic name may not be \".\" or \"..\"");
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                         c == '.' || c == '_' || c == '-';
    if (!allowed) {
      return invalid_argument("topic name \"" + std::string(name) +
                              "\" has a character other than letters, " +
                              "digits, '.', '_' or '-' at position " + std::to_string(i));
    }
  }
  return Status::ok();
}

}  // namespace strata
