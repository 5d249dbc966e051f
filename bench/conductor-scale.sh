#!/bin/sh
# Benchmark: one conductor and N simulated routers over real call-home
# NETCONF sessions (bench/ch_sim.c), for each N given (default 1000 5000).
# As root.  usage: bench/conductor-scale.sh [BUILDDIR] [N...]
#
# For each N, in a network namespace of its own (the conductor at
# 192.0.2.1): a private svrd is the conductor of an authority of N routers
# (bench/gen-authority.sh) and itself; ch-sim gets their certificates from
# the conductor's CA (as enrolment would) and calls home for all N.
# Measured:
#   ref	    a one-change commit with no router connected (the reference)
#   connect  from ch-sim's start until the conductor has asked every router
#	    its state (every call taken)
#   commit   a one-change commit on the conductor with N routers connected:
#	    svrsh's commit (returns once every router confirmed), and until
#	    the last router recorded it (applied everywhere)
#   memory   the conductor's VmRSS with N sessions minus without, per router
#   restart  the conductor stopped and started again: until every router's
#	    call was taken again; and how many routers were sent anything
#	    again (none should be: each says which commit it runs)
# Prints Markdown table rows.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
[ $# -gt 0 ] && shift
sizes=${*:-1000 5000}
svrd=$build/daemon/svrd
svrsh=$build/shell/svrsh
sim=$build/bench/ch-sim
ns=svrbench$$
work=$(mktemp -d "${TMPDIR:-/tmp}/svrbench.XXXXXX")
pid=
simpid=
cleanup() { # every step, even when one fails (a process already gone)
	set +e
	[ -n "$simpid" ] && kill "$simpid" 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
export OPENSVR_SOCKET=$work/svrd.sock
ulimit -n "$(ulimit -Hn)" # a descriptor per session, in the conductor and in ch-sim

ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" addr add 192.0.2.1/32 dev lo

now() { date +%s.%N; }
sub() { echo "$1 - $2" | bc -l | awk '{ printf "%.3f", $1 }'; }
stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$work/stats" 2>/dev/null; }
# until: SECONDS CONDITION-COMMAND...
until_() {
	t=$1
	shift
	end=$(($(date +%s) + t))
	until "$@"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.05
	done
}
rss_mb() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status"; }

start_conductor() {
	ip netns exec "$ns" "$svrd" --foreground --state-dir "$work/state" \
		--socket "$work/svrd.sock" --router conductor --node conductor-1 \
		>>"$work/svrd.log" 2>&1 &
	pid=$!
	until_ 60 "$svrsh" -c 'show version' >/dev/null 2>&1
}
stop_conductor() {
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
}
all_asked() { [ "$(stat_of asked)" = "$n" ] && [ "$(echo "$(stat_of all_asked_at) > $1" | bc)" = 1 ]; }
# the marks of commit V: N when every router recorded it
marks() { awk -v v="$1" '$1 == "version" && $2 == v { print $4 }' "$work/stats" 2>/dev/null; }
marked() { [ "$(marks "$1")" = "$n" ]; }
none_connected() { [ "$(stat_of connected)" = 0 ]; }
last_mark() { awk -v v="$1" '$1 == "version" && $2 == v { print $8 }' "$work/stats"; }
newest() { "$svrsh" -c 'show config history' | awk '/^======/ { getline; print $1; exit }'; }
one_change() { printf 'set authority router r1 location "%s"\ncommit\n' "$1" | "$svrsh" >"$work/commit.out" 2>&1 || { cat "$work/commit.out" >&2; return 1; }; }

run() {
	n=$1
	rm -rf "$work/state" "$work/stats"
	start_conductor
	{
		"$top/bench/gen-authority.sh" "$n" | sed '$d' | sed '$d'
		cat <<EOF
        conductor-address  192.0.2.1
        router  conductor
            node  conductor-1
                role  conductor
            exit
        exit
    exit
exit
EOF
	} >"$work/auth.txt"
	"$svrsh" -f "$work/auth.txt" >/dev/null
	"$svrsh" -c commit >/dev/null
	until_ 30 test -s "$work/state/conductor/ca.key"
	t0=$(now)
	one_change "ref"
	ref=$(sub "$(now)" "$t0")
	rss0=$(rss_mb)

	t0=$(now)
	ip netns exec "$ns" "$sim" 192.0.2.1 4335 "$work/state/conductor/ca.crt" \
		"$work/state/conductor/ca.key" "$n" "$work/stats" 2>"$work/sim.err" &
	simpid=$!
	until_ 600 all_asked "$t0" || { echo "not every router called home: $(cat "$work/stats")" >&2; exit 1; }
	connect=$(sub "$(stat_of all_asked_at)" "$t0")
	rss1=$(rss_mb)
	per=$(echo "($rss1 - $rss0) * 1024 / $n" | bc -l | awk '{ printf "%.0f", $1 }')

	t0=$(now)
	one_change "moved"
	commit=$(sub "$(now)" "$t0")
	v=$(newest)
	until_ 120 marked "$v" || { echo "commit $v not everywhere: $(cat "$work/stats")" >&2; exit 1; }
	applied=$(sub "$(last_mark "$v")" "$t0")
	edit_bytes=$(($(stat_of edit_bytes) / $(stat_of edits)))
	bad=$(stat_of edits_bad)
	rss2=$(rss_mb)

	edits=$(stat_of edits)
	stop_conductor
	until_ 60 none_connected
	t0=$(now)
	start_conductor
	until_ 600 all_asked "$t0" || { echo "not every router called again: $(cat "$work/stats")" >&2; exit 1; }
	restart=$(sub "$(stat_of all_asked_at)" "$t0")
	again=$(($(stat_of edits) - edits))
	if [ "$again" -gt 0 ]; then
		echo "routers sent something again after the restart; the conductor says:" >&2
		grep "was behind\|could not take\|did not confirm" "$work/svrd.log" | tail -5 >&2
	fi
	t0=$(now)
	assets=$("$svrsh" -c 'show assets' | grep -c " connected ")
	show=$(sub "$(now)" "$t0")

	kill "$simpid"
	wait "$simpid" 2>/dev/null || true
	simpid=
	stop_conductor
	ratio=$(echo "$commit / $ref" | bc -l | awk '{ printf "%.0f", $1 }')
	echo "| $n | $connect | $ref | $commit | $applied | ${ratio}x | $rss0 | $rss2 | $per | $restart | $again | $assets | $show | $edit_bytes | $bad |"
}

echo "| routers | all called home (s) | one-change commit, no router (s) | one-change commit (s) | applied everywhere (s) | commit / reference | conductor RSS, no session (MB) | RSS with N (MB) | KB per router | restart: all back (s) | sent again | show assets: connected | show assets (s) | edit bytes per router | edits without the router |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in $sizes; do
	run "$n"
done
