#!/bin/sh
# Install the dependencies, build and run every test: the normal build with
# warnings as errors, then the same suite built with AddressSanitizer and
# UndefinedBehaviorSanitizer.  Tests that need root (network namespaces)
# run when this runs as root and say SKIP otherwise.  Ends with one line:
# "N passed, N failed, N skipped".  Idempotent.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
status=0

if [ "$(id -u)" -eq 0 ]; then
	"$top/scripts/deps.sh" || exit 1
else
	echo "check: not root: dependencies not installed, root-only tests will SKIP"
fi

run_suite() { # NAME BUILDDIR CONFIGURE-OPTIONS...
	name=$1 dir=$2
	shift 2
	echo "=== $name build"
	# Stale results from an earlier run must not be counted.
	find "$dir" -name '*.trs' -delete 2>/dev/null
	if ! "$top/scripts/build.sh" "$dir" --enable-werror "$@"; then
		echo "check: $name build failed"
		status=1
		return
	fi
	echo "=== $name tests"
	make -C "$dir" -j"$(nproc)" check >"$dir/check.out" 2>&1 || status=1
	grep -E '^(PASS|FAIL|XPASS|ERROR|SKIP):' "$dir/check.out" | grep -v '^PASS' || true
	grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' "$dir/check.out" || true
	if grep -qE '^(FAIL|ERROR|XPASS):' "$dir/check.out"; then
		status=1
		for log in $(grep -lE '^(FAIL|ERROR)' $(find "$dir/tests" -name '*.log')); do
			echo "--- $log"
			tail -40 "$log"
		done
	fi
}

run_suite normal "$top/build"
run_suite sanitizers "$top/build-asan" --enable-sanitizers CFLAGS="-g -O1"

echo "=== style"
if (cd "$top" && git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror) >/dev/null 2>&1; then
	echo "clang-format: ok"
else
	echo "clang-format: files differ from .clang-format (make format)"
	status=1
fi

sh "$top/tests/summary.sh" "$top/build" "$top/build-asan" || status=1
exit $status
