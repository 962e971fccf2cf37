/* strata's C API (C11): the log, topics, producers, readers and consumer-group offsets for C and for any
 * language with a C foreign-function interface (Python's ctypes, Rust, Go's cgo). A thin layer over the C++
 * API (strata/log.h): the same semantics, the same durability promises; no C++ type crosses it.
 *
 *   strata_log_options options;
 *   strata_log_options_init(&options);
 *   options.directory = "/var/lib/app/log";
 *   strata_log* log;
 *   if (strata_log_open(&options, &log) != STRATA_OK) fprintf(stderr, "%s\n", strata_last_error());
 *
 * Errors. Every function that can fail returns a strata_code: STRATA_OK (0) or the reason. The message that
 * says what and where (file, position, argument) is kept per thread: strata_last_error() returns it until
 * the same thread's next call into this API. No function throws or aborts on bad input or a failing disk;
 * passing a NULL handle or out-pointer where one is required is STRATA_INVALID_ARGUMENT.
 *
 * Ownership. Handles (strata_log, strata_producer, strata_reader) are created by *_open and owned by the
 * caller until the matching *_destroy. Strings and buffers passed in are copied or used only during the call
 * unless a function says otherwise. Views handed out (strata_event's key, value, headers) are valid only
 * during the callback that receives them.
 *
 * Threads. A strata_log may be used from any number of threads at once. A strata_producer and a
 * strata_reader are used by one thread at a time (handing one to another thread needs the caller's own
 * synchronization, such as a mutex or a thread join). Producers and readers must be destroyed before their
 * log; a producer used after strata_log_close() answers STRATA_CLOSED.
 */
#ifndef STRATA_STRATA_H_
#define STRATA_STRATA_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The values are stable: they are part of the ABI. They match strata::StatusCode. */
typedef enum strata_code {
  STRATA_OK = 0,
  STRATA_INVALID_ARGUMENT = 1, /* a caller's input is malformed (a bad topic name, a NULL handle) */
  STRATA_NOT_FOUND = 2,
  STRATA_ALREADY_EXISTS = 3,
  STRATA_BUSY = 4,        /* another process holds the log directory */
  STRATA_CORRUPTION = 5,  /* bytes read from disk failed a check */
  STRATA_IO_ERROR = 6,
  STRATA_NO_SPACE = 7,
  STRATA_UNSUPPORTED = 8, /* the kernel or filesystem lacks something required (io_uring, O_DIRECT) */
  STRATA_CLOSED = 9,      /* the log is closed or failed */
  STRATA_TIMED_OUT = 10,
  STRATA_FULL = 11,       /* a non-blocking call found the ring full: a normal answer, retry later */
  STRATA_TOO_LARGE = 12,
  STRATA_OUT_OF_ORDER_SEQUENCE = 13,
  STRATA_PRODUCER_FENCED = 14,
  STRATA_OUT_OF_MEMORY = 15, /* an allocation failed (a producer's ring, the log's buffers) */
  STRATA_CONFLICT = 16,      /* a conditional append's expectation failed: nothing was stored */
} strata_code;

/* "ok", "invalid argument", ...; "unknown" for a value outside the enum. A static string. Any thread. */
const char* strata_code_name(int code);

/* The message of this thread's last failed call ("" after a call that succeeded). Valid until this
 * thread's next call into this API; copy it to keep it. */
const char* strata_last_error(void);

/* The library's version, "MAJOR.MINOR.PATCH". A static string. */
const char* strata_version(void);

/* ---- The log --------------------------------------------------------------------------------------- */

typedef struct strata_log strata_log;

typedef enum strata_durability {
  STRATA_DURABILITY_NONE = 0,  /* acknowledged when written to the device; synced at seal and close */
  STRATA_DURABILITY_BATCH = 1, /* synced every batch_sync_bytes or batch_sync_interval_us */
  STRATA_DURABILITY_SYNC = 2,  /* acknowledged after the fdatasync that covers it (the default) */
} strata_durability;

typedef struct strata_log_options {
  const char* directory; /* required; created if missing; copied by strata_log_open */
  int durability;        /* a strata_durability */
  uint64_t batch_sync_bytes;
  int64_t batch_sync_interval_us;
  uint64_t segment_bytes;   /* roll size, at least 1 MiB */
  uint64_t retention_bytes; /* per topic; 0: keep everything */
  int64_t retention_age_us; /* 0: never delete by age */
  size_t producer_ring_bytes; /* per producer and writer thread; a power of two */
  unsigned writer_threads;    /* 1 to 64: partitions are spread over this many writer threads */
} strata_log_options;

/* Fills *options with the C++ defaults (strata::LogOptions) and a NULL directory. */
void strata_log_options_init(strata_log_options* options);

/* Opens (creating if missing) the log in options->directory and recovers it. On STRATA_OK, *log is a new
 * handle the caller owns (release it with strata_log_destroy). A second process opening the same directory
 * gets STRATA_BUSY. */
int strata_log_open(const strata_log_options* options, strata_log** log);

/* Makes every event appended before the call durable, whatever the durability. Any thread. */
int strata_log_flush(strata_log* log);

/* Drains, writes and syncs everything, stops the writer and releases the directory; the handle stays valid
 * (for strata_log_destroy) and every later call on it or its producers answers STRATA_CLOSED. Idempotent. */
int strata_log_close(strata_log* log);

/* Closes the log (as strata_log_close, ignoring its result: call that first to see it) and frees the
 * handle. NULL is ignored. REQUIRES: every reader of this log was destroyed before. */
void strata_log_destroy(strata_log* log);

/* ---- Topics --------------------------------------------------------------------------------------- */

typedef enum strata_compression {
  STRATA_COMPRESSION_NONE = 0,
  STRATA_COMPRESSION_GZIP = 1,
  STRATA_COMPRESSION_SNAPPY = 2,
  STRATA_COMPRESSION_LZ4 = 3,
  STRATA_COMPRESSION_ZSTD = 4,
} strata_compression;

/* All partitions of a topic: an append with it goes to the partition of its key (Kafka's murmur2), or
 * round-robin without a key. */
#define STRATA_ANY_PARTITION UINT32_MAX

typedef struct strata_topic_options {
  uint32_t partitions; /* 0: the existing count, or 1 for a new topic */
  int compression;     /* a strata_compression, for a new topic */
  int key_index;       /* nonzero: a new topic gets a key index (strata.key-index=true: conditional appends) */
} strata_topic_options;

/* The id of the topic `name` (a NUL-terminated string), created on first use with *options (NULL: the
 * defaults). Names: letters, digits, '.', '_', '-', at most 128 bytes. Opening an existing topic with
 * another partition count is STRATA_INVALID_ARGUMENT. Any thread. */
int strata_topic(strata_log* log, const char* name, const strata_topic_options* options, uint32_t* topic);

/* The id of an existing topic; STRATA_NOT_FOUND when there is none (nothing is created). Any thread. */
int strata_find_topic(strata_log* log, const char* name, uint32_t* topic);

/* The number of partitions of `topic`; STRATA_INVALID_ARGUMENT for an id this log did not give. */
int strata_topic_partitions(strata_log* log, uint32_t topic, uint32_t* partitions);

typedef struct strata_partition_offsets {
  uint64_t log_start; /* the earliest offset kept */
  uint64_t durable;   /* offsets below are acknowledged */
  uint64_t written;   /* offsets below are written, maybe not yet synced */
} strata_partition_offsets;

int strata_partition_offsets_get(strata_log* log, uint32_t topic, uint32_t partition,
                                 strata_partition_offsets* offsets);

/* ---- Producers ------------------------------------------------------------------------------------ */

typedef struct strata_producer strata_producer;

/* A Kafka record header: a key of key_bytes bytes and a value of value_bytes bytes (either may be empty). */
typedef struct strata_header {
  const char* key;
  size_t key_bytes;
  const void* value;
  size_t value_bytes;
} strata_header;

/* Identifies one append of one producer; pass it to strata_producer_wait. */
typedef struct strata_ticket {
  uint64_t sequence;  /* the producer's count of appends before this one */
  uint32_t partition; /* the partition the event went to */
} strata_ticket;

/* A producer with its own ring (the fastest form); for one thread at a time. On STRATA_OK *producer is a
 * new handle the caller owns. STRATA_OUT_OF_MEMORY when its ring cannot be allocated. */
int strata_producer_open(strata_log* log, strata_producer** producer);
/* Frees the producer; appends not yet acknowledged are still written. NULL is ignored. */
void strata_producer_destroy(strata_producer* producer);

/* Appends one event (the key and value are copied into the ring during the call), blocking while the ring
 * is full for at most timeout_us (STRATA_TIMED_OUT after). `partition` may be STRATA_ANY_PARTITION; `key`
 * may be NULL when key_bytes is 0, `headers` NULL when header_count is 0. On STRATA_OK *ticket names it. */
int strata_producer_append(strata_producer* producer, uint32_t topic, uint32_t partition, const void* key,
                           size_t key_bytes, const void* value, size_t value_bytes, const strata_header* headers,
                           size_t header_count, int64_t timeout_us, strata_ticket* ticket);

/* A conditional append (a topic created with the config strata.key-index=true): strata_producer_append that
 * stores the event only if its key's last offset is `expected` when the log's writer takes it in (racing
 * appends expecting one offset: one wins). `expected`: an offset, STRATA_EXPECT_NO_EVENT (the key has no
 * event yet) or STRATA_EXPECT_ANY (no condition). A failed expectation stores nothing and is reported by
 * strata_producer_wait: STRATA_CONFLICT, with *offset set to the key's last offset then (UINT64_MAX: none).
 * STRATA_INVALID_ARGUMENT for an expectation on a topic without a key index or an event without a key. */
#define STRATA_EXPECT_ANY (-2)
#define STRATA_EXPECT_NO_EVENT (-1)
int strata_producer_append_expecting(strata_producer* producer, uint32_t topic, uint32_t partition,
                                     const void* key, size_t key_bytes, const void* value, size_t value_bytes,
                                     const strata_header* headers, size_t header_count, int64_t expected,
                                     int64_t timeout_us, strata_ticket* ticket);

/* The same without blocking: STRATA_FULL when the ring or the in-flight window is full (retry later). */
int strata_producer_try_append(strata_producer* producer, uint32_t topic, uint32_t partition, const void* key,
                               size_t key_bytes, const void* value, size_t value_bytes,
                               const strata_header* headers, size_t header_count, strata_ticket* ticket);

/* The zero-copy form. strata_producer_try_claim reserves room in the producer's ring (headers are copied
 * now) and points claim->key and claim->value at key_bytes and value_bytes writable bytes there; write
 * them, then strata_producer_commit (which gives the ticket) or strata_producer_abort. Non-blocking:
 * STRATA_FULL is a normal answer. At most one open claim per producer: a second try_claim before the commit
 * or abort is STRATA_INVALID_ARGUMENT. The claim's pointers are invalid after its commit or abort. */
typedef struct strata_claim {
  void* key;
  void* value;
} strata_claim;
int strata_producer_try_claim(strata_producer* producer, uint32_t topic, uint32_t partition, size_t key_bytes,
                              size_t value_bytes, const strata_header* headers, size_t header_count,
                              strata_claim* claim);
int strata_producer_commit(strata_producer* producer, strata_ticket* ticket);
int strata_producer_abort(strata_producer* producer);

/* Waits up to timeout_us for the ticket's event to be acknowledged under the log's durability; on
 * STRATA_OK *offset is its offset in its partition. The error that prevented it otherwise (STRATA_TIMED_OUT
 * when it is not yet acknowledged; STRATA_CONFLICT for a refused conditional append, *offset then the key's
 * last offset or UINT64_MAX when it has none). */
int strata_producer_wait(strata_producer* producer, strata_ticket ticket, int64_t timeout_us, uint64_t* offset);

/* Waits up to timeout_us until every append made so far is acknowledged; the first error if any failed. */
int strata_producer_wait_all(strata_producer* producer, int64_t timeout_us);

/* ---- Readers -------------------------------------------------------------------------------------- */

typedef struct strata_reader strata_reader;

typedef enum strata_read_level {
  STRATA_READ_DURABLE = 0, /* acknowledged events only */
  STRATA_READ_WRITTEN = 1, /* also written but not yet synced (never one recovery could remove) */
} strata_read_level;

/* One event, as a reader hands it out. Every pointer is valid only during the callback. */
typedef struct strata_event {
  uint64_t offset;
  int64_t timestamp_us; /* Kafka's millisecond timestamp times 1000 */
  uint32_t partition;
  const void* key; /* key_bytes bytes; NULL when the key is empty */
  size_t key_bytes;
  const void* value;
  size_t value_bytes;
  const strata_header* headers;
  size_t header_count;
} strata_event;

/* Called once per event by strata_reader_poll, on the polling thread. `context` is the poll's. */
typedef void (*strata_event_fn)(const strata_event* event, void* context);

/* A reader of one partition of `topic` (created if missing) in a live log, at the first event kept. */
int strata_reader_open(strata_log* log, const char* topic, uint32_t partition, int read_level,
                       strata_reader** reader);
/* A reader of a log directory that another process writes (no lock taken); STRATA_READ_WRITTEN sees every
 * valid record on disk, STRATA_READ_DURABLE what the writer has fdatasynced. */
int strata_reader_open_directory(const char* directory, const char* topic, uint32_t partition, int read_level,
                                 strata_reader** reader);
/* NULL is ignored. */
void strata_reader_destroy(strata_reader* reader);

/* Positions at `offset`; below the earliest kept offset is STRATA_NOT_FOUND (the message names it). */
int strata_reader_seek(strata_reader* reader, uint64_t offset);
/* Positions at the first event whose timestamp is at or after timestamp_us, or at the end. */
int strata_reader_seek_time(strata_reader* reader, int64_t timestamp_us);
/* Positions after the last visible event. */
int strata_reader_seek_to_end(strata_reader* reader);
/* The offset the next poll starts at (0 for a NULL reader). */
uint64_t strata_reader_position(const strata_reader* reader);

/* Calls fn for up to `max` visible events from the reader's position, in offset order; *count (may be
 * NULL) is how many. A batch that fails its checksum is STRATA_CORRUPTION naming the file and position. */
int strata_reader_poll(strata_reader* reader, size_t max, strata_event_fn fn, void* context, size_t* count);

/* Waits up to timeout_us for an event at the reader's position: STRATA_OK when one is visible,
 * STRATA_TIMED_OUT otherwise. */
int strata_reader_wait(strata_reader* reader, int64_t timeout_us);

/* ---- Consumer-group offsets ---------------------------------------------------------------------- */

/* The longest metadata string a group offset keeps. */
#define STRATA_GROUP_METADATA_MAX 4096

/* Durably records that `group` processed `topic`'s `partition` up to (not including) `offset`, with a
 * metadata string (NULL for none). The same checkpoints Kafka clients and `strata tail --group` use. Works
 * on a directory whether or not a log is open on it. Any non-empty group id (STRATA_INVALID_ARGUMENT for
 * an empty one). Any thread. */
int strata_group_commit(const char* directory, const char* group, const char* topic, uint32_t partition,
                        uint64_t offset, const char* metadata);

/* The offset `group` last committed for the partition; STRATA_NOT_FOUND when it never did. When `metadata`
 * is not NULL, its NUL-terminated metadata is copied there (STRATA_TOO_LARGE when metadata_capacity cannot
 * hold it). Any thread. */
int strata_group_fetch(const char* directory, const char* group, const char* topic, uint32_t partition,
                       uint64_t* offset, char* metadata, size_t metadata_capacity);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif /* STRATA_STRATA_H_ */
