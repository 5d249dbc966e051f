#!/bin/sh
# e2e: an off-path attacker who knows the peers' addresses floods routerA's
# UDP 1280 with key-exchange CERT datagrams from routerB's own address, at
# 10,000 a second: a self-signed certificate for routerB's peering name
# with a key of its own, and copies with a broken signature.  The real
# peering stays up on both paths with the same keys (no new salt), a
# session opened during the flood and one after it are carried, and
# routerA says a different key was presented (doc/security.md, "Control
# plane").  Against svrd before the authenticated control plane, the
# session opened during the flood failed: the datagrams re-pinned routerB,
# cleared its keys and took BFD down.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
need_root "the spoofed-peer lab test"
command -v openssl >/dev/null || { echo "SKIP: no openssl command"; exit 77; }
export SVRLAB_NAME="e2esp$$"
trap '"$SVRLAB" down >/dev/null 2>&1; test_cleanup' EXIT
fail() { echo "FAIL: $*"; exit 1; }
need_probe
tmp=$(test_tmpdir)
salts() { sh_ routerA 'show peers security' | sed -n 's/^  Salt: *//p' | sort | tr '\n' ' '; }

"$SVRLAB" up two-routers >/dev/null || fail "svrlab up two-routers"
for r in routerA routerB; do
	printf 'set authority router %s node %s-1 forwarder nfqueue\ncommit\n' "$r" "$r" |
		x "$r" svrsh >"$tmp/commit.out" 2>&1 || fail "commit on $r: $(cat "$tmp/commit.out")"
done
for r in routerA routerB; do
	lab_until 15 "$r" 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 ||
		fail "$r: key exchange not complete"
	lab_until 5 "$r" 'show stats' "Forwarder: *nfqueue\$" 1 || fail "$r: no forwarder"
done
bg hostB "$PROBE" udp-echo 7000
# the echo server and the forwarders are up when a session is carried
ok=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	x hostA "$PROBE" udp-ping 203.0.113.2 7000 before 1 "$((6100 + i))" >/dev/null 2>&1 && ok=1 && break
done
[ $ok -eq 1 ] || fail "no session before the flood: $(sh_ routerA 'show stats')"
before=$(salts)

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/evil.key" \
	-out "$tmp/evil.pem" -days 30 -subj /CN=routerB.lab \
	-addext subjectAltName=URI:urn:ssr:peering:routerB.lab >/dev/null 2>&1 &&
	openssl x509 -in "$tmp/evil.pem" -outform DER -out "$tmp/evil.der" ||
	fail "making the attacker's certificate"

# 10,000 datagrams in a second, from routerB's WAN address (IPv4), while
# hostA opens a new session
bg routerB "$PROBE" spoof-cert 198.51.100.2 198.51.100.1 "$tmp/evil.der" 10000 10000
flood=$!
x hostA "$PROBE" udp-ping 203.0.113.2 7000 during 3 6202 || fail "a new session failed during the flood"
wait "$flood" || fail "the flood did not run"

x hostA "$PROBE" udp-ping 203.0.113.2 7000 after 3 6203 || fail "a new session failed after the flood"
out=$(sh_ routerA 'show peers security')
[ "$(echo "$out" | grep -c 'Security Status: *MKEY_EXCH_COMP')" -eq 2 ] ||
	fail "routerA's peering with routerB did not survive: $out"
[ "$(echo "$out" | grep -c '^  Status: *up$')" -eq 2 ] || fail "paths not up: $out"
[ "$(salts)" = "$before" ] || fail "the flood made routerA start a new key exchange: $before -> $(salts)"
lab_until 15 routerB 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 ||
	fail "routerB lost the peering: $(sh_ routerB 'show peers security')"
lab_until 5 routerA 'show alarms' "CRITICAL .*Peer routerB presented a key that is not the one pinned" 1 ||
	fail "no alarm for the other key: $(sh_ routerA 'show alarms')"
sh_ routerA 'show alarms' | grep -q "not reachable" && fail "routerB reported unreachable"
echo "PASS: 10,000 spoofed CERT datagrams: peering kept, same keys, sessions carried, alarm raised"
