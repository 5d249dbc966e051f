# shellcheck shell=bash
# opensvr-raw-socket: opensvr (svrd) on both routers, SVR sessions with
# AES-256-CBC + HMAC-SHA384 payload keys, forwarder raw-socket:
# AF_PACKET sockets with a BPF filter on lan0/wan0, netfilter drops the
# kernel's copy.  See _opensvr.sh.
OPENSVR_FORWARDER=raw-socket
# shellcheck source=_opensvr.sh
source "$(dirname "${BASH_SOURCE[0]}")/_opensvr.sh"
mode_up() { opensvr_mode_up; }
