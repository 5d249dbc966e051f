#!/bin/sh
# The session packet test vector of doc/protocol.md, computed again with
# the openssl command alone: the IV with AES-256-ECB, the ciphertext with
# AES-256-CBC, the tag with HMAC-SHA-384 cut to 24 bytes.  The unit test
# checks the C code against the same vector, so code, document and an
# independent implementation agree.
set -eu
doc=${top_srcdir:-.}/doc/protocol.md
command -v openssl >/dev/null || { echo "SKIP: no openssl command"; exit 77; }
unhex() { perl -e 'print pack("H*", $ARGV[0])' "$1"; }
hex() { od -An -v -tx1 | tr -d ' \n'; }
field() { sed -n '/^enc  /,/^```$/p' "$doc" |
	awk -v f="$1" '$1 == f { v = $2; getline; while ($0 ~ /^     [0-9a-f]/) { v = v $1; if (!getline) break } print v; exit }'; }
enc=$(field enc)
mac=$(field mac)
want=$(field pkt)
seq=0000000000000001
[ ${#enc} -eq 64 ] && [ ${#mac} -eq 96 ] && [ -n "$want" ] || { echo "FAIL: vector not found in $doc"; exit 1; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
unhex "0000000000000000$seq" >"$t/block"
iv=$(openssl enc -aes-256-ecb -K "$enc" -nopad -in "$t/block" | hex)
printf 'opensvr payload test vector' >"$t/pt"
ct=$(openssl enc -aes-256-cbc -K "$enc" -iv "$iv" -in "$t/pt" | hex)
unhex "00$ct$seq" >"$t/macin"
tag=$(openssl dgst -sha384 -mac HMAC -macopt "hexkey:$mac" -binary "$t/macin" | hex | cut -c1-48)
got=$ct$seq$tag
grep -q "^IV   $iv\$" "$doc" || { echo "FAIL: IV $iv is not the document's"; exit 1; }
if [ "$got" != "$want" ]; then
	echo "FAIL: openssl computes $got"
	echo "      the document says $want"
	exit 1
fi
echo "PASS: $got"
