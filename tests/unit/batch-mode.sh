#!/bin/sh
# svrsh's batch mode is strict: every way a batch can fail exits non-zero
# and names what is wrong, and a batch that stops at a failed line leaves
# the shared candidate as it found it (all or nothing; --keep-going runs
# the rest and keeps what succeeded).  Runs a private svrd; no root.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
dir=$(test_tmpdir)
start_svrd "$dir" RTR_EAST_COMBO combo-east-1 || exit 99
export OPENSVR_SOCKET="$dir/svrd.sock"
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
no() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
# run CMD...: output in $out, exit status in $st
run() { out=$("$SVRSH" "$@" 2>&1); st=$?; }
unchanged() { run -c 'compare'; echo "$out" | grep -q "No differences"; }
echo "1..9"

run -c 'set authority router R1 description "never closed'
if [ "$st" -ne 0 ] && echo "$out" | grep -q "never closes" && unchanged; then
	ok "-c with an unterminated quote fails and changes nothing"
else no "-c with an unterminated quote: status $st" "$out"; fi

run -f "$dir"
if [ "$st" -ne 0 ] && echo "$out" | grep -q "cannot read"; then
	ok "-f on a directory fails and says it cannot be read"
else no "-f on a directory: status $st" "$out"; fi

run -c 'show version' -c 'show version'
if [ "$st" -eq 0 ] && [ "$(echo "$out" | grep -c '^  Router:')" -eq 2 ]; then
	ok "two -c run both, in order"
else no "two -c: status $st" "$out"; fi

run -c 'set authority router R1 location somewhere' -c 'frobnicate' -c 'set authority router R2 location elsewhere'
if [ "$st" -ne 0 ] && echo "$out" | grep -q "back as it was" && unchanged; then
	ok "-c commands that fail halfway leave the candidate as it was"
else no "-c halfway: status $st" "$out"; fi

printf 'set authority router R1 location somewhere\nfrobnicate\nset authority router R2 location x\n' >"$dir/half"
run -f "$dir/half"
if [ "$st" -ne 0 ] && echo "$out" | grep -q "half stopped at line 2: the candidate is back" && unchanged; then
	ok "a file that fails halfway leaves the candidate as it was"
else no "a file halfway: status $st" "$out"; fi

# someone's edits already in the candidate are not the batch's to throw away
run -c 'set authority router R9 location mine'
run -f "$dir/half"
if [ "$st" -ne 0 ] && echo "$out" | grep -q "had changes before it" &&
	"$SVRSH" -c 'compare' | grep -q "R9" && "$SVRSH" -c 'compare' | grep -q "R1"; then
	ok "a failed file keeps edits that were there before it, and says its own stay"
else no "a failed file on a changed candidate: status $st" "$out"; fi
"$SVRSH" -c 'restore config running' >/dev/null 2>&1
run -c 'compare'
unchanged && ok "the candidate restored for the next case" ||
	no "the candidate could not be restored" "$out"

run --keep-going -f "$dir/half"
if [ "$st" -ne 0 ] && "$SVRSH" -c 'compare' | grep -q "R2"; then
	ok "--keep-going runs the rest and keeps what succeeded"
else no "--keep-going: status $st" "$out" "$("$SVRSH" -c compare)"; fi
# libcli's privilege levels are not svrsh's: no silent "enable"
run -c 'enable'
if [ "$st" -ne 0 ] && echo "$out" | grep -q 'unknown command "enable"'; then
	ok "enable is not a command"
else no "enable: status $st" "$out"; fi
exit $failed
