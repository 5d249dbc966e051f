#!/bin/sh
# e2e: a commit that cannot be carried out fails at commit time, naming the
# cause, and changes nothing (issue: subscribers acquire in prepare).  In
# the two-routers lab, with a UDP session carried from hostA to hostB:
#  - a client-certificate whose file cannot be loaded is refused by commit
#    (and by validate) with the file named; running, the peer keys and the
#    session stay as they were;
#  - a forwarder that cannot open (another process holds its netfilter
#    queue) is refused by commit with the forwarder's own reason; the
#    forwarder that ran runs again and the session still carries traffic;
#  - once the queue is free the same commit goes through and traffic is
#    carried on the new queue.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
need_root "the commit-prepare lab test"
export SVRLAB_NAME="e2ecp$$"
trap '"$SVRLAB" down >/dev/null 2>&1; test_cleanup' EXIT
fail() { echo "FAIL: $*"; exit 1; }
need_probe
HOLD=$(cd "${top_builddir:-.}/tests/tools" && pwd)/nfq-hold
[ -x "$HOLD" ] || fail "no $HOLD (make check builds it)"
tmp=$(test_tmpdir)
RUN=${SVRLAB_RUN:-/run/svrlab}/$SVRLAB_NAME
batch_() { printf '%s\n' "$2" | "$SVRLAB" exec "$1" svrsh 2>&1; }

# one round trip from hostA to hostB's echo port through SVR, source port $1
carried() {
	x hostA "$PROBE" udp-ping 203.0.113.2 7000 "commit-prepare-$1" 1 "$1" >/dev/null 2>&1
}
# what must not move: the running configuration, the keys with routerB
snapshot() {
	sh_ routerA 'show config running' >"$tmp/running.$1"
	sh_ routerA 'show security security-associations routerB detail' |
		grep -i "key index\|security status\|generation" >"$tmp/keys.$1"
}
# same SNAPSHOT WHAT: nothing moved since the first snapshot
same() {
	cmp -s "$tmp/running.before" "$tmp/running.$1" ||
		fail "$2: running changed: $(diff "$tmp/running.before" "$tmp/running.$1")"
	cmp -s "$tmp/keys.before" "$tmp/keys.$1" ||
		fail "$2: the keys changed: $(diff "$tmp/keys.before" "$tmp/keys.$1")"
	sh_ routerA 'show sessions' | grep -q "udp .*203.0.113.2:7000 .*routerB" ||
		fail "$2: the session is gone: $(sh_ routerA 'show sessions')"
}

"$SVRLAB" up two-routers >/dev/null || fail "svrlab up two-routers"
bg hostB "$PROBE" udp-echo 7000
lab_until 20 routerA 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 ||
	fail "no key exchange: $(sh_ routerA 'show peers security')"
ok=0
for i in 1 2 3 4 5; do
	carried 7101 && ok=1 && break
done
[ "$ok" = 1 ] || fail "no traffic carried at start: $(sh_ routerA 'show stats')"
snapshot before
[ -s "$tmp/keys.before" ] || fail "no key lines in the SA detail"

# (1) a client certificate that cannot be loaded
printf 'not a certificate\n' >"$RUN/routerA/state/broken.pem"
batch_ routerA 'configure
authority client-certificate mine file broken.pem
validate' >"$tmp/validate.out"
grep -q "authority client-certificate mine file: cannot read the certificate .*broken.pem" \
	"$tmp/validate.out" || fail "validate did not name the file: $(cat "$tmp/validate.out")"
batch_ routerA 'configure
authority client-certificate mine file broken.pem
commit' >"$tmp/cc.out"
grep -q "authority client-certificate mine file: cannot read the certificate .*broken.pem" \
	"$tmp/cc.out" || fail "commit did not name the file: $(cat "$tmp/cc.out")"
sh_ routerA 'restore config running' >/dev/null
snapshot cc
same cc "client certificate that cannot be loaded"
carried 7101 || fail "the session does not carry traffic after the refused commit"
echo "a client certificate that cannot be loaded: refused at commit, nothing changed"

# (2) a forwarder that cannot open: queue 9 is held by another process
bg routerA "$HOLD" 9 >"$tmp/hold.out"
holder=$!
_t=0
until grep -q "holding 9" "$tmp/hold.out" 2>/dev/null; do
	[ $_t -lt 50 ] || fail "nfq-hold did not bind queue 9: $(cat "$tmp/hold.out")"
	sleep 0.1
	_t=$((_t + 1))
done
batch_ routerA 'configure
authority router routerA node routerA-1 forwarder-options nfqueue-queue 9
commit' >"$tmp/fwd.out"
grep -q "forwarder nfqueue cannot open: nfqueue: cannot bind queue 9" "$tmp/fwd.out" ||
	fail "commit did not say why the forwarder cannot open: $(cat "$tmp/fwd.out")"
sh_ routerA 'restore config running' >/dev/null
snapshot fwd
same fwd "forwarder that cannot open"
lab_until 5 routerA 'show stats' "Forwarder: *nfqueue\$" 1 ||
	fail "the forwarder that ran is not running again: $(sh_ routerA 'show stats')"
carried 7101 || fail "no traffic after the refused commit: $(sh_ routerA 'show stats')"
[ -z "$(sh_ routerA 'show alarms' | grep 'not carried')" ] ||
	fail "an alarm after the refused commit: $(sh_ routerA 'show alarms')"
echo "a forwarder that cannot open: refused at commit, the old one runs again"

# (3) the queue free again: the same commit goes through
kill "$holder" && wait "$holder" 2>/dev/null
batch_ routerA 'configure
authority router routerA node routerA-1 forwarder-options nfqueue-queue 9
commit' >"$tmp/fwd2.out"
grep -q "Commit complete\|committed" "$tmp/fwd2.out" || fail "commit on a free queue: $(cat "$tmp/fwd2.out")"
x routerA iptables -w -t mangle -S OPENSVR | grep -q "queue-num 9" ||
	fail "the rules do not use queue 9: $(x routerA iptables -w -t mangle -S OPENSVR)"
ok=0
for i in 1 2 3; do
	carried 7102 && ok=1 && break
done
[ "$ok" = 1 ] || fail "no traffic on queue 9: $(sh_ routerA 'show stats')"
echo "PASS"
