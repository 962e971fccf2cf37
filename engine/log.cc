// The public API: Log forwards to LogCore; Producer's append and wait are the producer-side hot paths.
#include "strata/log.h"

#include <cstring>
#include <thread>

#include "engine/format.h"
#include "engine/log_core.h"
#include "engine/reader_state.h"
#include "engine/segment_files.h"
#include "ring/backpressure.h"

namespace strata {

using detail::ProducerState;
using detail::RingRecordHeader;

namespace {

// The value `done` holds while the slot's previous occupant (sequence - slots) is settled, i.e. the slot is
// free for `sequence`.
std::uint64_t free_mark(std::uint64_t sequence, std::uint64_t slots) {
  return sequence >= slots ? sequence - slots + 1 : 0;
}

// Takes the next sequence number if its acknowledgement slot is free. Returns false when the in-flight window
// is full.
bool take_sequence(ProducerState& state, std::uint64_t* sequence) {
  const std::uint64_t slots = state.slot_mask + 1;
  std::uint64_t next = state.next_sequence.load(std::memory_order_relaxed);
  while (true) {
    if (state.slot(next).done.load(std::memory_order_acquire) != free_mark(next, slots)) return false;
    if (state.spsc != nullptr) {
      *sequence = next;  // one thread owns this producer: published after the commit
      return true;
    }
    if (state.next_sequence.compare_exchange_weak(next, next + 1, std::memory_order_relaxed)) {
      *sequence = next;
      return true;
    }
  }
}

}  // namespace

// ---- Producer ---------------------------------------------------------------------------------------------

Producer::~Producer() {
  if (state_ && state_->spsc != nullptr) state_->closed.store(true, std::memory_order_release);
}

AppendStatus Producer::try_claim(TopicId topic, std::size_t key_bytes, std::size_t value_bytes,
                                 AppendClaim* claim) {
  ProducerState& state = *state_;
  detail::LogCore& core = *state.core;
  if (!core.accepting()) [[unlikely]]
    return AppendStatus::kClosed;
  if (topic >= core.topic_count()) [[unlikely]]
    return AppendStatus::kBadTopic;
  if (key_bytes > format::kKeyBytesMax || value_bytes > format::kValueBytesMax) [[unlikely]] {
    return AppendStatus::kTooLarge;
  }
  const std::size_t bytes = sizeof(RingRecordHeader) + key_bytes + value_bytes;
  ring::Claim ring_claim;
  const ring::ClaimStatus claimed = state.spsc != nullptr ? state.spsc->try_claim(bytes, &ring_claim)
                                                          : state.mpsc->try_claim(bytes, &ring_claim);
  if (claimed != ring::ClaimStatus::kOk) [[unlikely]] {
    return claimed == ring::ClaimStatus::kFull ? AppendStatus::kFull : AppendStatus::kTooLarge;
  }
  std::uint64_t sequence = 0;
  if (!take_sequence(state, &sequence)) [[unlikely]] {
    if (state.spsc != nullptr) {
      state.spsc->abort(ring_claim);
    } else {
      state.mpsc->abort(ring_claim);
    }
    return AppendStatus::kFull;
  }
  const RingRecordHeader header{topic, static_cast<std::uint32_t>(key_bytes), sequence};
  std::memcpy(ring_claim.payload.data(), &header, sizeof header);
  claim->key = ring_claim.payload.subspan(sizeof header, key_bytes);
  claim->value = ring_claim.payload.subspan(sizeof header + key_bytes, value_bytes);
  claim->ring_header_ = ring_claim.header;
  claim->ring_record_ = ring_claim.payload;
  claim->ring_end_ = ring_claim.end_position;
  claim->sequence_ = sequence;
  return AppendStatus::kOk;
}

Ticket Producer::commit(const AppendClaim& claim) {
  ProducerState& state = *state_;
  const ring::Claim ring_claim{claim.ring_record_, static_cast<ring::RecordHeader*>(claim.ring_header_),
                               claim.ring_end_};
  if (state.spsc != nullptr) {
    state.spsc->commit(ring_claim);
    // Release: the writer's unacknowledged() count never sees a sequence whose record is not in the ring.
    state.next_sequence.store(claim.sequence_ + 1, std::memory_order_release);
  } else {
    state.mpsc->commit(ring_claim);
  }
  state.core->wake_writer();
  return Ticket{claim.sequence_};
}

void Producer::abort(const AppendClaim& claim) {
  ProducerState& state = *state_;
  const ring::Claim ring_claim{claim.ring_record_, static_cast<ring::RecordHeader*>(claim.ring_header_),
                               claim.ring_end_};
  if (state.spsc != nullptr) {
    state.spsc->abort(ring_claim);  // its sequence was never published: the next claim takes it again
  } else {
    state.mpsc->abort(ring_claim);  // becomes padding
    // The shared sequence is taken for good: settle its slot so the in-flight window does not stall on it.
    detail::publish_ack(state.slot(claim.sequence_), claim.sequence_, detail::kFailedOffset);
  }
}

AppendStatus Producer::try_append(TopicId topic, std::span<const std::byte> key,
                                  std::span<const std::byte> value, Ticket* ticket) {
  AppendClaim claim;
  const AppendStatus status = try_claim(topic, key.size(), value.size(), &claim);
  if (status != AppendStatus::kOk) [[unlikely]]
    return status;
  if (!key.empty()) std::memcpy(claim.key.data(), key.data(), key.size());
  if (!value.empty()) std::memcpy(claim.value.data(), value.data(), value.size());
  *ticket = commit(claim);
  return AppendStatus::kOk;
}

Result<Ticket> Producer::append(TopicId topic, std::span<const std::byte> key,
                                std::span<const std::byte> value, std::chrono::nanoseconds timeout) {
  Ticket ticket;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::chrono::microseconds sleep{1};
  for (unsigned attempt = 0;; ++attempt) {
    switch (try_append(topic, key, value, &ticket)) {
      case AppendStatus::kOk:
        return ticket;
      case AppendStatus::kTooLarge:
        return invalid_argument(
            "event too large: key " + std::to_string(key.size()) + " bytes, value " +
            std::to_string(value.size()) + " bytes (limits: key " + std::to_string(format::kKeyBytesMax) +
            ", value " + std::to_string(format::kValueBytesMax) + ", and the producer ring's record limit)");
      case AppendStatus::kBadTopic:
        return invalid_argument("topic id " + std::to_string(topic) + " is not a topic of this log");
      case AppendStatus::kClosed: {
        Status failure = state_->core->failure();
        return failure.is_ok() ? Status(StatusCode::kClosed, "the log is closed") : failure;
      }
      case AppendStatus::kFull:
        break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status(StatusCode::kTimedOut, "append: the producer's ring or in-flight window stayed full");
    }
    if (attempt < 64) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(sleep);
      sleep = std::min(sleep * 2, std::chrono::microseconds(1000));
    }
  }
}

Result<Ticket> Producer::append(TopicId topic, std::string_view key, std::string_view value) {
  return append(topic, std::as_bytes(std::span(key.data(), key.size())),
                std::as_bytes(std::span(value.data(), value.size())));
}

bool Producer::is_acknowledged(const Ticket& ticket) const {
  const std::uint64_t done = state_->slot(ticket.sequence).done.load(std::memory_order_acquire);
  return done != detail::kSlotBusy && done >= ticket.sequence + 1;
}

Result<std::uint64_t> Producer::wait(const Ticket& ticket, std::chrono::nanoseconds timeout) {
  ProducerState& state = *state_;
  detail::AckSlot& slot = state.slot(ticket.sequence);
  const std::uint64_t mark = ticket.sequence + 1;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (unsigned attempt = 0;; ++attempt) {
    const std::uint64_t done = slot.done.load(std::memory_order_acquire);
    if (done == mark) {
      const std::uint64_t offset = slot.offset.load(std::memory_order_acquire);
      if (slot.done.load(std::memory_order_relaxed) == mark) {
        if (offset == detail::kFailedOffset) return state.core->failure();
        return offset;
      }
    } else if (done != detail::kSlotBusy && done > mark) {
      return Status(StatusCode::kNotFound, "ticket " + std::to_string(ticket.sequence) +
                                               " expired: more than appends_in_flight_max appends since");
    }
    if (done != detail::kSlotBusy && done < mark) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        return Status(StatusCode::kTimedOut,
                      "no acknowledgement for ticket " + std::to_string(ticket.sequence));
      }
      if (attempt >= 16) {
        state.ack_signal.wait_for(
            [&] {
              const std::uint64_t now_done = slot.done.load(std::memory_order_acquire);
              return now_done != detail::kSlotBusy && now_done < mark;
            },
            std::min<std::chrono::nanoseconds>(deadline - now, std::chrono::milliseconds(100)));
      }
    }
  }
}

Status Producer::wait_all(std::chrono::nanoseconds timeout) {
  ProducerState& state = *state_;
  const std::uint64_t end = state.next_sequence.load(std::memory_order_acquire);
  Status first_error;
  const std::uint64_t slots = state.slot_mask + 1;
  std::uint64_t begin = end > slots ? std::max(state.waited_through, end - slots) : state.waited_through;
  for (std::uint64_t sequence = begin; sequence < end; ++sequence) {
    auto offset = wait(Ticket{sequence}, timeout);
    if (!offset && offset.status().code() != StatusCode::kNotFound && first_error.is_ok()) {
      first_error = offset.status();
    }
  }
  if (state.spsc != nullptr) state.waited_through = end;
  return first_error;
}

// ---- Log --------------------------------------------------------------------------------------------------

Log::Log(std::unique_ptr<detail::LogCore> core) : core_(std::move(core)) {
  shared_producer_.reset(new Producer(core_->new_producer(/*shared=*/true)));
}

Log::~Log() {
  (void)close();
}

Result<std::unique_ptr<Log>> Log::open(LogOptions options) {
  auto core = detail::LogCore::open(std::move(options));
  if (!core) return core.status();
  return std::unique_ptr<Log>(new Log(std::move(core.value())));
}

Result<TopicId> Log::topic(std::string_view name) {
  return core_->topic(name);
}

std::unique_ptr<Producer> Log::producer() {
  return std::unique_ptr<Producer>(new Producer(core_->new_producer(/*shared=*/false)));
}

Producer& Log::shared_producer() {
  return *shared_producer_;
}

Result<std::unique_ptr<Reader>> Log::reader(std::string_view topic, bool read_uncommitted) {
  auto id = core_->topic(topic);
  if (!id) return id.status();
  detail::TopicCounters& counters = core_->topic_writer(*id).counters();
  auto state = detail::make_reader_state(core_->options().directory + "/" + std::string(topic));
  state->visible_limit = [&counters, read_uncommitted] {
    return read_uncommitted ? counters.written_offset.load(std::memory_order_acquire)
                            : counters.durable_offset.load(std::memory_order_acquire);
  };
  state->visible_signal = &counters.visible_signal;
  auto bases = detail::list_segment_bases(state->topic_dir);
  if (!bases) return bases.status();
  state->next_offset = bases->empty() ? 0 : bases->front();
  return std::unique_ptr<Reader>(new Reader(std::move(state)));
}

Status Log::flush() {
  return core_->flush();
}
Status Log::close() {
  return core_->close();
}
LogStats Log::stats() const {
  return core_->stats();
}
const LogOptions& Log::options() const {
  return core_->options();
}

}  // namespace strata
