#!/bin/sh
# Print one line for a whole run: "N passed, N failed, N skipped", summed
# over every test result (.trs) below the given build trees.  A TAP test
# contributes one result per test point.  Exits 1 when anything failed or
# when no test ran at all.
set -u
[ $# -gt 0 ] || set -- .
pass=0 fail=0 skip=0
for tree in "$@"; do
	[ -d "$tree" ] || continue
	counts=$(find "$tree" -name '*.trs' -exec cat {} + 2>/dev/null |
		sed -n 's/^:test-result: //p' | awk '
			/^(PASS|XFAIL)/ { p++ } /^(FAIL|XPASS|ERROR)/ { f++ } /^SKIP/ { s++ }
			END { printf "%d %d %d\n", p, f, s }')
	set -- $counts "$@"
	pass=$((pass + $1)) fail=$((fail + $2)) skip=$((skip + $3))
	shift 3
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
