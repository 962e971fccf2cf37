// KeyReader: one key's events of one partition, in offset order, without reading the other keys' events
// (topics created with strata.key-index=true). It follows the key index: the writer's, in memory, for the
// active segment of a live Log; each sealed segment's <base>.strata-keys file (each key's events of the
// segment as one run, looked up by key hash). A reader on a directory (KeyReader::open, another process) scans
// the active segment instead, and any sealed segment whose key file is missing. Every event handed out is
// checked (its batch's CRC) and its key compared byte for byte.
//
//   auto keys = log->key_reader("orders", 0).value();
//   keys->read(as_bytes("order-17"), 0, 1000, [](const strata::Event& event) { ... });
//
// Threads: one thread per KeyReader.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "strata/reader.h"
#include "strata/status.h"

namespace strata {

namespace detail {
struct KeyReaderState;
}

class KeyReader {
 public:
  // A key reader of one partition of `topic` in the log directory `dir` (what the files hold: kWritten,
  // or kDurable for what the writing process acknowledged).
  static Result<std::unique_ptr<KeyReader>> open(const std::string& dir, std::string_view topic,
                                                 std::uint32_t partition = 0, ReadLevel level = ReadLevel::kWritten);
  ~KeyReader();
  KeyReader(const KeyReader&) = delete;
  KeyReader& operator=(const KeyReader&) = delete;

  // Calls fn for up to `max` visible events of `key` at or after offset `from`, in offset order; returns how
  // many. Events below the earliest kept offset (retention) are skipped.
  Result<std::size_t> read(std::span<const std::byte> key, std::uint64_t from, std::size_t max,
                           const EventCallback& fn);
  // The offsets of the key's visible events at or after `from`, in offset order (no event is read).
  Result<std::vector<std::uint64_t>> offsets(std::span<const std::byte> key, std::uint64_t from);

 private:
  friend class Log;
  explicit KeyReader(std::unique_ptr<detail::KeyReaderState> state);
  std::unique_ptr<detail::KeyReaderState> state_;
};

}  // namespace strata
