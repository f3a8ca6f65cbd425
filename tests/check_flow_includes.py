#!/usr/bin/python3
"""check_flow_includes.py - the middle knows no wire library.

Follows every project header that gateway/flow/*.[ch] includes, however
deep, and fails when one of them includes a header of sofia-sip,
libstrophe, c-ares or libpq, or when gateway/flow reaches a header of the
edges or of the modules that watch it (sipgw, xmppgw, handoff, dns,
metrics, txnlog: they are above the middle and are reached through
struct relay_side, struct dnsq_ops and struct txn_observer).  Prints TAP.
"""

import os
import re
import sys

SRC = os.environ.get("IMGATE_SRCDIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..")
WIRE = re.compile(r"^(sofia-sip/|strophe\.h|ares[._]|libpq|postgresql/)")
ABOVE = {"gateway/sipgw.h", "gateway/xmppgw.h", "gateway/handoff.h",
         "gateway/dns.h", "gateway/metrics.h", "gateway/txnlog.h",
         "gateway/loop_su.h"}
INC = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def includes(path):
    with open(os.path.join(SRC, path), encoding="utf-8") as f:
        for line in f:
            m = INC.match(line)
            if m:
                yield m.group(1) == '"', m.group(2)


def reach(start):
    """Every (chain, header) reached from @start."""
    seen, todo, found = set(), [(start, [start])], []
    while todo:
        path, chain = todo.pop()
        for local, name in includes(path):
            found.append((chain, name))
            if local and name not in seen and \
                    os.path.exists(os.path.join(SRC, name)):
                seen.add(name)
                todo.append((name, chain + [name]))
    return found


def main():
    flow = sorted("gateway/flow/" + f
                  for f in os.listdir(os.path.join(SRC, "gateway", "flow"))
                  if f.endswith((".c", ".h")))
    n = 0
    fail = 0
    for f in flow:
        bad = [(c, h) for c, h in reach(f)
               if WIRE.match(h) or h in ABOVE]
        n += 1
        if bad:
            fail = 1
            print("not ok %d - %s reaches what the middle must not see" %
                  (n, f))
            for c, h in bad:
                print("# %s -> %s" % (" -> ".join(c), h))
        else:
            print("ok %d - %s: no wire library, no edge" % (n, f))
    print("1..%d" % n)
    return fail


sys.exit(main())
