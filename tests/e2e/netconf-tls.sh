#!/bin/sh
# e2e: NETCONF over TLS (RFC 7589, svrd --netconf-tls as the lab starts
# it) with X.509 client certificates, in the two-routers lab with the lab
# CA: a certificate the authority's CA issued to CN=admin (an admin user)
# reads and commits; one issued to CN=reader (read-only) reads and is
# refused edits; one from a CA nobody trusts, and one naming no user, get
# nowhere (netconf_tls_client.py, from hostA).
set -u
. "${top_srcdir:-.}/tests/lib.sh"
need_root "the NETCONF over TLS lab test"
command -v openssl >/dev/null || { echo "SKIP: no openssl command"; exit 77; }
export SVRLAB_NAME="e2enct$$"
trap '"$SVRLAB" down >/dev/null 2>&1; test_cleanup' EXIT
fail() { echo "FAIL: $*"; exit 1; }
here=${top_srcdir:-.}/tests/e2e
ca=$(test_tmpdir)
. "$here/lab-ca.sh"
lab_ca "$ca" || fail "making the test CA and certificates"

# user NAME CN [ca2]: NAME.pem, certificate and key for CN
user() {
	(
		cd "$ca" &&
			openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
				-keyout "$1.key" -out "$1.csr" -subj "/CN=$2" >/dev/null 2>&1 &&
			if [ "${3:-}" = ca2 ]; then
				openssl x509 -req -in "$1.csr" -CA ca2.pem -CAkey ca2.key \
					-CAcreateserial -days 30 -sha256 -out "$1.crt" >/dev/null 2>&1
			else
				openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -notext \
					-in "$1.csr" -out "$1.crt" >/dev/null 2>&1
			fi && cat "$1.crt" "$1.key" >"$1.pem"
	) || fail "making the certificate of $1"
}
user u-admin admin
user u-reader reader
user u-untrusted admin ca2
user u-stranger nobody

lab_ca_up "$ca"
printf '%s\n' "set authority user admin role admin" "set authority user reader role read-only" \
	commit | x routerA svrsh >"$ca/users.out" 2>&1 ||
	fail "adding the users: $(cat "$ca/users.out")"

x hostA /usr/bin/python3 "$here/netconf_tls_client.py" 192.0.2.1 "$ca/ca.pem" \
	"$ca/u-admin.pem" "$ca/u-reader.pem" "$ca/u-untrusted.pem" "$ca/u-stranger.pem" \
	>"$ca/client.out" 2>&1
rc=$?
cat "$ca/client.out"
[ $rc -eq 0 ] && grep -q "^PASS$" "$ca/client.out" || fail "the TLS client's run failed (exit $rc)"
sh_ routerA 'show log' | grep -q "netconf: nobody is no user of the authority: session refused" ||
	fail "the refused name is not in the log: $(sh_ routerA 'show log' | grep netconf | tail -5)"
sh_ routerA 'show config history' | grep -q "admin.*NETCONF commit" ||
	fail "the TLS commit is not in the history"
echo "PASS"
