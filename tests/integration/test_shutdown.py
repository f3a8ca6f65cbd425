#!/usr/bin/python3
"""test_shutdown.py - SIGTERM under load (imgated(8) SIGNALS,
gateway.shutdown_grace_ms in imgate.conf(5), issue 11).

A UAC sends 150 MESSAGEs/s, every other one to a relay route (a UAS that
answers 200 after up to 0.4 s) and the rest to a store-and-forward route
(a UAS that answers at once, except every fifth message, which it holds
for 6 s during the first run).  After 2 s imgated gets SIGTERM with
gateway.shutdown_grace_ms = 1500 while the UAC keeps sending; then it is
started again on the same spool and port.  Asserted: exit status 0
within the grace period plus a second; nothing from a sanitizer on its
stderr; the MESSAGEs that arrived during the grace period were answered
503 with Retry-After and not forwarded; relay transactions in flight
finished (no 503 for them); the spool deliveries still in flight at the
end of the grace period were put back without counting an attempt and
without a status=503 transaction line; every message got a final answer and every
202'd message was delivered after the restart; the second incarnation
also stops cleanly.
"""

import os
import re
import sqlite3
import sys
import time

import imgtest
from imgtest import Procs, tap
import saftraffic

RATE, SECONDS, TERM_AT, GRACE_MS = 150, 3.0, 2.0, 1500


def is_saf(n):
    return n % 2 == 0


def slow(n):
    return is_saf(n) and n % 5 == 0


def spool_rows(path):
    try:
        db = sqlite3.connect(path)
        try:
            return db.execute("SELECT msgid, attempts FROM spool").fetchall()
        finally:
            db.close()
    except sqlite3.Error as e:
        return str(e)


def sanitizer(log):
    return re.findall(r".*(?:Sanitizer|runtime error:).*", log)[:3]


def main():
    tap.plan(13)
    with Procs("shutdown") as procs:
        d = procs.tmpdir("shutdown")
        spool = os.path.join(d, "spool.sqlite")
        phase = {"first": True}

        def decide_saf(body, seen):
            n = saftraffic.body_id(body)
            if n is not None and slow(n) and phase["first"]:
                return 200, 6.0
            return 200, 0.0

        def decide_relay(body, seen):
            return 200, (saftraffic.body_id(body) or 0) % 9 * 0.05

        saf = saftraffic.PyUAS(decide_saf)
        relay = saftraffic.PyUAS(decide_relay)
        for u in (saf, relay):
            u.start()
            procs.add_cleanup(u.stop)
        gw = saftraffic.Gateway(procs, imgtest.free_port(), """
spool = { path = "%s"; retry_initial_ms = 300; retry_max_ms = 600;
  max_age_s = 600; commit_ms = 5; };
routes = (
  { name = "saf"; prefix = "+44"; action = "static";
    target = "sip:127.0.0.1:%d"; mode = "store-and-forward"; },
  { name = "relay"; prefix = "+49"; action = "static";
    target = "sip:127.0.0.1:%d"; } );
""" % (spool, saf.port, relay.port),
                                gateway_extra="shutdown_grace_ms = %d;" %
                                GRACE_MS)
        if not gw.start():
            tap.bail_out("imgated did not start: " + gw.log_text()[-1500:])
        uac = saftraffic.RateUAC(
            gw.addr, lambda n: ("sip:+4420794%05d@gw.test" if is_saf(n) else
                                "sip:+4930123%05d@gw.test") % n,
            RATE, SECONDS)
        t0 = time.monotonic()
        uac.start()
        procs.add_cleanup(uac.stop)
        time.sleep(max(0.0, t0 + TERM_AT - time.monotonic()))
        status, took = gw.term()
        log1 = gw.log_text()
        tap.diag("SIGTERM -> exit: %.2f s (grace %d ms)" % (took, GRACE_MS))
        tap.is_(status, 0, "SIGTERM under load: exit status 0")
        tap.ok(took <= GRACE_MS / 1000.0 + 1.0, "exited within the grace "
               "period plus a second", diag="%.2f s" % took)
        tap.ok(not sanitizer(log1), "no sanitizer report on stderr",
               diag=sanitizer(log1))
        m = re.search(r"shutting down: (\d+) messages? in flight, (\d+) "
                      r"spool deliver", log1)
        tap.ok(m and int(m.group(1)) > 0 and int(m.group(2)) > 0,
               "the log says how many messages and spool deliveries were "
               "in flight at the signal", diag=m and m.group(0))

        # Messages that came during the grace period: 503, not forwarded.
        refused = set(re.findall(r"sip: MESSAGE (\S+) from \S+ during "
                                 "shutdown -> 503", log1))
        ids = set(uac.by_cid[c] for c in refused if c in uac.by_cid)
        end = time.monotonic() + 10
        while time.monotonic() < end and any(
                uac.msgs[n]["final"] is None for n in ids):
            time.sleep(0.05)
        bad = [n for n in ids if uac.msgs[n]["final"] != 503 or
               not uac.msgs[n]["retry_after"]]
        got = set(saftraffic.body_id(b) for u in (saf, relay)
                  for _, _, b, _ in u.got)
        tap.ok(ids and not bad, "MESSAGEs arriving during the grace period "
               "were answered 503 with Retry-After", diag=(len(ids), bad[:5]))
        tap.ok(ids and not (ids & got), "... and not forwarded",
               diag=sorted(ids & got)[:5])

        # Relay transactions in flight finished within the grace period.
        shut503 = re.findall(r"txn (\d+): .*status=503 "
                             r"reason=\"shutting down\"", log1)
        tap.ok(not shut503, "relay transactions in flight finished within "
               "the grace period (none answered 503 at its end)",
               diag=shut503[:5])

        # Spool deliveries in flight: put back, attempt not counted.
        stopped = re.findall(r"txn (\d+): spooled message ([0-9a-f]{32}): "
                             r"delivery stopped by shutdown; due again at "
                             r"the next start, attempt not counted", log1)
        left = spool_rows(spool)
        attempts = dict(left) if isinstance(left, list) else {}
        tap.ok(stopped and all(attempts.get(mid) == 0 for _, mid in stopped),
               "spool deliveries in flight were put back, their attempt "
               "not counted", diag=(len(stopped), left if not isinstance(
                   left, list) else len(left)))
        lies = [t for t, _ in stopped if re.search(
            r"txn %s: .*status=503" % t, log1)]
        tap.ok(stopped and not lies, "no \"-> 503\" line for a spool "
               "delivery stopped by shutdown", diag=lies[:5])

        # Second run on the same spool: everything accepted is delivered.
        phase["first"] = False
        tap.ok(gw.start(), "imgated starts again on the same spool",
               diag=gw.log_text()[-1000:])
        uac.join(45)
        accepted = set(n for n, m in uac.msgs.items() if m["final"] == 202)
        unanswered = [n for n, m in uac.msgs.items() if not m["final"]]
        end = time.monotonic() + 20
        while time.monotonic() < end and not accepted <= saf.delivered()[0]:
            time.sleep(0.1)
        missing = sorted(accepted - saf.delivered()[0])
        codes = {}
        for m in uac.msgs.values():
            codes[m["final"]] = codes.get(m["final"], 0) + 1
        tap.diag("sent %d, answers %s, refused during the grace period %d, "
                 "spool deliveries put back %d" % (
                     len(uac.msgs), codes, len(ids), len(stopped)))
        tap.ok(not unanswered and not missing, "every message got a final "
               "answer and every 202'd message was delivered after the "
               "restart", diag=(unanswered[:5], missing[:5]))
        status, took = gw.term()
        log2 = gw.log_text()[len(log1):]
        tap.is_(status, 0, "the second incarnation stops with status 0")
        tap.ok(not sanitizer(log2) and "imgated: stopped" in log2,
               "... cleanly, without a sanitizer report",
               diag=sanitizer(log2) or log2[-500:])
    tap.done()


if __name__ == "__main__":
    main()
    sys.exit(imgtest.exit_status())
