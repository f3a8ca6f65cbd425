#!/usr/bin/env python3
"""The include rules of docs/ARCHITECTURE.md, checked on the sources.

Arrows point down: gateway/ -> routing/ -> enum/.  This fails on
  - an include from enum/ to routing/ or gateway/, or from routing/ to
    gateway/, or of a folder's private header (conf/conf_int.h) from
    outside that folder;
  - a wire library header (sofia-sip, libstrophe, c-ares, libpq) outside
    gateway/, or libconfig outside conf/;
  - an include cycle between modules.  A module is a .c file and its .h
    (gateway/flow/relay.c + gateway/flow/relay.h); module A depends on B
    when a file of A includes B's header with "...".  relay.c including
    spool.h while spool.c includes relay.h is such a cycle, even though
    no header includes itself.

Every source file under conf/, enum/, routing/ and gateway/ (any depth)
is read; tests/ may include what it needs.  A cycle another branch is
removing is named, edge by edge, in PENDING_EDGES below with the branch
that removes it: those edges are left out of the cycle check.  The lead
empties that list once the branch has landed; an edge that no longer
lies on a cycle fails the check, so that the list cannot go stale, and
an edge not in the tree at all is shown as a SKIP.  TAP.
"""
import os
import re
import sys

SRC = os.environ.get("IMGATE_SRCDIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..")

LAYERS = ("conf", "enum", "routing", "gateway")

# Which folder may not include which.
FORBIDDEN = {
    "enum": ("routing", "gateway"),
    "routing": ("gateway",),
}

# <header> prefixes and names that belong to one folder only.
WIRE = [
    (re.compile(r"^sofia-sip/"), "sofia-sip", "gateway"),
    (re.compile(r"^strophe\.h$"), "libstrophe", "gateway"),
    (re.compile(r"^ares(_[a-z0-9_]+)?\.h$"), "c-ares", "gateway"),
    (re.compile(r"^(libpq-fe|libpq/.*|pg_config.*)\.h$"), "libpq",
     "gateway"),
    (re.compile(r"^libconfig\.h$"), "libconfig", "conf"),
]

# Headers private to their folder.
PRIVATE = {"conf/conf_int.h": "conf",
           "gateway/xlate/xlate_int.h": "gateway/xlate"}

# Headers the build generates (configure's config.h).
GENERATED = {"config.h"}

# Include edges (module -> module) that close a cycle and that another
# branch removes.  Empty this list when those branches have landed.
PENDING_EDGES = {
    # Empty: the last cycles (metrics <-> xmppgw, metrics <-> workers /
    # workers_shm) are gone; the XMPP edge pushes its gauge into
    # metrics, and the counters' layout is a leaf header
    # (gateway/metrics_counters.h) that workers_shm includes.
    # ("gateway/a", "gateway/b"): "branch: why",
}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')

tests = []


def ok(cond, name, diag=None):
    tests.append((bool(cond), name, diag))


def sources():
    out = []
    for top in LAYERS:
        for root, dirs, files in os.walk(os.path.join(SRC, top)):
            dirs.sort()
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    p = os.path.join(root, f)
                    out.append(os.path.relpath(p, SRC).replace(os.sep, "/"))
    return out


def includes(path):
    res = []
    with open(os.path.join(SRC, path), encoding="utf-8",
              errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            m = INCLUDE.match(line)
            if m:
                res.append((n, m.group(1), m.group(2)))
    return res


def module(path):
    return path.rsplit(".", 1)[0]


def cycles(graph):
    """Strongly connected components of more than one module (Tarjan),
    each as a sorted tuple, plus self-loops of headers."""
    index, low, onstack, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        onstack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in onstack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                onstack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(tuple(sorted(comp)))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def reaches(graph, src, dst):
    seen, todo = set(), [src]
    while todo:
        v = todo.pop()
        if v == dst:
            return True
        if v not in seen:
            seen.add(v)
            todo.extend(graph.get(v, ()))
    return False


def main():
    files = sources()
    known = set(files)
    ok(len(files) > 50, "%d source files read under %s" %
       (len(files), ", ".join(LAYERS) + "/"))

    bad_arrow, bad_wire, missing = [], [], []
    graph = {}
    for path in files:
        top = path.split("/", 1)[0]
        for line, kind, inc in includes(path):
            where = "%s:%d: #include %s%s%s" % (
                path, line, kind, inc, '"' if kind == '"' else ">")
            if kind == '"':
                target = inc
                if target in GENERATED:
                    continue
                if target not in known:
                    # "foo.h" beside the file
                    local = os.path.dirname(path) + "/" + inc
                    if local in known:
                        target = local
                    else:
                        missing.append(where)
                        continue
                ttop = target.split("/", 1)[0]
                if ttop in FORBIDDEN.get(top, ()):
                    bad_arrow.append(where)
                if target in PRIVATE and not path.startswith(
                        PRIVATE[target] + "/"):
                    bad_arrow.append(where + " (private to %s/)" %
                                     PRIVATE[target])
                a, b = module(path), module(target)
                if a != b:
                    graph.setdefault(a, set()).add(b)
            else:
                for rx, lib, home in WIRE:
                    if rx.search(inc) and top != home:
                        bad_wire.append("%s (%s belongs in %s/)" %
                                        (where, lib, home))

    ok(not missing, 'every "..." include names a file in the tree',
       missing)
    ok(not bad_arrow, "no include from enum/ to routing/ or gateway/, "
       "nor from routing/ to gateway/, nor of a folder's private header",
       bad_arrow)
    ok(not bad_wire, "sofia-sip, libstrophe, c-ares and libpq only in "
       "gateway/, libconfig only in conf/", bad_wire)

    kept = {a: set(b for b in bs if (a, b) not in PENDING_EDGES)
            for a, bs in graph.items()}
    found = cycles(kept)
    ok(not found, "no include cycle between modules", [
        " <-> ".join(c) for c in found])
    for (a, b), branch in sorted(PENDING_EDGES.items()):
        name = ("pending edge %s -> %s (%s) still closes a cycle; remove "
                "it from PENDING_EDGES once it does not" % (a, b, branch))
        if b not in graph.get(a, ()):
            # Not in this tree: not merged yet, or removed (then the
            # lead deletes the entry; the SKIP line shows it).
            ok(True, name + " # SKIP edge not in this tree")
            continue
        ok(b in graph.get(a, ()) and reaches(graph, b, a), name)

    # The checker itself: a made-up cycle and arrow must be caught.
    ok(cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) ==
       [("a", "b", "c")], "self-test: a three-module cycle is found")
    ok(cycles({"a": {"b"}, "b": set()}) == [],
       "self-test: a chain is no cycle")
    ok(reaches({"a": {"b"}, "b": {"c"}}, "a", "c") and
       not reaches({"a": {"b"}, "b": {"c"}}, "c", "a"),
       "self-test: reachability follows the arrows")

    for i, (good, name, diag) in enumerate(tests, 1):
        print("%s %d - %s" % ("ok" if good else "not ok", i, name))
        if not good and diag:
            for d in diag:
                print("# " + d)
    print("1..%d" % len(tests))
    return 0 if all(t[0] for t in tests) else 1


if __name__ == "__main__":
    sys.exit(main())
