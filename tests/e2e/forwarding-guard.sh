#!/bin/sh
# e2e: the data plane fails closed (the forwarding guard) in the
# two-routers lab.  A UDP marker from hostA to hostB never shows in clear,
# neither on routerA's WAN link nor at hostB, and neither does a ping
# that routerA itself sends from its LAN address (what svrsh's ping and
# traceroute send: chain OPENSVR-GUARD-OUT), while routerA's svrd is
# stopped (SIGTERM, then SIGKILL), while its forwarder cannot open (an
# interface that is not there: a CRITICAL alarm says so), and while key
# management is not running (the node identity cannot be loaded: a
# CRITICAL alarm too); each time svrd carries it encrypted again once the
# cause is gone.  Only the operator removes the guard: svrd
# --clear-forwarding-guard (refused while svrd runs), or a commit that
# leaves no service routed to a peer.
#
# Nothing arriving proves nothing by itself: after each marker, routerA
# sends a control ping to hostB in clear (it is not LAN traffic), and the
# captures are read only once both show it; a marker that leaked would
# have crossed before it.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
need_root "the forwarding guard lab test"
command -v tcpdump >/dev/null || { echo "SKIP: no tcpdump"; exit 77; }
export SVRLAB_NAME="gdfg$$"
trap '"$SVRLAB" down >/dev/null 2>&1; test_cleanup' EXIT
fail() { echo "FAIL: $*"; exit 1; }
need_probe
# one datagram from hostA to hostB's echo port, no answer awaited
udp_send() { x hostA bash -c 'printf %s "$1" >/dev/udp/203.0.113.2/7000' udp_send "$1"; }
tmp=$(test_tmpdir)
state=${SVRLAB_RUN:-/run/svrlab}/$SVRLAB_NAME/routerA/state
marker="opensvr-guard-$$"
ctl=6764636f6e74726f6c # "gdcontrol", the control ping's pattern
own=67646f776e6c616e     # "gdownlan", routerA's own ping from its LAN address
step=0

guard_rules() { x routerA iptables -w -t mangle -S 2>/dev/null | grep -c -- '-j OPENSVR-GUARD\(-OUT\)\?$\|^-A OPENSVR-GUARD\(-OUT\)\? .*-j DROP$'; }
# the router's own packets from its LAN address are guarded too
own_guard() { x routerA iptables -w -t mangle -S 2>/dev/null | grep -q -- '^-A OPENSVR-GUARD-OUT -s 192.0.2.0/24 -d 203.0.113.0/24 -j DROP$'; }

# sent_not_clear WHAT: three markers from hostA to hostB; none may show
# in clear on routerA's WAN link or at hostB.
sent_not_clear() {
	step=$((step + 1))
	lab_capture routerA wan0 "$tmp/wan$step.pcap" || fail "$1: no capture on routerA wan0"
	wcap=$CAPTURE_PID
	lab_capture hostB eth0 "$tmp/hostb$step.pcap" || fail "$1: no capture on hostB eth0"
	hcap=$CAPTURE_PID
	for i in 1 2 3; do
		udp_send "$marker-$step-$i" ||
			fail "$1: hostA cannot send"
	done
	x routerA ping -c 1 -W 1 -I 192.0.2.1 -p "$own" 203.0.113.2 >/dev/null 2>&1 &&
		fail "$1: routerA's own ping from its LAN address was answered"
	x routerA ping -c 1 -W 1 -p "$ctl" 203.0.113.2 >/dev/null 2>&1
	capture_until 5 "$tmp/wan$step.pcap" gdcontrol || fail "$1: control ping not seen on the WAN"
	capture_until 5 "$tmp/hostb$step.pcap" gdcontrol || fail "$1: control ping not seen at hostB"
	kill "$wcap" "$hcap" 2>/dev/null
	wait "$wcap" "$hcap" 2>/dev/null
	capture_has "$tmp/wan$step.pcap" "$marker-$step" &&
		fail "$1: the marker crossed routerA's WAN in clear"
	capture_has "$tmp/hostb$step.pcap" "$marker-$step" &&
		fail "$1: the marker reached hostB in clear"
	capture_has "$tmp/wan$step.pcap" gdownlan &&
		fail "$1: routerA's own ping from its LAN address crossed the WAN in clear"
	echo "$1: no marker in clear on the WAN or at hostB, nor routerA's own ping"
}

# carried WHAT: markers echoed through SVR, never in clear on the WAN.
carried() {
	step=$((step + 1))
	lab_until 15 routerA 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 ||
		fail "$1: no key exchange on routerA: $(sh_ routerA 'show peers security')"
	lab_until 5 routerA 'show stats' "Forwarder: *nfqueue\$" 1 ||
		fail "$1: forwarder not running: $(sh_ routerA 'show alarms')"
	lab_capture routerA wan0 "$tmp/wan$step.pcap" || fail "$1: no capture on routerA wan0"
	wcap=$CAPTURE_PID
	ok=0
	for i in 1 2 3 4 5; do # the first may meet a routerB still learning the new keys
		x hostA "$PROBE" udp-ping 203.0.113.2 7000 "$marker-$step" 1 $((7100 + step * 10 + i)) \
			>/dev/null 2>&1 && ok=$((ok + 1))
		[ "$ok" -ge 2 ] && break
	done
	kill "$wcap" 2>/dev/null
	wait "$wcap" 2>/dev/null
	[ "$ok" -ge 2 ] || fail "$1: the marker is not carried: $(sh_ routerA 'show stats')"
	capture_has "$tmp/wan$step.pcap" "$marker-$step" &&
		fail "$1: the marker crossed the WAN in clear"
	lab_until 5 routerA 'show alarms' "Traffic to service prefixes is not carried" 0 ||
		fail "$1: the alarm did not clear: $(sh_ routerA 'show alarms')"
	echo "$1: carried through SVR, encrypted"
}

"$SVRLAB" up two-routers >/dev/null || fail "svrlab up two-routers"
bg hostB "$PROBE" udp-echo 7000
carried "at start"

# (a) svrd stopped: cleanly, then killed
lab_stop routerA TERM || fail "routerA's svrd did not stop on SIGTERM"
sent_not_clear "svrd stopped (SIGTERM)"
# the forwarder's rules went with it, the guard stayed
x routerA iptables -w -t mangle -S | grep -q -- '-N OPENSVR$' && fail "the forwarder's rules stayed"
[ "$(guard_rules)" -ge 2 ] || fail "no guard after SIGTERM: $(x routerA iptables -t mangle -S)"
own_guard || fail "no guard for routerA's own packets: $(x routerA iptables -t mangle -S)"
"$SVRLAB" start routerA >/dev/null || fail "starting routerA again"
carried "svrd started again after SIGTERM"
lab_stop routerA KILL || fail "routerA's svrd did not die on SIGKILL"
sent_not_clear "svrd killed (SIGKILL)"
[ "$(guard_rules)" -ge 2 ] || fail "no guard after SIGKILL: $(x routerA iptables -t mangle -S)"
"$SVRLAB" start routerA >/dev/null || fail "starting routerA again"
carried "svrd started again after SIGKILL"

# (b) a forwarder that cannot open: a LAN interface that is not there
printf 'set authority router routerA node routerA-1 device-interface lan9 network-interface lan9\ncommit\n' |
	x routerA svrsh >"$tmp/lan9.out" 2>&1 || fail "adding lan9: $(cat "$tmp/lan9.out")"
lab_until 5 routerA 'show alarms' "CRITICAL.*Traffic to service prefixes is not carried (the forwarding guard drops it): forwarder nfqueue is not running: no interface lan9 here" 1 ||
	fail "no CRITICAL alarm for a forwarder that cannot open: $(sh_ routerA 'show alarms')"
sent_not_clear "forwarder cannot open"
printf 'delete authority router routerA node routerA-1 device-interface lan9\ncommit\n' |
	x routerA svrsh >/dev/null 2>&1 || fail "removing lan9"
carried "forwarder open again"

# (b) key management not running: the node identity cannot be loaded
lab_stop routerA TERM || fail "routerA's svrd did not stop"
mv "$state/pki/node.key" "$state/pki/node.key.kept" && mkdir "$state/pki/node.key" ||
	fail "cannot hide routerA's node key"
"$SVRLAB" start routerA >/dev/null || fail "starting routerA without its node key"
lab_until 5 routerA 'show alarms' "CRITICAL.*Traffic to service prefixes is not carried (the forwarding guard drops it): key management is not running" 1 ||
	fail "no CRITICAL alarm while key management is not running: $(sh_ routerA 'show alarms')"
sent_not_clear "key management not running"
lab_stop routerA TERM || fail "routerA's svrd did not stop"
rmdir "$state/pki/node.key" && mv "$state/pki/node.key.kept" "$state/pki/node.key" ||
	fail "cannot restore routerA's node key"
"$SVRLAB" start routerA >/dev/null || fail "starting routerA with its node key"
carried "key management running again"

# (c) only the operator removes it: never under a running svrd ...
[ "$(guard_rules)" -ge 2 ] || fail "no guard on routerA: $(x routerA iptables -t mangle -S)"
x routerA "$SVRD" --clear-forwarding-guard --state-dir "$state" >"$tmp/clear.out" 2>&1 &&
	fail "--clear-forwarding-guard ran under a running svrd: $(cat "$tmp/clear.out")"
grep -q "another svrd (pid [0-9]*) already runs on this state directory; the forwarding guard stays" "$tmp/clear.out" ||
	fail "refusal does not say why: $(cat "$tmp/clear.out")"
[ "$(guard_rules)" -ge 2 ] || fail "the refused clear removed the guard"
# ... svrd stopped: the command removes it and says so ...
lab_stop routerA TERM || fail "routerA's svrd did not stop"
x routerA "$SVRD" --clear-forwarding-guard --state-dir "$state" >"$tmp/clear.out" 2>&1 ||
	fail "--clear-forwarding-guard: $(cat "$tmp/clear.out")"
grep -q "^Forwarding guard removed: traffic to service prefixes is no longer dropped while svrd is stopped" "$tmp/clear.out" ||
	fail "--clear-forwarding-guard does not say so: $(cat "$tmp/clear.out")"
[ "$(guard_rules)" -eq 0 ] || fail "the guard is still there: $(x routerA iptables -t mangle -S)"
# (the operator's choice: now the marker does reach hostB in clear)
lab_capture hostB eth0 "$tmp/cleared.pcap" || fail "no capture on hostB eth0"
udp_send "$marker-cleared" || fail "hostA cannot send"
capture_until 5 "$tmp/cleared.pcap" "$marker-cleared" ||
	fail "the marker does not pass once the guard is cleared (what dropped it?)"
kill "$CAPTURE_PID"
echo "svrd --clear-forwarding-guard: refused while svrd runs; once stopped, removed and said so"
# ... and a commit that routes no service to a peer any more
"$SVRLAB" start routerA >/dev/null || fail "starting routerA again"
[ "$(guard_rules)" -ge 2 ] || fail "svrd did not put the guard back at start"
carried "after the guard was cleared and svrd started"
printf 'delete authority router routerA service-route to-hostB\ncommit\n' |
	x routerA svrsh >"$tmp/commit.out" 2>&1 || fail "removing the service route: $(cat "$tmp/commit.out")"
[ "$(guard_rules)" -eq 0 ] || fail "the commit left the guard: $(x routerA iptables -t mangle -S)"
lab_until 5 routerA 'show alarms' "Traffic to service prefixes" 0 || fail "an alarm stayed: $(sh_ routerA 'show alarms')"
echo "a commit that routes no service to a peer removes the guard"
echo "PASS"
