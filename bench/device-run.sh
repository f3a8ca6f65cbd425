#!/bin/sh
# bench/device-run.sh - the scaling series (bench/scaling.sh) on the lent
# 16-core machine, with the programs of bench/device-bundle.sh (run
# here first; the run tool carries _device, which git ignores):
#
#   bench/device-bundle.sh _build/plain/imgated
#   run: bench/device-run.sh   (carry ["_device"], timeout_s 580)
#
# Prints what the machine is, then the series; the raw output and
# workers.py's results.json go to $OUT (the run tool brings that folder
# back) and stay in bench/ there as scaling.sh leaves them.  Needs only
# python3, taskset and a POSIX shell on that machine; no package, no
# compiler, no network.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dev=${DEVICE_DIR:-$here/../_device}
out=${OUT:-$(mktemp -d)}
[ -x "$dev/bin/imgated" ] || {
	echo "device-run: no bundle in $dev: run bench/device-bundle.sh" >&2
	exit 1; }
ncpu=$(nproc)
echo "device-run: $ncpu CPUs, $(uname -sr)"
if [ "$ncpu" -lt 16 ]; then
	echo "device-run: scaling.sh wants 16 CPUs (gateway 0-7, load" \
	    "8-15); this machine has $ncpu" >&2
	exit 1
fi
IMGATE_NSD=$dev/bin/nsd IMGATE_SIPLOAD=$dev/bin/sipload
export IMGATE_NSD IMGATE_SIPLOAD
work=$(mktemp -d)
status=0
WORKDIR=$work "$here/scaling.sh" "$dev/bin/imgated" 0-7 8-15 || status=$?
find "$here" -maxdepth 1 -name 'scaling-*.txt' -newer "$work" \
    -exec cp {} "$out/" \;
cp "$work/results.json" "$out/" 2>/dev/null || true
exit "$status"
