#!/bin/sh
# Benchmark: the CPU that monitor costs at 1 Hz on the 1,000-router
# authority (bench/gen-authority.sh 1000), as root.  svrd runs as hub r1,
# peers with the others of its address family (IPv4: r3..r250), in a
# network namespace of its own whose WAN is one end of a veth pair nobody
# answers on (its key exchange goes nowhere), so its state holds 248 peers
# and their paths.  monitor-cpu.py drives svrsh's monitor on a
# pseudo-terminal (80x24, then 200x50) for SECONDS and reads svrsh's and
# svrd's CPU time from /proc.  Reference, same run: svrd's CPU over the
# same time with no monitor.
# usage: bench/monitor-cpu.sh [BUILDDIR] [SECONDS]   (prints a Markdown table)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
secs=${2:-60}
[ "$(id -u)" -eq 0 ] || { echo "monitor-cpu.sh: run as root (a network namespace)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/svrbench.XXXXXX")
ns=svrmon$$
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add wan type veth peer name wan-end
ip -n "$ns" link set wan up
ip -n "$ns" link set wan-end up
ip -n "$ns" addr add 198.51.100.1/24 dev wan
export OPENSVR_SOCKET=$work/svrd.sock
ip netns exec "$ns" "$build/daemon/svrd" --foreground --state-dir "$work/state" \
	--socket "$work/svrd.sock" --router r1 --node r1-1 >"$work/svrd.log" 2>&1 &
pid=$!
while ! "$build/shell/svrsh" -c 'show version' >/dev/null 2>&1; do sleep 0.05; done
"$top/bench/gen-authority.sh" 1000 >"$work/auth.txt"
"$build/shell/svrsh" -f "$work/auth.txt" >/dev/null
"$build/shell/svrsh" -c 'commit force' >/dev/null
peers=$("$build/shell/svrsh" -c 'show state' | grep -c '"peer-name"')
sleep 5 # let the commit's work settle
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
idle0=$(cpu "$pid")
sleep "$secs"
idle=$(echo "($(cpu "$pid") - $idle0) / $hz" | bc -l)
pct() { echo "100 * $1 / $secs" | bc -l | awk '{ printf "%.2f", $1 }'; }
echo "Peers in svrd's state: $peers; $secs s per row."
echo
echo "| what | svrsh CPU % | svrd CPU % |"
echo "|---|---:|---:|"
for size in "24 80" "50 200"; do
	set -- $size
	r=$(/usr/bin/python3 "$top/bench/monitor-cpu.py" "$secs" "$1" "$2" "$pid" \
		"$build/shell/svrsh")
	set -- $r
	echo "| monitor at ${size% *}x${size#* } rows x columns | $(pct "$1") | $(pct "$2") |" |
		sed 's/^| monitor at \([0-9]*\)x\([0-9]*\) rows x columns/| monitor, \2x\1/'
done
echo "| reference: svrd with no monitor | - | $(pct "$idle") |"
