#!/bin/sh
# Benchmark: load, commit and show an authority of N routers (bench/gen-authority.sh)
# against a private svrd, for N = 10 and N = 1000, and report the ratio.
# usage: bench/config-commit.sh [BUILDDIR]   (prints Markdown table rows)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
svrd=$build/daemon/svrd
svrsh=$build/shell/svrsh
work=$(mktemp -d "${TMPDIR:-/tmp}/svrbench.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export OPENSVR_SOCKET=$work/svrd.sock

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l | awk '{ printf "%.3f", $1 }'; }
best_of() { # N CMD...: the fastest of N runs, in seconds
	n=$1
	shift
	best=
	for _ in $(seq "$n"); do
		t0=$(now)
		"$@" >/dev/null
		t=$(elapsed "$t0" "$(now)")
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
	done
	echo "$best"
}

run() { # N
	n=$1
	rm -rf "$work/state"
	"$svrd" --foreground --state-dir "$work/state" --socket "$work/svrd.sock" \
		--router bench --node bench-1 >"$work/svrd.log" 2>&1 &
	pid=$!
	while ! "$svrsh" -c 'show version' >/dev/null 2>&1; do sleep 0.05; done
	"$top/bench/gen-authority.sh" "$n" >"$work/auth.txt"
	lines=$(wc -l <"$work/auth.txt")
	t0=$(now)
	"$svrsh" -f "$work/auth.txt"
	load=$(elapsed "$t0" "$(now)")
	t0=$(now)
	"$svrsh" -c 'commit' >/dev/null
	commit=$(elapsed "$t0" "$(now)")
	show=$(best_of 5 "$svrsh" -c 'show config running')
	bytes=$("$svrsh" -c 'show config running' | wc -c)
	# a second commit of one change on top of the big authority
	t0=$(now)
	printf 'set authority router r1 location moved\ncommit\n' | "$svrsh" >/dev/null
	recommit=$(elapsed "$t0" "$(now)")
	rss=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	echo "$n $lines $load $commit $show $bytes $recommit $rss"
}

small=$(run 10)
large=$(run 1000)
echo "| routers | PCLI lines | batch load (s) | commit (s) | show config running (s) | output bytes | one-change commit (s) | svrd RSS (MB) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
for r in "$small" "$large"; do
	set -- $r
	echo "| $1 | $2 | $3 | $4 | $5 | $6 | $7 | $8 |"
done
set -- $small
s_commit=$4 s_show=$5 s_load=$3
set -- $large
echo
echo "Ratios 1000 / 10 routers: load $(echo "$3 / $s_load" | bc -l | awk '{printf "%.0f", $1}')x," \
	"commit $(echo "$4 / $s_commit" | bc -l | awk '{printf "%.0f", $1}')x," \
	"show $(echo "$5 / $s_show" | bc -l | awk '{printf "%.0f", $1}')x"
