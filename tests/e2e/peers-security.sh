#!/bin/sh
# e2e: enhanced security key management between real svrd processes over
# UDP 1280 in the labs.  Every peer path reaches MKEY_EXCH_COMP with all six
# flags True within 10 s; "security metadata-key regenerate" on one router
# shows as the peer's Peer Ki on the other; stopping one svrd takes the
# other's paths down within the BFD detection time (3 s).
set -u
. "${top_srcdir:-.}/tests/lib.sh"
need_root "the peer-security lab test"
export SVRLAB_NAME="e2eps$$"
trap '"$SVRLAB" down >/dev/null 2>&1; test_cleanup' EXIT
fail() { echo "FAIL: $*"; exit 1; }


"$SVRLAB" up two-routers >/dev/null || fail "svrlab up two-routers"
for r in routerA routerB; do
	# two paths each (IPv4 and IPv6 on the WAN), complete, all six flags True
	lab_until 10 "$r" 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 ||
		fail "$r: paths not MKEY_EXCH_COMP within 10 s: $("$SVRLAB" exec "$r" svrsh -c 'show peers security')"
	out=$("$SVRLAB" exec "$r" svrsh -c 'show peers security')
	[ "$(echo "$out" | grep -cE '^  (Cert|Salt|Key) (Rec|Ack): *True$')" -eq 12 ] ||
		fail "$r: not all six flags True on both paths: $out"
	echo "$out" | grep -q "^  Status: *up$" || fail "$r: BFD not up"
done

# A commit that does not touch the peering keeps the keys; a new
# key-exchange algorithm (on both routers, as the authority pushes it)
# starts again at the salts and completes.
salt() { "$SVRLAB" exec routerA svrsh -c 'show peers security' | sed -n 's/^  Salt: *//p' | head -1; }
s1=$(salt)
for r in routerA routerB; do
	printf 'set authority router routerB description "the far end"\ncommit\n' |
		"$SVRLAB" exec "$r" svrsh >/dev/null || fail "commit on $r"
done
[ "$(salt)" = "$s1" ] || fail "an unrelated commit restarted the key exchange"
for r in routerA routerB; do
	printf 'set authority security-key-management key-exchange-algorithm diffie-hellman\nset authority security-key-management dh-key-size 2048\ncommit\n' |
		"$SVRLAB" exec "$r" svrsh >/dev/null || fail "algorithm change on $r"
done
lab_until 40 routerA 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 || fail "no MKEY_EXCH_COMP after the algorithm change"
[ "$(salt)" != "$s1" ] || fail "the algorithm change did not renew the salts"

sa=$("$SVRLAB" exec routerA svrsh -c 'show security security-associations routerB detail')
echo "$sa" | grep -q "^State: UP$" || fail "security-associations detail: $sa"
echo "$sa" | grep -q "^Peer Certificate: Valid$" || fail "peer certificate not valid: $sa"
[ "$("$SVRLAB" exec routerA svrsh -c 'show security security-associations' | grep -c ' routerB .* up$')" -eq 2 ] ||
	fail "security-associations: routerB's two paths not up"

idx=$("$SVRLAB" exec routerB svrsh -c 'security metadata-key regenerate' |
	sed -n 's/.*rekey index \([0-9]*\).*/\1/p')
[ -n "$idx" ] && [ "$idx" -ge 2 ] || fail "regenerate did not report a new index ($idx)"
lab_until 30 routerA 'show peers security' "Peer Ki: *$idx\$" 2 || fail "routerA did not learn routerB's key index $idx"
"$SVRLAB" exec routerB svrsh -c 'show security key-status' |
	grep -q "^ *Metadata Rekey Index: *$idx\$" || fail "routerB's key-status does not show index $idx"
"$SVRLAB" exec routerB svrsh -c 'show security key-status' |
	grep -q "^ *Key Manager State: *Active Leader\$" || fail "routerB's key manager is not active"

pid=$(cat "/run/svrlab/$SVRLAB_NAME/routerB/state/svrd.pid")
kill "$pid"
t0=$(date +%s%N)
lab_until 5 routerA 'show peers security' "^  Status: *down\$" 2 || fail "routerA's paths still up 5 s after routerB stopped"
ms=$((($(date +%s%N) - t0) / 1000000))
# BFD detection: 3 x 1000 ms after the last packet, which left up to 1 s
# before the stop; allow the polling (sanitizer builds are slow) 1 s
[ "$ms" -le 4000 ] || fail "paths went down $ms ms after routerB stopped (detection time 3000 ms)"
echo "paths down $ms ms after routerB stopped"
# ... with alarms on routerA (evaluated every second), which clear when
# routerB is back
for _ in $(seq 30); do
	al=$("$SVRLAB" exec routerA svrsh -c 'show alarms')
	echo "$al" | grep -q "not reachable" && break
	sleep 0.1
done
[ "$(echo "$al" | grep -c 'MAJOR .*Peer path to routerB via wan0 .* is down')" -eq 2 ] ||
	fail "no path-down alarms: $al"
echo "$al" | grep -q "CRITICAL .*Peer routerB is not reachable" || fail "no unreachable alarm: $al"
id=$(echo "$al" | awk '/CRITICAL/ { print $1 }')
"$SVRLAB" exec routerA svrsh -c "show alarms id $id" | grep -q "^Severity: CRITICAL$" ||
	fail "show alarms id $id"
"$SVRLAB" start routerB >/dev/null || fail "svrlab start routerB"
lab_until 15 routerA 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 || fail "routerB did not come back"
lab_until 15 routerA 'show peers security' "^  Status: *up\$" 2 || fail "routerB's paths did not come back up"
sleep 1.5
[ -z "$("$SVRLAB" exec routerA svrsh -c 'show alarms' | grep 'routerA-1:')" ] ||
	fail "alarms did not clear: $("$SVRLAB" exec routerA svrsh -c 'show alarms')"
"$SVRLAB" exec routerA svrsh -c 'show events' | grep -q "cleared .*CRITICAL .*not reachable" ||
	fail "no clear event"
# reload local certificates: the exchange starts over and completes quickly
"$SVRLAB" exec routerA svrsh -c 'reload local certificates' >/dev/null || fail "reload"
lab_until 10 routerA 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 ||
	fail "not complete after reload local certificates"
lab_until 10 routerB 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 || fail "routerB not complete after reload"
"$SVRLAB" down >/dev/null

"$SVRLAB" up hub-spokes >/dev/null || fail "svrlab up hub-spokes"
lab_until 10 hub 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 || fail "hub: not complete with both spokes"
for s in spoke1 spoke2; do
	lab_until 10 "$s" 'show peers security' "Security Status: *MKEY_EXCH_COMP" 1 || fail "$s: not complete with the hub"
	"$SVRLAB" exec "$s" svrsh -c 'show peers security' | grep -q "Peer: spoke" &&
		fail "$s has a path to the other spoke"
done
echo "PASS"
