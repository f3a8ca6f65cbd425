#!/bin/sh
# tests/fuzz/replay_corpus.sh - replay every fuzz corpus under make check.
#
# Each tests/fuzz/corpus/<target>/ file is fed to the libFuzzer entry
# point of that target through the standalone driver (fuzz_replay.c), so
# a crash found once stays fixed without clang.  The drivers' TAP streams
# are renumbered into one.
b=${IMGATE_BUILDDIR:-.}
s=${IMGATE_SRCDIR:-${srcdir:-.}}
n=0
fail=0
for t in e164 e2u naptr dnsmsg xlate sipin dnsauth olsip; do
	bin="$b/tests/fuzz/fuzz_replay_$t"
	out=$("$bin" "$s/tests/fuzz/corpus/$t" 2>&1)
	rc=$?
	# Keep the drivers' verdicts, renumbered.
	while IFS= read -r line; do
		case "$line" in
		"ok "*)
			n=$((n + 1))
			echo "ok $n - $t: ${line#* - }" ;;
		"not ok "*)
			n=$((n + 1)); fail=1
			echo "not ok $n - $t: ${line#* - }" ;;
		esac
	done <<EOT
$out
EOT
	if [ "$rc" -ne 0 ]; then
		n=$((n + 1)); fail=1
		echo "not ok $n - $t: driver exited $rc"
		echo "$out" | tail -20 | sed 's/^/# /'
	fi
done
echo "1..$n"
exit $fail
