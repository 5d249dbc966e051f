#!/bin/sh
# e2e: the certificate lifecycle in the two-routers lab, with a test CA
# made here with openssl.  Both routers present CA-signed certificates
# (client-certificate "local", a file in each router's state directory).
# routerB then presents, in turn, an expired, a revoked, a wrong-name and
# an untrusted certificate ("reload local certificates" after each), under
# fail-soft and under fail-hard alike: routerA refuses it and says so, and
# routerB never obtains a key from it (doc/security.md).  After each, the
# good certificate goes back, routerB reloads, and everything recovers by
# itself and the alarm clears.  A revocation list replaced on disk is read
# at once: the certificate routerA authenticated before is revoked, and
# fail-soft keeps its keys with a CRITICAL alarm; under fail-hard the
# revocation reaches the data plane: the session carried with routerB ends
# and nothing more is carried to it.  Then: alarms
# come back after an svrd restart while their cause holds, and a peer
# that stops speaking key management is reported.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
need_root "the certificate lifecycle lab test"
command -v openssl >/dev/null || { echo "SKIP: no openssl command"; exit 77; }
export SVRLAB_NAME="e2ecl$$"
trap '"$SVRLAB" down >/dev/null 2>&1; test_cleanup' EXIT
fail() { echo "FAIL: $*"; exit 1; }
need_probe
command -v tcpdump >/dev/null || { echo "SKIP: no tcpdump"; exit 77; }
batch_() { printf '%s\n' "$2" | "$SVRLAB" exec "$1" svrsh 2>&1; }

# ---- a test CA, and every certificate the test presents ------------------
ca=$(test_tmpdir)
. "${top_srcdir:-.}/tests/e2e/lab-ca.sh"
lab_ca "$ca" || fail "making the test CA and certificates"

lab_ca_up "$ca"
for r in routerA routerB; do
	lab_until 15 "$r" 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 ||
		fail "$r: not complete with CA-signed certificates: $(sh_ "$r" 'show peers security')"
	sh_ "$r" 'show security security-associations routerA detail' >/dev/null
done
sh_ routerA 'show security security-associations routerB detail' |
	grep -q "^Peer Certificate: Valid$" || fail "routerB's CA-signed certificate is not valid"
[ -z "$(sh_ routerA 'show alarms' | grep ':[0-9]')" ] ||
	fail "alarms with valid certificates: $(sh_ routerA 'show alarms')"

present() { lab_ca_present "$ca" "$1"; } # routerB presents KIND.pem from now on

# alarm text on routerA for each kind
message() {
	case $1 in
	expired) echo "Peer routerB certificate is invalid: expired - not after 2020-02-01" ;;
	revoked) echo "Peer routerB certificate is revoked" ;;
	wrong-name) echo "Unable to authenticate peer routerB: wrong name - neither CN nor SAN URI is routerB.lab" ;;
	untrusted) echo "Unable to authenticate peer routerB: untrusted" ;;
	esac
}

behaviour() { lab_ca_behaviour "$ca" "$1"; }

# what routerA says when routerB presents KIND, having authenticated
# routerB's good certificate before
refused() {
	case $1 in
	expired) echo "A certificate for peer routerB was refused (expired - not after 2020-02-01" ;;
	revoked) echo "A certificate for peer routerB was refused (revoked" ;;
	wrong-name) echo "A certificate for peer routerB was refused (wrong name - neither CN nor SAN URI is routerB.lab" ;;
	untrusted) echo "A certificate for peer routerB was refused (untrusted" ;;
	esac
}

recover() { # KIND BEHAVIOUR
	present b
	lab_until 20 routerA 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 ||
		fail "$2 $1: not complete again with the good certificate: $(sh_ routerA 'show peers security')"
	lab_until 20 routerB 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 ||
		fail "$2 $1: routerB not complete again: $(sh_ routerB 'show peers security')"
	lab_until 10 routerA 'show peers security' "^  Status: *up$" 2 ||
		fail "$2 $1: paths not up again: $(sh_ routerA 'show peers security')"
	lab_until 10 routerA 'show alarms' "\(CRITICAL\|MAJOR\) .*routerB" 0 ||
		fail "$2 $1: the alarms did not clear: $(sh_ routerA 'show alarms')"
	lab_until 10 routerB 'show alarms' "has not accepted the certificate" 0 ||
		fail "$2 $1: routerB's refused alarm did not clear: $(sh_ routerB 'show alarms')"
}

for how in fail-soft fail-hard; do
	behaviour $how
	for kind in expired revoked wrong-name untrusted; do
		present "$kind"
		lab_until 10 routerA 'show alarms' "MAJOR .*$(refused $kind)" 1 ||
			fail "$how $kind: no alarm on routerA: $(sh_ routerA 'show alarms')"
		# never taken: routerB, which dropped its keys to present it, gets
		# none from routerA
		lab_until 10 routerB 'show peers security' "Security Status: *MKEY_EXCH_COMP" 0 ||
			fail "$how $kind: routerB keyed with a refused certificate: $(sh_ routerB 'show peers security')"
		case $kind in
		revoked)
			# the refused side learns it: routerA's datagrams arrive, our
			# certificate is never acknowledged
			lab_until 25 routerB 'show alarms' "MAJOR .*Peer routerA has not accepted the certificate of routerB" 1 ||
				fail "$how $kind: routerB does not know it is refused: $(sh_ routerB 'show alarms')"
			sa=$(sh_ routerB 'show security security-associations routerA detail')
			echo "$sa" | grep -q "^State: DOWN (the peer does not accept this router's certificate" ||
				fail "$how $kind: routerB's association with routerA: $sa"
			;;
		esac
		case $kind in
		expired | wrong-name)
			# routerB tells its own operator what it presents
			lab_until 5 routerB 'show alarms' "Client certificate of routerB: local" 1 ||
				fail "$how $kind: no client-certificate alarm on routerB: $(sh_ routerB 'show alarms')"
			;;
		esac
		recover "$kind" $how
		echo "$how $kind: refused with an alarm, never keyed, recovered"
	done
done
behaviour fail-soft

# The revocation list changes under routerA: routerB's own certificate is
# revoked.  svrd watches file:// lists, so routerA reads the new one at
# once (not at the next poll, a minute away) and raises the alarm; putting
# the old list back clears it.
cp "$ca/crl.pem" "$ca/crl-before.pem"
(
	cd "$ca"
	openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -revoke b.crt &&
		openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -gencrl -out crl.new &&
		mv crl.new crl.pem
) >/dev/null 2>&1 || fail "revoking routerB's certificate"
cp "$ca/crl.pem" "$ca/crl-b-revoked.pem"
lab_until 10 routerA 'show alarms' "CRITICAL .*Peer routerB certificate is revoked" 1 ||
	fail "a new revocation list was not read at once: $(sh_ routerA 'show alarms')"
lab_until 15 routerA 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 ||
	fail "fail-soft: not complete with a revoked certificate"
cp "$ca/crl-before.pem" "$ca/crl.new" && mv "$ca/crl.new" "$ca/crl.pem"
lab_until 10 routerA 'show alarms' "CRITICAL .*routerB" 0 ||
	fail "the old revocation list back, the alarm did not clear: $(sh_ routerA 'show alarms')"
lab_until 15 routerA 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 ||
	fail "not complete after the revocation list changed back"
echo "revocation list replaced: read at once, alarm raised and cleared"

# The same under fail-hard, with a session carried from hostA to hostB:
# the revocation reaches routerA's data plane, not only its key exchange.
# The session with routerB ends and nothing more is carried to it, until
# the old list comes back.
behaviour fail-hard
lab_until 20 routerA 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 ||
	fail "fail-hard: not complete before the revocation"
bg hostB "$PROBE" udp-echo 7000
udp_ok() { x hostA "$PROBE" udp-ping 203.0.113.2 7000 "crl-$1" 1 7301 >/dev/null 2>&1; }
ok=0
for i in 1 2 3 4 5; do udp_ok "$i" && ok=1 && break; done
[ "$ok" = 1 ] || fail "fail-hard: no traffic before the revocation: $(sh_ routerA 'show stats')"
sh_ routerA 'show sessions' | grep -q "udp .*203.0.113.2:7000 .*routerB" ||
	fail "fail-hard: no session with routerB: $(sh_ routerA 'show sessions')"
# the list that revokes routerB's certificate, made in the section above
cp "$ca/crl-b-revoked.pem" "$ca/crl.new" && mv "$ca/crl.new" "$ca/crl.pem"
lab_until 10 routerA 'show alarms' "CRITICAL .*Peer routerB certificate is revoked" 1 ||
	fail "fail-hard: the revocation was not read: $(sh_ routerA 'show alarms')"
lab_until 5 routerA 'show sessions' "routerB" 0 ||
	fail "fail-hard: the session with a revoked peer stayed: $(sh_ routerA 'show sessions')"
sa=$(sh_ routerA 'show security security-associations routerB detail')
echo "$sa" | grep -q "^State: DOWN (its certificate was refused" ||
	fail "fail-hard: the association of a revoked peer: $sa"
echo "$sa" | grep -q "^Peer Certificate: Revoked$" || fail "fail-hard: the certificate verdict: $sa"
# routerA still routes the service to routerB: its packets are dropped,
# never passed in clear (a control ping from routerA, which is not the
# LAN's traffic, shows in clear once the marker would have)
lab_capture routerA wan0 "$ca/revoked.pcap" || fail "fail-hard: no capture on routerA wan0"
rcap=$CAPTURE_PID
udp_ok after && fail "fail-hard: traffic still carried to a revoked peer"
x routerA ping -c 1 -W 1 -p 636c636f6e74726f6c 198.51.100.2 >/dev/null 2>&1 # "clcontrol"
capture_until 5 "$ca/revoked.pcap" clcontrol || fail "fail-hard: control ping not seen on the WAN"
kill "$rcap" 2>/dev/null
wait "$rcap" 2>/dev/null
capture_has "$ca/revoked.pcap" "crl-after" &&
	fail "fail-hard: a packet for the revoked peer's service crossed the WAN in clear"
cp "$ca/crl-before.pem" "$ca/crl.new" && mv "$ca/crl.new" "$ca/crl.pem"
lab_until 10 routerA 'show alarms' "CRITICAL .*Peer routerB certificate is revoked" 0 ||
	fail "fail-hard: the old list back, the alarm did not clear: $(sh_ routerA 'show alarms')"
# the peering comes back by itself: routerA judges routerB afresh and the
# exchange starts over from the certificates, routerB still keyed
lab_until 30 routerA 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 ||
	fail "fail-hard: not complete after the old list came back: $(sh_ routerA 'show peers security')"
ok=0
for i in 1 2 3 4 5; do udp_ok "back$i" && ok=1 && break; done
[ "$ok" = 1 ] || fail "fail-hard: no traffic after the old list came back"
echo "fail-hard revocation: the data plane ended the session and carried nothing more"

# Alarms are evaluated again after a restart, not saved: with routerB
# presenting an expired certificate, a restarted routerA (which has no
# certificate of routerB pinned any more) raises it anew, as CRITICAL.
behaviour fail-soft
present expired
lab_until 10 routerA 'show alarms' "MAJOR .*$(refused expired)" 1 || fail "no alarm before the restart"
lab_restart routerA || fail "restarting routerA's svrd"
lab_until 15 routerA 'show alarms' "CRITICAL .*$(message expired)" 1 ||
	fail "the alarm did not come back after the restart: $(sh_ routerA 'show alarms')"
recover expired restart
echo "restart: the alarm was raised again while its cause held"

# A peer that stops speaking key management (BFD only) is reported.
batch_ routerB 'set authority enhanced-security-key-management false
commit' >/dev/null || fail "turning key management off on routerB"
lab_until 20 routerA 'show alarms' "CRITICAL .*Peering with routerB failed: the peer does not speak enhanced security key management" 1 ||
	fail "no alarm for a peer without key management: $(sh_ routerA 'show alarms')"
# the security association says what the alarm says, and a peer that
# does not speak key management is not said to refuse our certificate
sh_ routerA 'show alarms' | grep -q "has not accepted" &&
	fail "a peer without key management said to refuse our certificate: $(sh_ routerA 'show alarms')"
sa=$(sh_ routerA 'show security security-associations routerB detail')
echo "$sa" | grep -q "^State: DOWN (the peer does not speak enhanced security key management)$" ||
	fail "the association of a peer without key management: $sa"
batch_ routerB 'set authority enhanced-security-key-management true
commit' >/dev/null || fail "turning key management on again on routerB"
lab_until 20 routerA 'show alarms' "does not speak" 0 ||
	fail "the key management alarm did not clear: $(sh_ routerA 'show alarms')"
lab_until 20 routerA 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 ||
	fail "not complete after key management came back"
lab_until 10 routerA 'show security security-associations routerB detail' "^State: UP$" 1 ||
	fail "the association did not come back up: $(sh_ routerA 'show security security-associations routerB detail')"
echo "PASS"
