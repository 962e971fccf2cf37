/* strata.h exercised from C (compiled as C11): every kind of call, and the errors a C caller meets (a bad
 * topic name, a closed log, a misused claim, NULL arguments). Exits 0 when every check holds; each failed
 * check prints its line, the call's code and strata_last_error(). */
#define _GNU_SOURCE /* mkdtemp, nftw */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strata/strata.h"

static int failures = 0;

#define CHECK(condition)                                                              \
  do {                                                                                \
    if (!(condition)) {                                                               \
      fprintf(stderr, "%s:%d: CHECK(%s) failed (last error: %s)\n", __FILE__, __LINE__, \
              #condition, strata_last_error());                                        \
      ++failures;                                                                     \
    }                                                                                 \
  } while (0)

#define CHECK_CODE(call, expected)                                                                     \
  do {                                                                                                 \
    int code_ = (call);                                                                                \
    if (code_ != (expected)) {                                                                         \
      fprintf(stderr, "%s:%d: %s gave %s, expected %s (last error: %s)\n", __FILE__, __LINE__, #call, \
              strata_code_name(code_), strata_code_name(expected), strata_last_error());               \
      ++failures;                                                                                      \
    }                                                                                                  \
  } while (0)

/* What a poll saw, event by event. */
typedef struct {
  size_t count;
  uint64_t offsets[8];
  char values[8][32];
  char header_keys[8][32];
  size_t key_bytes[8];
} seen_events;

static void collect(const strata_event* event, void* context) {
  seen_events* seen = (seen_events*)context;
  if (seen->count >= 8) return;
  seen->offsets[seen->count] = event->offset;
  snprintf(seen->values[seen->count], sizeof seen->values[0], "%.*s", (int)event->value_bytes,
           (const char*)event->value);
  seen->header_keys[seen->count][0] = '\0';
  if (event->header_count == 1) {
    snprintf(seen->header_keys[seen->count], sizeof seen->header_keys[0], "%.*s",
             (int)event->headers[0].key_bytes, event->headers[0].key);
  }
  seen->key_bytes[seen->count] = event->key_bytes;
  ++seen->count;
}

static int remove_entry(const char* path, const struct stat* info, int flag, struct FTW* ftw) {
  (void)info;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void test_errors_without_a_log(const char* dir) {
  strata_log* log = NULL;
  CHECK_CODE(strata_log_open(NULL, &log), STRATA_INVALID_ARGUMENT);
  CHECK(strstr(strata_last_error(), "options") != NULL);
  strata_log_options options;
  strata_log_options_init(&options);
  CHECK_CODE(strata_log_open(&options, &log), STRATA_INVALID_ARGUMENT); /* no directory */
  options.directory = dir;
  options.durability = 7;
  CHECK_CODE(strata_log_open(&options, &log), STRATA_INVALID_ARGUMENT);
  CHECK(strstr(strata_last_error(), "durability") != NULL);
  options.durability = STRATA_DURABILITY_SYNC;
  CHECK(options.writer_threads == 1);
  options.writer_threads = 0;
  CHECK_CODE(strata_log_open(&options, &log), STRATA_INVALID_ARGUMENT);
  CHECK(strstr(strata_last_error(), "writer_threads") != NULL);
  CHECK(strcmp(strata_code_name(STRATA_CLOSED), "closed") == 0);
  CHECK(strcmp(strata_code_name(12345), "unknown") == 0);
  CHECK(strlen(strata_version()) >= 5);
}

static void test_topics(strata_log* log) {
  uint32_t topic = 0;
  CHECK_CODE(strata_topic(log, "bad/name", NULL, &topic), STRATA_INVALID_ARGUMENT);
  CHECK(strstr(strata_last_error(), "bad/name") != NULL);
  CHECK_CODE(strata_topic(log, NULL, NULL, &topic), STRATA_INVALID_ARGUMENT);
  CHECK_CODE(strata_find_topic(log, "orders", &topic), STRATA_NOT_FOUND);

  strata_topic_options options = {.partitions = 2, .compression = STRATA_COMPRESSION_NONE};
  uint32_t orders = 0;
  CHECK_CODE(strata_topic(log, "orders", &options, &orders), STRATA_OK);
  CHECK(strcmp(strata_last_error(), "") == 0);
  CHECK_CODE(strata_find_topic(log, "orders", &topic), STRATA_OK);
  CHECK(topic == orders);
  uint32_t partitions = 0;
  CHECK_CODE(strata_topic_partitions(log, orders, &partitions), STRATA_OK);
  CHECK(partitions == 2);
  CHECK_CODE(strata_topic_partitions(log, orders + 100, &partitions), STRATA_INVALID_ARGUMENT);
  options.partitions = 3; /* the count is fixed at creation */
  CHECK_CODE(strata_topic(log, "orders", &options, &topic), STRATA_INVALID_ARGUMENT);
  options.partitions = 1;
  options.compression = 9;
  CHECK_CODE(strata_topic(log, "other", &options, &topic), STRATA_INVALID_ARGUMENT);
}

static void test_produce_and_read(strata_log* log) {
  uint32_t orders = 0;
  CHECK_CODE(strata_find_topic(log, "orders", &orders), STRATA_OK);
  strata_producer* producer = NULL;
  CHECK_CODE(strata_producer_open(log, &producer), STRATA_OK);

  const strata_header header = {"trace", 5, "t-1", 3};
  strata_ticket first;
  CHECK_CODE(strata_producer_append(producer, orders, 1, "k1", 2, "first", 5, &header, 1, 1000000, &first), STRATA_OK);
  CHECK(first.partition == 1);
  strata_ticket second;
  CHECK_CODE(strata_producer_try_append(producer, orders, 1, NULL, 0, "second", 6, NULL, 0, &second), STRATA_OK);

  /* The zero-copy form: the value is written straight into the ring. */
  strata_claim claim;
  CHECK_CODE(strata_producer_try_claim(producer, orders, 1, 2, 5, NULL, 0, &claim), STRATA_OK);
  CHECK_CODE(strata_producer_try_claim(producer, orders, 1, 2, 5, NULL, 0, &claim), STRATA_INVALID_ARGUMENT);
  memcpy(claim.key, "k3", 2);
  memcpy(claim.value, "third", 5);
  strata_ticket third;
  CHECK_CODE(strata_producer_commit(producer, &third), STRATA_OK);
  CHECK_CODE(strata_producer_commit(producer, &third), STRATA_INVALID_ARGUMENT); /* nothing open */
  CHECK_CODE(strata_producer_try_claim(producer, orders, 1, 0, 8, NULL, 0, &claim), STRATA_OK);
  CHECK_CODE(strata_producer_abort(producer), STRATA_OK); /* never stored */
  CHECK_CODE(strata_producer_abort(producer), STRATA_INVALID_ARGUMENT);

  uint64_t offset = 99;
  CHECK_CODE(strata_producer_wait(producer, first, 10000000, &offset), STRATA_OK);
  CHECK(offset == 0);
  CHECK_CODE(strata_producer_wait(producer, third, 10000000, &offset), STRATA_OK);
  CHECK(offset == 2);
  CHECK_CODE(strata_producer_wait_all(producer, 10000000), STRATA_OK);

  /* Bad arguments are codes, never crashes. */
  strata_ticket unused;
  CHECK_CODE(strata_producer_append(producer, orders + 100, 0, NULL, 0, "x", 1, NULL, 0, 1000, &unused),
             STRATA_INVALID_ARGUMENT);
  CHECK_CODE(strata_producer_try_append(producer, orders, 7, NULL, 0, "x", 1, NULL, 0, &unused),
             STRATA_INVALID_ARGUMENT);
  CHECK_CODE(strata_producer_append(producer, orders, 0, NULL, 4, "x", 1, NULL, 0, 1000, &unused),
             STRATA_INVALID_ARGUMENT);

  strata_partition_offsets offsets;
  CHECK_CODE(strata_partition_offsets_get(log, orders, 1, &offsets), STRATA_OK);
  CHECK(offsets.durable == 3);

  strata_reader* reader = NULL;
  CHECK_CODE(strata_reader_open(log, "orders", 1, STRATA_READ_DURABLE, &reader), STRATA_OK);
  seen_events seen = {0};
  size_t count = 0;
  CHECK_CODE(strata_reader_poll(reader, 10, collect, &seen, &count), STRATA_OK);
  CHECK(count == 3);
  CHECK(seen.count == 3);
  CHECK(seen.offsets[0] == 0 && seen.offsets[2] == 2);
  CHECK(strcmp(seen.values[0], "first") == 0);
  CHECK(strcmp(seen.values[1], "second") == 0);
  CHECK(strcmp(seen.values[2], "third") == 0);
  CHECK(strcmp(seen.header_keys[0], "trace") == 0);
  CHECK(seen.key_bytes[0] == 2 && seen.key_bytes[1] == 0);
  CHECK(strata_reader_position(reader) == 3);
  CHECK_CODE(strata_reader_wait(reader, 1000), STRATA_TIMED_OUT);

  CHECK_CODE(strata_reader_seek(reader, 1), STRATA_OK);
  memset(&seen, 0, sizeof seen);
  CHECK_CODE(strata_reader_poll(reader, 1, collect, &seen, NULL), STRATA_OK);
  CHECK(seen.count == 1 && seen.offsets[0] == 1);
  CHECK_CODE(strata_reader_wait(reader, 1000), STRATA_OK); /* offset 2 is there */
  CHECK_CODE(strata_reader_poll(reader, 1, NULL, NULL, NULL), STRATA_INVALID_ARGUMENT);
  CHECK_CODE(strata_reader_seek_to_end(reader), STRATA_OK);
  CHECK(strata_reader_position(reader) == 3);
  strata_reader_destroy(reader);

  CHECK_CODE(strata_reader_open(log, "orders", 5, STRATA_READ_DURABLE, &reader), STRATA_INVALID_ARGUMENT);
  CHECK_CODE(strata_reader_open(log, "orders", 0, 42, &reader), STRATA_INVALID_ARGUMENT);
  strata_producer_destroy(producer);
}

/* Conditional appends on a topic with a key index: a stale expectation is STRATA_CONFLICT from wait, with
 * the key's last offset. */
static void test_conditional_appends(strata_log* log) {
  const strata_topic_options options = {.partitions = 1, .compression = STRATA_COMPRESSION_NONE, .key_index = 1};
  uint32_t accounts = 0;
  CHECK_CODE(strata_topic(log, "accounts", &options, &accounts), STRATA_OK);
  strata_producer* producer = NULL;
  CHECK_CODE(strata_producer_open(log, &producer), STRATA_OK);
  strata_ticket ticket;
  uint64_t offset = 0;
  CHECK_CODE(strata_producer_append_expecting(producer, accounts, 0, "a", 1, "opened", 6, NULL, 0,
                                              STRATA_EXPECT_NO_EVENT, 1000000, &ticket),
             STRATA_OK);
  CHECK_CODE(strata_producer_wait(producer, ticket, 10000000, &offset), STRATA_OK);
  CHECK(offset == 0);
  CHECK_CODE(strata_producer_append_expecting(producer, accounts, 0, "a", 1, "again", 5, NULL, 0,
                                              STRATA_EXPECT_NO_EVENT, 1000000, &ticket),
             STRATA_OK);
  CHECK_CODE(strata_producer_wait(producer, ticket, 10000000, &offset), STRATA_CONFLICT);
  CHECK(offset == 0);
  CHECK_CODE(strata_producer_append_expecting(producer, accounts, 0, "a", 1, "credited", 8, NULL, 0, 0, 1000000,
                                              &ticket),
             STRATA_OK);
  CHECK_CODE(strata_producer_wait(producer, ticket, 10000000, &offset), STRATA_OK);
  CHECK(offset == 1);
  CHECK_CODE(strata_producer_append_expecting(producer, accounts, 0, "b", 1, "x", 1, NULL, 0, 5, 1000000, &ticket),
             STRATA_OK);
  CHECK_CODE(strata_producer_wait(producer, ticket, 10000000, &offset), STRATA_CONFLICT);
  CHECK(offset == UINT64_MAX);
  uint32_t orders = 0;
  CHECK_CODE(strata_find_topic(log, "orders", &orders), STRATA_OK);
  CHECK_CODE(strata_producer_append_expecting(producer, orders, 0, "a", 1, "x", 1, NULL, 0, STRATA_EXPECT_NO_EVENT,
                                              1000000, &ticket),
             STRATA_INVALID_ARGUMENT);
  strata_producer_destroy(producer);
}

static void test_group_offsets(const char* dir) {
  CHECK_CODE(strata_group_commit(dir, "billing", "orders", 1, 2, "resume here"), STRATA_OK);
  uint64_t offset = 0;
  char metadata[STRATA_GROUP_METADATA_MAX + 1];
  CHECK_CODE(strata_group_fetch(dir, "billing", "orders", 1, &offset, metadata, sizeof metadata), STRATA_OK);
  CHECK(offset == 2);
  CHECK(strcmp(metadata, "resume here") == 0);
  char small[4];
  CHECK_CODE(strata_group_fetch(dir, "billing", "orders", 1, &offset, small, sizeof small), STRATA_TOO_LARGE);
  CHECK_CODE(strata_group_fetch(dir, "billing", "orders", 0, &offset, NULL, 0), STRATA_NOT_FOUND);
  /* Any non-empty group id is valid, as in Kafka; an empty one is refused. */
  CHECK_CODE(strata_group_commit(dir, "team/a b", "orders", 0, 1, NULL), STRATA_OK);
  CHECK_CODE(strata_group_fetch(dir, "team/a b", "orders", 0, &offset, NULL, 0), STRATA_OK);
  CHECK(offset == 1);
  CHECK_CODE(strata_group_commit(dir, "", "orders", 0, 1, NULL), STRATA_INVALID_ARGUMENT);
}

static void test_closed_log(strata_log* log, const char* dir) {
  uint32_t orders = 0;
  CHECK_CODE(strata_find_topic(log, "orders", &orders), STRATA_OK);
  strata_producer* producer = NULL;
  CHECK_CODE(strata_producer_open(log, &producer), STRATA_OK);
  CHECK_CODE(strata_log_close(log), STRATA_OK);
  CHECK_CODE(strata_log_close(log), STRATA_OK); /* idempotent */
  strata_ticket ticket;
  CHECK_CODE(strata_producer_append(producer, orders, 0, NULL, 0, "late", 4, NULL, 0, 1000, &ticket), STRATA_CLOSED);
  CHECK_CODE(strata_producer_try_append(producer, orders, 0, NULL, 0, "late", 4, NULL, 0, &ticket), STRATA_CLOSED);
  uint32_t topic = 0;
  CHECK_CODE(strata_topic(log, "orders", NULL, &topic), STRATA_CLOSED);
  CHECK_CODE(strata_log_flush(log), STRATA_CLOSED);
  strata_producer* late = NULL;
  CHECK_CODE(strata_producer_open(log, &late), STRATA_CLOSED);
  strata_producer_destroy(producer);

  /* What was acknowledged is on disk: a reader of the directory sees it without the log. */
  strata_reader* reader = NULL;
  CHECK_CODE(strata_reader_open_directory(dir, "orders", 1, STRATA_READ_WRITTEN, &reader), STRATA_OK);
  size_t count = 0;
  seen_events seen = {0};
  CHECK_CODE(strata_reader_poll(reader, 10, collect, &seen, &count), STRATA_OK);
  CHECK(count == 3);
  strata_reader_destroy(reader);
  CHECK_CODE(strata_reader_open_directory(dir, "missing", 0, STRATA_READ_WRITTEN, &reader), STRATA_NOT_FOUND);
}

int main(void) {
  const char* base = getenv("STRATA_TEST_DIR");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/strata-capi.XXXXXX", base != NULL ? base : "/var/tmp");
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 2;
  }
  test_errors_without_a_log(dir);
  strata_log_options options;
  strata_log_options_init(&options);
  options.directory = dir;
  strata_log* log = NULL;
  CHECK_CODE(strata_log_open(&options, &log), STRATA_OK);
  if (log != NULL) {
    test_topics(log);
    test_produce_and_read(log);
    test_conditional_appends(log);
    test_group_offsets(dir);
    test_closed_log(log, dir);
    strata_log_destroy(log);
  }
  nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  if (failures > 0) {
    fprintf(stderr, "%d checks failed\n", failures);
    return 1;
  }
  printf("all C API checks passed\n");
  return 0;
}
