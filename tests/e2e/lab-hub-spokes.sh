#!/bin/sh
# e2e: the hub-spokes lab: three routers with their own svrd, spoke to
# spoke traffic goes through the hub, and teardown is complete.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
need_root "the hub-spokes lab"
export SVRLAB_NAME="e2ehs$$"
trap '"$SVRLAB" down >/dev/null 2>&1; test_cleanup' EXIT
fail() { echo "FAIL: $*"; exit 1; }

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
"$SVRLAB" exec host1 ping -c 2 -W 2 203.0.113.130 >/dev/null || fail "host1 -> host2"
"$SVRLAB" exec host2 ping -c 2 -W 2 2001:db8:1::2 >/dev/null || fail "host2 -> host1 (IPv6)"
"$SVRLAB" exec hostH ping -c 2 -W 2 203.0.113.2 >/dev/null || fail "hostH -> host1"
# With a TTL of 2 the packet dies at the second hop: the hub's spoke1 side.
"$SVRLAB" exec host1 ping -c 1 -W 2 -t 2 203.0.113.130 2>&1 | grep -q "From 198.51.100.1 .*exceeded" ||
	fail "spoke-to-spoke traffic does not go through the hub"
"$SVRLAB" down >/dev/null || fail "svrlab down"
ip netns list | grep -q "^$SVRLAB_NAME-" && fail "namespaces left behind"
echo "PASS"
