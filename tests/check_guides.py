#!/usr/bin/env python3
"""The imgate.conf snippets of the deployment guides load.

Every fenced block without a language in docs/deploy-*.md whose first
line opens an imgate.conf group ("xmpp = {", "acl = {") is checked with
imgated -n, after a gateway group.  (The Prosody snippet is run by
scripts/demo.py, i.e. tests/integration/test_demo.py; the ejabberd,
Kamailio and OpenSIPS snippets are for servers the suite does not
have.)  TAP.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

SRC = os.environ.get("IMGATE_SRCDIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..")
BUILD = os.environ.get("IMGATE_BUILDDIR") or os.getcwd()


def main():
    results = []
    for doc in sorted(glob.glob(os.path.join(SRC, "docs", "deploy-*.md"))):
        text = open(doc).read()
        for block in re.findall(r"^```\n(.*?)^```", text, re.S | re.M):
            if not re.match(r"[a-z_]+ = \{", block):
                continue
            with tempfile.NamedTemporaryFile("w", suffix=".conf",
                                             delete=False) as f:
                f.write('gateway = { domain = "gw.example.org"; };\n')
                f.write(block)
            r = subprocess.run([os.path.join(BUILD, "imgated"), "-n", "-f",
                                f.name], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT,
                               universal_newlines=True, timeout=30)
            os.unlink(f.name)
            results.append((r.returncode == 0, "%s: snippet '%s' loads" % (
                os.path.basename(doc), block.split("\n")[0]), r.stdout))
    results.insert(0, (len(results) >= 2, "the guides have imgate.conf "
                       "snippets", None))
    print("1..%d" % len(results))
    for i, (ok, name, diag) in enumerate(results, 1):
        print("%sok %d - %s" % ("" if ok else "not ", i, name))
        if not ok and diag:
            print("# " + diag.strip().replace("\n", "\n# "))
    return 0


if __name__ == "__main__":
    sys.exit(main())
