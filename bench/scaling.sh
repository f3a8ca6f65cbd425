#!/bin/sh
# bench/scaling.sh - the scaling series of gateway.workers: the highest
# warm SIP->SIP rate at 1, 2, 4 and 8 workers, with the gateway pinned to
# CPUs of its own and the load generator (sipload or sipp) and NSD to
# others, then the overload scenario at 8 workers (control on).  Every
# step settles 10 s first (workers.py --settle).  For a machine with 16
# CPUs or more; about 8 minutes (20 search steps of 4 + 10 s, each
# worker count's search from 6 000/s times the count so that 5 steps
# reach past 6x one worker's max, two overload steps of 30 + 10 s,
# starts and stops).  Raw output:
# bench/scaling-<host>-<date>.txt
# (stderr: every step), plus results.json in the work directory.
#
# Usage: bench/scaling.sh IMGATED [GW_CPUS [GEN_CPUS [GEN]]]
#   defaults: GW_CPUS 0-7, GEN_CPUS 8-15, GEN sipload (or sipp)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exe=${1:?usage: scaling.sh IMGATED [GW_CPUS [GEN_CPUS [GEN]]]}
gw=${2:-0-7}
gen=${3:-8-15}
lg=${4:-sipload}
out="$here/scaling-$(hostname)-$(date -u +%Y%m%dT%H%MZ).txt"
{
	echo "# bench/scaling.sh $exe gw=$gw gen=$gen generator=$lg"
	lscpu | sed 's/^/# /'
	"$here/workers.py" --imgated "$exe" --workers 1,2,4,8 \
	    --seconds 4 --overload-seconds 30 --overload-lags 100 \
	    --start 6000 --start-per-worker --max-steps 5 \
	    --pin-gw "$gw" --pin-gen "$gen" --gen "$lg" \
	    --workdir "${WORKDIR:-$(mktemp -d)}"
} >"$out" 2>&1
cat "$out"
