/* The installed C API from a C program: open, append, wait, close. Exits 0 on success. */
#include <stdio.h>

#include <strata/strata.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: consumer_c DIR\n");
    return 2;
  }
  strata_log_options options;
  strata_log_options_init(&options);
  options.directory = argv[1];
  strata_log* log = NULL;
  uint32_t topic = 0;
  strata_producer* producer = NULL;
  strata_ticket ticket;
  uint64_t offset = 0;
  if (strata_log_open(&options, &log) != STRATA_OK || strata_topic(log, "orders", NULL, &topic) != STRATA_OK ||
      strata_producer_open(log, &producer) != STRATA_OK ||
      strata_producer_append(producer, topic, STRATA_ANY_PARTITION, "k", 1, "from C", 6, NULL, 0, 1000000,
                             &ticket) != STRATA_OK ||
      strata_producer_wait(producer, ticket, 10000000, &offset) != STRATA_OK) {
    fprintf(stderr, "strata: %s\n", strata_last_error());
    return 1;
  }
  strata_producer_destroy(producer);
  if (strata_log_close(log) != STRATA_OK) return 1;
  strata_log_destroy(log);
  printf("C: event at offset %llu (strata %s)\n", (unsigned long long)offset, strata_version());
  return 0;
}
