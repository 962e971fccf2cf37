// USDT probes (statically defined tracepoints) at the points a person profiling strata wants. Each is one
// `nop` in the code until a tracer attaches (perf, bpftrace, SystemTap), so they stay compiled in; build
// with -DSTRATA_PROBES=OFF to leave them out. perf/README.md shows how to record them and turn a trace into
// per-stage latencies (perf/stage_latency.py).
//
// Provider `strata` (perf names them sdt_strata:<name>). Arguments, in order:
//   append              topic_id, partition, bytes               an event committed to a producer's ring
//   batch_framed        partition_id, base_offset, records, bytes   the writer closed a batch in staging
//   write_submit        partition_id, position, bytes            an O_DIRECT write handed to io_uring
//   write_done          partition_id, position, result           its completion (result: bytes or -errno)
//   sync_submit         partition_id, target                     an fdatasync covering the segment up to target
//   sync_done           partition_id, target, result             its completion
//   ack                 partition_id, next_offset                everything below next_offset is acknowledged
//   reader_batch        partition, base_offset, events           a reader delivered events of one batch
//   request_received    fd, api_key, correlation_id, bytes       a Kafka request read off a connection
//   request_answered    fd, correlation_id, bytes                its response about to be written (acks=0: none)
// partition_id numbers the log's partitions (all topics) in creation order.
#pragma once

#if defined(STRATA_PROBES) && STRATA_PROBES
#include <sys/sdt.h>
#define STRATA_PROBE2(name, a, b) DTRACE_PROBE2(strata, name, a, b)
#define STRATA_PROBE3(name, a, b, c) DTRACE_PROBE3(strata, name, a, b, c)
#define STRATA_PROBE4(name, a, b, c, d) DTRACE_PROBE4(strata, name, a, b, c, d)
#else
#define STRATA_PROBE2(name, a, b) ((void)0)
#define STRATA_PROBE3(name, a, b, c) ((void)0)
#define STRATA_PROBE4(name, a, b, c, d) ((void)0)
#endif
