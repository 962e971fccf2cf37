#!/usr/bin/env bash
# Installs the Debian packages strata builds with, only those that are missing. Needs root (or sudo).
set -euo pipefail

packages=(build-essential cmake pkg-config liburing-dev libmimalloc-dev libxxhash-dev libbenchmark-dev
  libgtest-dev libboost-dev libconcurrentqueue-dev libreaderwriterqueue-dev libcli11-dev libisal-dev libzstd-dev
  liblz4-dev libsnappy-dev zlib1g-dev
  librdkafka-dev kcat python3-confluent-kafka python3-kafka python3-prometheus-client
  libsqlite3-dev sqlite3 librocksdb-dev libssl-dev openssl
  golang-go golang-github-shopify-sarama-dev golang-github-xdg-go-scram-dev
  e2fsprogs gnuplot-nox systemtap-sdt-dev
  linux-perf)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
