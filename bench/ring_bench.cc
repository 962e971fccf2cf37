// ring_bench: records per second through strata's byte rings and three peers, with the same payload sizes,
// the same producer and consumer loops and the same backoff when full or empty.
//
// Names: ring/<impl>/<producers>p1c/<payload bytes>. Impls: strata_spsc, strata_mpsc (compare-exchange claims),
// strata_mpsc_faa (fetch-add claims, kept for the comparison), boost_spsc, rwqueue, moodycamel.
// Each queue holds about kQueueBytes of payload so no peer gets more buffering than the rings.
#include <benchmark/benchmark.h>
#include <immintrin.h>
#include <mimalloc-new-delete.h>

#include <array>
#include <atomic>
#include <boost/lockfree/spsc_queue.hpp>
#include <concurrentqueue.h>
#include <cstring>
#include <readerwriterqueue.h>
#include <thread>
#include <vector>

#include "ring/mpsc_ring.h"
#include "ring/spsc_ring.h"

namespace {

constexpr std::size_t kQueueBytes = 1 << 20;
constexpr std::uint64_t kItemsPerIteration = 1 << 21;
constexpr std::size_t kBatchMax = 256;

template <std::size_t N>
struct Item {
  std::array<std::byte, N> bytes;
};

// The same wait for every impl: a short spin, then give the core away (2 cores, 3+ threads).
struct Backoff {
  unsigned spins = 0;
  void wait() {
    if (++spins < 64) {
      _mm_pause();
    } else {
      std::this_thread::yield();
    }
  }
  void reset() { spins = 0; }
};

std::uint64_t first_word(const std::byte* bytes, std::size_t size) {
  std::uint64_t word = 0;
  std::memcpy(&word, bytes, std::min(size, sizeof word));
  return word;
}

// ---- adapters: try_push(const Item&) per producer, drain(sum) -> items consumed -------------------------

template <typename Ring, std::size_t N>
struct StrataQueue {
  Ring ring{kQueueBytes};
  struct Producer {
    StrataQueue& q;
    bool try_push(const Item<N>& item) {
      strata::ring::Claim claim;
      if (q.ring.try_claim(N, &claim) != strata::ring::ClaimStatus::kOk) return false;
      std::memcpy(claim.payload.data(), item.bytes.data(), N);
      q.ring.commit(claim);
      return true;
    }
  };
  Producer producer() { return Producer{*this}; }
  std::size_t drain(std::uint64_t& sum) {
    return ring.consume(kBatchMax, [&](std::span<const std::byte> bytes) { sum += first_word(bytes.data(), N); });
  }
};

template <std::size_t N>
struct BoostSpsc {
  boost::lockfree::spsc_queue<Item<N>> queue{kQueueBytes / N};
  std::array<Item<N>, kBatchMax> batch;
  struct Producer {
    BoostSpsc& q;
    bool try_push(const Item<N>& item) { return q.queue.push(item); }
  };
  Producer producer() { return Producer{*this}; }
  std::size_t drain(std::uint64_t& sum) {
    const std::size_t n = queue.pop(batch.data(), kBatchMax);
    for (std::size_t i = 0; i < n; ++i) sum += first_word(batch[i].bytes.data(), N);
    return n;
  }
};

template <std::size_t N>
struct RwQueue {
  moodycamel::ReaderWriterQueue<Item<N>> queue{kQueueBytes / N};
  struct Producer {
    RwQueue& q;
    bool try_push(const Item<N>& item) { return q.queue.try_enqueue(item); }
  };
  Producer producer() { return Producer{*this}; }
  std::size_t drain(std::uint64_t& sum) {
    std::size_t n = 0;
    Item<N> item;
    while (n < kBatchMax && queue.try_dequeue(item)) {
      sum += first_word(item.bytes.data(), N);
      ++n;
    }
    return n;
  }
};

template <std::size_t N>
struct Moodycamel {
  moodycamel::ConcurrentQueue<Item<N>> queue{kQueueBytes / N, 8, 0};
  moodycamel::ConsumerToken consumer_token{queue};
  std::array<Item<N>, kBatchMax> batch;
  struct Producer {
    Moodycamel& q;
    moodycamel::ProducerToken token{q.queue};
    bool try_push(const Item<N>& item) { return q.queue.try_enqueue(token, item); }
  };
  Producer producer() { return Producer{*this}; }
  std::size_t drain(std::uint64_t& sum) {
    const std::size_t n = queue.try_dequeue_bulk(consumer_token, batch.data(), kBatchMax);
    for (std::size_t i = 0; i < n; ++i) sum += first_word(batch[i].bytes.data(), N);
    return n;
  }
};

// ---- the pipeline: P producer threads, the consumer on the benchmark thread ------------------------------

template <typename Queue, std::size_t N>
void run_pipeline(benchmark::State& state, std::uint64_t producers) {
  const std::uint64_t per_producer = kItemsPerIteration / producers;
  auto queue = std::make_unique<Queue>();
  std::uint64_t sum = 0;
  for (auto _ : state) {
    std::vector<std::thread> threads;
    for (std::uint64_t p = 0; p < producers; ++p) {
      threads.emplace_back([&queue, per_producer, p] {
        auto producer = queue->producer();
        Item<N> item{};
        Backoff backoff;
        for (std::uint64_t i = 0; i < per_producer; ++i) {
          const std::uint64_t stamp = (p << 56) | i;
          std::memcpy(item.bytes.data(), &stamp, std::min(N, sizeof stamp));
          while (!producer.try_push(item)) backoff.wait();
          backoff.reset();
        }
      });
    }
    Backoff backoff;
    for (std::uint64_t received = 0; received < per_producer * producers;) {
      const std::size_t n = queue->drain(sum);
      if (n == 0) {
        backoff.wait();
      } else {
        backoff.reset();
        received += n;
      }
    }
    for (auto& thread : threads) thread.join();
  }
  benchmark::DoNotOptimize(sum);
  const auto items = static_cast<std::int64_t>(state.iterations() * per_producer * producers);
  state.SetItemsProcessed(items);
  state.SetBytesProcessed(items * static_cast<std::int64_t>(N));
}

template <std::size_t N>
void register_payload() {
  using strata::ring::BasicMpscRing;
  using strata::ring::MpscClaimStrategy;
  const std::string suffix = "/" + std::to_string(N);
  auto add = [&](const std::string& impl, std::uint64_t producers, auto fn) {
    benchmark::RegisterBenchmark(("ring/" + impl + "/" + std::to_string(producers) + "p1c" + suffix).c_str(), fn,
                                 producers)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  };
  add("strata_spsc", 1, run_pipeline<StrataQueue<strata::ring::SpscRing, N>, N>);
  add("boost_spsc", 1, run_pipeline<BoostSpsc<N>, N>);
  add("rwqueue", 1, run_pipeline<RwQueue<N>, N>);
  for (std::uint64_t producers : {1, 2, 4}) {
    add("strata_mpsc", producers, run_pipeline<StrataQueue<BasicMpscRing<MpscClaimStrategy::kCompareExchange>, N>, N>);
    add("strata_mpsc_faa", producers, run_pipeline<StrataQueue<BasicMpscRing<MpscClaimStrategy::kFetchAdd>, N>, N>);
    add("moodycamel", producers, run_pipeline<Moodycamel<N>, N>);
  }
}

// Wall-clock time is the only fair clock for a pipeline of threads, but google-benchmark then appends
// "/real_time" to every name. This reporter drops it so names stay ring/<impl>/<P>p1c/<bytes>.
template <typename Base>
class PlainNames : public Base {
 public:
  void ReportRuns(const std::vector<benchmark::BenchmarkReporter::Run>& runs) override {
    std::vector<benchmark::BenchmarkReporter::Run> renamed = runs;
    for (auto& run : renamed) run.run_name.time_type.clear();
    Base::ReportRuns(renamed);
  }
};

bool wants_json(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--benchmark_format=json") return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  register_payload<8>();
  register_payload<64>();
  register_payload<256>();
  const bool json = wants_json(argc, argv);  // before Initialize, which consumes the flags it knows
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  std::unique_ptr<benchmark::BenchmarkReporter> reporter;
  if (json) {
    reporter = std::make_unique<PlainNames<benchmark::JSONReporter>>();
  } else {
    reporter = std::make_unique<PlainNames<benchmark::ConsoleReporter>>();
  }
  benchmark::RunSpecifiedBenchmarks(reporter.get());
  benchmark::Shutdown();
  return 0;
}
