#!/bin/sh
# e2e: the hub-spokes lab: three routers with their own svrd; spoke to
# spoke traffic is an SVR session relayed by the hub, which cannot read
# it (a capture of both its WAN links holds no plaintext); teardown is
# complete.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
need_root "the hub-spokes lab"
command -v tcpdump >/dev/null || { echo "SKIP: no tcpdump"; exit 77; }
need_probe
export SVRLAB_NAME="e2ehs$$"
trap '"$SVRLAB" down >/dev/null 2>&1; test_cleanup' EXIT
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(test_tmpdir)

"$SVRLAB" up hub-spokes || fail "svrlab up"
for r in hub spoke1 spoke2; do
	"$SVRLAB" exec "$r" svrsh -c 'show version' | grep -q "^  Router: *$r\$" ||
		fail "svrd of $r does not answer as $r"
done
# Peers generated from the hub-and-spoke neighborhood: spokes peer the hub only.
flat=$("$SVRLAB" exec spoke1 svrsh -c 'show config running flat verbose')
echo "$flat" | grep -q "^config authority router spoke1 peer hub generated true$" ||
	fail "spoke1 does not peer with the hub"
echo "$flat" | grep -q "^config authority router spoke1 peer spoke2 " &&
	fail "spoke1 peers with spoke2"
echo "$flat" | grep -q "^config authority router hub peer spoke2 generated true$" ||
	fail "the hub does not peer with spoke2"
lab_until 15 hub 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 ||
	fail "hub: key exchange not complete"
for r in spoke1 spoke2; do
	lab_until 15 "$r" 'show peers security' "Security Status: *MKEY_EXCH_COMP" 1 ||
		fail "$r: key exchange not complete"
done
"$SVRLAB" exec host1 ping -c 2 -W 2 203.0.113.130 >/dev/null || fail "host1 -> host2"
# The operational state of a hub and its spokes is YANG data of the model.
for r in hub spoke1 spoke2; do
	state_valid "$r" "$tmp/$r-state.json" || fail "$r: state"
done
grep -q '"relayed-packets": "[1-9]' "$tmp/hub-state.json" || fail "the hub counted no relayed packet"
"$SVRLAB" exec host2 ping -c 2 -W 2 2001:db8:1::2 >/dev/null || fail "host2 -> host1 (IPv6)"
"$SVRLAB" exec hostH ping -c 2 -W 2 203.0.113.2 >/dev/null || fail "hostH -> host1"
sh_ hub 'show sessions' | grep -qE "^[0-9a-f]{8} +transit +icmp .*203.0.113.130:.* spoke2 .*host2-lan" ||
	fail "the hub does not relay host1's ping: $(sh_ hub 'show sessions')"
sh_ spoke2 'show sessions' | grep -qE "^[0-9a-f]{8} +rev +icmp .*203.0.113.2:.* hub " ||
	fail "spoke2 has no session from the hub: $(sh_ spoke2 'show sessions')"

# UDP with a marker from host1 to host2, captured on both of the hub's WANs
relayed0=$(sh_ hub 'show stats' | sed -n 's/^ *Relayed Packets: *//p')
lan_out0=$(sh_ hub 'show stats' | sed -n 's/^ *LAN Out Packets: *//p')
bg host2 "$PROBE" udp-echo 7000
marker="opensvr-marker-$$-hub"
for w in wan1 wan2; do
	bg hub timeout 15 tcpdump -n -i "$w" -U -c 21 -w "$tmp/$w.pcap" udp portrange 16384-65534
	eval "cap_$w=\$!"
done
sleep 1
"$SVRLAB" exec host1 "$PROBE" udp-ping 203.0.113.130 7000 "$marker" 10 6100 ||
	fail "UDP marker not echoed through the hub"
wait "$cap_wan1" "$cap_wan2" 2>/dev/null
for w in wan1 wan2; do
	n=$(tcpdump -n -r "$tmp/$w.pcap" 2>/dev/null | grep -c UDP)
	# 10 each way, and spoke2's acknowledgement of the first
	[ "$n" -eq 21 ] || fail "$n SVR packets on the hub's $w, want 21 (10 each way, 1 ack)"
	tcpdump -n -r "$tmp/$w.pcap" -A 2>/dev/null | grep -q "$marker" &&
		fail "the marker is readable on the hub's $w"
done
relayed() { sh_ hub 'show stats' | sed -n 's/^ *Relayed Packets: *//p'; }
lan_out() { sh_ hub 'show stats' | sed -n 's/^ *LAN Out Packets: *//p'; }
[ $(($(relayed) - relayed0)) -eq 21 ] ||
	fail "the hub relayed $(($(relayed) - relayed0)) packets of the 21: $(sh_ hub 'show stats')"
[ "$(lan_out)" -eq "$lan_out0" ] ||
	fail "the hub delivered spoke traffic itself: $(sh_ hub 'show stats')"
"$SVRLAB" down >/dev/null || fail "svrlab down"
ip netns list | grep -q "^$SVRLAB_NAME-" && fail "namespaces left behind"
echo "PASS"
