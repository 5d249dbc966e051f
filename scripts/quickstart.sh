#!/bin/sh
# Quick start: install the dependencies, build and install opensvr, bring up
# the two-routers lab (hostA - routerA - routerB - hostB, one svrd per router
# in its own network namespace) and open svrsh on routerA.
#
#   scripts/quickstart.sh            interactive: ends in svrsh on routerA
#   scripts/quickstart.sh --no-shell for scripts: runs "show version" on
#                                    routerA instead and leaves the lab up
#
# Run as root on Debian 12.  Running it again rebuilds what changed and
# restarts the lab.  "svrlab down" tears the lab down.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
shell=yes
case ${1:-} in
--no-shell) shell=no ;;
"") ;;
*) echo "usage: $0 [--no-shell]" >&2; exit 2 ;;
esac
[ -t 0 ] || shell=no

"$top/scripts/deps.sh"
"$top/scripts/build.sh" "$top/build"
make -C "$top/build" install >/dev/null
# svrlab from the install, so it runs the installed svrd and svrsh.
export PATH=/usr/local/sbin:/usr/local/bin:$PATH
svrlab down >/dev/null
svrlab up two-routers
echo
echo "The lab is up.  Try: svrlab status | svrlab exec hostA ping 203.0.113.2 | svrlab down"
if [ "$shell" = yes ]; then
	echo "Opening svrsh on routerA (Ctrl-D or 'quit' leaves it; the lab stays up)."
	exec svrlab exec routerA svrsh
fi
svrlab exec routerA svrsh -c 'show version'
