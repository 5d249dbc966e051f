#!/bin/sh
# The shell's files call only the layers above them (shell/svrsh.h lists
# the order): from the symbols each object defines and uses, every call
# between two files must go up the list, so no two files call each other.
# One TAP line per file; the exit status says whether all held.
set -u
failed=0
b=${top_builddir:-.}/shell
order="tty clean words conn prompt pipes render schema_tree config_line alarm_cmds cert_cmds
	config_cmds security_cmds session_cmds ping_cmds monitor_cmds commands complete lineedit svrsh"
obj() {
	for o in "$b/libsvrshell_a-$1.o" "$b/svrsh-$1.o" "$b/$1.o"; do
		[ -f "$o" ] && { echo "$o"; return; }
	done
}
n=0
for f in $order; do n=$((n + 1)); done
echo "1..$n"
i=0
for f in $order; do
	i=$((i + 1))
	o=$(obj "$f")
	if [ -z "$o" ]; then
		echo "not ok $i - $f: no object file in $b"
		failed=1
		continue
	fi
	bad=""
	above=yes
	for g in $order; do
		[ "$g" = "$f" ] && { above=no; continue; }
		og=$(obj "$g")
		[ -n "$og" ] || continue
		# functions g defines that f uses
		used=$(nm "$og" | awk '$2 == "T" {print $3}' | sort |
			comm -12 - "$(nm "$o" | awk '$1 == "U" {print $2}' | sort >"$o.u"; echo "$o.u")")
		if [ -n "$used" ] && [ "$above" = no ]; then
			bad="$bad $g($(echo $used | tr ' ' ','))"
		fi
	done
	rm -f "$o.u"
	if [ -n "$bad" ]; then
		echo "not ok $i - $f calls files below it:$bad"
		failed=1
	else
		echo "ok $i - $f calls only the layers above it"
	fi
done
exit $failed
