#!/bin/sh
# Benchmark: svrsh start-up to its first prompt on a pseudo-terminal (it
# connects to svrd, says hello, fetches the schema and builds the command
# tree), against bash reaching its prompt in the same harness.
# usage: bench/shell-startup.sh [BUILDDIR] [RUNS]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
runs=${2:-30}
work=$(mktemp -d "${TMPDIR:-/tmp}/svrbench.XXXXXX")
"$build/daemon/svrd" --foreground --state-dir "$work/state" --socket "$work/svrd.sock" \
	--router bench --node bench-1 >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
while ! OPENSVR_SOCKET=$work/svrd.sock "$build/shell/svrsh" -c 'show version' >/dev/null 2>&1; do
	sleep 0.05
done
measure() { # CMD PROMPT-RE: mean milliseconds from spawn to prompt over $runs runs
	OPENSVR_SOCKET=$work/svrd.sock expect -c "
		set timeout 10
		log_user 0
		set total 0
		for {set i 0} {\$i < $runs} {incr i} {
			set t0 [clock microseconds]
			spawn -noecho $1
			expect -re {$2} {} timeout { puts FAIL; exit 1 }
			set total [expr {\$total + [clock microseconds] - \$t0}]
			send \"\004\"
			expect eof
			wait
		}
		puts [format %.1f [expr {\$total / 1000.0 / $runs}]]
	" | tail -1
}
svrsh_ms=$(measure "$build/shell/svrsh" '# $')
bash_ms=$(measure "env PS1=READY# bash --norc --noprofile -i" 'READY#')
echo "| program | start-up to first prompt (ms, mean of $runs) |"
echo "|---|---:|"
echo "| svrsh | $svrsh_ms |"
echo "| bash --norc -i (reference) | $bash_ms |"
echo
echo "Ratio svrsh / bash: $(echo "$svrsh_ms / $bash_ms" | bc -l | awk '{printf "%.2f", $1}')"
