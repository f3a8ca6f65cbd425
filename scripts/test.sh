#!/bin/sh
# The test command of the README (and of .ci/run): install what is needed,
# build, run the whole suite (unit + integration against real unbound,
# sipp, ...), then build again with ASan+UBSan and run it again, then
# make distcheck-unit.  Ends with one line: "N passed, N failed, N
# skipped" counted over both runs (a failed distcheck counts as one).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)

"$top/scripts/install-deps.sh" || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
[ -x ./configure ] || ./bootstrap >/dev/null 2>&1 || {
	echo "bootstrap failed"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

status=0
# Stale results of tests that no longer exist must not be counted.
find "$top/_build" -name "*.trs" -delete 2>/dev/null || true
run_build() {	# name, configure flags...
	name=$1; shift
	dir="$top/_build/$name"
	mkdir -p "$dir"
	echo "== $name build =="
	( cd "$dir" && "$top/configure" --enable-werror "$@" \
	    >configure.out 2>&1 ) || { tail -20 "$dir/configure.out";
	    return 1; }
	( cd "$dir" && make -j"$jobs" >make.out 2>&1 ) || {
	    grep -E "error|warning" "$dir/make.out" | head -40; return 1; }
	echo "== $name tests =="
	# -k: run every test even when one fails; the summary counts them.
	( cd "$dir" && make -k -j"$jobs" check \
	    >check.out 2>&1 )
	grep -aE "^(PASS|FAIL|ERROR|XPASS|SKIP)" "$dir/check.out" |
	    grep -v "^PASS" | head -60
	return 0
}

run_build plain || status=1
ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS
run_build sanitizers --enable-sanitizers=address,undefined CC=gcc ||
    status=1

# make distcheck with the unit tests and static checks (Makefile.am
# distcheck-unit), in a folder outside _build: its results are not
# counted below (the same tests ran in both builds), only its status.
echo "== distcheck =="
rm -rf "$top/_distcheck"
mkdir -p "$top/_distcheck"
if ( cd "$top/_distcheck" && "$top/configure" >configure.out 2>&1 &&
    make distcheck-unit >distcheck.out 2>&1 ); then
	rm -rf "$top/_distcheck"
else
	tail -40 "$top/_distcheck/distcheck.out" 2>/dev/null
	echo "distcheck failed (log: _distcheck/distcheck.out)"
	distcheck_failed=1
fi

# Count every TAP result of both runs from automake's .trs files.
pass=0; fail=0; skip=0
for f in $(find "$top/_build" -name '*.trs' 2>/dev/null); do
	p=$(grep -c '^:test-result: PASS' "$f")
	x=$(grep -c '^:test-result: XFAIL' "$f")
	s=$(grep -c '^:test-result: SKIP' "$f")
	e=$(grep -cE '^:test-result: (FAIL|XPASS|ERROR)' "$f")
	pass=$((pass + p + x)); skip=$((skip + s)); fail=$((fail + e))
done
fail=$((fail + ${distcheck_failed:-0}))
if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then
	fail=1	# a build that did not even run its tests is a failure
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
