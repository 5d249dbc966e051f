#!/bin/sh
# e2e: svrd started as root keeps only CAP_NET_ADMIN and CAP_NET_RAW once
# set up (effective, permitted, inheritable, bounding and ambient sets),
# with no_new_privs, and everything it does afterwards still works: the key
# exchange completes, its netfilter rules are in place, pings are carried
# as SVR sessions, and a commit that changes the forwarder (raw sockets
# opened, iptables and ip6tables run, the commit written) works after the
# drop, in both directions.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
need_root "the privileges lab test"
export SVRLAB_NAME="stpriv$$"
trap '"$SVRLAB" down >/dev/null 2>&1; test_cleanup' EXIT
fail() { echo "FAIL: $*"; exit 1; }
want=0000000000003000 # CAP_NET_ADMIN (12) and CAP_NET_RAW (13)

"$SVRLAB" up two-routers >/dev/null || fail "svrlab up two-routers"
for r in routerA routerB; do
	lab_until 15 "$r" 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 ||
		fail "$r: key exchange not complete after the drop"
done

for r in routerA routerB; do
	pid=$(cat "${SVRLAB_RUN:-/run/svrlab}/$SVRLAB_NAME/$r/state/svrd.pid") ||
		fail "$r: no PID file"
	st=/proc/$pid/status
	for set in CapInh CapPrm CapEff CapBnd CapAmb; do
		got=$(awk -v f="$set:" '$1 == f { print $2 }' "$st")
		[ "$got" = "$want" ] || fail "$r: $set is $got, want $want"
	done
	[ "$(awk '$1 == "NoNewPrivs:" { print $2 }' "$st")" = 1 ] || fail "$r: no no_new_privs"
	echo "$r: svrd $pid holds $want in every set, no_new_privs"
done

# ping carried as an SVR session through the given forwarder on both routers
carried() {
	x hostA ping -c 3 -W 2 203.0.113.2 >/dev/null || fail "$1: ping hostA -> hostB"
	x hostA ping -c 3 -W 2 2001:db8:b::2 >/dev/null || fail "$1: ping hostA -> hostB (IPv6)"
	sh_ routerA 'show sessions' | grep -q "icmp .*203.0.113.2:.* routerB .*hostB-lan" ||
		fail "$1: the ping is not an SVR session: $(sh_ routerA 'show sessions')"
}

# rules installed (iptables and ip6tables run by svrd) for nfqueue
nfq_rules() {
	for r in routerA routerB; do
		x "$r" iptables -t mangle -S OPENSVR 2>/dev/null | grep -q NFQUEUE ||
			fail "$1: $r has no IPv4 NFQUEUE rule: $(sh_ "$r" 'show alarms')"
		x "$r" ip6tables -t mangle -S OPENSVR 2>/dev/null | grep -q NFQUEUE ||
			fail "$1: $r has no IPv6 NFQUEUE rule: $(sh_ "$r" 'show alarms')"
	done
}

forwarder() { # commit FWD on both routers, after the drop
	for r in routerA routerB; do
		out=$(printf 'set authority router %s node %s-1 forwarder %s\ncommit\n' "$r" "$r" "$1" |
			x "$r" svrsh 2>&1) || fail "$1: commit on $r: $out"
		lab_until 5 "$r" 'show stats' "Forwarder: *$1\$" 1 ||
			fail "$1: not running on $r: $(sh_ "$r" 'show stats'; sh_ "$r" 'show alarms')"
	done
}

nfq_rules "at start"
carried "nfqueue at start"
forwarder raw-socket
carried raw-socket
forwarder pcap
carried pcap
forwarder nfqueue
nfq_rules "after the drop"
carried "nfqueue after the drop"
for r in routerA routerB; do
	sh_ "$r" 'show alarms' | grep -q "MAJOR\|CRITICAL" &&
		fail "$r: alarms after the forwarder changes: $(sh_ "$r" 'show alarms')"
	sh_ "$r" 'show config history' | grep -q "^4  *root " ||
		fail "$r: commits not recorded: $(sh_ "$r" 'show config history')"
done
echo "PASS"
