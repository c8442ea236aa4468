#!/bin/sh
# check.sh <crc32 binary>: compares the tool's output with the CRC-32 check value and with
# the CRC-32 gzip writes into its trailer (the 4 bytes before the size, little-endian).
set -eu
tool=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

got=$(printf '123456789' | "$tool")
[ "$got" = cbf43926 ] || { echo "check value: want cbf43926, got $got"; exit 1; }

: > "$tmp/empty"
printf 'The quick brown fox jumps over the lazy dog' > "$tmp/fox"
head -c 200000 /dev/zero | tr '\0' 'a' > "$tmp/big"
cp "$tool" "$tmp/self"
for f in empty fox big self; do
  want=$(gzip -c "$tmp/$f" | tail -c 8 | od -An -tx1 -N4 | awk '{print $4 $3 $2 $1}')
  got=$("$tool" "$tmp/$f" | cut -d' ' -f1)
  [ "$got" = "$want" ] || { echo "$f: gzip says $want, crc32 says $got"; exit 1; }
  echo "ok $f $got"
done
