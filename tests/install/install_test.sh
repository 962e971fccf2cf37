#!/usr/bin/env bash
# The installed library as an outside project sees it. usage: install_test.sh BUILD_DIR TESTS_INSTALL_DIR
#   1. `cmake --install BUILD_DIR --prefix P` into a temporary prefix;
#   2. every installed header compiles alone against P (only public headers, nothing internal leaks);
#      strata.h also as C11;
#   3. libstrata.so carries its SONAME (and the USDT probes, when built with them);
#   4. tests/install/consumer builds with find_package(strata) (-j2) and its programs run (shared and static);
#   5. the C consumer builds with pkg-config (shared, and static with --static) and runs.
set -euo pipefail
build=$1
here=$2
work=$(mktemp -d "${STRATA_TEST_DIR:-/var/tmp}/strata-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
fail() { echo "install_test: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; fail "cmake --install"; }
[ -x "$prefix/bin/strata" ] || fail "the strata tool is not installed"
"$prefix/bin/strata" --help >/dev/null || fail "the installed strata tool does not run"

headers=$(cd "$prefix/include" && find . -name '*.h' | sort)
[ -n "$headers" ] || fail "no headers installed"
for header in $headers; do
  echo "#include \"${header#./}\"" >"$work/one_header.cc"
  c++ -std=c++20 -fsyntax-only -Wall -Wextra -Werror -I"$prefix/include" "$work/one_header.cc" ||
    fail "$header does not compile alone against the install prefix"
done
echo '#include <strata/strata.h>' >"$work/c_header.c"
cc -std=c11 -pedantic -fsyntax-only -Wall -Wextra -Werror -I"$prefix/include" "$work/c_header.c" ||
  fail "strata/strata.h is not C11"
for internal in engine io ring; do
  if grep -rl "#include \"$internal/" "$prefix/include"; then fail "an installed header includes $internal/"; fi
done

library=$(find "$prefix" -name 'libstrata.so' | head -1)
[ -n "$library" ] || fail "libstrata.so is not installed"
libdir=$(dirname "$library")
[ -f "$libdir/libstrata.a" ] || fail "libstrata.a is not installed"
readelf -d "$library" | grep -q 'SONAME.*\[libstrata\.so\.0\]' || fail "libstrata.so has no SONAME libstrata.so.0"
# The USDT probes (base/probes.h) travel with the installed library, when the build has them.
if grep -q '^STRATA_PROBES:BOOL=ON' "$build/CMakeCache.txt"; then
  for probe in append batch_framed write_submit write_done sync_submit sync_done ack reader_batch; do
    readelf -n "$(readlink -f "$library")" | grep -q "Name: $probe\$" || fail "probe $probe is not in the installed libstrata.so"
  done
fi

cmake -S "$here/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  >"$work/configure.log" || { cat "$work/configure.log"; fail "find_package(strata) in an outside project"; }
cmake --build "$work/consumer" -j2 >"$work/build.log" || { cat "$work/build.log"; fail "building the outside project"; }
"$work/consumer/consumer_cxx" "$work/log-cxx" || fail "consumer_cxx (shared)"
"$work/consumer/consumer_c" "$work/log-c" || fail "consumer_c (shared)"
"$work/consumer/consumer_cxx_static" "$work/log-static" || fail "consumer_cxx_static"
if readelf -d "$work/consumer/consumer_cxx_static" | grep -q 'libstrata'; then fail "the static consumer needs libstrata.so"; fi

export PKG_CONFIG_PATH="$libdir/pkgconfig"
[ "$(pkg-config --modversion strata)" = "$(cat "$build/packaging/version.txt")" ] || fail "strata.pc's version"
# shellcheck disable=SC2046  # pkg-config's flags are meant to split
cc -std=c11 "$here/consumer/consumer.c" -o "$work/c_pkgconfig" $(pkg-config --cflags --libs strata) ||
  fail "building with pkg-config"
LD_LIBRARY_PATH="$libdir" "$work/c_pkgconfig" "$work/log-pkgconfig" || fail "the pkg-config build"
static_libs=$(pkg-config --libs --static strata | sed 's/ -lstrata / /')
# shellcheck disable=SC2086
cc -std=c11 "$here/consumer/consumer.c" -o "$work/c_pkgconfig_static" $(pkg-config --cflags strata) \
  "$libdir/libstrata.a" $static_libs || fail "building with pkg-config --static"
"$work/c_pkgconfig_static" "$work/log-pkgconfig-static" || fail "the static pkg-config build"
echo "install_test: ok"
