#!/usr/bin/python3
"""An enrolled router's certificate used against the conductor's call-home
port (tests/e2e/conductor-enrol.sh): the TLS handshake is completed as the
router would (we are the TLS server, RFC 8071), then the NETCONF hello is
garbage, or the connection closes at once, or the hello is fine but what
the conductor asks next is never answered.  The conductor must refuse the
session and stay up.

usage: callhome_attack.py ADDRESS PORT CERT KEY garbage|close|silent"""
import socket
import ssl
import sys


def main():
    addr, port, cert, key, mode = sys.argv[1:6]
    sock = socket.create_connection((addr, int(port)), timeout=10)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.verify_mode = ssl.CERT_NONE  # whoever the conductor is: we attack
    tls = ctx.wrap_socket(sock, server_side=True)
    if mode == "silent":
        # a hello that makes the conductor's library ask for schemas,
        # which are never answered
        caps = [
            "urn:ietf:params:netconf:base:1.0",
            "urn:ietf:params:netconf:base:1.1",
            "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring?module=ietf-netconf-monitoring&amp;revision=2010-10-04",
            "urn:ietf:params:netconf:capability:yang-library:1.1?revision=2019-01-04&amp;content-id=1",
            "urn:opensvr:yang:opensvr?module=opensvr&amp;revision=2026-11-26",
        ]
        hello = ("<hello xmlns='urn:ietf:params:xml:ns:netconf:base:1.0'><capabilities>"
                 + "".join("<capability>%s</capability>" % c for c in caps)
                 + "</capabilities><session-id>7</session-id></hello>]]>]]>")
        tls.sendall(hello.encode())
        tls.settimeout(60)
        try:
            while tls.recv(65536):  # read, never answer, until cut
                pass
        except OSError:
            pass
    elif mode == "garbage":
        tls.sendall(b"<hello xmlns='nonsense'><capabilities/>]]>]]>\x00\xff" * 4)
        try:
            tls.recv(65536)  # the conductor's hello, or its end
        except OSError:
            pass
    tls.close()
    print("done")


if __name__ == "__main__":
    main()
