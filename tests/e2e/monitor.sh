#!/bin/sh
# e2e: the monitor on a real pseudo-terminal in the two-routers lab, read
# through a terminal emulator (monitor-screen.py): drawn at 80x24 and at
# 200x50 after a resize, a peer's key index after a rekey on screen within
# 2 s, q leaves.  monitor without a terminal is an error.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
need_root "the monitor's lab"
/usr/bin/python3 -c 'import pyte' 2>/dev/null ||
	{ echo "SKIP: no python3-pyte (scripts/deps.sh installs it)"; exit 77; }
export SVRLAB_NAME="e2emon$$"
trap '"$SVRLAB" down >/dev/null 2>&1; test_cleanup' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$SVRLAB" up two-routers >/dev/null || fail "svrlab up"
lab_until 20 routerA 'show peers security' "Security Status: *MKEY_EXCH_COMP" 1 ||
	fail "routerA: key exchange not complete"
out=$("$SVRLAB" exec routerA svrsh -c monitor 2>&1) && fail "monitor ran without a terminal"
echo "$out" | grep -q "monitor needs a terminal" || fail "monitor's error without a terminal: $out"
/usr/bin/python3 "${top_srcdir:-.}/tests/e2e/monitor-screen.py" "$SVRLAB" routerA routerB ||
	fail "the monitor on screen"
