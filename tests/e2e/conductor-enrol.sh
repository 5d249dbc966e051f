#!/bin/sh
# e2e: the conductor (the conductor lab: a conductor
# beside the hub of a hub and two spokes).  Each router is onboarded by the
# one-time token the conductor prints, with one command, and receives a
# certificate the authority's CA issued for its peering-common-name; then
# it calls home (RFC 8071, TLS with those certificates), is one of the
# conductor's assets (seen to go when its svrd stops and to come back), and
# gets the authority, configured on the conductor only, with the CA as
# trusted: the routers reach MKEY_EXCH_COMP with certificates the CA
# vouches for (no trust on first use).  A commit on the conductor appears
# on every router; one a router refuses fails with its reason and changes
# nothing anywhere; a router away at a commit catches up when it returns; a
# router deleted from the authority is revoked and refused by its peers.
#
# The attacks, each before the fix of it was written: a token used twice,
# a token of another router, a token with a made-up secret (an unknown
# router), a garbled token, and a conductor impostor (the hub, whose SSH
# host key the token does not pin): each gets nowhere, the certificate in
# use does not change and the conductor issues nothing for it.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
need_root "the conductor enrolment lab test"
command -v ssh-keygen >/dev/null || { echo "SKIP: no ssh-keygen"; exit 77; }
export SVRLAB_NAME="e2ece$$"
trap '"$SVRLAB" down >/dev/null 2>&1; test_cleanup' EXIT
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(test_tmpdir)
here=${top_srcdir:-.}/tests/e2e
C=192.0.2.130 # the conductor
issued() { cat "${SVRLAB_RUN:-/run/svrlab}/$SVRLAB_NAME/conductor/state/conductor/issued.json"; }
token() { sh_ conductor "request enrolment-token $1" | grep -o 'svr1\.[^ ]*'; }
issuer() { sh_ "$1" 'show security certificates' | sed -n 's/^  Issuer: *//p' | head -1; }
# refused ROUTER ADDRESS TOKEN WHY: enrol fails, saying WHY
refused() {
	out=$(x "$1" svrsh -c "enrol $2 $3" 2>&1) && fail "$1: enrol $2 was taken: $out"
	echo "$out" | grep -q "$4" || fail "$1: enrol $2 did not say '$4': $out"
}

"$SVRLAB" up conductor >/dev/null || fail "svrlab up conductor"
# the routers start with no configuration and no certificate of the authority
pki=${SVRLAB_RUN:-/run/svrlab}/$SVRLAB_NAME
[ -e "$pki/spoke1/state/pki/node.crt" ] && fail "spoke1 starts with a node certificate"
sh_ spoke1 'show config running' | grep -q "authority" && fail "spoke1 starts configured"

# a router that is not in the authority gets no token
out=$(sh_ conductor 'request enrolment-token spoke9') && fail "a token for spoke9: $out"
echo "$out" | grep -q "no router spoke9 in the authority" || fail "token for spoke9: $out"
# only the conductor makes tokens
out=$(sh_ hub 'request enrolment-token spoke1') && fail "the hub made a token: $out"
echo "$out" | grep -q "this node is not the conductor" || fail "token on the hub: $out"

t1=$(token spoke1) || fail "no token for spoke1"
t2=$(token spoke2) || fail "no token for spoke2"
# a garbled token, and one of another router
refused spoke1 $C "${t1%?????}" "cut short"
refused spoke2 $C "$t1" "the token is for router spoke1; this is router spoke2"
# an impostor: the hub serves NETCONF SSH too, with another host key
refused spoke1 192.0.2.129 "$t1" "not the one the token names"
# an unknown router: the right pin, a secret of its own
forged=$(echo "$t1" | sed 's/\.[^.]*$/.AAAAAAAAAAAAAAAAAAAAAA/')
refused spoke1 $C "$forged" "the conductor refused the token"
[ -e "$pki/spoke1/state/pki/node.crt" ] && fail "a refused enrolment gave spoke1 a certificate"
issued 2>/dev/null | grep -q '"router"' && fail "the conductor issued something: $(issued)"
echo "refused: a garbled token, another router's, an impostor conductor, a made-up secret"

for r in spoke1 spoke2 hub; do
	case $r in spoke1) t=$t1 ;; spoke2) t=$t2 ;; hub) t=$(token hub) || fail "no token for hub" ;; esac
	out=$(x $r svrsh -c "enrol $C $t" 2>&1) || fail "$r: enrol: $out"
	echo "$out" | grep -q "^Enrolled with the conductor at $C" || fail "$r: enrol said: $out"
done
for r in spoke1 spoke2 hub; do # in use once the configuration came
	lab_until 20 $r 'show security certificates' "Issuer: *CN=opensvr authority lab CA" 1 ||
		fail "$r: the certificate in use is not the authority's: $(issuer $r)"
	sh_ $r 'show security certificates' | grep -q "Subject: *CN=$r.lab" ||
		fail "$r: not issued for its peering-common-name: $(sh_ $r 'show security certificates')"
done
[ "$(issued | grep -c '"router"')" -eq 3 ] || fail "the conductor did not record 3 certificates: $(issued)"
refused spoke1 $C "$t1" "the conductor refused the token"
echo "enrolled: hub, spoke1 and spoke2 present certificates of the authority's CA; a token is good once"

# every enrolled router calls home (RFC 8071): the conductor's assets
for r in hub spoke1 spoke2; do
	lab_until 20 conductor 'show assets' "^ $r  *$r-1  *connected " 1 ||
		fail "$r did not call home: $(sh_ conductor 'show assets')"
done
sh_ spoke1 'show log' | grep -q "session [0-9]*: the conductor conductor.lab (called home)" ||
	fail "spoke1 does not say the conductor called home: $(sh_ spoke1 'show log' | grep netconf)"
# a router that goes away is seen to, and calls home again when it is back
lab_stop spoke2 TERM || fail "spoke2's svrd did not stop"
lab_until 20 conductor 'show assets' "^ spoke2  *spoke2-1  *disconnected" 1 ||
	fail "the conductor did not see spoke2 go: $(sh_ conductor 'show assets')"
"$SVRLAB" start spoke2 >/dev/null || fail "starting spoke2 again"
lab_until 20 conductor 'show assets' "^ spoke2  *spoke2-1  *connected " 1 ||
	fail "spoke2 did not call home again: $(sh_ conductor 'show assets')"
echo "call home: every router is an asset of the conductor; one that goes and comes back is seen to"

# an enrolled router's certificate, then a NETCONF hello that is garbage or
# none at all: the session is refused and the conductor stays up
for mode in garbage close; do
	x spoke1 /usr/bin/python3 "$here/callhome_attack.py" 192.0.2.130 4335 \
		"$pki/spoke1/state/pki/node.crt" "$pki/spoke1/state/pki/node.key" $mode \
		>"$tmp/attack.out" 2>&1 || fail "the $mode attack could not be made: $(cat "$tmp/attack.out")"
	lab_until 10 conductor 'show log' "router spoke1 (.*) did not speak NETCONF" 1 ||
		fail "the conductor did not refuse a $mode hello: $(sh_ conductor 'show log' | grep conductor: | tail -3)"
done
kill -0 "$(cat "$pki/conductor/state/svrd.pid")" 2>/dev/null ||
	fail "the conductor's svrd fell to a bad hello"
# a hello that asks for schemas never answered is cut, not waited for
# (libnetconf2 would wait 300 s, with every session behind it)
x spoke1 /usr/bin/python3 "$here/callhome_attack.py" 192.0.2.130 4335 \
	"$pki/spoke1/state/pki/node.crt" "$pki/spoke1/state/pki/node.key" silent \
	>"$tmp/attack.out" 2>&1 || fail "the silent attack could not be made: $(cat "$tmp/attack.out")"
sh_ conductor 'show log' | grep -q "router spoke1 took more than 15 s to say hello: cut" ||
	fail "a silent hello was not cut: $(sh_ conductor 'show log' | grep conductor: | tail -3)"
lab_until 20 conductor 'show assets' " connected " 3 ||
	fail "the routers are not all assets after the attack: $(sh_ conductor 'show assets')"
echo "a router's certificate with a garbage hello, none, or one that stalls is refused; the conductor stays up"

# the authority came from the conductor alone (the routers load none), with
# its CA trusted: peers are vouched for by the CA, not pinned on first use
for r in hub spoke1 spoke2; do
	lab_until 20 $r 'show config history' "conductor.lab" 1 ||
		fail "$r did not get the authority from the conductor: $(sh_ $r 'show config history')"
done
for r in spoke1 spoke2; do
	lab_until 20 $r 'show peers security' "Security Status: *MKEY_EXCH_COMP" 1 ||
		fail "$r: no key exchange with the hub: $(sh_ $r 'show peers security')"
	sh_ $r 'show security certificates' | grep -A2 "^Peer hub (hub.lab)" |
		grep -q "Key: *a trusted CA vouches for it" ||
		fail "$r: the hub is not vouched for by the CA: $(sh_ $r 'show security certificates')"
done
lab_until 20 hub 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 ||
	fail "hub: no key exchange with both spokes: $(sh_ hub 'show peers security')"
echo "configured on the conductor only; MKEY_EXCH_COMP everywhere, every peer vouched for by the authority's CA"

desc() { sh_ "$1" 'show config running' | sed -n 's/^ *description *//p' | tr -d '"' | head -1; }
# a commit on the conductor appears on every router
printf 'set authority router hub description "pushed once"\ncommit\n' | x conductor svrsh >"$tmp/c1" 2>&1 ||
	fail "commit on the conductor: $(cat "$tmp/c1")"
for r in hub spoke1 spoke2; do
	[ "$(desc $r)" = "pushed once" ] || fail "$r does not have the conductor's commit: $(desc $r)"
done
sh_ conductor 'show config out-of-sync' | grep -q "Every router runs commit" ||
	fail "out of sync after a commit everywhere: $(sh_ conductor 'show config out-of-sync')"
# each router gets its part: itself and its peers (a spoke does not hold
# the other spoke, the hub holds both)
sh_ spoke2 'show config running' | grep -q "^ *router *spoke1$" &&
	fail "spoke2 got spoke1, which is no peer of it: $(sh_ spoke2 'show config running')"
for s in spoke1 spoke2; do
	sh_ hub 'show config running' | grep -q "^ *router *$s$" ||
		fail "the hub did not get its peer $s: $(sh_ hub 'show config running')"
done
echo "a commit on the conductor is on every router when it returns, each its part of the authority"

# a router that refuses (its candidate locked by an operator of its own,
# over NETCONF) fails the commit with its words, and nothing changes
# anywhere
ssh-keygen -q -t ed25519 -N '' -C "ops@lab" -f "$tmp/ops" || fail "ssh-keygen"
printf '%s\n' "set authority user ops role admin" \
	"set authority user ops authorized-key \"$(cat "$tmp/ops.pub")\"" commit |
	x conductor svrsh >"$tmp/ops.out" 2>&1 || fail "adding a user on the conductor: $(cat "$tmp/ops.out")"
# lock_spoke2: an operator of spoke2 locks its candidate over NETCONF
# (until $lockpid is killed)
lock_spoke2() {
	bg host2 /usr/bin/python3 "$here/netconf_lock.py" 203.0.113.129 ops "$tmp/ops" >"$tmp/lock.out" 2>&1
	lockpid=$!
	i=0
	until grep -q "^locked" "$tmp/lock.out"; do
		i=$((i + 1))
		[ $i -lt 200 ] || fail "spoke2's candidate did not get locked: $(cat "$tmp/lock.out")"
		sleep 0.1
	done
}
lock_spoke2
out=$(printf 'set authority router hub description "refused"\ncommit\n' | x conductor svrsh 2>&1) &&
	fail "the conductor committed although spoke2 refused: $out"
echo "$out" | grep -q "router spoke2 refused the change: .*locked by ops, NETCONF session" ||
	fail "the refusal does not name spoke2 and why: $out"
for r in conductor hub spoke1 spoke2; do
	[ "$(desc $r)" = "pushed once" ] || fail "$r changed although the commit failed: $(desc $r)"
done
kill "$lockpid" 2>/dev/null
wait "$lockpid" 2>/dev/null
echo "a router that refuses fails the commit with its reason; nothing changes anywhere"

# a router stopped during a commit catches up when it calls home again
lab_stop spoke2 TERM || fail "spoke2's svrd did not stop"
lab_until 20 conductor 'show assets' "^ spoke2  *spoke2-1  *disconnected" 1 ||
	fail "the conductor did not see spoke2 go: $(sh_ conductor 'show assets')"
printf 'set authority router hub description "while spoke2 was away"\ncommit\n' |
	x conductor svrsh >"$tmp/c3" 2>&1 || fail "commit with spoke2 away: $(cat "$tmp/c3")"
[ "$(desc spoke1)" = "while spoke2 was away" ] || fail "spoke1 did not get the commit"
sh_ conductor 'show config out-of-sync' | grep -q "^ spoke2  *disconnected: gets commit" ||
	fail "spoke2 is not out of sync: $(sh_ conductor 'show config out-of-sync')"
"$SVRLAB" start spoke2 >/dev/null || fail "starting spoke2 again"
lab_until 20 conductor 'show assets' "^ spoke2  *spoke2-1  *connected " 1 ||
	fail "spoke2 did not call home again: $(sh_ conductor 'show assets')"
i=0
until [ "$(desc spoke2)" = "while spoke2 was away" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "spoke2 did not catch up: $(desc spoke2)"; sleep 0.1
done
lab_until 10 conductor 'show config out-of-sync' "Every router runs commit" 1 ||
	fail "still out of sync: $(sh_ conductor 'show config out-of-sync')"
sh_ conductor 'show log' | grep -q "conductor: router spoke2 was behind (at [0-9]*): it runs commit" ||
	fail "the catch-up is not in the conductor's log: $(sh_ conductor 'show log' | tail -5)"
echo "a router away at a commit catches up when it calls home"

# local override on spoke1: its own change is kept, the conductor's commit
# does not fail for it but leaves it out of sync, held aside, with an alarm
# on the conductor; once it is off, the conductor brings spoke1 back
loc() { sh_ "$1" 'show config running' | sed -n 's/^ *location *//p' | tr -d '"' | head -1; }
# without it, a local commit is told that the conductor replaces it
printf 'set authority router spoke1 location "quick fix"\ncommit\n' | x spoke1 svrsh >"$tmp/l0" 2>&1 ||
	fail "a local commit on spoke1: $(cat "$tmp/l0")"
grep -q "managed by conductor conductor.lab, which replaces local changes" "$tmp/l0" ||
	fail "a local commit on a managed router says nothing of the conductor: $(cat "$tmp/l0")"
x spoke1 svrsh -c 'set config local-override' | grep -q "Local override is on" ||
	fail "spoke1 did not take local override"
lab_until 10 spoke1 'show alarms' "local override is on" 1 ||
	fail "no alarm on spoke1 for its local override: $(sh_ spoke1 'show alarms')"
printf 'set authority router spoke1 location "fixed here"\ncommit\n' | x spoke1 svrsh >"$tmp/l1" 2>&1 ||
	fail "a local commit on spoke1: $(cat "$tmp/l1")"
printf 'set authority router hub description "during the override"\ncommit\n' |
	x conductor svrsh >"$tmp/c4" 2>&1 || fail "the commit failed for a router in local override: $(cat "$tmp/c4")"
grep -q "Router spoke1 did not take it, out of sync: local override" "$tmp/c4" ||
	fail "the commit does not say spoke1 held it aside: $(cat "$tmp/c4")"
[ "$(desc hub)" = "during the override" ] && [ "$(desc spoke2)" = "during the override" ] ||
	fail "the routers not in override did not get the commit"
[ "$(desc spoke1)" = "while spoke2 was away" ] && [ "$(loc spoke1)" = "fixed here" ] ||
	fail "spoke1 in local override was changed: $(desc spoke1) / $(loc spoke1)"
lab_until 10 conductor 'show alarms' "router spoke1 is in local override" 1 ||
	fail "no alarm on the conductor for spoke1's override: $(sh_ conductor 'show alarms')"
sh_ conductor 'show config out-of-sync' | grep -q "^ spoke1  *local override: runs its own changes" ||
	fail "spoke1's override is not out of sync: $(sh_ conductor 'show config out-of-sync')"
x spoke1 svrsh -c 'set config local-override disabled' | grep -q "Local override is off" ||
	fail "spoke1 did not leave local override"
i=0
until [ "$(desc spoke1)" = "during the override" ]; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "spoke1 did not get the conductor's configuration back: $(desc spoke1)"; sleep 0.1
done
[ -z "$(loc spoke1)" ] || fail "spoke1's own change outlived the override: $(loc spoke1)"
lab_until 10 conductor 'show alarms' "router spoke1 is in local override" 0 ||
	fail "the conductor's alarm outlived the override: $(sh_ conductor 'show alarms')"
lab_until 10 spoke1 'show alarms' "local override is on" 0 ||
	fail "spoke1's alarm outlived the override: $(sh_ spoke1 'show alarms')"
echo "local override: the router keeps its change, the conductor's is held aside with an alarm, then applied"

# best effort: a router that refuses (spoke2's candidate locked) is left
# out of sync instead of failing the commit, and catches up once it can
lock_spoke2
printf 'set authority router hub description "best effort"\ncommit best-effort\n' |
	x conductor svrsh >"$tmp/c5" 2>&1 || fail "a best-effort commit failed: $(cat "$tmp/c5")"
grep -q "Router spoke2 did not take it, out of sync: .*locked by ops" "$tmp/c5" ||
	fail "the commit does not say spoke2 refused: $(cat "$tmp/c5")"
[ "$(desc hub)" = "best effort" ] && [ "$(desc spoke1)" = "best effort" ] ||
	fail "the routers that took it do not have it"
[ "$(desc spoke2)" = "during the override" ] || fail "spoke2 changed although it refused"
sh_ conductor 'show config out-of-sync' | grep -q "^ spoke2  *runs commit [0-9]* of the conductor's [0-9]*: refused: .*locked by ops" ||
	fail "spoke2 is not out of sync with its reason: $(sh_ conductor 'show config out-of-sync')"
kill "$lockpid" 2>/dev/null
wait "$lockpid" 2>/dev/null
i=0
until [ "$(desc spoke2)" = "best effort" ]; do
	i=$((i + 1)); [ $i -lt 400 ] || fail "spoke2 did not catch up once it could: $(desc spoke2)"; sleep 0.1
done
lab_until 10 conductor 'show config out-of-sync' "Every router runs commit" 1 ||
	fail "still out of sync after the catch-up: $(sh_ conductor 'show config out-of-sync')"
echo "best effort: a router that refuses is left out of sync and catches up once it can"
# renewal: the conductor gives a router a new certificate over the
# call-home session (automatically in the last third of its life; here on
# request); the router made the key, the name is the same, and its peers
# take it as before
serial() { openssl x509 -noout -serial -in "$pki/$1/state/pki/node.crt" | sed 's/^serial=//'; }
s_old=$(serial spoke1)
out=$(sh_ conductor 'request certificate-renewal ghost' 2>&1) &&
	fail "a renewal for a router that never called home was taken: $out"
echo "$out" | grep -q "router ghost has not called home" || fail "no reason for the refusal: $out"
sh_ conductor 'request certificate-renewal spoke1' | grep -q "gets a new certificate" ||
	fail "the renewal was not taken"
lab_until 20 conductor 'show log' "conductor: router spoke1 has a new certificate (serial" 1 ||
	fail "spoke1 was not renewed: $(sh_ conductor 'show log' | grep conductor: | tail -3)"
[ "$(serial spoke1)" != "$s_old" ] || fail "spoke1 still has certificate $s_old"
openssl x509 -noout -subject -in "$pki/spoke1/state/pki/node.crt" | grep -q "CN *= *spoke1.lab" ||
	fail "the renewed certificate is not for spoke1.lab"
issued | grep -c '"router": "spoke1"' | grep -q '^2$' || fail "the renewal is not recorded: $(issued)"
lab_restart spoke1 || fail "restarting spoke1"
lab_until 20 conductor 'show assets' "^ spoke1  *spoke1-1  *connected " 1 ||
	fail "spoke1 with its new certificate did not call home: $(sh_ conductor 'show assets')"
# spoke1 started afresh: its key exchange with the hub is new, on the new
# certificate
lab_until 30 spoke1 'show peers security' "Security Status: *MKEY_EXCH_COMP" 1 ||
	fail "the hub does not take spoke1's new certificate: $(sh_ spoke1 'show peers security')"
echo "renewal: a router gets a new certificate from the conductor and goes on with it"

# the router takes the call-home session only from the conductor its
# enrolment named: told another name (as if an enrolled router posed as
# the conductor), it drops the session
link=$pki/spoke1/state/conductor-link.json
cp "$link" "$tmp/link" || fail "no enrolment record on spoke1"
sed -i 's/"conductor-name": *"conductor.lab"/"conductor-name": "other.lab"/' "$link"
lab_stop spoke1 TERM || fail "spoke1's svrd did not stop"
"$SVRLAB" start spoke1 >/dev/null || fail "starting spoke1 again"
lab_until 20 spoke1 'show log' "conductor.lab is not the conductor (other.lab): session dropped" 1 ||
	fail "spoke1 took a session from a conductor of another name: $(sh_ spoke1 'show log' | grep netconf | tail -3)"
lab_until 20 conductor 'show assets' "^ spoke1  *spoke1-1  *disconnected" 1 ||
	fail "the conductor still manages spoke1: $(sh_ conductor 'show assets')"
cp "$tmp/link" "$link"
lab_stop spoke1 TERM || fail "spoke1's svrd did not stop"
"$SVRLAB" start spoke1 >/dev/null || fail "starting spoke1 again"
lab_until 20 conductor 'show assets' "^ spoke1  *spoke1-1  *connected " 1 ||
	fail "spoke1 did not call home again: $(sh_ conductor 'show assets')"
echo "a call-home session from another name than the enrolled conductor's is dropped"

# the conductor restarts: every router calls home again, says which of
# the conductor's commits it runs and what software, and none is sent
# again what it runs
hist() { sh_ "$1" 'show config history' | awk '/^======/ { getline; print $1; exit }'; }
h_hub=$(hist hub)
h_spoke1=$(hist spoke1)
[ -n "$h_hub" ] && [ -n "$h_spoke1" ] || fail "no commit history on the routers"
t0=$(date '+%Y-%m-%d %H:%M:%S') # as show log writes it (local time)
lab_restart conductor || fail "restarting the conductor"
lab_until 30 conductor 'show assets' " connected " 3 ||
	fail "the routers did not call home to the restarted conductor: $(sh_ conductor 'show assets')"
[ "$(hist hub)" = "$h_hub" ] && [ "$(hist spoke1)" = "$h_spoke1" ] ||
	fail "a router's configuration changed: $(sh_ hub 'show config history')"
since_restart() { sh_ conductor 'show log' | awk -v t0="$t0" '$1 " " $2 >= t0'; }
since_restart | grep -q "conductor: router hub called home" ||
	fail "the log does not show the hub calling home: $(since_restart | tail -5)"
since_restart | grep "conductor: router .* was behind" &&
	fail "a router was sent again what it ran"
sh_ conductor 'show assets' | grep -q "^ hub  *hub-1  *connected  *[0-9][0-9]*  *[0-9][0-9.]*[0-9] " ||
	fail "show assets lacks the hub's commit or software: $(sh_ conductor 'show assets')"
lab_until 10 conductor 'show config out-of-sync' "Every router runs commit" 1 ||
	fail "out of sync after the restart: $(sh_ conductor 'show config out-of-sync')"
echo "the conductor restarts: every router calls home again and none is pushed again"

# a router deleted from the authority has its certificate revoked and the
# revocation list goes to every router: added back without enrolling
# again, its former peers refuse it
x conductor svrsh -c 'export config running before-delete' >/dev/null || fail "export on the conductor"
printf 'delete authority router spoke2 force\ndelete authority router hub service-route to-host2 force\ncommit\n' |
	x conductor svrsh >"$tmp/del" 2>&1 || fail "deleting spoke2: $(cat "$tmp/del")"
lab_until 10 hub 'show log' "the conductor's revocation list is in place" 1 ||
	fail "the hub did not get the revocation list: $(sh_ hub 'show log' | tail -5)"
issued | grep -q '"revoked"' || fail "spoke2's certificate is not revoked: $(issued)"
printf 'import config before-delete\ncommit\n' | x conductor svrsh >"$tmp/back" 2>&1 ||
	fail "adding spoke2 back: $(cat "$tmp/back")"
lab_until 20 hub 'show security certificates' "Certificate: *Revoked" 1 ||
	fail "the hub does not refuse spoke2's revoked certificate: $(sh_ hub 'show security certificates')"
lab_until 10 hub 'show alarms' "Peer spoke2 certificate is revoked" 1 ||
	fail "no alarm for spoke2's revoked certificate: $(sh_ hub 'show alarms')"
# and the conductor refuses its calls: what it presents is revoked
refused="conductor: a call from .* was refused: no valid certificate of the authority"
n0=$(sh_ conductor 'show log' | grep -c "$refused")
lab_until 30 conductor 'show log' "$refused" $((n0 + 1)) ||
	fail "the conductor did not refuse spoke2's revoked certificate: $(sh_ conductor 'show log' | grep conductor: | tail -5)"
sh_ conductor 'show assets' | grep -q "^ spoke2  *spoke2-1  *disconnected" ||
	fail "revoked spoke2 is an asset: $(sh_ conductor 'show assets')"
echo "a router deleted from the authority is revoked; its former peers refuse it"
echo "PASS"
