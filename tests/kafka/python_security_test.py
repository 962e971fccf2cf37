#!/usr/bin/env python3
"""`strata serve` with TLS, SASL/SCRAM and ACLs against real clients: confluent-kafka (librdkafka), kcat and
kafka-python (where installed) log in with SCRAM-SHA-512 over TLS (certificates from
tests/security/make_certificates.sh), produce and consume; a wrong password, a plaintext client on the TLS port
and a user without an ACL are refused with the errors those clients report; an ACL added with `strata acl add`
while the server runs takes effect; with mutual TLS the client certificate's subject is the principal, and
SIGHUP reloads the certificate. Over raw sockets on a sasl_plaintext listener: a request before the login closes
the connection, a SaslHandshake v0 login with raw SCRAM tokens (computed here with hashlib) works, and garbage on
the TLS port is refused.

usage: python_security_test.py PATH_TO_STRATA
"""
import base64
import hashlib
import hmac
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

from confluent_kafka import Consumer, KafkaError, Producer

strata = sys.argv[1]
work = tempfile.mkdtemp(prefix="strata-kafka-security.", dir=os.environ.get("STRATA_TEST_DIR", "/var/tmp"))
log_dir = f"{work}/log"
server = None


def fail(message):
    print(f"FAILED: {message}", file=sys.stderr)
    if server is not None:
        server.kill()
        print(server.stderr.read(), file=sys.stderr)
    sys.exit(1)


def run(args, stdin=None):
    done = subprocess.run(args, input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        fail(f"{' '.join(args)}: {done.stderr}")
    return done.stdout


def make_certificates():
    """tests/security/make_certificates.sh: ca.pem signs server.pem (localhost) and carol.pem (CN=carol)."""
    helper = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "security", "make_certificates.sh")
    done = subprocess.run(["bash", helper, work, "carol"], capture_output=True, text=True)
    if done.returncode == 77:
        print(done.stderr.strip())
        sys.exit(77)
    if done.returncode != 0:
        fail(f"make_certificates.sh: {done.stderr}")


def mutual_tls():
    """An ssl listener with --tls-client-ca: the certificate's subject is the principal the ACLs name."""
    mtls_dir = f"{work}/mtls"
    run([strata, "topic", "create", "--dir", mtls_dir, "--topic", "ledger"])
    run([strata, "acl", "add", "--dir", mtls_dir, "--principal", "User:CN=carol", "--operation", "Write",
         "--topic", "ledger"])
    proc = subprocess.Popen([strata, "serve", "--dir", mtls_dir, "--listen", "ssl://127.0.0.1:0", "--tls-cert",
                             f"{work}/server.pem", "--tls-key", f"{work}/server.key", "--tls-client-ca",
                             f"{work}/ca.pem", "--authorize"], stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        if "listening on" not in line:
            fail(f"mTLS serve did not start: {line}{proc.stderr.read()}")
        port = int(line.strip().rsplit(":", 1)[1])
        base = {"bootstrap.servers": f"127.0.0.1:{port}", "security.protocol": "SSL",
                "ssl.ca.location": f"{work}/ca.pem"}
        carol = dict(base, **{"ssl.certificate.location": f"{work}/carol.pem", "ssl.key.location": f"{work}/carol.key"})
        delivered, refused, _ = produce(carol, "ledger", 5)
        if len(delivered) != 5 or refused:
            fail(f"mTLS: carol delivered {len(delivered)} of 5, refused {refused}")
        delivered, _, errors = produce(base, "ledger", 1, timeout_s=5)
        if delivered:
            fail(f"mTLS: a client without a certificate delivered (errors {errors})")
        # SIGHUP reloads the certificate and key (the same files here) for new connections.
        proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        delivered, refused, _ = produce(carol, "ledger", 1)
        if len(delivered) != 1:
            fail(f"mTLS after SIGHUP: refused {refused}")
    finally:
        proc.terminate()
        log = proc.communicate(timeout=10)[1]
    if "TLS certificate and key reloaded" not in log:
        fail(f"mTLS: no reload line after SIGHUP in {log}")
    print("mutual TLS: the client certificate's subject is the principal; SIGHUP reloads the certificate")


def start_server():
    proc = subprocess.Popen([strata, "serve", "--dir", log_dir, "--listen", "sasl_ssl://127.0.0.1:0",
                             "--listen", "sasl_plaintext://127.0.0.1:0", "--tls-cert", f"{work}/server.pem",
                             "--tls-key", f"{work}/server.key", "--authorize", "--super-user", "admin"],
                            stderr=subprocess.PIPE, text=True)
    ports = []
    for _ in range(2):
        line = proc.stderr.readline()
        if "listening on" not in line:
            proc.kill()
            fail(f"serve did not start: {line}{proc.stderr.read()}")
        ports.append(int(line.strip().rsplit(":", 1)[1]))
    return proc, ports


def client_config(port, user, password, **extra):
    config = {"bootstrap.servers": f"127.0.0.1:{port}", "security.protocol": "SASL_SSL",
              "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": user, "sasl.password": password,
              "ssl.ca.location": f"{work}/ca.pem"}
    config.update(extra)
    return config


def produce(config, topic, count, timeout_s=20):
    """Produces `count` events; returns (delivered, the error codes of the refused ones, client errors)."""
    delivered, refused, errors = [], [], []
    config = dict(config, **{"message.timeout.ms": timeout_s * 1000,
                             "error_cb": lambda err: errors.append(err.code())})
    producer = Producer(config)
    for i in range(count):
        producer.produce(topic, key=f"k{i}", value=f"v{i}",
                         on_delivery=lambda err, msg: refused.append(err.code()) if err else delivered.append(msg))
    producer.flush(timeout_s + 5)
    return delivered, refused, errors


def consume(config, topic, group, count, timeout_s=30):
    consumer = Consumer(dict(config, **{"group.id": group, "auto.offset.reset": "earliest"}))
    consumer.subscribe([topic])
    got, deadline = [], time.time() + timeout_s
    while len(got) < count and time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            consumer.close()
            return got, msg.error().code()
        got.append(msg.value())
    consumer.close()
    return got, None


# Raw Kafka frames for the sasl_plaintext listener.
def frame(key, version, correlation, body):
    request = struct.pack(">hhih", key, version, correlation, 4) + b"test" + body
    return struct.pack(">i", len(request)) + request


def receive(sock):
    size = b""
    while len(size) < 4:
        part = sock.recv(4 - len(size))
        if not part:
            return None
        size += part
    data = b""
    (length,) = struct.unpack(">i", size)
    while len(data) < length:
        part = sock.recv(length - len(data))
        if not part:
            return None
        data += part
    return data


def closed_by_server(sock, timeout_s=5):
    sock.settimeout(timeout_s)
    try:
        while True:
            if not sock.recv(4096):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def scram_v0_login(port, user, password):
    """SaslHandshake v0, then the SCRAM-SHA-512 exchange as raw length-framed tokens (KIP-43)."""
    sock = socket.create_connection(("127.0.0.1", port))
    mechanism = b"SCRAM-SHA-512"
    sock.sendall(frame(17, 0, 1, struct.pack(">h", len(mechanism)) + mechanism))
    response = receive(sock)
    if response is None or struct.unpack(">h", response[4:6])[0] != 0:
        fail(f"SaslHandshake v0: {response}")
    client_nonce = base64.b64encode(os.urandom(18)).decode()
    bare = f"n={user},r={client_nonce}"
    sock.sendall(struct.pack(">i", len(bare) + 3) + b"n,," + bare.encode())
    server_first = receive(sock).decode()
    fields = dict(field.split("=", 1) for field in server_first.split(","))
    if not fields["r"].startswith(client_nonce):
        fail(f"server-first nonce {fields['r']} does not extend ours")
    salted = hashlib.pbkdf2_hmac("sha512", password.encode(), base64.b64decode(fields["s"]), int(fields["i"]))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha512).digest()
    without_proof = f"c=biws,r={fields['r']}"
    auth_message = f"{bare},{server_first},{without_proof}".encode()
    signature = hmac.new(hashlib.sha512(client_key).digest(), auth_message, hashlib.sha512).digest()
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature))).decode()
    final = f"{without_proof},p={proof}".encode()
    sock.sendall(struct.pack(">i", len(final)) + final)
    server_final = receive(sock)
    server_key = hmac.new(salted, b"Server Key", hashlib.sha512).digest()
    expected = b"v=" + base64.b64encode(hmac.new(server_key, auth_message, hashlib.sha512).digest())
    if server_final != expected:
        fail(f"server-final {server_final} is not the server signature {expected}")
    return sock


def string(text):
    return struct.pack(">h", len(text)) + text.encode()


NULL_STRING = struct.pack(">h", -1)


def acl_fields(resource_type, name, pattern, principal, host, operation, permission):
    """An ACL binding or filter in the classic (v1) layout; None is a null string."""
    def nullable(text):
        return NULL_STRING if text is None else string(text)
    return (struct.pack(">b", resource_type) + nullable(name) + struct.pack(">b", pattern) + nullable(principal) +
            nullable(host) + struct.pack(">bb", operation, permission))


def acl_api(sock, key, correlation, body):
    sock.sendall(frame(key, 1, correlation, body))
    response = receive(sock)
    if response is None:
        fail(f"API {key}: the connection closed")
    return response[4:]  # after the correlation id


try:
    make_certificates()
    for user, password in [("alice", "alice-secret"), ("bob", "bob-secret")]:
        run([strata, "user", "add", "--dir", log_dir, user, "--mechanism", "SCRAM-SHA-512"], stdin=password + "\n")
    run([strata, "topic", "create", "--dir", log_dir, "--topic", "orders", "--partitions", "2"])
    for operation in ["Write", "Read"]:
        run([strata, "acl", "add", "--dir", log_dir, "--principal", "User:alice", "--operation", operation,
             "--topic", "orders"])
    run([strata, "acl", "add", "--dir", log_dir, "--principal", "User:alice", "--operation", "Read",
         "--group", "billing"])
    server, (tls_port, sasl_port) = start_server()
    alice = client_config(tls_port, "alice", "alice-secret")

    # confluent-kafka: SCRAM-SHA-512 over TLS, produce and consume in a group.
    delivered, refused, _ = produce(alice, "orders", 200)
    if len(delivered) != 200 or refused:
        fail(f"alice delivered {len(delivered)} of 200, refused {refused[:3]}")
    got, error = consume(alice, "orders", "billing", 200)
    if len(got) != 200 or error is not None:
        fail(f"alice consumed {len(got)} of 200 (error {error})")
    print("confluent-kafka over SASL_SSL/SCRAM-SHA-512: produced and consumed 200")

    # kcat (librdkafka's command line) the same way.
    kcat = ["kcat", "-b", f"127.0.0.1:{tls_port}", "-X", "security.protocol=SASL_SSL", "-X",
            "sasl.mechanisms=SCRAM-SHA-512", "-X", "sasl.username=alice", "-X", "sasl.password=alice-secret", "-X",
            f"ssl.ca.location={work}/ca.pem"]
    if shutil.which("kcat"):
        run(kcat + ["-P", "-t", "orders", "-p", "0"], stdin="".join(f"kcat-{i}\n" for i in range(50)))
        out = run(kcat + ["-C", "-t", "orders", "-p", "0", "-e", "-q"])
        if sum(1 for line in out.splitlines() if line.startswith("kcat-")) != 50:
            fail(f"kcat consumed {out.count('kcat-')} of its 50 events")
        print("kcat over SASL_SSL/SCRAM-SHA-512: produced and consumed 50")

    # kafka-python (python3-kafka), where installed: the same login, produce and read back.
    try:
        from kafka import KafkaConsumer as PyConsumer, KafkaProducer as PyProducer, TopicPartition as PyPartition
        from kafka.errors import KafkaError as PyKafkaError
    except ImportError:
        PyProducer = None
    if PyProducer is not None:
        login = {"bootstrap_servers": f"127.0.0.1:{tls_port}", "security_protocol": "SASL_SSL",
                 "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": "alice",
                 "sasl_plain_password": "alice-secret", "ssl_cafile": f"{work}/ca.pem"}
        py_producer = PyProducer(acks="all", **login)
        for i in range(20):
            py_producer.send("orders", value=f"kafka-python-{i}".encode(), partition=1).get(timeout=20)
        py_producer.close()
        py_consumer = PyConsumer(consumer_timeout_ms=3000, **login)
        py_consumer.assign([PyPartition("orders", 1)])
        py_consumer.seek_to_beginning()
        read = sum(1 for msg in py_consumer if msg.value.startswith(b"kafka-python-"))
        py_consumer.close()
        if read != 20:
            fail(f"kafka-python read {read} of its 20 events")
        try:
            PyProducer(**dict(login, sasl_plain_password="wrong"))
            fail("kafka-python logged in with a wrong password")
        except PyKafkaError as refused:
            print("kafka-python: wrong password refused with", type(refused).__name__)
        print("kafka-python over SASL_SSL/SCRAM-SHA-512: produced and read back 20")

    # A wrong password: the client reports an authentication failure and delivers nothing.
    delivered, refused, errors = produce(client_config(tls_port, "alice", "wrong"), "orders", 1, timeout_s=5)
    if delivered or KafkaError._AUTHENTICATION not in errors + refused:
        fail(f"wrong password: delivered {len(delivered)}, errors {errors} {refused}")
    print("wrong password: refused with", KafkaError._AUTHENTICATION)

    # A plaintext client on the TLS port: the connection is closed, nothing is delivered.
    plaintext = {"bootstrap.servers": f"127.0.0.1:{tls_port}", "security.protocol": "PLAINTEXT"}
    delivered, refused, errors = produce(plaintext, "orders", 1, timeout_s=5)
    if delivered or not (errors or refused):
        fail(f"plaintext on the TLS port: delivered {len(delivered)}, errors {errors} {refused}")
    print("plaintext client on the TLS port: refused with", sorted(set(errors + refused)))

    # bob has no ACL: his produce is refused with TOPIC_AUTHORIZATION_FAILED, his consumer too.
    bob = client_config(tls_port, "bob", "bob-secret")
    delivered, refused, errors = produce(bob, "orders", 3, timeout_s=5)
    if delivered or KafkaError.TOPIC_AUTHORIZATION_FAILED not in refused + errors:
        fail(f"bob without ACLs: delivered {len(delivered)}, errors {errors} {refused}")
    got, error = consume(bob, "orders", "billing", 1, timeout_s=10)
    if got or error not in (KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.GROUP_AUTHORIZATION_FAILED):
        fail(f"bob consumed {len(got)} events (error {error})")
    print("bob without ACLs: produce refused with TOPIC_AUTHORIZATION_FAILED, consume with", error)

    # An ACL added while the server runs takes effect (the file is checked within a second).
    run([strata, "acl", "add", "--dir", log_dir, "--principal", "User:bob", "--operation", "Write", "--topic", "orders"])
    time.sleep(1.5)
    delivered, refused, _ = produce(bob, "orders", 3)
    if len(delivered) != 3 or refused:
        fail(f"bob after `strata acl add`: delivered {len(delivered)}, refused {refused}")
    print("`strata acl add` while serving: bob's produce goes through")

    # The super user needs no ACL.
    delivered, refused, _ = produce(client_config(tls_port, "admin", "admin-secret"), "orders", 1, timeout_s=5)
    if delivered:
        fail("admin has no user yet, but its produce went through")
    run([strata, "user", "add", "--dir", log_dir, "admin", "--mechanism", "SCRAM-SHA-512"], stdin="admin-secret\n")
    time.sleep(1.5)
    delivered, refused, _ = produce(client_config(tls_port, "admin", "admin-secret"), "audit", 1)
    if len(delivered) != 1:
        fail(f"--super-user admin: produce (auto-creating audit) refused {refused}")
    print("--super-user: everything allowed, the topic auto-created")

    # Raw sockets on the sasl_plaintext listener: nothing but ApiVersions and the SASL APIs before a login.
    sock = socket.create_connection(("127.0.0.1", sasl_port))
    sock.sendall(frame(3, 1, 7, struct.pack(">i", -1)))  # Metadata v1, all topics
    if not closed_by_server(sock):
        fail("a Metadata request before the login was answered")
    sock.close()
    # SaslHandshake v0 and raw SCRAM tokens, then a request as alice: Metadata lists only what she may describe.
    sock = scram_v0_login(sasl_port, "alice", "alice-secret")
    sock.sendall(frame(3, 1, 8, struct.pack(">i", -1)))
    metadata = receive(sock)
    if metadata is None or b"orders" not in metadata or b"audit" in metadata:
        fail(f"Metadata after a v0 login: {metadata}")
    sock.close()
    print("raw: request before login closed; SaslHandshake v0 + raw SCRAM login; Metadata filtered by ACLs")

    # Kafka's ACL APIs (v1, raw): the super user creates, describes and deletes a binding; `strata acl list`
    # sees the same file; alice (no Describe on the cluster) is refused.
    sock = scram_v0_login(sasl_port, "admin", "admin-secret")
    bob_payments = acl_fields(2, "payments", 3, "User:bob", "*", 4, 3)  # topic, literal, Write, Allow
    created = acl_api(sock, 30, 20, struct.pack(">i", 1) + bob_payments)
    if created != struct.pack(">iih", 0, 1, 0) + NULL_STRING:
        fail(f"CreateAcls: {created}")
    if "payments" not in run([strata, "acl", "list", "--dir", log_dir]):
        fail("CreateAcls: `strata acl list` does not show the new binding")
    bob_filter = acl_fields(1, None, 1, "User:bob", None, 1, 1)  # any resource, pattern, operation, permission
    described = acl_api(sock, 29, 21, bob_filter)
    if described[4:6] != b"\0\0" or described.count(b"payments") != 1 or described.count(b"orders") != 1:
        fail(f"DescribeAcls of User:bob: {described}")
    deleted = acl_api(sock, 31, 22, struct.pack(">i", 1) + acl_fields(2, "payments", 3, None, None, 1, 1))
    if deleted[4:10] != struct.pack(">ih", 1, 0) or b"payments" not in deleted:
        fail(f"DeleteAcls: {deleted}")
    if "payments" in run([strata, "acl", "list", "--dir", log_dir]):
        fail("DeleteAcls: the binding is still listed")
    sock.close()
    sock = scram_v0_login(sasl_port, "alice", "alice-secret")
    refused = acl_api(sock, 29, 23, bob_filter)
    if struct.unpack(">h", refused[4:6])[0] != 31:  # CLUSTER_AUTHORIZATION_FAILED
        fail(f"DescribeAcls as alice: {refused}")
    sock.close()
    print("CreateAcls, DescribeAcls, DeleteAcls as the super user; refused to alice")

    # Garbage instead of a TLS handshake: refused and closed at once.
    sock = socket.create_connection(("127.0.0.1", tls_port))
    sock.sendall(os.urandom(4096))
    if not closed_by_server(sock):
        fail("garbage on the TLS port did not close the connection")
    sock.close()
    print("garbage on the TLS port: closed")

    server.terminate()
    if server.wait(10) != 0:
        fail(f"serve exited with {server.returncode}")
    log = server.stderr.read()
    if "secret" in log:
        fail("a password reached the server's log")
    server = None
    mutual_tls()
    print("ok")
finally:
    if server is not None:
        server.kill()
    shutil.rmtree(work, ignore_errors=True)
