#!/usr/bin/env bash
# A really full disk: `strata append` fills a small loop-mounted ext4 filesystem under one durability.
#   usage: full_disk_test.sh PATH_TO_STRATA none|batch|sync
# Checks: the append fails with a message naming the file and saying the disk is full; after space is freed and
# the log reopened, every acknowledged event is there, in order, exactly as it went in, and appends work again.
# Needs root (mount); skipped (ctest's SKIP_RETURN_CODE 77) with the reason otherwise.
set -uo pipefail
strata=$1
durability=$2
skip() {
  echo "SKIPPED: $*" >&2
  exit 77
}
die() {
  echo "FAILED (full disk, $durability): $*" >&2
  exit 1
}
[[ $(id -u) == 0 ]] || skip "mounting a loop filesystem needs root"
command -v mkfs.ext4 > /dev/null || skip "mkfs.ext4 is missing (Debian package e2fsprogs)"

work=$(mktemp -d "${STRATA_TEST_DIR:-/var/tmp}/strata-full-disk.XXXXXX")
mnt=$work/mnt
cleanup() {
  mountpoint -q "$mnt" && umount "$mnt"
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$mnt"
truncate -s 48M "$work/fs.img"
mkfs.ext4 -q -F -b 4096 "$work/fs.img" || die "mkfs.ext4 failed"
mount -o loop "$work/fs.img" "$mnt" 2> "$work/mount.err" || skip "mount -o loop failed: $(cat "$work/mount.err")"
# Space to free later, so the log can go on after the disk was full.
dd if=/dev/zero of="$mnt/filler" bs=1M count=8 status=none || die "could not write the filler file"

dir=$mnt/log
# 40 MiB of input, more than the filesystem holds. Line n is "n-<padding>": the acknowledged offsets must be
# exactly the first lines, in order.
input=$work/input
awk 'BEGIN { for (n = 0; n < 400000; n++) printf "%d-%0096d\n", n, 0 }' > "$input"
"$strata" append --dir "$dir" --topic t --durability "$durability" --segment-bytes 4MiB --acks \
  < "$input" > "$work/acks" 2> "$work/err"
rc=$?
[[ $rc != 0 ]] || die "the append of more than the disk holds succeeded"
grep -q "no space left" "$work/err" || die "the error does not say the disk is full: $(cat "$work/err")"
grep -q "$dir/t-0/" "$work/err" || die "the error does not name the file: $(cat "$work/err")"
acknowledged=$(wc -l < "$work/acks")
[[ $acknowledged -gt 1000 ]] || die "only $acknowledged events acknowledged before the disk was full"
# Acknowledgements are the offsets 0, 1, 2, ... in input order.
awk '$1 != NR - 1 { print "ack " NR " is " $1; exit 1 }' "$work/acks" || die "acknowledgements out of order"

rm "$mnt/filler"
# The failure left the active segment as a crash would: the writes that landed may end inside a batch (writes
# are cut at block boundaries, not batch boundaries), a torn tail that opening the log drops. So appends come
# first (they reopen the log), then verify checks every batch.
awk 'BEGIN { for (n = 0; n < 1000; n++) printf "again-%d\n", n }' > "$work/more"
"$strata" append --dir "$dir" --topic t --durability "$durability" --segment-bytes 4MiB < "$work/more" \
  2> "$work/err" || die "append after freeing space failed: $(cat "$work/err")"
"$strata" verify --dir "$dir" > "$work/verify" 2>&1 || die "verify after the full disk failed: $(cat "$work/verify")"
"$strata" cat --dir "$dir" --topic t --format lines > "$work/cat" 2> "$work/err" ||
  die "cat after the full disk failed: $(cat "$work/err")"
kept=$(($(wc -l < "$work/cat") - 1000))
[[ $kept -ge $acknowledged ]] || die "$acknowledged events acknowledged, $kept kept"
head -n "$kept" "$input" | cmp -s - <(head -n "$kept" "$work/cat") ||
  die "what was kept is not the input's first $kept lines"
tail -n 1000 "$work/cat" | cmp -s - "$work/more" || die "the events appended after the full disk are not at the end"
echo "full disk ($durability): $acknowledged acknowledged, $kept kept, 1000 appended after freeing space"
