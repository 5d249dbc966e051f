#!/bin/sh
# e2e: routerA's NETCONF server (svrd --netconf, as the lab starts it)
# driven from hostA by ncclient over SSH (netconf_client.py): hello,
# get-config, an invalid edit (an rpc-error naming the path), a valid edit,
# validate, commit confirmed then cancel-commit, commit, filters, get of the
# operational state, lock, a read-only user, an unknown key.  Then the
# shell on routerA sees what NETCONF committed, in the same history.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
need_root "the NETCONF lab test"
command -v ssh-keygen >/dev/null || { echo "SKIP: no ssh-keygen"; exit 77; }
/usr/bin/python3 -c 'import ncclient' 2>/dev/null || {
	echo "FAIL: python3-ncclient is missing (scripts/deps.sh installs it)"
	exit 1
}
export SVRLAB_NAME="e2enc$$"
trap '"$SVRLAB" down >/dev/null 2>&1; test_cleanup' EXIT
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(test_tmpdir)
here=${top_srcdir:-.}/tests/e2e

for k in admin reader stranger; do
	ssh-keygen -q -t ed25519 -N '' -C "$k@lab" -f "$tmp/$k" || fail "ssh-keygen $k"
done
"$SVRLAB" up two-routers >/dev/null || fail "svrlab up two-routers"
printf '%s\n' \
	"set authority user admin role admin" \
	"set authority user admin authorized-key \"$(cat "$tmp/admin.pub")\"" \
	"set authority user reader authorized-key \"$(cat "$tmp/reader.pub")\"" \
	"commit" | x routerA svrsh >"$tmp/users.out" 2>&1 ||
	fail "adding the NETCONF users: $(cat "$tmp/users.out")"
x hostA /usr/bin/python3 "$here/netconf_client.py" 192.0.2.1 "$tmp/admin" "$tmp/reader" \
	"$tmp/stranger" >"$tmp/client.out" 2>&1
rc=$?
cat "$tmp/client.out"
[ $rc -eq 0 ] || fail "ncclient's run failed (exit $rc)"
grep -q "^PASS$" "$tmp/client.out" || fail "ncclient's run did not finish"

# one candidate and history for NETCONF and the shell
sh_ routerA 'show config running' | grep -q 'description *"committed over NETCONF"' ||
	fail "the shell does not see NETCONF's commit: $(sh_ routerA 'show config running')"
hist=$(sh_ routerA 'show config history')
echo "$hist" | grep -q "admin.*NETCONF commit" || fail "NETCONF's commit is not in the history: $hist"
echo "$hist" | grep -q "rollback: commit [0-9]* was cancelled (NETCONF cancel-commit)" ||
	fail "the cancel-commit is not in the history: $hist"
echo "the shell sees NETCONF's commits in the one history"
echo "PASS"
