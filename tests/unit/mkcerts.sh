#!/bin/sh
# Make the certificates the PKI tests need, with the openssl command, in DIR:
#   ca.pem, ca2.pem            two CAs (only ca is trusted by the tests)
#   good.der                   peer-b, signed by ca
#   revoked.der + crl.pem      peer-b, signed by ca, then revoked
#   untrusted.der              peer-b, signed by ca2
#   sha1.der                   peer-b, signed by ca with SHA-1
#   rsa1024.der                peer-b, self-signed, RSA 1024
#   san.der                    CN=other, SAN URI urn:ssr:peering:peer-b, signed by ca
set -eu
d=$1
cd "$d"
q() { "$@" >/dev/null 2>&1; }
ca() { # NAME
	q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
		-out "$1.pem" -days 3650 -subj "/CN=$1" -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign
}
leaf() { # NAME CA SUBJECT DIGEST [EXT]
	q openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
		-out "$1.csr" -subj "$3"
	printf 'basicConstraints=CA:FALSE\n%s\n' "${5:-}" >"$1.ext"
	q openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial \
		-days 30 "-$4" -extfile "$1.ext" -out "$1.pem"
	q openssl x509 -in "$1.pem" -outform DER -out "$1.der"
}
ca ca
ca ca2
leaf good ca /CN=peer-b sha256
leaf revoked ca /CN=peer-b sha256
leaf untrusted ca2 /CN=peer-b sha256
leaf sha1 ca /CN=peer-b sha1
leaf san ca /CN=other sha256 "subjectAltName=URI:urn:ssr:peering:peer-b"
q openssl req -x509 -newkey rsa:1024 -nodes -keyout rsa1024.key -out rsa1024.pem -days 30 \
	-subj /CN=peer-b
q openssl x509 -in rsa1024.pem -outform DER -out rsa1024.der
: >index.txt
echo 01 >crlnumber
cat >ca.cnf <<CNF
[ ca ]
default_ca = CA_default
[ CA_default ]
database = $d/index.txt
crlnumber = $d/crlnumber
default_md = sha256
default_crl_days = 30
CNF
q openssl ca -config ca.cnf -keyfile ca.key -cert ca.pem -revoke revoked.pem
q openssl ca -config ca.cnf -keyfile ca.key -cert ca.pem -gencrl -out crl.pem
