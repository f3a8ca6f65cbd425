#!/usr/bin/env python3
"""Every option a program accepts is documented in its man page, and
every option the man page documents is accepted (issue 14: imgated(8),
imgate-lookup(1), imgatectl(8) when it is built).

The programs are found generically: every bin_PROGRAMS / sbin_PROGRAMS
name in Makefile.am, its main source from NAME_SOURCES.  What a program
accepts is read from that source: the getopt()/getopt_long() option
string and the names of its struct option table.  What the man page
documents is every ".It Fl X" item (".It Fl h , Fl -help" documents
both).  The man page is docs/NAME.N for any section N.  TAP.
"""
import glob
import os
import re
import sys

SRC = os.environ.get("IMGATE_SRCDIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..")

tests = []


def ok(cond, name, diag=None):
    tests.append((bool(cond), name, diag))


def programs():
    am = open(os.path.join(SRC, "Makefile.am")).read()
    am = am.replace("\\\n", " ")
    names = []
    for m in re.finditer(r"^(?:bin|sbin)_PROGRAMS\s*\+?=\s*(.*)$", am, re.M):
        names += m.group(1).split()
    out = []
    for n in names:
        canon = re.sub(r"[^A-Za-z0-9_]", "_", n)
        m = re.search(r"^%s_SOURCES\s*=\s*(.*)$" % re.escape(canon), am,
                      re.M)
        srcs = [s for s in (m.group(1).split() if m else [])
                if s.endswith(".c")]
        out.append((n, srcs))
    return out


def accepted(srcs):
    """Options from getopt strings and struct option tables."""
    opts = set()
    found = False
    for s in srcs:
        text = open(os.path.join(SRC, s)).read()
        for m in re.finditer(r"getopt(?:_long)?\s*\([^,]+,[^,]+,\s*"
                             r"\"([^\"]*)\"", text):
            found = True
            for ch in m.group(1).replace(":", "").lstrip("+-"):
                opts.add("-" + ch)
        for m in re.finditer(r"struct option\s+\w+\[\]\s*=\s*\{(.*?)\};",
                             text, re.S):
            found = True
            for n in re.finditer(r"\{\s*\"([^\"]+)\"", m.group(1)):
                opts.add("--" + n.group(1))
    return opts if found else None


def documented(page):
    opts = set()
    for line in open(page):
        if not line.startswith(".It Fl "):
            continue
        for m in re.finditer(r"\bFl (-?[A-Za-z0-9][A-Za-z0-9-]*)", line):
            opts.add("-" + m.group(1))
    return opts


def main():
    progs = programs()
    ok(len(progs) >= 2, "Makefile.am installs at least imgated and "
       "imgate-lookup", diag=progs)
    for name, srcs in progs:
        pages = glob.glob(os.path.join(SRC, "docs", name + ".[1-8]"))
        ok(len(pages) == 1, "%s has one man page in docs/" % name,
           diag=pages)
        if len(pages) != 1:
            continue
        acc = accepted(srcs)
        ok(acc is not None, "%s: options found in %s" % (name, srcs))
        if acc is None:
            continue
        doc = documented(pages[0])
        ok(not (acc - doc), "%s: every accepted option is documented in "
           "%s" % (name, os.path.basename(pages[0])),
           diag=sorted(acc - doc))
        ok(not (doc - acc), "%s: every option %s documents is accepted"
           % (name, os.path.basename(pages[0])), diag=sorted(doc - acc))
    print("1..%d" % len(tests))
    for i, (c, name, diag) in enumerate(tests, 1):
        print("%sok %d - %s" % ("" if c else "not ", i, name))
        if not c and diag is not None:
            print("# %r" % (diag,))
    return 0


if __name__ == "__main__":
    sys.exit(main())
