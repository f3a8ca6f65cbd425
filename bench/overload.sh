#!/bin/sh
# bench/overload.sh IMGATED [SECONDS [GEN]] - issue 16's overload
# acceptance for gateway.workers = 2 and = 1, one after the other
# (bench/workers.py): for each, the warm max rate (5 s steps, no
# failure and no 503), then 1.5x and 2x that rate for SECONDS (30) with
# overload control on.  Prints the load before and after and one line
# per overload step, the 2x line with the acceptance verdicts.  GEN: the
# load generator, sipload (default) or sipp (bench/loadgen.py).  Every
# step settles 10 s first, the overload steps at the max rate
# (workers.py --settle).  About 7 minutes on 2 CPUs; as root.
set -eu
exe=$(realpath "${1:?usage: bench/overload.sh IMGATED [SECONDS [GEN]]}")
secs=${2:-30}
gen=${3:-sipload}
here=$(dirname "$0")
echo "start: $(uptime)"
for w in 2 1; do
	echo "== gateway.workers = $w"
	python3 "$here/workers.py" --imgated "$exe" --workers "$w" \
	    --gen "$gen" --start 6000 --max-steps 5 --overload-seconds "$secs" \
	    --overload-lags 100 | grep -v '^machine:'
done
echo "end: $(uptime)"
