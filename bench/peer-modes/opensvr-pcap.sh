# shellcheck shell=bash
# opensvr-pcap: opensvr (svrd) on both routers, SVR sessions with
# AES-256-CBC + HMAC-SHA384 payload keys, forwarder pcap:
# libpcap capture on lan0/wan0, netfilter drops the kernel's copy.
# See _opensvr.sh.
OPENSVR_FORWARDER=pcap
# shellcheck source=_opensvr.sh
source "$(dirname "${BASH_SOURCE[0]}")/_opensvr.sh"
mode_up() { opensvr_mode_up; }
