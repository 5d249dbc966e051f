# Shared by the shell-based test runners (golden, interactive, e2e).
# Sourced, not run.  Every process a test starts is recorded by PID and
# ended by that PID on exit; every temporary directory is removed.

: "${SVRD:=${top_builddir:-.}/daemon/svrd}"
: "${SVRSH:=${top_builddir:-.}/shell/svrsh}"
: "${SVRLAB:=${top_srcdir:-.}/lab/svrlab}"

TEST_PIDS=""
TEST_DIRS=""

test_cleanup() {
	for pid in $TEST_PIDS; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	for d in $TEST_DIRS; do
		rm -rf "$d"
	done
}
trap test_cleanup EXIT
trap 'exit 130' INT TERM

# The lab tests' helpers: x NODE CMD... runs CMD in NODE's namespace; sh_
# NODE COMMAND runs svrsh -c COMMAND there; bg NODE CMD... runs CMD there in
# the background, ended by PID on exit ($! is its PID); need_probe sets
# PROBE to the svr-probe that make check builds, or fails the test.
x() { "$SVRLAB" exec "$@"; }
sh_() { "$SVRLAB" exec "$1" svrsh -c "$2" 2>&1; }
bg() {
	"$SVRLAB" exec "$@" &
	TEST_PIDS="$TEST_PIDS $!"
}
need_probe() {
	PROBE=$(cd "${top_builddir:-.}/tests/tools" && pwd)/svr-probe
	[ -x "$PROBE" ] || { echo "FAIL: no $PROBE (make check builds it)"; exit 1; }
}

# state_valid ROUTER FILE: ROUTER's whole operational state ("show state")
# in FILE is valid YANG data of the model (yanglint, as NETCONF <get>
# data: a part of the datastore), and every view that renders a part of
# it answers, as text and as JSON.
state_valid() {
	"$SVRLAB" exec "$1" svrsh -c 'show state' >"$2" || { echo "$1: show state failed"; return 1; }
	yanglint -t get -p "$top_srcdir/config-model/yang" \
		"$top_srcdir/config-model/yang/opensvr.yang" "$2" ||
		{ echo "$1: its state is not valid YANG data"; return 1; }
	for v in 'show peers security' 'show security key-status' \
		'show security security-associations' 'show stats' 'show alarms'; do
		"$SVRLAB" exec "$1" svrsh -c "$v" >/dev/null || { echo "$1: $v failed"; return 1; }
		"$SVRLAB" exec "$1" svrsh -c "$v | display json" >/dev/null ||
			{ echo "$1: $v | display json failed"; return 1; }
	done
}

test_tmpdir() {
	d=$(mktemp -d "${TMPDIR:-/tmp}/svrtest.XXXXXX") || exit 99
	TEST_DIRS="$TEST_DIRS $d"
	echo "$d"
}

# start_svrd DIR ROUTER NODE: svrd in the foreground of a background job,
# serving DIR/svrd.sock; waits until the socket answers.
start_svrd() {
	dir=$1
	"$SVRD" --foreground --state-dir "$dir/state" --socket "$dir/svrd.sock" \
		--router "$2" --node "$3" >"$dir/svrd.log" 2>&1 </dev/null &
	TEST_PIDS="$TEST_PIDS $!"
	SVRD_PID=$!
	i=0
	while [ $i -lt 500 ]; do
		[ -S "$dir/svrd.sock" ] && "$SVRSH" --socket "$dir/svrd.sock" -c 'show version' \
			>/dev/null 2>&1 && return 0
		kill -0 "$SVRD_PID" 2>/dev/null || break
		sleep 0.01
		i=$((i + 1))
	done
	echo "svrd did not start:" >&2
	cat "$dir/svrd.log" >&2
	return 1
}

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: $1 needs root (network namespaces)"
		exit 77
	fi
}

# lab_until SECONDS NODE COMMAND PATTERN COUNT: poll svrsh COMMAND on the
# lab's NODE until COUNT lines of its output match PATTERN (COUNT 0: until
# none does); 1 when SECONDS pass first.
lab_until() {
	_t=0
	while [ "$_t" -lt $(($1 * 10)) ]; do
		_n=$("$SVRLAB" exec "$2" svrsh -c "$3" 2>&1 | grep -c -- "$4")
		if [ "$5" -eq 0 ]; then [ "$_n" -eq 0 ] && return 0; else [ "$_n" -ge "$5" ] && return 0; fi
		sleep 0.1
		_t=$((_t + 1))
	done
	return 1
}

# lab_restart ROUTER: stop the router's svrd (by the PID it recorded, in the
# lab's state folder), wait until it is gone, start it again; 0 or 1.
lab_restart() {
	_pid=$(cat "${SVRLAB_RUN:-/run/svrlab}/$SVRLAB_NAME/$1/state/svrd.pid") || return 1
	kill "$_pid" || return 1
	while kill -0 "$_pid" 2>/dev/null; do sleep 0.1; done
	"$SVRLAB" start "$1" >/dev/null 2>&1
}

# lab_pid ROUTER: the PID the router's svrd recorded in the lab's state folder.
lab_pid() {
	cat "${SVRLAB_RUN:-/run/svrlab}/$SVRLAB_NAME/$1/state/svrd.pid"
}

# lab_stop ROUTER [SIGNAL]: send SIGNAL (TERM) to the router's svrd and wait
# (10 s at most) until it is gone; 0 or 1.
lab_stop() {
	_pid=$(lab_pid "$1") || return 1
	kill -"${2:-TERM}" "$_pid" || return 1
	_t=0
	while kill -0 "$_pid" 2>/dev/null; do
		[ "$_t" -lt 100 ] || return 1
		sleep 0.1
		_t=$((_t + 1))
	done
}

# lab_capture NODE IF FILE [FILTER...]: tcpdump on the lab NODE's interface IF
# into FILE, in the background (its PID in CAPTURE_PID and TEST_PIDS);
# returns once tcpdump listens (1 when it does not within 5 s).
lab_capture() {
	_n=$1 _if=$2 _f=$3
	shift 3
	"$SVRLAB" exec "$_n" tcpdump -n -s 0 -U -i "$_if" -w "$_f" "$@" 2>"$_f.err" &
	CAPTURE_PID=$!
	TEST_PIDS="$TEST_PIDS $CAPTURE_PID"
	_t=0
	until grep -q "listening on" "$_f.err" 2>/dev/null; do
		[ "$_t" -lt 50 ] && kill -0 "$CAPTURE_PID" 2>/dev/null || return 1
		sleep 0.1
		_t=$((_t + 1))
	done
}

# capture_until SECONDS FILE PATTERN: poll the capture FILE (written with
# -U) until its packets, printed with their text, match PATTERN; 1 on
# timeout.
capture_until() {
	_t=0
	until tcpdump -n -r "$2" -A 2>/dev/null | grep -q -- "$3"; do
		[ "$_t" -lt $(($1 * 10)) ] || return 1
		sleep 0.1
		_t=$((_t + 1))
	done
}

# capture_has FILE PATTERN: whether a packet of the capture shows PATTERN.
capture_has() {
	tcpdump -n -r "$1" -A 2>/dev/null | grep -q -- "$2"
}
