# shellcheck shell=bash
# opensvr-nfqueue: opensvr (svrd) on both routers, SVR sessions with
# AES-256-CBC + HMAC-SHA384 payload keys, forwarder nfqueue:
# netfilter queue (NFQUEUE in mangle PREROUTING), verdicts per packet.
# See _opensvr.sh.
OPENSVR_FORWARDER=nfqueue
# shellcheck source=_opensvr.sh
source "$(dirname "${BASH_SOURCE[0]}")/_opensvr.sh"
mode_up() { opensvr_mode_up; }
