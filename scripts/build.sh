#!/bin/sh
# Configure and build opensvr out of tree.  Idempotent.
# usage: scripts/build.sh BUILDDIR [configure options...]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
shift
cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ ! -f build-aux/tap-driver.sh ]; then
	autoreconf -fi >/dev/null
fi
mkdir -p "$dir"
cd "$dir"
# Reconfigure when the options changed, or configure is newer than the tree.
opts="$*"
if [ ! -f Makefile ] || [ "$(cat .svr-configure-opts 2>/dev/null)" != "$opts" ] ||
	[ "$top/configure" -nt Makefile ]; then
	"$top/configure" -q "$@"
	echo "$opts" >.svr-configure-opts
fi
make -j"$(nproc)" >/dev/null
