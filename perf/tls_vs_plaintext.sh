#!/usr/bin/env bash
# Produce and fetch through one `strata serve` over a plaintext listener and a sasl_ssl listener
# (SCRAM-SHA-512, a self-signed P-256 certificate) in the same run, with kcat (librdkafka: acks=all,
# linger.ms=5), plus the time of a bare login (kcat -L: connect, TLS handshake, SCRAM, one Metadata).
#   usage: perf/tls_vs_plaintext.sh PATH_TO_STRATA [EVENTS] [VALUE_BYTES]
set -euo pipefail
strata=$1
events=${2:-1000000}
value_bytes=${3:-100}
work=$(mktemp -d "${STRATA_TEST_DIR:-/var/tmp}/strata-tls-bench.XXXXXX")
server_pid=
trap '[[ -n $server_pid ]] && kill $server_pid 2> /dev/null; rm -rf "$work"' EXIT
cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=IP:127.0.0.1 -keyout key.pem -out cert.pem 2> /dev/null
echo bench-secret | "$strata" user add --dir log bench --mechanism SCRAM-SHA-512
"$strata" topic create --dir log --topic plain > /dev/null
"$strata" topic create --dir log --topic tls > /dev/null
"$strata" serve --dir log --listen 127.0.0.1:0 --listen sasl_ssl://127.0.0.1:0 --tls-cert cert.pem --tls-key key.pem \
  2> serve.err &
server_pid=$!
for _ in $(seq 100); do [[ $(grep -c listening serve.err) == 2 ]] && break; sleep 0.05; done
plain_port=$(sed -n 1p serve.err | awk -F: '{print $NF}')
tls_port=$(sed -n 2p serve.err | awk -F: '{print $NF}')
python3 -c "import sys; v='x'*$value_bytes; sys.stdout.write(''.join(f'{v}{i}\n' for i in range($events)))" > events.txt
plain=(kcat -b "127.0.0.1:$plain_port")
tls=(kcat -b "127.0.0.1:$tls_port" -X security.protocol=SASL_SSL -X sasl.mechanisms=SCRAM-SHA-512
     -X sasl.username=bench -X sasl.password=bench-secret -X ssl.ca.location=cert.pem)
produce=(-X linger.ms=5 -X acks=all -P -l events.txt)
fetch=(-C -e -q -o beginning)
seconds() { local start end; start=$(date +%s.%N); "$@" > /dev/null; end=$(date +%s.%N); echo "$end - $start" | bc; }
rate() { echo "scale=0; $events / $1" | bc; }
min() { echo "if ($1 < $2) $1 else $2" | bc; }
# Alternating order (plaintext, TLS, TLS, plaintext), each the better of its two runs: the machine is shared.
p1=$(seconds "${plain[@]}" "${produce[@]}" -t plain)
t1=$(seconds "${tls[@]}" "${produce[@]}" -t tls)
t2=$(seconds "${tls[@]}" "${produce[@]}" -t tls)
p2=$(seconds "${plain[@]}" "${produce[@]}" -t plain)
pf1=$(seconds "${plain[@]}" "${fetch[@]}" -t plain)
tf1=$(seconds "${tls[@]}" "${fetch[@]}" -t tls)
tf2=$(seconds "${tls[@]}" "${fetch[@]}" -t tls)
pf2=$(seconds "${plain[@]}" "${fetch[@]}" -t plain)
p=$(min "$p1" "$p2"); t=$(min "$t1" "$t2")
pf=$(min "$pf1" "$pf2"); tf=$(min "$tf1" "$tf2")
events=$((events * 2))  # each fetch reads both produce runs
login_plain=$(seconds bash -c "for i in \$(seq 10); do ${plain[*]} -L > /dev/null; done")
login_tls=$(seconds bash -c "for i in \$(seq 10); do ${tls[*]} -L > /dev/null; done")
echo "events=$((events / 2)) per produce run, value_bytes=$value_bytes"
events=$((events / 2))
echo "produce plaintext: $(rate "$p") events/s ($p s); sasl_ssl: $(rate "$t") events/s ($t s); ratio $(echo "scale=2; $p / $t" | bc)"
events=$((events * 2))
echo "fetch   plaintext: $(rate "$pf") events/s ($pf s); sasl_ssl: $(rate "$tf") events/s ($tf s); ratio $(echo "scale=2; $pf / $tf" | bc)"
echo "kcat -L x10 (process start, connect, [TLS + SCRAM-SHA-512 login,] Metadata): plaintext $login_plain s, sasl_ssl $login_tls s"
