# A test CA for the labs, made with openssl, and every certificate the
# tests present: sourced by tests/e2e/*.sh, then "lab_ca DIR" fills DIR
# (an empty folder) and returns non-zero when openssl fails.
#   ca.pem, ca.key       the CA (P-256); ca2.pem another CA nobody trusts
#   a.pem, b.pem         routerA.lab and routerB.lab (certificate + key)
#   expired.pem          routerB.lab, valid in January 2020 only
#   revoked.pem          routerB.lab, revoked in crl.pem
#   wrong-name.pem       routerX.lab
#   untrusted.pem        routerB.lab, signed by ca2
#   crl.pem              the CA's revocation list
lab_ca() {
	(
		set -e
		ca=$1
		cd "$ca"
		q() { "$@" >/dev/null 2>&1; }
		mkdir newcerts
		: >index.txt
		echo 1000 >serial
		echo 01 >crlnumber
		cat >ca.cnf <<-CNF
	[ ca ]
	default_ca = lab
	[ lab ]
	database = $ca/index.txt
	new_certs_dir = $ca/newcerts
	serial = $ca/serial
	crlnumber = $ca/crlnumber
	default_md = sha256
	default_days = 365
	default_crl_days = 30
	policy = any
	unique_subject = no
	x509_extensions = leaf
	[ any ]
	commonName = supplied
	[ leaf ]
	basicConstraints = CA:FALSE
	CNF
		for c in ca ca2; do
			q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
				-keyout $c.key -out $c.pem -days 3650 -subj "/CN=opensvr lab $c" \
				-addext basicConstraints=critical,CA:TRUE \
				-addext keyUsage=critical,keyCertSign,cRLSign
		done
		# leaf NAME CN [openssl ca options]: NAME.pem holds certificate and key
		leaf() {
			n=$1 cn=$2
			shift 2
			q openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
				-keyout $n.key -out $n.csr -subj "/CN=$cn"
			q openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -notext \
				-in $n.csr -out $n.crt "$@"
			cat $n.crt $n.key >$n.pem
		}
		leaf a routerA.lab
		leaf b routerB.lab
		leaf expired routerB.lab -startdate 20200101000000Z -enddate 20200201000000Z
		leaf revoked routerB.lab
		leaf wrong-name routerX.lab
		q openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout untrusted.key -out untrusted.csr -subj /CN=routerB.lab
		q openssl x509 -req -in untrusted.csr -CA ca2.pem -CAkey ca2.key -CAcreateserial \
			-days 365 -sha256 -out untrusted.crt
		cat untrusted.crt untrusted.key >untrusted.pem
		q openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -revoke revoked.crt
		q openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -gencrl -out crl.pem
	)
}

# The svrsh batch that makes DIR's CA trusted and local.pem (in each
# router's state folder) its certificate, under validation-mode warn,
# with DIR's revocation list; it commits.
lab_ca_batch() {
	echo "config"
	echo "authority"
	echo "trusted-ca-certificate lab-ca"
	printf 'content "%s"\n' "$(cat "$1/ca.pem")"
	echo "exit"
	echo "client-certificate local"
	echo "file local.pem"
	echo "validation-mode warn"
	echo "exit"
	echo "certificate-revocation-list file://$1/crl.pem"
	echo "exit"
	echo "exit"
	echo "commit"
}

# The two-routers lab up with CA's certificates: routerA presents a.pem,
# routerB b.pem, both trust the CA (lab_ca_batch).  Uses the caller's
# fail, and sets RUN, the lab's run folder.
lab_ca_up() {
	RUN=${SVRLAB_RUN:-/run/svrlab}/$SVRLAB_NAME
	"$SVRLAB" up two-routers >/dev/null || fail "svrlab up two-routers"
	cp "$1/a.pem" "$RUN/routerA/state/local.pem"
	cp "$1/b.pem" "$RUN/routerB/state/local.pem"
	lab_ca_batch "$1" >"$1/pki.batch"
	for r in routerA routerB; do
		"$SVRLAB" exec "$r" svrsh -f "$1/pki.batch" >"$1/commit.out" 2>&1 ||
			fail "$r: committing the PKI configuration: $(cat "$1/commit.out")"
	done
}

# routerB presents CA/KIND.pem from now on: lab_ca_present CA KIND
lab_ca_present() {
	cp "$1/$2.pem" "$RUN/routerB/state/local.pem"
	"$SVRLAB" exec routerB svrsh -c 'reload local certificates' >/dev/null ||
		fail "reload on routerB ($2)"
}

# invalid-certificate-behavior HOW on both routers: lab_ca_behaviour CA HOW
lab_ca_behaviour() {
	for r in routerA routerB; do
		printf 'set authority security-key-management invalid-certificate-behavior %s\ncommit\n' \
			"$2" | "$SVRLAB" exec "$r" svrsh >"$1/b.out" 2>&1 ||
			fail "$r: invalid-certificate-behavior $2: $(cat "$1/b.out")"
	done
}
