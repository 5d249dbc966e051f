#!/bin/sh
# e2e golden: what both routers of the two-routers lab say about each
# other when all is well, and when routerB presents a wrong-name
# certificate under fail-soft and under fail-hard, and when routerB does
# not speak key management at all: the security association in detail,
# show peers security and show alarms, on both routers.  Every view must
# tell the same story as the alarms (a refused or silent peer is never UP
# or Valid).  The transcript, normalised (security-views.sed), is compared
# with security-views/CASE.out; GOLDEN_UPDATE=1 rewrites those instead.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
need_root "the security views lab test"
command -v openssl >/dev/null || { echo "SKIP: no openssl command"; exit 77; }
export SVRLAB_NAME="e2esv$$"
trap '"$SVRLAB" down >/dev/null 2>&1; test_cleanup' EXIT
fail() { echo "FAIL: $*"; exit 1; }
here=${top_srcdir:-.}/tests/e2e
batch_() { printf '%s\n' "$2" | "$SVRLAB" exec "$1" svrsh 2>&1; }

ca=$(test_tmpdir)
. "$here/lab-ca.sh"
lab_ca "$ca" || fail "making the test CA and certificates"
lab_ca_up "$ca"

failed=0
views() { # CASE: both routers' views, normalised, against security-views/CASE.out
	for r in routerA routerB; do
		p=routerB
		[ $r = routerB ] && p=routerA
		for v in "show security security-associations $p detail" "show peers security" \
			"show alarms"; do
			echo "## $r# $v"
			# alarms raised in the same second come in either order:
			# their rows sorted, without their numbers
			sh_ $r "$v" | sed -f "$here/security-views.sed" \
				-e 's/^\(router[AB]-1:\)[0-9][0-9]*  */\1N  /' |
				awk '/^router[AB]-1:N / { a[n++] = $0; next } { print }
					END { for (i = 0; i < n; i++) print a[i] | "sort" }'
		done
	done | sed -f "$here/security-views.sed" >"$ca/$1.got"
	if [ "${GOLDEN_UPDATE:-0}" = 1 ]; then
		cp "$ca/$1.got" "$here/security-views/$1.out"
		echo "updated security-views/$1.out"
	elif ! diff -u "$here/security-views/$1.out" "$ca/$1.got"; then
		echo "FAIL: $1: the views differ from security-views/$1.out"
		failed=1
	fi
}

complete() { # both routers keyed, both paths up, no alarm about the other
	for r in routerA routerB; do
		lab_until 30 $r 'show peers security' "Security Status: *MKEY_EXCH_COMP" 2 ||
			fail "$1: $r not complete: $(sh_ $r 'show peers security')"
		lab_until 10 $r 'show peers security' "^  Status: *up$" 2 ||
			fail "$1: $r paths not up: $(sh_ $r 'show peers security')"
		lab_until 15 $r 'show alarms' "router[AB]" 0 ||
			fail "$1: $r alarms stay: $(sh_ $r 'show alarms')"
	done
}

behaviour() { lab_ca_behaviour "$ca" "$1"; }

present() { lab_ca_present "$ca" "$1"; } # routerB presents KIND.pem from now on

complete valid
views valid

for how in fail-soft fail-hard; do
	behaviour $how
	present wrong-name
	# routerA refuses it; routerB, refused, learns it (12 s of its
	# certificate never acknowledged while routerA's datagrams arrive)
	lab_until 15 routerA 'show alarms' "MAJOR .*certificate for peer routerB was refused (wrong name" 1 ||
		fail "$how: routerA's alarm: $(sh_ routerA 'show alarms')"
	lab_until 30 routerB 'show alarms' "MAJOR .*Peer routerA has not accepted the certificate of routerB" 1 ||
		fail "$how: routerB's alarm: $(sh_ routerB 'show alarms')"
	lab_until 10 routerB 'show alarms' "Client certificate of routerB: local" 1 ||
		fail "$how: routerB's client-certificate alarm: $(sh_ routerB 'show alarms')"
	views "$how-wrong-name"
	present b
	complete "$how recovered"
done
behaviour fail-soft

# routerB stops speaking key management: routerA says so, and nothing
# calls the association up
batch_ routerB "set authority enhanced-security-key-management false
commit" >"$ca/b.out" || fail "routerB without key management: $(cat "$ca/b.out")"
lab_until 30 routerA 'show alarms' "CRITICAL .*does not speak enhanced security key management" 1 ||
	fail "no-key-management: routerA's alarm: $(sh_ routerA 'show alarms')"
views no-key-management
exit $failed
