#!/usr/bin/python3
"""test_hugepages.py - imgated linked with jemalloc backs its heap with
transparent huge pages (gateway/malloc_conf.c, imgated(8) ENVIRONMENT),
and an operator's MALLOC_CONF still overrides that.

imgated with two workers, a static route to a sipp UAS, and 3,000
MESSAGEs from a sipp UAC at 1,000/s (each message keeps about 9 KiB
for seconds, so a worker's heap grows to a gigabyte at full load, and
in 4 KiB pages that growth costs hundreds of thousands of page faults);
asserted from /proc/PID/smaps_rollup: the workers' AnonHugePages are
above zero; started again with MALLOC_CONF=thp:never in its
environment, after the same load, zero.  Skipped where the
kernel gives no transparent huge pages (mode "never") or imgated does
not use jemalloc (built without it, or with the sanitizers).
"""

import os
import re
import sys

import gwtest
import imgtest
from imgtest import Procs, tap

THP_MODE = "/sys/kernel/mm/transparent_hugepage/enabled"


def thp_mode():
    """The kernel's THP mode ("always", "madvise", "never"), or None."""
    try:
        with open(THP_MODE) as f:
            m = re.search(r"\[(\w+)\]", f.read())
    except OSError:
        return None
    return m.group(1) if m else None


def worker_pids(gw):
    m = gwtest.wait_for(lambda: re.findall(
        r"worker (\d+) ready \(pid (\d+)\)", gw.log_text()) if len(
            re.findall(r"worker \d+ ready", gw.log_text())) >= 2 else None,
        30)
    return sorted(int(p) for _, p in m) if m else []


def maps_jemalloc(pid):
    try:
        with open("/proc/%d/maps" % pid) as f:
            return "jemalloc" in f.read()
    except OSError:
        return False


def huge_kb(pid):
    """AnonHugePages of @pid in kB, or None."""
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            m = re.search(r"^AnonHugePages:\s+(\d+) kB", f.read(), re.M)
    except OSError:
        return None
    return int(m.group(1)) if m else None


MESSAGES, RATE = 3000, 1000


def start(procs, uas, env=None):
    return gwtest.start_imgated(procs, imgtest.free_port(), workers=2,
                                verbose=False, env=env,
                                conf_extra=gwtest.static_route(uas.port))


def load(procs, gw):
    """MESSAGES at RATE from one sipp UAC; its exit status."""
    rc, _ = gwtest.run_uac(procs, "uac_message.xml", gw.port,
                           calls=MESSAGES, rate=RATE, timeout=30,
                           extra_args=["-s", "+12025550100"])
    return rc


def main():
    tap.plan(3)
    mode = thp_mode()
    with Procs("hugepages") as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        gw = start(procs, uas)
        pids = worker_pids(gw)
        tap.ok(len(pids) == 2, "two workers run", diag=gw.log_text()[-800:])
        why = None
        if mode in (None, "never"):
            why = "the kernel gives no transparent huge pages (%s)" % mode
        elif not pids or not all(maps_jemalloc(p) for p in pids):
            why = "imgated does not use jemalloc in this build"
        if why:
            tap.skip("the workers' heap is in huge pages", why)
            tap.skip("MALLOC_CONF=thp:never takes them away", why)
            gw.term()
            return tap.done()
        rc = load(procs, gw)
        sizes = [huge_kb(p) for p in pids]
        tap.ok(rc == 0 and sum(s or 0 for s in sizes) > 0,
               "the workers' heap is in huge pages",
               diag="sipp rc %s, AnonHugePages kB: %s (THP mode %s)" % (
                   rc, sizes, mode))
        gw.term()
        env = dict(os.environ, MALLOC_CONF="thp:never")
        gw = start(procs, uas, env=env)
        pids = worker_pids(gw)
        rc = load(procs, gw)
        sizes = [huge_kb(p) for p in pids]
        tap.ok(rc == 0 and len(pids) == 2 and all(s == 0 for s in sizes),
               "MALLOC_CONF=thp:never takes them away",
               diag="sipp rc %s, AnonHugePages kB: %s" % (rc, sizes))
        gw.term()
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
