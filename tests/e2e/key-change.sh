#!/bin/sh
# e2e: trust on first use, as an operator meets it.  The two-routers lab
# has no trusted CA: each router pins the key its peer first presents (and
# saves it).  routerB is rebuilt with a new identity (its state's pki folder
# removed, svrd restarted): routerA refuses the new key, keeps refusing it
# across its own restart (the pin was saved), and raises a CRITICAL alarm
# that names the command; routerB never completes.  The operator accepts
# the key on routerA (and routerB's pin of routerA still holds): the peering
# completes with the new key, and the alarm clears.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
need_root "the key-change lab test"
export SVRLAB_NAME="e2ekc$$"
trap '"$SVRLAB" down >/dev/null 2>&1; test_cleanup' EXIT
fail() { echo "FAIL: $*"; exit 1; }
RUN=${SVRLAB_RUN:-/run/svrlab}/$SVRLAB_NAME
fp() { sh_ routerA 'show security security-associations routerB detail' |
	sed -n 's/^Peer Key Fingerprint: \([0-9a-f]*\).*/\1/p' | head -1; }

"$SVRLAB" up two-routers >/dev/null || fail "svrlab up two-routers"
for r in routerA routerB; do
	lab_until 15 "$r" 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 ||
		fail "$r: key exchange not complete"
done
first=$(fp)
[ ${#first} -eq 64 ] || fail "no pinned fingerprint shown: $(sh_ routerA 'show security security-associations routerB detail')"
grep -q "^routerB.lab $first\$" "$RUN/routerA/state/pki/pins" ||
	fail "the first key was not saved: $(cat "$RUN/routerA/state/pki/pins")"

# routerB gets a new identity: a new key for the same name
pid=$(cat "$RUN/routerB/state/svrd.pid")
kill "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
rm -f "$RUN/routerB/state/pki/node.key" "$RUN/routerB/state/pki/node.crt"
"$SVRLAB" start routerB >/dev/null 2>&1 || fail "starting routerB"
lab_until 20 routerA 'show alarms' "CRITICAL .*Peer routerB presented a key that is not the one pinned.*security peer-key accept routerB" 1 ||
	fail "no alarm for the new key: $(sh_ routerA 'show alarms')"
[ "$(fp)" = "$first" ] || fail "the pin moved by itself"
lab_restart routerA || fail "restarting routerA"
lab_until 20 routerA 'show alarms' "CRITICAL .*presented a key that is not the one pinned" 1 ||
	fail "the refusal did not survive routerA's restart: $(sh_ routerA 'show alarms')"
sh_ routerB 'show peers security' | grep -q "MKEY_EXCH_COMP" &&
	fail "routerB completed with a key routerA never accepted"
sh_ routerA 'security peer-key accept routerX' >"$RUN/accept.out" 2>&1 &&
	fail "accepting a key for a peer that offered none: $(cat "$RUN/accept.out")"
sh_ routerA 'security peer-key accept routerB' >"$RUN/accept.out" 2>&1 ||
	fail "accept: $(cat "$RUN/accept.out")"
grep -q "^Key [0-9a-f]\{64\} pinned for peer routerB" "$RUN/accept.out" ||
	fail "accept said: $(cat "$RUN/accept.out")"
for r in routerA routerB; do
	lab_until 40 "$r" 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 ||
		fail "$r: not complete after the key was accepted: $(sh_ "$r" 'show peers security')"
done
second=$(fp)
[ ${#second} -eq 64 ] && [ "$second" != "$first" ] || fail "the new key is not pinned: $second"
grep -q "^routerB.lab $second\$" "$RUN/routerA/state/pki/pins" || fail "the accepted key was not saved"
lab_until 5 routerA 'show alarms' "not the one pinned" 0 || fail "the alarm did not clear"
echo "PASS: a new key refused with an alarm (across a restart) until accepted, then peered"
