// ring_bench: records per second through strata's byte rings and three peers, with the same payload sizes,
// the same producer and consumer loops and the same backoff when full or empty.
//
// Names: ring/<impl>/<producers>p1c/<payload bytes>. Impls: strata_spsc, strata_mpsc (the shared producer's
// striped ring), strata_mpsc_lane (one lane of it), boost_spsc, rwqueue,
// moodycamel.
// Each queue holds about kQueueBytes of payload so no peer gets more buffering than the rings.
#include <benchmark/benchmark.h>
#include <concurrentqueue.h>
#include <immintrin.h>
#include <mimalloc-new-delete.h>
#include <pthread.h>
#include <readerwriterqueue.h>
#include <sched.h>

#include <algorithm>
#include <array>
#include <bit>
#include <atomic>
#include <boost/lockfree/spsc_queue.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <thread>
#include <vector>

#include "ring/mpsc_ring.h"
#include "ring/spsc_ring.h"
#include "ring/striped_mpsc_ring.h"

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

// With one producer, pin producer and consumer to different cores (when there are two) so that every impl
// is measured crossing cores; left to the scheduler, the pair sometimes shares a core and the numbers swing
// by 5x between runs. With more producers than cores nothing is pinned.
void pin_to_cpu(unsigned cpu) {
  if (std::thread::hardware_concurrency() < 2) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

void unpin() {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (unsigned cpu = 0; cpu < std::thread::hardware_concurrency(); ++cpu) CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

std::uint64_t first_word(const std::byte* bytes, std::size_t size) {
  std::uint64_t word = 0;
  std::memcpy(&word, bytes, std::min(size, sizeof word));
  return word;
}

// ---- adapters: try_push(const Item&) per producer, drain(sum) -> items consumed -------------------------

// The same buffering for every impl: a striped ring gives each producer a lane of its own, so it splits
// kQueueBytes across the producers' lanes (the lanes nobody claims in hold nothing).
template <typename Ring>
Ring make_ring(std::uint64_t producers) {
  if constexpr (std::is_same_v<Ring, strata::ring::StripedMpscRing>) {
    return Ring(std::bit_floor(kQueueBytes / producers));
  } else {
    return Ring(kQueueBytes);
  }
}

template <typename Ring, std::size_t N>
struct StrataQueue {
  explicit StrataQueue(std::uint64_t producers) : ring(make_ring<Ring>(producers)) {}
  Ring ring;
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
    return ring.consume(kBatchMax,
                        [&](std::span<const std::byte> bytes) { sum += first_word(bytes.data(), N); });
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
    // enqueue, not try_enqueue: with 4 producers try_enqueue can starve a producer of blocks for good (seen
    // here as a hang). The queue may grow past kQueueBytes, which only favours the peer.
    bool try_push(const Item<N>& item) { return q.queue.enqueue(token, item); }
  };
  Producer producer() { return Producer{*this}; }
  std::size_t drain(std::uint64_t& sum) {
    const std::size_t n = queue.try_dequeue_bulk(consumer_token, batch.data(), kBatchMax);
    for (std::size_t i = 0; i < n; ++i) sum += first_word(batch[i].bytes.data(), N);
    return n;
  }
};

// ---- the pipeline: P producer threads, the consumer on the benchmark thread ------------------------------

// A queue that sizes itself by the producer count is told it.
template <typename Queue>
std::unique_ptr<Queue> make_queue(std::uint64_t producers) {
  if constexpr (std::is_constructible_v<Queue, std::uint64_t>) {
    return std::make_unique<Queue>(producers);
  } else {
    return std::make_unique<Queue>();
  }
}

template <typename Queue, std::size_t N>
void run_pipeline(benchmark::State& state, std::uint64_t producers) {
  const std::uint64_t per_producer = kItemsPerIteration / producers;
  auto queue = make_queue<Queue>(producers);
  std::uint64_t sum = 0;
  if (producers == 1) pin_to_cpu(0);
  for (auto _ : state) {
    std::vector<std::thread> threads;
    for (std::uint64_t p = 0; p < producers; ++p) {
      threads.emplace_back([&queue, per_producer, p, producers] {
        if (producers == 1) pin_to_cpu(1);
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
  unpin();
  benchmark::DoNotOptimize(sum);
  const auto items = static_cast<std::int64_t>(state.iterations() * per_producer * producers);
  state.SetItemsProcessed(items);
  state.SetBytesProcessed(items * static_cast<std::int64_t>(N));
}

template <std::size_t N>
void register_payload() {
  const std::string suffix = "/" + std::to_string(N);
  auto add = [&](const std::string& impl, std::uint64_t producers, auto fn) {
    benchmark::RegisterBenchmark(("ring/" + impl + "/" + std::to_string(producers) + "p1c" + suffix).c_str(),
                                 fn, producers)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  };
  add("strata_spsc", 1, run_pipeline<StrataQueue<strata::ring::SpscRing, N>, N>);
  add("boost_spsc", 1, run_pipeline<BoostSpsc<N>, N>);
  add("rwqueue", 1, run_pipeline<RwQueue<N>, N>);
  std::vector<std::uint64_t> producer_counts = {1, 2, 4};
  if (std::thread::hardware_concurrency() > 8)
    producer_counts.push_back(8);  // scaling runs on bigger machines
  for (const std::uint64_t producers : producer_counts) {
    // strata_mpsc is the ring the log's shared producer uses (lanes of MPSC rings); strata_mpsc_lane is one
    // lane alone, every producer claiming on one shared tail.
    add("strata_mpsc", producers, run_pipeline<StrataQueue<strata::ring::StripedMpscRing, N>, N>);
    add("strata_mpsc_lane", producers, run_pipeline<StrataQueue<strata::ring::MpscRing, N>, N>);
    add("moodycamel", producers, run_pipeline<Moodycamel<N>, N>);
  }
}

// Wall-clock time is the only fair clock for a pipeline of threads, but google-benchmark then appends
// "/real_time" to every name. This reporter drops it so names stay ring/<impl>/<P>p1c/<bytes>, and remembers
// each benchmark's rate (the median when repeated) for the summary.
struct Rate {
  double items_per_second = 0;
  double bytes_per_second = 0;
};

template <typename Base>
class PlainNames : public Base {
 public:
  void ReportRuns(const std::vector<benchmark::BenchmarkReporter::Run>& runs) override {
    std::vector<benchmark::BenchmarkReporter::Run> renamed = runs;
    for (auto& run : renamed) {
      run.run_name.time_type.clear();
      const bool single = run.run_type == benchmark::BenchmarkReporter::Run::RT_Iteration;
      if (single || run.aggregate_name == "median") {
        rates_[run.run_name.str()] = {run.counters["items_per_second"], run.counters["bytes_per_second"]};
      }
    }
    Base::ReportRuns(renamed);
  }
  const std::map<std::string, Rate>& rates() const { return rates_; }

 private:
  std::map<std::string, Rate> rates_;
};

// The targets, as ratios measured in this run.
void print_summary(const std::map<std::string, Rate>& rates) {
  auto ratio = [&](const std::string& ours, const std::string& peer, double target) {
    const auto a = rates.find(ours);
    const auto b = rates.find(peer);
    if (a == rates.end() || b == rates.end() || b->second.items_per_second == 0) return;
    const double r = a->second.items_per_second / b->second.items_per_second;
    std::printf("  %-28s %8.1f M/s  vs %-24s %8.1f M/s  = %5.2fx  (target >= %.1fx: %s)\n", ours.c_str(),
                a->second.items_per_second / 1e6, peer.c_str(), b->second.items_per_second / 1e6, r, target,
                r >= target ? "met" : "MISSED");
  };
  std::printf("\nsummary (records per second, this run):\n");
  ratio("ring/strata_spsc/1p1c/8", "ring/boost_spsc/1p1c/8", 1.5);
  ratio("ring/strata_mpsc/2p1c/8", "ring/moodycamel/2p1c/8", 1.0);
  if (const auto it = rates.find("ring/strata_spsc/1p1c/256"); it != rates.end()) {
    const double gb = it->second.bytes_per_second / 1e9;
    std::printf("  %-28s %8.2f GB/s of payload (target >= 4 GB/s: %s)\n", it->first.c_str(), gb,
                gb >= 4 ? "met" : "MISSED");
  }
}

// Round trip of one cache line between the two pinned threads, in nanoseconds (median of 9 runs): the price
// of every line two threads share, which is what the rings are designed around. Printed with the summary
// so that runs on different machines can be compared (this 2-core VM: 200-400 ns; the 16-core one: less).
double core_round_trip_ns() {
  if (std::thread::hardware_concurrency() < 2) return 0;
  constexpr int kRoundTrips = 20000;
  std::vector<double> runs;
  for (int run = 0; run < 9; ++run) {
    alignas(64) std::atomic<int> ball{0};
    std::thread partner([&] {
      pin_to_cpu(1);
      for (int i = 0; i < kRoundTrips; ++i) {
        while (ball.load(std::memory_order_acquire) != 2 * i + 1) _mm_pause();
        ball.store(2 * i + 2, std::memory_order_release);
      }
    });
    pin_to_cpu(0);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kRoundTrips; ++i) {
      ball.store(2 * i + 1, std::memory_order_release);
      while (ball.load(std::memory_order_acquire) != 2 * i + 2) _mm_pause();
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    partner.join();
    runs.push_back(std::chrono::duration<double, std::nano>(elapsed).count() / kRoundTrips);
  }
  unpin();
  std::sort(runs.begin(), runs.end());
  return runs[runs.size() / 2];
}

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
  const double round_trip_ns = core_round_trip_ns();
  benchmark::AddCustomContext("core_round_trip_ns", std::to_string(round_trip_ns));
  if (json) {
    PlainNames<benchmark::JSONReporter> reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
  } else {
    PlainNames<benchmark::ConsoleReporter> reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    print_summary(reporter.rates());
    std::printf("  core-to-core round trip of a cache line, before the run: %.0f ns\n", round_trip_ns);
  }
  benchmark::Shutdown();
  return 0;
}
