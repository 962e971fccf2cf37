"""strata's C API from Python with ctypes: the README's example, run as a test.

Usage: ctypes_example.py [path of libstrata.so]   (default: the one the dynamic linker finds)
Appends three events, waits for their acknowledgement, reads them back with a callback; exits non-zero
with strata's message when a call fails.
"""
import ctypes
import sys
import tempfile

lib = ctypes.CDLL(sys.argv[1] if len(sys.argv) > 1 else "libstrata.so.0")
lib.strata_last_error.restype = ctypes.c_char_p
lib.strata_code_name.restype = ctypes.c_char_p


class LogOptions(ctypes.Structure):
    _fields_ = [("directory", ctypes.c_char_p), ("durability", ctypes.c_int),
                ("batch_sync_bytes", ctypes.c_uint64), ("batch_sync_interval_us", ctypes.c_int64),
                ("segment_bytes", ctypes.c_uint64), ("retention_bytes", ctypes.c_uint64),
                ("retention_age_us", ctypes.c_int64), ("producer_ring_bytes", ctypes.c_size_t),
                ("writer_threads", ctypes.c_uint)]


class Ticket(ctypes.Structure):
    _fields_ = [("sequence", ctypes.c_uint64), ("partition", ctypes.c_uint32)]


class Event(ctypes.Structure):
    _fields_ = [("offset", ctypes.c_uint64), ("timestamp_us", ctypes.c_int64), ("partition", ctypes.c_uint32),
                ("key", ctypes.c_void_p), ("key_bytes", ctypes.c_size_t),
                ("value", ctypes.c_void_p), ("value_bytes", ctypes.c_size_t),
                ("headers", ctypes.c_void_p), ("header_count", ctypes.c_size_t)]


EVENT_FN = ctypes.CFUNCTYPE(None, ctypes.POINTER(Event), ctypes.c_void_p)
lib.strata_producer_wait.argtypes = [ctypes.c_void_p, Ticket, ctypes.c_int64, ctypes.POINTER(ctypes.c_uint64)]
lib.strata_producer_append.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_char_p,
                                       ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p,
                                       ctypes.c_size_t, ctypes.c_int64, ctypes.POINTER(Ticket)]
lib.strata_reader_poll.argtypes = [ctypes.c_void_p, ctypes.c_size_t, EVENT_FN, ctypes.c_void_p,
                                   ctypes.POINTER(ctypes.c_size_t)]


def check(code):
    if code != 0:
        raise RuntimeError(lib.strata_last_error().decode())


with tempfile.TemporaryDirectory(dir="/var/tmp") as directory:
    options = LogOptions()
    lib.strata_log_options_init(ctypes.byref(options))
    options.directory = directory.encode()
    log = ctypes.c_void_p()
    check(lib.strata_log_open(ctypes.byref(options), ctypes.byref(log)))
    topic = ctypes.c_uint32()
    check(lib.strata_topic(log, b"orders", None, ctypes.byref(topic)))

    producer = ctypes.c_void_p()
    check(lib.strata_producer_open(log, ctypes.byref(producer)))
    for value in (b"created", b"paid", b"shipped"):
        ticket = Ticket()
        check(lib.strata_producer_append(producer, topic, 0, b"order-1", 7, value, len(value), None, 0,
                                         1_000_000, ctypes.byref(ticket)))
        offset = ctypes.c_uint64()
        check(lib.strata_producer_wait(producer, ticket, 10_000_000, ctypes.byref(offset)))
        print("acknowledged at offset", offset.value)

    seen = []
    on_event = EVENT_FN(lambda event, _: seen.append(
        (event.contents.offset, ctypes.string_at(event.contents.value, event.contents.value_bytes))))
    reader = ctypes.c_void_p()
    check(lib.strata_reader_open(log, b"orders", 0, 0, ctypes.byref(reader)))
    check(lib.strata_reader_poll(reader, 100, on_event, None, None))
    print(seen)
    assert seen == [(0, b"created"), (1, b"paid"), (2, b"shipped")], seen

    code = lib.strata_topic(log, b"no/slashes", None, ctypes.byref(topic))
    print("bad topic name:", lib.strata_code_name(code).decode(), "-", lib.strata_last_error().decode())
    assert code == 1 and b"no/slashes" in lib.strata_last_error()

    lib.strata_reader_destroy(reader)
    lib.strata_producer_destroy(producer)
    check(lib.strata_log_close(log))
    lib.strata_log_destroy(log)
