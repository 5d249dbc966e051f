#!/bin/sh
# Spoofed key-exchange datagrams against a router carrying traffic.
#
# The two-routers lab (nfqueue forwarder on both routers) carries a TCP
# transfer of SIZE MB from hostA to hostB through SVR; in every other run an
# attacker floods routerA's UDP 1280 from routerB's own address with RATE
# CERT datagrams a second (a self-signed certificate for routerB's peering
# name, its last byte varied, so almost every one is a certificate to
# validate) for the whole transfer.  Runs alternate, ROUNDS of each.  For
# every flooded run: the transfer's rate, and whether routerA's peering with
# routerB stayed MKEY_EXCH_COMP on both paths with the same salts (no new
# key exchange).  The reference is the same transfer without the flood, in
# the same lab and run.
#
# usage (root, from the top of a build in build/):
#   bench/spoof-flood.sh [SIZE_MB] [RATE] [ROUNDS]        default 64 10000 3
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
b=${BUILD:-$top/build}
size=${1:-64} rate=${2:-10000} rounds=${3:-3}
export SVRD="$b/daemon/svrd" SVRSH="$b/shell/svrsh" SVRLAB="$top/lab/svrlab"
export SVRLAB_NAME="bsf$$"
PROBE="$b/tests/tools/svr-probe"
[ "$(id -u)" -eq 0 ] || { echo "spoof-flood: run as root" >&2; exit 1; }
[ -x "$PROBE" ] || { echo "spoof-flood: make -C $b check builds $PROBE" >&2; exit 1; }
tmp=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	"$SVRLAB" down >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
x() { "$SVRLAB" exec "$@"; }
sh_() { "$SVRLAB" exec "$1" svrsh -c "$2" 2>&1; }
state() { sh_ routerA 'show peers security' | sed -n 's/^  \(Salt\|Security Status\): *//p' | tr '\n' ' '; }

"$SVRLAB" up two-routers >/dev/null || exit 1
for r in routerA routerB; do
	printf 'set authority router %s node %s-1 forwarder nfqueue\ncommit\n' "$r" "$r" |
		x "$r" svrsh >/dev/null || exit 1
done
for i in $(seq 100); do
	[ "$(sh_ routerA 'show peers security' | grep -c MKEY_EXCH_COMP)" -eq 2 ] && break
	sleep 0.1
done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/k" \
	-out "$tmp/c.pem" -days 30 -subj /CN=routerB.lab >/dev/null 2>&1 &&
	openssl x509 -in "$tmp/c.pem" -outform DER -out "$tmp/c.der" || exit 1
head -c $((size * 1048576)) /dev/urandom >"$tmp/data"

transfer() { # PORT: seconds for the transfer (prints), 1 on failure
	x hostB sh -c "'$PROBE' tcp-sink $1 >/dev/null" &
	sink=$!
	pids="$pids $sink"
	sleep 0.3
	t0=$(date +%s.%N)
	x hostA "$PROBE" tcp-send 203.0.113.2 "$1" <"$tmp/data" || return 1
	wait "$sink"
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }'
}

before=$(state)
echo "| run | flood | seconds | MB/s | routerA's peering after |"
echo "|---|---|---:|---:|---|"
port=7100
sum_plain=0 sum_flood=0
for r in $(seq "$rounds"); do
	for flood in no yes; do
		port=$((port + 1))
		if [ $flood = yes ]; then
			x routerB "$PROBE" spoof-cert 198.51.100.2 198.51.100.1 "$tmp/c.der" \
				$((rate * 600)) "$rate" &
			fl=$!
			pids="$pids $fl"
		fi
		s=$(transfer $port) || { echo "transfer failed"; exit 1; }
		[ $flood = yes ] && kill "$fl" 2>/dev/null && wait "$fl" 2>/dev/null
		now=$(state)
		same=$([ "$now" = "$before" ] && echo "MKEY_EXCH_COMP, same keys" || echo "CHANGED: $now")
		mbs=$(echo "$size $s" | awk '{ printf "%.1f", $1 / $2 }')
		echo "| $r | $flood | $s | $mbs | $same |"
		if [ $flood = yes ]; then
			sum_flood=$(echo "$sum_flood $mbs" | awk '{ print $1 + $2 }')
		else
			sum_plain=$(echo "$sum_plain $mbs" | awk '{ print $1 + $2 }')
		fi
	done
done
echo
echo "$sum_plain $sum_flood $rounds" |
	awk '{ printf "mean MB/s without the flood %.1f, with it %.1f: ratio %.2f\n", $1 / $3, $2 / $3, $2 / $1 }'
echo "routerA alarms: $(sh_ routerA 'show alarms' | grep -c ':[0-9]')"
