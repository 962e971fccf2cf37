// What the device allows a durable log, without strata: 4 KiB O_DIRECT writes each followed by fdatasync.
//   concurrent T: T threads, each writing its own blocks of one file and syncing after every write;
//   group P:      P producer threads each hand one 118-byte event to a single writer thread and wait; the
//                 writer rewrites the block holding the end (a padded tail, as strata does) and fdatasyncs,
//                 then wakes them (a plain group commit: mutex, condition variable, pwrite, fdatasync).
// The file is written with zeros first ("written") or only fallocated ("fallocated").
//   gcc -O2 -pthread perf/sync_floor.c -o /tmp/sync_floor
//   /tmp/sync_floor /var/tmp/sync_floor.data concurrent 16 written 250
//   /tmp/sync_floor /var/tmp/sync_floor.data group 16 fallocated 3000
// Prints the p50 and p99 latency of one operation (concurrent) or one event (group), and the rate.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { kBlock = 4096, kEventBytes = 118, kThreadsMax = 64 };

static int fd, threads, per_thread, done_producers;
static long appended, synced;
static double* latencies;
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER, durable = PTHREAD_COND_INITIALIZER;

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void* block_of(char fill) {
  void* buffer = NULL;
  if (posix_memalign(&buffer, kBlock, kBlock) != 0) abort();
  memset(buffer, fill, kBlock);
  return buffer;
}

static void write_and_sync(const void* block, off_t position) {
  if (pwrite(fd, block, kBlock, position) != kBlock || fdatasync(fd) != 0) {
    perror("pwrite/fdatasync");
    exit(1);
  }
}

static void* concurrent_thread(void* arg) {
  const long id = (long)arg;
  void* block = block_of('x');
  for (int i = 0; i < per_thread; ++i) {
    const double start = now_us();
    write_and_sync(block, ((off_t)i * threads + id) * kBlock);
    latencies[id * per_thread + i] = now_us() - start;
  }
  return NULL;
}

static void* producer_thread(void* arg) {
  const long id = (long)arg;
  for (int i = 0; i < per_thread; ++i) {
    const double start = now_us();
    pthread_mutex_lock(&mutex);
    const long mine = ++appended;
    pthread_cond_signal(&work);
    while (synced < mine) pthread_cond_wait(&durable, &mutex);
    pthread_mutex_unlock(&mutex);
    latencies[id * per_thread + i] = now_us() - start;
  }
  pthread_mutex_lock(&mutex);
  ++done_producers;
  pthread_cond_signal(&work);
  pthread_mutex_unlock(&mutex);
  return NULL;
}

static void* group_writer(void* arg) {
  (void)arg;
  void* block = block_of('x');
  for (;;) {
    pthread_mutex_lock(&mutex);
    while (appended == synced && done_producers < threads) pthread_cond_wait(&work, &mutex);
    if (appended == synced) {
      pthread_mutex_unlock(&mutex);
      return NULL;
    }
    const long target = appended;
    pthread_mutex_unlock(&mutex);
    write_and_sync(block, (off_t)target * kEventBytes / kBlock * kBlock);
    pthread_mutex_lock(&mutex);
    synced = target;
    pthread_cond_broadcast(&durable);
    pthread_mutex_unlock(&mutex);
  }
}

static int by_value(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  if (argc != 6 || (strcmp(argv[2], "concurrent") != 0 && strcmp(argv[2], "group") != 0) ||
      (strcmp(argv[4], "written") != 0 && strcmp(argv[4], "fallocated") != 0)) {
    fprintf(stderr, "usage: %s FILE concurrent|group THREADS written|fallocated OPS_PER_THREAD\n", argv[0]);
    return 2;
  }
  const int group = strcmp(argv[2], "group") == 0;
  threads = atoi(argv[3]);
  per_thread = atoi(argv[5]);
  if (threads < 1 || threads > kThreadsMax || per_thread < 1) {
    fprintf(stderr, "THREADS must be 1-%d and OPS_PER_THREAD at least 1\n", kThreadsMax);
    return 2;
  }
  const long count = (long)threads * per_thread;
  const off_t size = group ? (off_t)count * kEventBytes + (1 << 20) : (off_t)count * kBlock;
  fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0644);
  if (fd < 0) {
    perror(argv[1]);
    return 1;
  }
  if (strcmp(argv[4], "written") == 0) {
    void* zeros = block_of(0);
    for (off_t position = 0; position < size; position += kBlock) write_and_sync(zeros, position);
  } else if (fallocate(fd, 0, 0, size) != 0 || fsync(fd) != 0) {
    perror("fallocate");
    return 1;
  }
  latencies = calloc((size_t)count, sizeof *latencies);
  pthread_t workers[kThreadsMax], writer;
  const double start = now_us();
  if (group) pthread_create(&writer, NULL, group_writer, NULL);
  for (long i = 0; i < threads; ++i) {
    pthread_create(&workers[i], NULL, group ? producer_thread : concurrent_thread, (void*)i);
  }
  for (int i = 0; i < threads; ++i) pthread_join(workers[i], NULL);
  if (group) pthread_join(writer, NULL);
  const double seconds = (now_us() - start) / 1e6;
  qsort(latencies, (size_t)count, sizeof *latencies, by_value);
  printf("%s, %d threads, %s blocks: p50 %.0f us, p99 %.0f us, %.0f %s/s\n", argv[2], threads, argv[4],
         latencies[count / 2], latencies[count * 99 / 100], count / seconds, group ? "events" : "syncs");
  close(fd);
  unlink(argv[1]);
  return 0;
}
