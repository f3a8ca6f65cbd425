#!/usr/bin/python3
"""check_reload_table.py - every schema row has its reload test.

Reads the rows of conf/conf_schema.c (conf_schema[] and conf_keys[], by
the conventions stated at the top of that file: a row's first line
starts with `{ .path = "X"`, and the row holds `.reload = true|false`)
and the tables of tests/integration/reload_table.py, which
tests/integration/test_reload.py works from.  Fails when:
  - a reloadable option has no entry in RELOADABLE (its observation);
  - a restart-only option has no entry in RESTART_ONLY (the test checks
    that a reload changing it warns and names it);
  - a key of "routes", "dialplans", "identities" or "acl" is reloadable
    and its group has no RELOADABLE entry, or is restart-only (the
    reload changes groups as a whole: test_reload.py knows no such key);
  - a table names an option the schema does not have, or the wrong table;
  - a "report" entry has no value in REPORT_VALUES.
Prints TAP.
"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.environ.get("top_srcdir") or os.path.dirname(HERE)
if not os.path.isabs(TOP):
    TOP = os.path.abspath(TOP)
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))

from reload_table import RELOADABLE, REPORT_VALUES, RESTART_ONLY  # noqa


def schema_rows(path):
    """[(table, path, reload)] in file order."""
    rows, table, cur = [], None, None
    with open(path) as f:
        for line in f:
            if re.search(r"conf_schema\[\] = \{", line):
                table = "conf_schema"
            elif re.search(r"conf_keys\[\] = \{", line):
                table = "conf_keys"
            m = re.search(r'\{ *\.path = "([^"]+)"', line)
            if m:
                if cur:
                    rows.append(cur)
                cur = [table, m.group(1), None]
            if cur is not None:
                m = re.search(r"\.reload = (true|false)", line)
                if m:
                    cur[2] = m.group(1) == "true"
            if line.startswith("};") and cur:
                rows.append(cur)
                cur = None
    return [tuple(r) for r in rows]


def main():
    n = [0]
    failed = [0]

    def ok(cond, desc):
        n[0] += 1
        if not cond:
            failed[0] += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", n[0], desc))

    rows = schema_rows(os.path.join(TOP, "conf", "conf_schema.c"))
    ok(len(rows) > 40 and all(r[2] is not None for r in rows),
       "%d schema rows read, each with its reload flag" % len(rows))
    names = set()
    for table, path, reload in rows:
        if table == "conf_schema":
            names.add(path)
            if reload:
                ok(path in RELOADABLE, "%s (reloadable) has a reload test"
                   " observation" % path)
            else:
                ok(path in RESTART_ONLY, "%s (restart-only) is changed by "
                   "the restart-only reload" % path)
        else:
            group = path.split(".", 1)[0]
            names.add(group)
            ok(reload and group in RELOADABLE, "%s reloads with its group "
               "%s, which has a reload test observation" % (path, group))
    for path in sorted(RELOADABLE):
        ok(path in names and path not in RESTART_ONLY,
           "RELOADABLE %s is a reloadable schema option" % path)
        if RELOADABLE[path] == "report":
            ok(path in REPORT_VALUES, "%s has a value for the report "
               "reload" % path)
    for path in sorted(RESTART_ONLY):
        ok(path in names and path not in RELOADABLE,
           "RESTART_ONLY %s is a restart-only schema option" % path)
    for path in sorted(REPORT_VALUES):
        ok(RELOADABLE.get(path) == "report",
           "REPORT_VALUES %s is a report entry" % path)
    print("1..%d" % n[0])
    return 1 if failed[0] else 0


if __name__ == "__main__":
    sys.exit(main())
