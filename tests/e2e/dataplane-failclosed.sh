#!/bin/bash
# The data plane fails closed, in the two-routers lab, for each forwarder
# (nfqueue, pcap, raw-socket): a fragmented ping, and GRE, ESP and SCTP
# packets from hostA to hostB, each carrying a marker, are carried by SVR
# or dropped, never seen in clear on routerA's WAN.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
need_root "the fail-closed data plane lab test"
command -v tcpdump >/dev/null || { echo "SKIP: no tcpdump"; exit 77; }
export SVRLAB_NAME="dpfc$$"
trap '"$SVRLAB" down >/dev/null 2>&1; test_cleanup' EXIT
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(test_tmpdir)


"$SVRLAB" up two-routers >/dev/null || fail "svrlab up two-routers"
for r in routerA routerB; do
	lab_until 15 "$r" 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 ||
		fail "$r: key exchange not complete"
done
need_probe
# the marker; also ping's 16-byte pattern
marker=opensvr-mark-fc!
pattern=$(printf '%s' "$marker" | od -An -tx1 | tr -d ' \n')

for fwd in nfqueue pcap raw-socket; do
	for r in routerA routerB; do
		printf 'set authority router %s node %s-1 forwarder %s\ncommit\n' "$r" "$r" "$fwd" |
			"$SVRLAB" exec "$r" svrsh >"$tmp/commit.out" 2>&1 ||
			fail "$fwd: commit on $r: $(cat "$tmp/commit.out")"
		lab_until 5 "$r" 'show stats' "Forwarder: *$fwd\$" 1 ||
			fail "$fwd: not running on $r: $(sh_ "$r" 'show stats'; sh_ "$r" 'show alarms')"
	done
	x hostA ping -c 2 -W 2 203.0.113.2 >/dev/null || fail "$fwd: ping hostA -> hostB"
	bg routerA timeout 8 tcpdump -n -i wan0 -U -w "$tmp/$fwd.pcap"
	cap=$!
	sleep 1
	# 3000 bytes of ICMP: hostA sends it in fragments (its LAN's MTU is 1500)
	x hostA ping -c 2 -W 1 -s 3000 -p "$pattern" 203.0.113.2 >/dev/null 2>&1
	# GRE (and ESP, SCTP) with the marker
	for proto in 47 50 132; do
		x hostA "$PROBE" ip-send 203.0.113.2 $proto "$marker" 2 || fail "$fwd: ip-send $proto"
	done
	sleep 1
	wait "$cap" 2>/dev/null
	[ -s "$tmp/$fwd.pcap" ] || fail "$fwd: nothing captured on routerA's WAN"
	grep -q -a "$marker" "$tmp/$fwd.pcap" &&
		fail "$fwd: the marker crossed the WAN in clear: $(tcpdump -n -r "$tmp/$fwd.pcap" 2>/dev/null | grep -v 'UDP' | head -5)"
	tcpdump -n -r "$tmp/$fwd.pcap" 'ip proto 47 or ip proto 50 or ip proto 132 or icmp' 2>/dev/null |
		grep -q . && fail "$fwd: GRE, ESP, SCTP or ICMP on the WAN in clear: $(tcpdump -n -r "$tmp/$fwd.pcap" 2>/dev/null | head -5)"
	# the GRE packets made an SVR session (protocol 47); the fragments, if
	# the forwarder saw them unreassembled, were counted
	sh_ routerA 'show sessions | display json' | grep -q '"protocol": *47' ||
		fail "$fwd: GRE is not an SVR session: $(sh_ routerA 'show sessions')"
	passed=$(sh_ routerA 'show stats' | sed -n 's/^ *Passed To The Kernel: *//p')
	echo "$fwd: a fragmented ping and GRE with a marker, none of it in clear on the WAN (passed: ${passed:-?}, fragments dropped: $(sh_ routerA 'show stats' | sed -n 's/^ *Dropped, fragment: *//p'))"
done
exit 0
