#!/usr/bin/python3
"""test_crash_faults.py - imgated disturbed while it serves: its
supervisor killed (imgated(8) PROCESSES).

(1) gateway.workers = 2, a store-and-forward route, a control socket;
the supervisor alone is SIGKILLed (not its process group, as an OOM
killer or a stray kill does).  Asserted: both workers stop by
themselves, drained as on SIGTERM, within gateway.shutdown_grace_ms and
a few seconds (an orphaned worker would keep the SIP port and the
spool's lock: the next imgated could not start); a new imgated starts on
the same spool, port and control socket, accepts and delivers.
"""

import os
import re
import signal
import sys
import time

import imgtest
from imgtest import Procs, tap
import gwtest
import saftraffic

GRACE_MS = 1500


def gone(pid):
    """The process has exited (a zombie nobody reaps counts as gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def sanitizer(log):
    return re.findall(r".*(?:Sanitizer|runtime error:).*", log)[:3]


def supervisor_killed(procs):
    uas = saftraffic.PyUAS(lambda body, seen: (200, 0.0))
    uas.start()
    procs.add_cleanup(uas.stop)
    d = procs.tmpdir("supkill")
    gw = saftraffic.Gateway(procs, imgtest.free_port(), """
spool = { path = "%s/spool/spool.sqlite"; commit_ms = 5; };
control = { socket = "%s/imgated.sock"; };
routes = ( { name = "saf"; prefix = "+44"; action = "static";
  target = "sip:127.0.0.1:%d"; mode = "store-and-forward"; } );
""" % (d, d, uas.port), gateway_extra="shutdown_grace_ms = %d;" % GRACE_MS,
        workers=2)
    if not gw.start():
        tap.bail_out("imgated did not start: " + gw.log_text()[-1500:])
    uac = saftraffic.RateUAC(gw.addr, lambda n: "sip:+4420794%05d@gw.test"
                             % n, 20, 1.0)
    uac.start()
    uac.join(30)
    first = set(n for n, m in uac.msgs.items() if m["final"] == 202)
    workers = [int(p) for p in re.findall(r"worker \d ready \(pid (\d+)\)",
                                          gw.log_text())]
    tap.ok(len(workers) == 2 and len(first) == len(uac.msgs) > 0,
           "(1) two workers serve, every message 202",
           diag=(workers, len(first), len(uac.msgs)))

    sup = gw.proc.pid
    os.kill(sup, signal.SIGKILL)
    t0 = time.monotonic()
    stopped = gwtest.wait_for(lambda: all(gone(p) for p in workers),
                              GRACE_MS / 1000.0 + 5)
    took = time.monotonic() - t0
    log = gw.log_text()
    tap.ok(stopped, "(1) the workers stop by themselves once the "
           "supervisor is SIGKILLed (%.1f s)" % took,
           diag=[p for p in workers if not gone(p)])
    tap.ok(len(re.findall(r"signal 15, shutting down", log)) == 2,
           "(1) each drained as on SIGTERM", diag=log[-1500:])

    started = gw.start(timeout=20)
    tap.ok(started, "(1) a new imgated starts on the same spool, port "
           "and control socket", diag=gw.log_text()[-1500:])
    uac2 = saftraffic.RateUAC(gw.addr, lambda n: "sip:+4420795%05d@gw.test"
                              % n, 20, 1.0, base=1000)
    uac2.start()
    uac2.join(30)
    second = set(1000 + n for n, m in uac2.msgs.items()
                 if m["final"] == 202)
    delivered = gwtest.wait_for(lambda: first | second <=
                                uas.delivered()[0], 15)
    tap.ok(started and len(second) == len(uac2.msgs) > 0 and delivered,
           "(1) it accepts and delivers: everything 202'd before and "
           "after the kill arrived",
           diag=(len(second), len(uac2.msgs), len(uas.delivered()[0])))
    rc, st, _, err = gwtest.imgatectl(d + "/imgated.sock", "status")
    tap.ok(rc == 0 and st and st.get("pid") == gw.proc.pid,
           "(1) imgatectl reaches the new daemon", diag=(rc, st, err))
    status, _ = gw.term()
    log = gw.log_text()
    tap.ok(status == 0 and not sanitizer(log), "(1) it stops with status "
           "0; no sanitizer report", diag=(status, sanitizer(log)))


def main():
    tap.plan(7)
    with Procs("crashfaults") as procs:
        supervisor_killed(procs)
    tap.done()


if __name__ == "__main__":
    main()
    sys.exit(imgtest.exit_status())
