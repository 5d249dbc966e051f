#!/bin/sh
# Every command svrsh offers (its help, in operational and in
# configuration mode) is documented in svrsh(1): the rendered page names
# it.  One TAP line per command; the exit status says whether all are.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
command -v man >/dev/null || { echo "1..0 # SKIP no man"; exit 77; }
dir=$(test_tmpdir)
trap 'test_cleanup' EXIT
start_svrd "$dir" RTR_EAST_COMBO combo-east-1 >/dev/null || exit 99
# the page as an operator reads it, one paragraph a line, plain hyphens
MANWIDTH=10000 MAN_KEEP_FORMATTING= man -l "${top_srcdir:-.}/man/svrsh.1" 2>/dev/null |
	sed 's/\xe2\x80\x90/-/g' | tr -s ' ' >"$dir/page"
{
	"$SVRSH" --socket "$dir/svrd.sock" -c help
	"$SVRSH" --socket "$dir/svrd.sock" -c config -c help
} | sed -n 's/^  \([a-z][a-z -]*[a-z]\)  .*/\1/p; s/^  \([a-z][a-z -]*[a-z]\) [A-Z].*/\1/p' |
	sed 's/ *$//' | sort -u >"$dir/commands"
n=$(wc -l <"$dir/commands")
echo "1..$n"
i=0
failed=0
while read -r c; do
	i=$((i + 1))
	# the whole command, not inside a longer word ("xmonitor")
	if grep -qE -- "(^|[^a-z-])$c([^a-z-]|\$)" "$dir/page"; then
		echo "ok $i - $c"
	else
		echo "not ok $i - svrsh(1) does not name '$c'"
		failed=1
	fi
done <"$dir/commands"
exit $failed
