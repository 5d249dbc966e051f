#!/bin/sh
# e2e: svrd is killed with SIGKILL at random moments while commits stream
# in.  After each restart the running configuration must be the last
# acknowledged commit or the one in flight, never corrupt, and the history
# must be intact: numbered without gaps, its newest entry the running one.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
fail() { echo "FAIL: $*"; exit 1; }
dir=$(test_tmpdir)
sock=$dir/svrd.sock
export OPENSVR_SOCKET=$sock
rounds=${CRASH_ROUNDS:-15}

committer() { # commit L1, L2, ... until told to stop; log each acknowledged one
	i=$(cat "$dir/next")
	while :; do
		printf 'set authority router r location L%d\ncommit comment c%d\n' "$i" "$i" |
			"$SVRSH" >/dev/null 2>&1 || break
		echo "$i" >"$dir/acked"
		i=$((i + 1))
	done
}

echo 1 >"$dir/next"
echo 0 >"$dir/acked"
start_svrd "$dir" R n || fail "svrd did not start"
r=1
while [ $r -le "$rounds" ]; do
	committer &
	cpid=$!
	TEST_PIDS="$TEST_PIDS $cpid"
	# a random moment: 50..350 ms into the stream
	sleep "0.$(( $(od -An -N2 -tu2 /dev/urandom) % 300 + 50 ))" 2>/dev/null || sleep 0.2
	kill -KILL "$SVRD_PID"
	wait "$SVRD_PID" 2>/dev/null
	wait "$cpid" 2>/dev/null
	acked=$(cat "$dir/acked")
	start_svrd "$dir" R n || fail "round $r: svrd did not restart after SIGKILL"
	loc=$("$SVRSH" -c 'show config running flat' | sed -n 's/^config authority router r location L//p')
	hist=$("$SVRSH" -c 'show config history') || fail "round $r: history unreadable"
	newest=$(echo "$hist" | awk '$1 ~ /^[0-9]+$/ { print $1; exit }')
	comment=$(echo "$hist" | awk '$1 ~ /^[0-9]+$/ { print $NF; exit }')
	[ -n "$loc" ] || [ "$acked" -eq 0 ] || fail "round $r: running configuration lost (acked L$acked)"
	loc=${loc:-0}
	if [ "$loc" -ne "$acked" ] && [ "$loc" -ne $((acked + 1)) ]; then
		fail "round $r: running has L$loc, last acknowledged commit was L$acked"
	fi
	[ "$loc" -eq 0 ] || [ "$comment" = "c$loc" ] ||
		fail "round $r: newest history entry ($comment) is not the running one (L$loc)"
	# numbered without gaps, newest first
	echo "$hist" | awk '$1 ~ /^[0-9]+$/ { if (prev && $1 != prev - 1) bad = 1; prev = $1 }
		END { exit bad }' || fail "round $r: gap in the history:\n$hist"
	echo "round $r: acked L$acked, running L$loc, newest commit $newest"
	echo $((loc + 1)) >"$dir/next"
	r=$((r + 1))
done
echo "PASS"
