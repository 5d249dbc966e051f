#!/bin/sh
# Session packet crypto on one core against `openssl speed`, in one run.
#
# For each payload size, pkt-bench gives packets/s sealed and opened
# (AES-256-CBC with the derived IV, HMAC-SHA-384-192, the replay window).
# The reference is what OpenSSL itself does for the same work, from
# `openssl speed` in the same run: AES-256-CBC over the padded payload
# (encryption for sealing, decryption for opening: CBC decryption runs the
# blocks in parallel and is several times faster) plus HMAC-SHA-384 over
# it, so
#   reference packets/s = 1 / (padded/aes_rate + padded/hmac_rate)
# and the ratio is ours / reference (1.00: no overhead beyond OpenSSL's).
# Each size is measured three times, interleaved, and the best of each
# kept: on a shared virtual machine the spread between runs is +-15%.
#
# usage: bench/pkt-crypto.sh [BUILD_DIR]   (run on an idle machine)
set -eu
build=${1:-build}
bin=$build/bench/pkt-bench
[ -x "$bin" ] || { echo "build first: make -C $build bench/pkt-bench" >&2; exit 1; }
rate() { # ALG-ARGS... : bytes per second at -bytes $b
	openssl speed -mr -seconds 2 -bytes "$b" "$@" 2>/dev/null | awk -F: '/^\+F/ { print $4 }'
}
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $(openssl version)"
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }
printf '%6s %10s %10s %12s %12s %8s %8s\n' bytes seal_pps open_pps ossl_seal ossl_open \
	seal/ref open/ref
for b0 in 64 512 1400; do
	b=$(((b0 / 16 + 1) * 16)) # what CBC encrypts: the padded payload
	enc=0 dec=0 hmac=0 seal=0 open=0
	for _ in 1 2 3; do
		enc=$(max "$enc" "$(rate -evp aes-256-cbc)")
		dec=$(max "$dec" "$(rate -decrypt -evp aes-256-cbc)")
		hmac=$(max "$hmac" "$(rate -hmac sha384)")
		set -- $("$bin" "$b0" 1)
		seal=$(max "$seal" "$2")
		open=$(max "$open" "$3")
	done
	awk -v n="$b0" -v b="$b" -v s="$seal" -v o="$open" -v e="$enc" -v d="$dec" -v h="$hmac" \
		'BEGIN { rs = 1 / (b / e + b / h); ro = 1 / (b / d + b / h);
			 printf "%6d %10.0f %10.0f %12.0f %12.0f %8.2f %8.2f\n", n, s, o, rs, ro, s / rs, o / ro }'
done
