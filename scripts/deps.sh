#!/bin/sh
# Install every Debian 12 package opensvr needs to build, test and run its lab.
# Idempotent: apt-get skips what is already installed.
set -eu
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: run as root (it calls apt-get)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
	apt-get update -qq
fi
apt-get install -y -qq --no-install-recommends \
	build-essential autoconf automake libtool pkg-config \
	libcli-dev libyang2-dev libyang2-tools libssl-dev openssl \
	libpcap-dev libnetfilter-queue-dev libmnl-dev libncurses-dev \
	libnetconf2-dev libssh-dev python3-ncclient \
	libcriterion-dev clang expect python3-pyte \
	iproute2 iptables iputils-ping tcpdump procps psmisc \
	openssh-server openssh-client >/dev/null
