#!/bin/sh
# tests/check_conf.sh - "imgated -n" on the configuration corpus.
#
# The example configurations (conf/imgate.conf.example and
# conf/examples/*.conf) and every tests/conf/good-*.conf must pass
# (exit 0); every tests/conf/bad-*.conf must fail (exit 1) with an error
# naming FILE:LINE (the "# line:" of the file) and containing its
# "# expect:" text.  Prints TAP.
b=${IMGATE_BUILDDIR:-.}
s=${IMGATE_SRCDIR:-${srcdir:-.}}
n=0
fail=0

check() {	# ok-condition description
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=1
	fi
}

for f in "$s/conf/imgate.conf.example" "$s"/conf/examples/*.conf \
    "$s"/tests/conf/good-*.conf; do
	# An unmatched glob stays as written (no examples in this tree).
	[ -e "$f" ] || continue
	(cd "$(dirname "$f")" && "$b/imgated" -n -f "$(basename "$f")") \
	    >/dev/null 2>&1
	check $? "imgated -n accepts $(basename "$f")"
done
for f in "$s"/tests/conf/bad-*.conf; do
	base=$(basename "$f")
	expect=$(sed -n 's/^# expect: //p' "$f" | head -1)
	line=$(sed -n 's/^# line: //p' "$f" | head -1)
	err=$("$b/imgated" -n -f "$f" 2>&1 >/dev/null)
	rc=$?
	[ "$rc" -eq 1 ]
	check $? "imgated -n refuses $base (exit $rc)"
	# The error names this file and line, or (for a mistake inside an
	# included file) the expected text itself carries FILE:LINE.
	r=1
	case "$err" in *"$base:$line:"*|*".inc:$line:"*) r=0 ;; esac
	case "$err" in *"$expect"*) ;; *) r=1 ;; esac
	check $r "$base: error names $base:$line and says \"$expect\""
	[ "$r" = 0 ] || echo "# got: $err"
done
echo "1..$n"
exit $fail
