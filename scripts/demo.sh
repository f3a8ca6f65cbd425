#!/bin/sh
# The demo of the README: install what is needed, build, then show
# messages between SIP and XMPP both ways through real unbound (ENUM
# zone), Prosody, imgated and sipp on loopback (scripts/demo.py).
# --keep leaves the lab running until Ctrl-C.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
"$top/scripts/install-deps.sh"
[ -x ./configure ] || ./bootstrap >/dev/null
mkdir -p _build/demo
cd _build/demo
[ -f Makefile ] || "$top/configure" >configure.out 2>&1 ||
    { tail -20 configure.out; exit 1; }
make -j"$(nproc 2>/dev/null || echo 2)" imgated imgate-lookup >make.out 2>&1 ||
    { tail -40 make.out; exit 1; }
IMGATE_BUILDDIR=$(pwd) IMGATE_SRCDIR=$top exec /usr/bin/python3 \
    "$top/scripts/demo.py" "$@"
