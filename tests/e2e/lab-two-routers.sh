#!/bin/sh
# e2e: the two-routers lab comes up, each router's svrd answers svrsh run
# through "svrlab exec" with no further flags, hosts reach each other over
# IPv4 and IPv6 through both routers, and "svrlab down" leaves nothing.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
need_root "the two-routers lab"
export SVRLAB_NAME="e2e2r$$"
trap '"$SVRLAB" down >/dev/null 2>&1; test_cleanup' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$SVRLAB" up two-routers || fail "svrlab up"
"$SVRLAB" status | grep -q "routerA *router *running" || fail "routerA's svrd is not running"

for r in routerA routerB; do
	out=$("$SVRLAB" exec "$r" svrsh -c 'show version') || fail "svrsh on $r: $out"
	echo "$out" | grep -q "^  Router: *$r\$" || fail "$r answered as someone else: $out"
	echo "$out" | grep -q "^  Node: *$r-1\$" || fail "$r node name: $out"
done

# Every router took the lab's authority configuration, and generated its
# peer from the shared "wan" neighborhood.
for r in routerA routerB; do
	cfg=$("$SVRLAB" exec "$r" svrsh -c 'show config running verbose') || fail "show config on $r"
	echo "$cfg" | grep -q "enhanced-security-key-management  *true" || fail "$r: no ESKM: $cfg"
	echo "$cfg" | grep -q "service  *hostB-lan" || fail "$r: services missing"
done
"$SVRLAB" exec routerA svrsh -c 'show config running flat verbose' |
	grep -q "^config authority router routerA peer routerB generated true$" ||
	fail "routerA has no generated peer routerB"

"$SVRLAB" exec hostA ping -c 2 -W 2 203.0.113.2 >/dev/null || fail "hostA cannot reach hostB"
"$SVRLAB" exec hostB ping -c 2 -W 2 192.0.2.2 >/dev/null || fail "hostB cannot reach hostA"
"$SVRLAB" exec hostA ping -c 2 -W 2 2001:db8:b::2 >/dev/null || fail "hostA cannot reach hostB (IPv6)"
# The one WAN link is shared: both routers see each other directly.
"$SVRLAB" exec routerA ping -c 1 -W 2 198.51.100.2 >/dev/null || fail "WAN link"

# The operational state is YANG data of the model, values not words: the
# key exchange's flags as booleans, enumerations by name, counters that
# moved with the pings.
tmp=$(test_tmpdir)
for r in routerA routerB; do
	lab_until 15 "$r" 'show peers security' "Security Status: *MKEY_EXCH_COMP" 1 ||
		fail "$r: key exchange not complete"
	state_valid "$r" "$tmp/$r.json" || fail "$r: state"
	for want in '"security-status": "MKEY_EXCH_COMP"' '"cert-rec": true' '"key-ack": true' \
		'"status": "up"' '"state": "up"' '"peer-certificate": "valid"' \
		'"key-manager-state": "active-leader"' '"forwarder": "nfqueue"' \
		'"self-signed": true' "\"subject\": \"CN=$r.lab\""; do
		grep -qF "$want" "$tmp/$r.json" || fail "$r: no $want in its state: $(cat "$tmp/$r.json")"
	done
	grep -qE '"(True|False|Active Leader)"' "$tmp/$r.json" && fail "$r: words in its state"
	grep -q '"wan-out-packets": "[1-9]' "$tmp/$r.json" || fail "$r: no packets counted"
	# clear stats counts from zero; the sessions stay
	sh_ "$r" 'clear stats' | grep -q "counters cleared" || fail "$r: clear stats"
	sh_ "$r" 'show stats' | grep -q "^  Sessions Created: *0$" ||
		fail "$r: counters not cleared: $(sh_ "$r" 'show stats')"
	grep -qE '"fingerprint": "([0-9A-F]{2}:){31}[0-9A-F]{2}"' "$tmp/$r.json" ||
		fail "$r: no fingerprint of its certificate"
	peer=routerB
	[ "$r" = routerB ] && peer=routerA
	sh_ "$r" 'show peers' | grep -qE "^ $peer +$r-1 +wan0 +198\.51\.100\.[12] +up +[0-9]+$" ||
		fail "$r: show peers does not list $peer up with its path MTU: $(sh_ "$r" 'show peers')"
	sh_ "$r" 'show log' | grep -qE "^[0-9-]+ [0-9:]+ info +peer paths: [0-9]+ path\(s\)" ||
		fail "$r: show log has no line about its peer paths: $(sh_ "$r" 'show log')"
	sh_ "$r" 'show network-interface' | grep -qE "^ wan0 +wan +up +[0-9]+ +198\.51\.100\.[12]/24" ||
		fail "$r: show network-interface: $(sh_ "$r" 'show network-interface')"
	certs=$(sh_ "$r" 'show security certificates')
	echo "$certs" | grep -q "^  Subject: *CN=$r.lab" || fail "$r: its certificate's subject: $certs"
	echo "$certs" | grep -q "^Peer $peer ($peer.lab)" || fail "$r: no $peer in its certificates: $certs"
	echo "$certs" | grep -q "^  Certificate: *Valid" || fail "$r: $peer's verdict: $certs"
	echo "$certs" | grep -qE "^  Key Fingerprint: *[0-9a-f]{64}" || fail "$r: $peer's key pin: $certs"
done

# export then import: the generated peers and adjacencies the file does
# not hold are made again at commit, so compare shows no difference
out=$(sh_ routerA 'export config running e2e-x' && sh_ routerA 'import config e2e-x' &&
	sh_ routerA 'compare config')
echo "$out" | grep -q "^# No differences$" || fail "export + import shows differences: $out"
echo "$out" | grep -q "^delete" && fail "export + import shows phantom deletes: $out"
sh_ routerA 'restore config running' >/dev/null || fail "restore"

# show sessions: filters, the detail view, clear session by its id
"$SVRLAB" exec hostA ping -c 2 -W 2 203.0.113.2 >/dev/null || fail "a ping for a session"
out=$(sh_ routerA 'show sessions peer routerB address 203.0.113.2')
echo "$out" | grep -qE "^[0-9a-f]{8} +fwd +icmp +192\.0\.2\.2:[0-9]+ +203\.0\.113\.2:" ||
	fail "show sessions with filters: $out"
sh_ routerA 'show sessions peer nosuch' | grep -q "^0 sessions of [1-9]" ||
	fail "a filter matching nothing: $(sh_ routerA 'show sessions peer nosuch')"
id=$(echo "$out" | awk '/ icmp / { print $1; exit }')
sh_ routerA "show sessions id $id" | grep -q "^  Service: *hostB-lan$" ||
	fail "show sessions id: $(sh_ routerA "show sessions id $id")"
sh_ routerA "clear session $id" | grep -q "Session $id ended" || fail "clear session $id"
sh_ routerA "show sessions id $id" | grep -q "^0 sessions of" ||
	fail "the session cleared is still there: $(sh_ routerA "show sessions id $id")"
sh_ routerA "clear session $id" >/dev/null && fail "clearing a session that is gone succeeded"
sh_ routerA 'clear session xyz' | grep -q "8 to 32 hex digits" || fail "clear session of a non-id"

# Every view fits a terminal of 80 columns (an alarm among them: routerB
# stopped, so routerA raises that it is not reachable)
"$SVRLAB" exec hostA ping -c 1 -W 2 203.0.113.2 >/dev/null || fail "a ping for a session"
kill "$(cat "/run/svrlab/$SVRLAB_NAME/routerB/state/svrd.pid")" || fail "stopping routerB"
lab_until 20 routerA 'show alarms' "Peer routerB is not reachable" 1 ||
	fail "routerA raised no alarm for routerB: $(sh_ routerA 'show alarms')"
for view in "show alarms" "show events" "show log" "show peers" "show peers security" \
	"show security security-associations" "show security security-associations routerB detail" \
	"show security key-status" "show security certificates" "show network-interface" \
	"show stats" "show sessions" "show config history" "show version"; do
	/usr/bin/python3 "${top_srcdir:-.}/tests/e2e/tty-lines.py" 80 "$view | no-more" \
		"$SVRLAB" exec routerA svrsh >"$tmp/view" || fail "$view at 80 columns"
	[ "$(wc -l <"$tmp/view")" -ge 4 ] || fail "$view printed nothing: $(cat "$tmp/view")"
	awk 'length($0) > 80 { bad = 1 } END { exit !bad }' "$tmp/view" &&
		fail "$view does not fit 80 columns: $(cat "$tmp/view")"
done
/usr/bin/python3 "${top_srcdir:-.}/tests/e2e/tty-lines.py" 80 "show alarms" "$SVRLAB" exec routerA svrsh \
	>"$tmp/alarms"
grep -q "^    Peer routerB is not reachable" "$tmp/alarms" ||
	fail "the alarm's message under its fields at 80 columns: $(cat "$tmp/alarms")"

pid=$(cat "/run/svrlab/$SVRLAB_NAME/routerA/state/svrd.pid")
"$SVRLAB" up two-routers >/dev/null 2>&1 && fail "a second 'up' of the same lab succeeded"
"$SVRLAB" down >/dev/null || fail "svrlab down"
ip netns list | grep -q "^$SVRLAB_NAME-" && fail "namespaces left behind"
kill -0 "$pid" 2>/dev/null && fail "svrd $pid still running after down"
"$SVRLAB" down >/dev/null || fail "a second down is not idempotent"
echo "PASS"
