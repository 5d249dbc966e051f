#!/usr/bin/python3
"""NETCONF over TLS (RFC 7589) with X.509 client certificates: routerA
driven by Python's own TLS and a NETCONF 1.0 framing written here (ncclient
speaks SSH only).  Run by netconf-tls.sh inside hostA's namespace:

    netconf_tls_client.py HOST CA ADMIN READER UNTRUSTED STRANGER

each a PEM file with certificate and key (CA: the CA to check routerA's
certificate with).  One line per check; the first failure exits 1."""
import re
import socket
import ssl
import sys

HOST, CA, ADMIN, READER, UNTRUSTED, STRANGER = sys.argv[1:7]
NS = "urn:opensvr:yang:opensvr"
BASE = "urn:ietf:params:xml:ns:netconf:base:1.0"
EOM = b"]]>]]>"


def fail(what):
    print("FAIL: " + what)
    sys.exit(1)


def ok(what):
    print("ok: " + what)


class Session:
    def __init__(self, cert):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False  # routerA's certificate names routerA.lab, not an address
        ctx.load_verify_locations(CA)
        ctx.load_cert_chain(cert)
        raw = socket.create_connection((HOST, 6513), timeout=15)
        self.s = ctx.wrap_socket(raw)
        self.buf = b""
        self.hello = self.read()
        self.send('<hello xmlns="%s"><capabilities><capability>urn:ietf:params:netconf:base:1.0'
                  '</capability></capabilities></hello>' % BASE)
        self.n = 0

    def send(self, text):
        self.s.sendall(text.encode() + EOM)

    def read(self):
        while EOM not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("the server closed the session")
            self.buf += chunk
        msg, self.buf = self.buf.split(EOM, 1)
        return msg.decode()

    def rpc(self, body):
        self.n += 1
        self.send('<rpc xmlns="%s" message-id="%d">%s</rpc>' % (BASE, self.n, body))
        return self.read()


def edit(value):
    return ('<edit-config><target><candidate/></target><config><authority xmlns="%s">'
            '<router><name>routerA</name><description>%s</description></router>'
            '</authority></config></edit-config>' % (NS, value))


GET_CONFIG = '<get-config><source><running/></source></get-config>'

# admin: hello, get-config, an edit and a commit
a = Session(ADMIN)
if "urn:ietf:params:netconf:base:1.1" not in a.hello or "<session-id>" not in a.hello:
    fail("admin: the server's hello: %s" % a.hello[:400])
if "<name>routerB</name>" not in a.rpc(GET_CONFIG):
    fail("admin: get-config has no routerB")
for body in (edit("committed over TLS"), "<commit/>"):
    r = a.rpc(body)
    if "<ok/>" not in r:
        fail("admin: %s: %s" % (body[:20], r))
if "committed over TLS" not in a.rpc(GET_CONFIG):
    fail("admin: the commit is not in running")
ok("admin certificate: hello, get-config, edit-config and commit")

# reader: reads, and every edit is refused
r = Session(READER)
if "<name>routerA</name>" not in r.rpc(GET_CONFIG):
    fail("reader: get-config failed")
for body in (edit("by a reader"), "<commit/>", "<lock><target><candidate/></target></lock>"):
    reply = r.rpc(body)
    if "<error-tag>access-denied</error-tag>" not in reply:
        fail("reader: %s was not refused: %s" % (body[:20], reply))
ok("read-only certificate: get-config works; edit-config, commit and lock are access-denied")

# a certificate no trusted CA issued: the handshake fails
try:
    Session(UNTRUSTED).rpc(GET_CONFIG)
    fail("a certificate of an untrusted CA was let in")
except (ssl.SSLError, EOFError, ConnectionError, OSError) as e:
    ok("a certificate of an untrusted CA: refused (%s)" % type(e).__name__)

# a trusted certificate whose name is no user: no operation is served
try:
    reply = Session(STRANGER).rpc(GET_CONFIG)
    fail("a certificate naming no user got an answer: %s" % reply[:200])
except (ssl.SSLError, EOFError, ConnectionError, OSError) as e:
    ok("a certificate naming no user: refused (%s)" % type(e).__name__)
print("PASS")
