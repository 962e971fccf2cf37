#!/usr/bin/env bash
# The layering, checked by compiling against each target's own include path (as CMake gives it):
#   layering_test.sh CXX SOURCE_DIR above_engine INCLUDE_DIRS ENTRY_HEADER
#     A target above the engine: its entry header and the public API (strata/log.h) compile, and no header of
#     engine/ (outside include/), io/ or ring/ can be included ("No such file or directory").
#   layering_test.sh CXX SOURCE_DIR below_engine INCLUDE_DIRS FOLDER
#     io/ or ring/: each header compiles alone with the folder's own include path (which has no engine/), and
#     no source or header of the folder names an engine header.
# INCLUDE_DIRS is colon-separated.
set -uo pipefail

cxx=$1 source_dir=$2 case=$3 include_dirs=$4 subject=$5
work=$(mktemp -d /tmp/strata-layering.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

flags=(-std=c++20 -fsyntax-only)
IFS=: read -ra dirs <<<"$include_dirs"
for dir in "${dirs[@]}"; do [[ -n $dir ]] && flags+=("-I$dir"); done

# compile HEADER: 0 when a file holding only `#include "HEADER"` compiles; the compiler's words in $work/err.
compile() {
  echo "#include \"$1\"" >"$work/probe.cc"
  "$cxx" "${flags[@]}" "$work/probe.cc" 2>"$work/err"
}

case $case in
above_engine)
  for header in "$subject" strata/log.h strata/status.h; do
    compile "$header" || { cat "$work/err" >&2; fail "$header does not compile with this include path"; }
  done
  internal=()
  for path in "$source_dir"/engine/*.h "$source_dir"/io/*.h "$source_dir"/io/testing/*.h "$source_dir"/ring/*.h; do
    internal+=("${path#"$source_dir"/}")
  done
  (( ${#internal[@]} > 20 )) || fail "only ${#internal[@]} internal headers found under $source_dir"
  for header in "${internal[@]}"; do
    if compile "$header"; then fail "$header compiles from outside the engine"; fi
    grep -q "$header: No such file or directory" "$work/err" || {
      cat "$work/err" >&2
      fail "$header failed for another reason than not being found"
    }
  done
  echo "ok: $subject and the public API compile; ${#internal[@]} engine, io and ring headers are out of reach"
  ;;
below_engine)
  count=0
  for path in "$source_dir/$subject"/*.h; do
    header=${path#"$source_dir"/}
    compile "$header" || { cat "$work/err" >&2; fail "$header does not compile with $subject/'s own include path"; }
    count=$((count + 1))
  done
  (( count > 0 )) || fail "no headers in $source_dir/$subject"
  # Sources too (the build compiles them with this include path, but say which line is wrong).
  public=$(cd "$source_dir/engine/include" && find strata -name '*.h' | sed 's/[.]/[.]/g' | paste -sd'|')
  if grep -rnE "#include \"(engine/|$public)" "$source_dir/$subject"; then
    fail "$subject/ includes engine headers (above)"
  fi
  echo "ok: $count headers of $subject/ compile alone without the engine; no engine includes in $subject/"
  ;;
*)
  fail "unknown case $case"
  ;;
esac
