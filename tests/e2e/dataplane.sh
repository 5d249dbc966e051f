#!/bin/sh
# e2e: SVR sessions through the data plane of the two-routers lab, once
# for each forwarder (nfqueue, pcap, raw-socket), committed on both
# routers in turn.  For each: ping both ways (IPv4) and one way (IPv6),
# and svrsh's ping and traceroute from the router's LAN address;
# UDP with a marker string, captured on the WAN: no plaintext of the
# marker, and metadata only on the first packets of the session; a TCP
# transfer whose checksum matches while the metadata keys are regenerated
# on both routers and the peers rekeyed; 1,000 concurrent sessions; and
# routerB restarted in the middle of a flow, which carries on.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
need_root "the data plane lab test"
command -v tcpdump >/dev/null || { echo "SKIP: no tcpdump"; exit 77; }
export SVRLAB_NAME="e2edp$$"
trap '"$SVRLAB" down >/dev/null 2>&1; test_cleanup' EXIT
fail() { echo "FAIL: $*"; exit 1; }
need_probe
tmp=$(test_tmpdir)


"$SVRLAB" up two-routers >/dev/null || fail "svrlab up two-routers"
for r in routerA routerB; do
	lab_until 15 "$r" 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 ||
		fail "$r: key exchange not complete"
done
# servers on hostB (and hostA, for the reverse direction)
bg hostB "$PROBE" udp-echo 7000
bg hostA "$PROBE" udp-echo 7000
marker="opensvr-marker-$$-e2e"
head -c 4000000 /dev/urandom >"$tmp/data"
want=$(sha256sum <"$tmp/data" | cut -d' ' -f1)

for fwd in nfqueue pcap raw-socket; do
	for r in routerA routerB; do
		printf 'set authority router %s node %s-1 forwarder %s\ncommit\n' "$r" "$r" "$fwd" |
			"$SVRLAB" exec "$r" svrsh >"$tmp/commit.out" 2>&1 ||
			fail "$fwd: commit on $r: $(cat "$tmp/commit.out")"
		lab_until 5 "$r" 'show stats' "Forwarder: *$fwd\$" 1 ||
			fail "$fwd: not running on $r: $(sh_ "$r" 'show stats'; sh_ "$r" 'show alarms')"
	done
	x hostA ping -c 3 -W 2 203.0.113.2 >/dev/null || fail "$fwd: ping hostA -> hostB"
	x hostB ping -c 3 -W 2 192.0.2.2 >/dev/null || fail "$fwd: ping hostB -> hostA"
	x hostA ping -c 3 -W 2 2001:db8:b::2 >/dev/null || fail "$fwd: ping hostA -> hostB (IPv6)"
	sh_ routerA 'show sessions' | grep -q "icmp .*203.0.113.2:.* routerB .*hostB-lan" ||
		fail "$fwd: the ping is not an SVR session: $(sh_ routerA 'show sessions')"
	# svrsh's ping from routerA's LAN address: through SVR with nfqueue,
	# which sees the router's own packets; dropped by the captures, which
	# do not (never in clear: the session, or no reply)
	out=$(sh_ routerA 'ping 203.0.113.2 count 2')
	if [ "$fwd" = nfqueue ]; then
		echo "$out" | grep -q "2 received" || fail "$fwd: svrsh ping: $out"
		sh_ routerA 'show sessions address 192.0.2.1' | grep -q "icmp .*routerB .*hostB-lan" ||
			fail "$fwd: svrsh's ping is not an SVR session: $(sh_ routerA 'show sessions')"
		out=$(sh_ routerA 'traceroute 2001:db8:b::2')
		echo "$out" | grep -qE "^ +1 +2001:db8:b::2 " ||
			fail "$fwd: traceroute through SVR (one hop): $out"
	else
		echo "$out" | grep -q "% Error: no reply" ||
			fail "$fwd: the router's own LAN-sourced ping was not dropped: $out"
	fi

	# UDP with a marker, captured on routerA's WAN side
	bg routerA timeout 15 tcpdump -n -i wan0 -U -c 11 -w "$tmp/$fwd.pcap" \
		udp portrange 16384-65534
	cap=$!
	sleep 1
	# from a port of its own: a new session, whatever ran before
	sport=$((6000 + $(echo "$fwd" | wc -c)))
	x hostA "$PROBE" udp-ping 203.0.113.2 7000 "$marker" 5 "$sport" ||
		fail "$fwd: UDP marker not echoed"
	wait "$cap" 2>/dev/null
	tcpdump -n -r "$tmp/$fwd.pcap" -A 2>/dev/null | grep -q "$marker" &&
		fail "$fwd: the marker crossed the WAN in plain text"
	total=$(tcpdump -n -r "$tmp/$fwd.pcap" 2>/dev/null | grep -c 'UDP')
	# the cookie 4C48DBC6DDF6670C right after the UDP header (offset 28)
	meta=$(tcpdump -n -r "$tmp/$fwd.pcap" -x 2>/dev/null |
		awk '/^[0-9]/ { if (h != "") print h; h = "" } /0x00[0-9a-f]0:/ { for (i = 2; i <= NF; i++) h = h $i } END { print h }' |
		grep -c '^.\{56\}4c48dbc6ddf6670c')
	# 5 each way, and routerB's acknowledgement of the first
	[ "$total" -eq 11 ] || fail "$fwd: $total UDP packets on the WAN, want 11"
	[ "$meta" -ge 1 ] && [ "$meta" -le 3 ] ||
		fail "$fwd: $meta of $total packets carry metadata (want the first ones only)"
	echo "$fwd: 11 packets on the WAN, $meta with metadata, no plaintext"

	# 1400-byte datagrams: never fragmented on the 1500-byte WAN, the
	# first one's metadata sent ahead of it
	bg routerA timeout 15 tcpdump -n -v -i wan0 -U -c 7 -w "$tmp/$fwd-1400.pcap" \
		udp portrange 16384-65534 or '(ip[6:2] & 0x3fff != 0)'
	cap=$!
	sleep 1
	x hostA "$PROBE" udp-ping 203.0.113.2 7000 "$(printf '%1400s' '' | tr ' ' m)" 3 \
		$((sport + 100)) || fail "$fwd: 1400-byte datagrams not echoed"
	wait "$cap" 2>/dev/null
	tcpdump -n -v -r "$tmp/$fwd-1400.pcap" 2>/dev/null | grep -q "flags \[+\]\|frag\|offset [1-9]" &&
		fail "$fwd: fragments on the WAN: $(tcpdump -n -v -r "$tmp/$fwd-1400.pcap" 2>/dev/null)"
	big=$(tcpdump -n -v -r "$tmp/$fwd-1400.pcap" 2>/dev/null | sed -n 's/.*, length \([0-9]*\)).*/\1/p' | sort -n | tail -1)
	[ "${big:-0}" -gt 1400 ] && [ "$big" -le 1500 ] ||
		fail "$fwd: largest WAN packet $big bytes, want 1401-1500"
	echo "$fwd: 1400-byte datagrams cross in single packets of $big bytes"

	# TCP, checksummed, with the metadata keys regenerated during it
	port=$((8000 + $(echo "$fwd" | wc -c)))
	bg hostB sh -c "'$PROBE' tcp-sink $port | sha256sum | cut -d' ' -f1 >'$tmp/$fwd.sum'"
	sink=$!
	sleep 0.3
	(sleep 0.2; sh_ routerA 'security metadata-key regenerate' >/dev/null;
		sh_ routerB 'security metadata-key regenerate' >/dev/null;
		sh_ routerA 'security peer-key rekey' >"$tmp/rekey.out") &
	regen=$!
	x hostA "$PROBE" tcp-send 203.0.113.2 "$port" <"$tmp/data" || fail "$fwd: TCP send"
	wait "$sink" 2>/dev/null
	wait "$regen"
	[ "$(cat "$tmp/$fwd.sum")" = "$want" ] || fail "$fwd: TCP data differs after the transfer"
	grep -q "^Peer keys renewed with every peer" "$tmp/rekey.out" ||
		fail "$fwd: peer rekey: $(cat "$tmp/rekey.out")"
	echo "$fwd: 4 MB over TCP, checksum matches, metadata keys regenerated and peers rekeyed during it"

	x hostA "$PROBE" udp-many 203.0.113.2 7000 1000 >"$tmp/many" ||
		fail "$fwd: $(cat "$tmp/many")"
	n=$(sh_ routerB 'show sessions' | sed -n 's/^\([0-9]*\) sessions*$/\1/p')
	[ "${n:-0}" -ge 1000 ] || fail "$fwd: routerB has $n sessions, want 1,000 or more"
	echo "$fwd: 1,000 concurrent sessions"
	# nothing lost to the key changes, either way
	for r in routerA routerB; do
		drops=$(sh_ $r 'show stats' | awk -F: '/Dropped, (bad tag|replay|bad metadata|unknown key index|no peer key)/ { s += $2 } END { print s + 0 }')
		[ "$drops" -eq 0 ] || fail "$fwd: $r dropped packets: $(sh_ $r 'show stats')"
	done
done
# routerB restarts in the middle of a flow: routerA's session goes on
# without metadata, routerB has none and asks for it again, and the flow
# carries on (sequence numbers from routerB's clock, under routerA's key)
flow="x hostA $PROBE udp-ping 203.0.113.2 7000 restart-marker 1 6300"
$flow >/dev/null || fail "the flow before the restart"
asked() { sh_ routerA 'show stats' | sed -n 's/^ *Metadata Asked Again: *//p'; }
asked0=$(asked)
lab_restart routerB || fail "restarting routerB's svrd"
lab_until 15 routerB 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 ||
	fail "routerB: no key exchange after its restart"
ok=0
for _ in 1 2 3 4 5; do
	$flow >/dev/null 2>&1 && ok=$((ok + 1))
done
[ "$ok" -ge 4 ] || fail "the flow after routerB's restart: $ok of 5 echoed"
[ "$(asked)" -gt "$asked0" ] || fail "routerB did not ask for the metadata again: $(sh_ routerA 'show stats')"
echo "routerB restarted mid-flow: it asked for the metadata, $ok of 5 echoed after"

# the kernel's path MTU for a working path
sh_ routerA 'show peers security' | grep -q "^  Path Mtu: *1500$" ||
	fail "no path MTU: $(sh_ routerA 'show peers security')"
# A forwarder that cannot start (an interface that is not there) is a
# CRITICAL alarm (the forwarding guard drops what it would carry) and
# leaves no rule of its own behind; it comes back when the cause goes.
printf 'set authority router routerA node routerA-1 device-interface lan9 network-interface lan9\ncommit\n' |
	"$SVRLAB" exec routerA svrsh >"$tmp/lan9.out" 2>&1 || fail "adding lan9: $(cat "$tmp/lan9.out")"
lab_until 5 routerA 'show alarms' "CRITICAL .*forwarder raw-socket is not running: no interface lan9 here" 1 ||
	fail "no alarm for a forwarder that cannot start: $(sh_ routerA 'show alarms')"
x routerA iptables -t mangle -S | grep -q -- '-N OPENSVR$' && fail "rules left while the forwarder is down"
printf 'delete authority router routerA node routerA-1 device-interface lan9\ncommit\n' |
	"$SVRLAB" exec routerA svrsh >/dev/null 2>&1 || fail "removing lan9"
lab_until 5 routerA 'show alarms' "forwarder raw-socket" 0 || fail "the forwarder alarm did not clear"
x hostA ping -c 2 -W 2 203.0.113.2 >/dev/null || fail "no traffic once the forwarder is back"
echo "a forwarder that cannot start: alarm, no rules; back when the cause went"
# the rules go with the forwarder, the guard with the commit
printf 'set authority enhanced-security-key-management false\ncommit\n' |
	"$SVRLAB" exec routerA svrsh >/dev/null || fail "turning key management off"
x routerA iptables -t mangle -S | grep -q OPENSVR && fail "rules left behind on routerA"
echo "PASS"
