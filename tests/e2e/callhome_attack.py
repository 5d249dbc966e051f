#!/usr/bin/python3
"""An enrolled router's certificate used against the conductor's call-home
port (tests/e2e/conductor-enrol.sh): the TLS handshake is completed as the
router would (we are the TLS server, RFC 8071), then the NETCONF hello is
garbage, or the connection closes at once.  The conductor must refuse the
session and stay up.

usage: callhome_attack.py ADDRESS PORT CERT KEY garbage|close"""
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
    if mode == "garbage":
        tls.sendall(b"<hello xmlns='nonsense'><capabilities/>]]>]]>\x00\xff" * 4)
        try:
            tls.recv(65536)  # the conductor's hello, or its end
        except OSError:
            pass
    tls.close()
    print("done")


if __name__ == "__main__":
    main()
