#!/bin/sh
# Benchmark: how long svrsh takes to answer ? and TAB on a 1,000-router
# authority (bench/gen-authority.sh 1000, committed), on a pseudo-terminal
# driven by expect: from the key to the line drawn again under the answer.
# Each answer reads the whole line again and asks svrd what it needs
# (list-keys, get-state).  Reference, same harness and run: bash listing
# the 11 completions of a file name among 1,000 files.
# usage: bench/shell-help.sh [BUILDDIR] [RUNS]   (prints a Markdown table)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
runs=${2:-20}
work=$(mktemp -d "${TMPDIR:-/tmp}/svrbench.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export OPENSVR_SOCKET=$work/svrd.sock
"$build/daemon/svrd" --foreground --state-dir "$work/state" --socket "$work/svrd.sock" \
	--router bench --node bench-1 >"$work/svrd.log" 2>&1 &
pid=$!
while ! "$build/shell/svrsh" -c 'show version' >/dev/null 2>&1; do sleep 0.05; done
"$top/bench/gen-authority.sh" 1000 >"$work/auth.txt"
"$build/shell/svrsh" -f "$work/auth.txt" >/dev/null
"$build/shell/svrsh" -c 'commit force' >/dev/null
mkdir "$work/files"
i=1
while [ $i -le 1000 ]; do
	: >"$work/files/r$i"
	i=$((i + 1))
done
printf 'set show-all-if-ambiguous on\nset completion-query-items 0\n' >"$work/inputrc"

# measure PROGRAM PROMPT LINE KEY LAST: mean ms from KEY after LINE to the
# line drawn again under the answer (LAST its end), over $runs
measure() {
	expect -f "$top/bench/shell-help.exp" "$1" "$2" "$3" "$4" "$5" "$runs" | tail -1
}

svrsh=$build/shell/svrsh
row() { # WHAT LINE KEY LAST
	printf '| %s | `%s%s` | %s |\n' "$1" "$2" "$3" \
		"$(measure "$svrsh" '# $' "$2" "$3" "$4")"
}
echo "| what | typed | ms (mean of $runs) |"
echo "|---|---|---:|"
row "operational, one word" "show " "?" "version"
row "operational, three words" "show security security-associations " "?" "detail"
row "configuration from the top, 1,000 list keys" "config authority router " "?" "more:"
row "a list key among 1,000 (11 fit)" "config authority router r55" TAB "r559"
row "eight words deep, a leaf's type" \
	"config authority router r5 node r5-1 device-interface wan network-interface wan address 198.51.100.5 prefix-length " \
	"?" "<prefix-length>"
row "an operational argument (get-state)" "show alarms id " "?" "<alarm-id>"
printf '| %s | `%s` | %s |\n' "reference: bash, 11 of 1,000 file names" "ls files/r55TAB" \
	"$(cd "$work" && INPUTRC=$work/inputrc measure "env PS1='READY# ' bash --norc --noprofile -i" \
		'READY# ' "ls files/r55" TAB "r559")"
