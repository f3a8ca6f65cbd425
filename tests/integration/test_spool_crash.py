#!/usr/bin/python3
"""test_spool_crash.py - exactly-once acceptance across crashes
(imgate.conf(5) "Store-and-forward", issue 11).

Store-and-forward at a steady rate (a UAC sending 150 MESSAGEs/s for 9 s,
each retransmitted until it has a final answer), the destination a UAS
that answers after up to 0.4 s and refuses some attempts with 500, and
imgated SIGKILLed three times and restarted on the same spool and port.
Every eighth message loses its 202s until the next crash (as if the crash
fell between the COMMIT and the 202), and the UAS refuses it until then,
so its row is still in the spool when the retransmission reaches the new
incarnation.  Asserted: every message got a final answer; every 202'd
message was delivered (answered 200 by the UAS) at least once; no message
reached the UAS under two Call-IDs; the copies that reached a new
incarnation were answered 202 and not stored again (the log says so);
the spool ends empty; no sanitizer report.
The counts are printed as diag lines.  Runs once per spool backend
(pgfixture.backends(): SQLite, and PostgreSQL in a throwaway cluster,
where the restarted node, under the same spool.node_id, takes back the
rows it held).
"""

import os
import re
import sys
import time

import imgtest
import pgfixture
from imgtest import Procs, tap
import gwtest
import saftraffic

RATE, SECONDS, KILLS_AT = 150, 9.0, (2.0, 4.5, 7.0)


def run(procs, tap, spool):
    state = {"uac": None}

    def lossy(n):
        # Only messages sent well before the last crash: a later one
        # would wait for a crash that never comes.
        return n % 8 == 0 and n < RATE * (KILLS_AT[-1] - 0.3)

    def decide(body, seen):
        n = saftraffic.body_id(body)
        uac = state["uac"]
        # A lossy message stays in the spool until the next crash.
        if n is not None and lossy(n) and uac is not None and \
                uac.epoch == uac.msgs[n]["epoch"]:
            return 500, 0.0
        if n is not None and n % 5 == 1 and seen == 0:
            return 500, 0.05        # refused once, then taken
        return 200, (n or 0) % 9 * 0.05     # up to 0.4 s

    uas = saftraffic.PyUAS(decide)
    uas.start()
    procs.add_cleanup(uas.stop)
    gw = saftraffic.Gateway(procs, imgtest.free_port(), """%s
spool = { %s retry_initial_ms = 300; retry_max_ms = 600;
  max_age_s = 600; commit_ms = 5; max_inflight = 300; };
routes = ( { name = "saf"; prefix = "+44"; action = "static";
  target = "sip:127.0.0.1:%d"; mode = "store-and-forward"; } );
""" % (getattr(spool, "LIMITS", ""), spool.conf(), uas.port))
    if not gw.start():
        tap.bail_out("imgated did not start: " + gw.log_text()[-1500:])
    uac = saftraffic.RateUAC(gw.addr, lambda n: "sip:+4420794%05d@gw.test"
                             % n, RATE, SECONDS, lossy=lossy)
    state["uac"] = uac
    t0 = time.monotonic()
    uac.start()
    procs.add_cleanup(uac.stop)
    restarted = 0
    for at in KILLS_AT:
        time.sleep(max(0.0, t0 + at - time.monotonic()))
        gw.kill()
        uac.epoch += 1
        if gw.start():
            restarted += 1
    uac.join(60)
    msgs = uac.msgs
    accepted = set(n for n, m in msgs.items() if m["final"] == 202)
    unanswered = [n for n, m in msgs.items() if not m["final"]]
    other = sorted(set(m["final"] for m in msgs.values()) - {202, 0,
                                                             None})
    tap.ok(restarted == len(KILLS_AT), "imgated SIGKILLed and "
           "restarted %d times on the same spool" % len(KILLS_AT),
           diag=gw.log_text()[-1500:])
    tap.ok(not uac.is_alive() and not unanswered, "every message got "
           "a final answer", diag=(len(unanswered), unanswered[:10]))

    # Delivery: wait until every accepted message got its 200.
    end = time.monotonic() + 40
    while time.monotonic() < end:
        ok, cids = uas.delivered()
        if accepted <= ok and spool.rows() == 0:
            break
        time.sleep(0.2)
    ok, cids = uas.delivered()
    missing = sorted(accepted - ok)
    two_cids = {n: c for n, c in cids.items() if len(c) > 1}
    copies = sum(1 for _, _, b, c in uas.got if c == 200) - len(ok)
    log = gw.log_text()
    dedup = re.findall(r"a copy of spooled message ([0-9a-f]{32})", log)
    stored = re.findall(r"spooled as ([0-9a-f]{32})", log)
    lossy_acc = sum(1 for n in accepted if lossy(n))
    tap.diag("sent %d, accepted (202) %d, other answers %s, "
             "unanswered %d" % (len(msgs), len(accepted), other,
                                 len(unanswered)))
    tap.diag("delivered %d, delivered again under the same Call-ID "
             "%d, under another Call-ID %d" % (len(ok & accepted),
                                               copies, len(two_cids)))
    tap.diag("202s the UAC dropped (lost in a crash) %d; copies "
             "recognised after a restart %d; rows stored %d for %d "
             "message ids" % (uac.lost_202, len(dedup), len(stored),
                              len(set(stored))))
    tap.ok(len(accepted) >= len(msgs) * 0.9, "most messages accepted "
           "with 202 across the crashes", diag=(len(accepted),
                                                len(msgs)))
    tap.ok(not missing, "every 202'd message was delivered at least "
           "once", diag=missing[:20])
    tap.ok(not two_cids, "no message delivered under two Call-IDs",
           diag=list(two_cids.items())[:5])
    tap.ok(len(dedup) > 0 and lossy_acc > 0, "retransmissions that "
           "reached a new incarnation were recognised as copies of "
           "spooled messages", diag=(len(dedup), lossy_acc))
    tap.ok(gwtest.wait_for(lambda: spool.rows() == 0, 10, 0.1),
           "the spool ends empty", diag=spool.rows())
    status, _ = gw.term()
    log = gw.log_text()
    tap.ok(status == 0 and not re.search(r"Sanitizer|runtime error",
                                         log),
           "the last incarnation stops with status 0; no sanitizer "
           "report", diag=(status, re.findall(
               r".*(?:Sanitizer|runtime error).*", log)[:3]))


def main():
    tap.plan(8 * len(pgfixture.backends()))
    for backend in pgfixture.backends():
        with Procs("spoolcrash-" + backend) as procs:
            t = pgfixture.Prefixed(tap, "[%s] " % backend)
            if backend == "sqlite":
                d = procs.tmpdir("spoolcrash")
                run(procs, t, pgfixture.SqliteSpool(
                    os.path.join(d, "spool.sqlite")))
                continue
            why = pgfixture.available()
            if why is not None:
                for i in range(8):
                    t.skip("crash %d" % i, why)
                continue
            pg = pgfixture.PgCluster(procs)
            run(procs, t, pgfixture.PgSpool(pg, "spool"))
    tap.done()


if __name__ == "__main__":
    main()
    sys.exit(imgtest.exit_status())
