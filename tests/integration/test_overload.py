#!/usr/bin/python3
"""test_overload.py - overload control's refusals before parsing
(imgate.conf(5) gateway.overload_lag_ms, imgated(8)), against real
unbound and sipp.

Two workers (each relays from a port of its own, so that the answers of
the UAS do not queue behind the flood) are flooded over UDP by many
senders at once, faster than they can relay: their sockets fill, the
senders retransmit per RFC 3261 Timer E as real ones do, and the
workers shed.  Twice, once per rule (gateway/overload.h): [wait] by how
long each request waited in the socket (gateway.overload_wait_ms = 5,
and a loop lag mark of 2 s that the flood never reaches, so that only
that rule can refuse), [share] by the share that loop lag and queue age
move (gateway.overload_lag_ms = 10, overload_wait_ms = 0).  Asserted,
each time: (1) every request gets
a final answer, 200 or 503, nothing else and nothing left unanswered,
and some of each; (2) every 503 carries Retry-After and a To tag, the
refusals before parsing were counted (worker 0's
imgate_overload_refused_total{stage="raw"}) and logged in summary lines,
not one line per refusal, and after a refusal the next datagrams were
read in the same call (imgate_overload_batched_total); (3) no message
is both refused and delivered,
and every message answered 200 was delivered: a retransmission gets
what its first copy got; (4) every 503 the senders saw is among the
refusals the summary lines count; (5) once the flood is over the share
falls back to 0 and a message is relayed as before; (6) the daemon runs
on, without sanitizer findings.
"""

import re
import socket
import time

import imgtest
from imgtest import Procs, tap
import gwtest
from gwtest import enum_naptr as naptr, scrape
import sipuac

SENDERS = 20
PER_SENDER = 300
RURI = "sip:+12025550100@gw.test"


def metric(m, name, **labels):
    return m.get((name, tuple(sorted(labels.items()))), 0)


def flood(label, gateway_extra):
    """One daemon, one flood, the assertions above, each TAP line
    prefixed with [@label]."""
    def ok(cond, desc, diag=None):
        tap.ok(cond, "[%s] %s" % (label, desc), diag=diag)

    def is_(got, want, desc):
        tap.is_(got, want, "[%s] %s" % (label, desc))

    with Procs("overload-" + label) as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        dns = [naptr("+12025550100", "im:carol@sip.test"),
               *gwtest.sip_domain("sip.test", uas.port, ttl=600)]
        dns_port, _ = imgtest.start_unbound(dns, procs=procs)
        mport = imgtest.free_port()
        gw = gwtest.start_imgated(
            procs, dns_port, sip_timeout_ms=30000, workers=2,
            gateway_extra=gateway_extra,
            conf_extra='metrics = { enable = true; listen = '
            '"127.0.0.1:%d"; };' % mport)

        def log():
            return gw.log_text()

        first = sipuac.UAC()
        code = first.message(gw.addr, RURI, body="before", timeout=15)[0]
        is_(code, 200, "a message before the flood is relayed")

        uacs = [sipuac.UAC() for _ in range(SENDERS)]
        for u in uacs:
            u.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        sent = []
        for i in range(PER_SENDER):
            for k, u in enumerate(uacs):
                body = "f-%d-%d" % (k, i)
                sent.append((u, u.send(gw.addr, RURI, body=body,
                                       defer=True), body))
        sipuac.UAC.burst(uacs)
        end = time.monotonic() + 120
        while time.monotonic() < end and not all(
                p["final"] is not None for u in uacs
                for p in u.pending.values()):
            for u in uacs:
                u.poll(0.02)
        codes = {}
        for u, cid, body in sent:
            codes[body] = u.result(cid)[0]
        seen = sorted(set(codes.values()), key=str)
        ok(set(codes.values()) <= {200, 503},
           "(1) every request of the flood (%d) answered 200 or 503"
           % len(sent), diag="codes seen: %s" % seen)
        n503 = sum(1 for c in codes.values() if c == 503)
        n200 = sum(1 for c in codes.values() if c == 200)
        ok(n503 > 0 and n200 > 0, "(1) some refused (%d), some "
           "relayed (%d)" % (n503, n200))

        bad = [(body, h) for (u, cid, body) in sent
               for code, h, _ in [u.result(cid)] if code == 503 and (
                   not re.fullmatch(r"\d+", h.get("retry-after", "")) or
                   ";tag=" not in h.get("to", ""))]
        ok(not bad, "(2) every 503 has Retry-After and a To tag",
           diag=str(bad[:3]))
        m = scrape(mport)       # worker 0's
        raw = metric(m, "imgate_overload_refused_total", stage="raw")
        parsed = metric(m, "imgate_overload_refused_total", stage="parsed")
        dropped = metric(m, "imgate_overload_dropped_total")
        ok(raw > 0, "(2) refusals before parsing counted (raw %d, "
           "parsed %d, dropped %d)" % (raw, parsed, dropped))
        batched = metric(m, "imgate_overload_batched_total")
        ok(batched > 0, "(2) datagrams read on after a refusal, "
           "without a wakeup (%d)" % batched)
        # the summary lines of both workers, once a second at most
        time.sleep(2.5)
        lines = re.findall(r"sip: overload: (\d+) new MESSAGEs refused.*",
                           log())
        ok(lines and len(lines) < n503,
           "(2) refusals logged in summary lines (%d lines)"
           % len(lines), diag=log()[-1500:])
        counted = sum(int(n) for n in lines)
        gwtest.wait_for(lambda: len(gwtest.received_requests(
            uas.messages())) >= n200 + 1, 30, interval=0.1)
        got = {}
        for r in uas.requests():
            if r["method"] == "MESSAGE" and r["body"].startswith("f-"):
                got[r["body"]] = got.get(r["body"], 0) + 1
        tap.diag("delivered more than once (the SIP stack let a "
                 "transaction go before a retransmission came): %d"
                 % sum(1 for c in got.values() if c > 1))
        both = [b for b, c in codes.items() if c == 503 and b in got]
        hdrs = {body: u.result(cid)[1] for u, cid, body in sent}
        lost = [b for b, c in codes.items() if c == 200 and b not in got]
        ok(not both, "(3) no message both refused and delivered",
           diag="%d, e.g. %s %s" % (len(both), both[:5],
                                     both and hdrs[both[0]]))
        ok(not lost, "(3) every message answered 200 delivered",
           diag="%d, e.g. %s" % (len(lost), lost[:5]))
        ok(n503 <= counted,
           "(4) every 503 seen (%d) is among those counted (%d)"
           % (n503, counted))

        share = gwtest.wait_for(lambda: metric(
            scrape(mport), "imgate_overload_share_percent") == 0 or None, 30,
            interval=0.1)
        ok(share, "(5) the share falls back to 0 after the flood")
        # (and the other worker's, which has no endpoint of its own)
        time.sleep(2)
        code = first.message(gw.addr, RURI, body="after", timeout=15)[0]
        is_(code, 200, "(5) a message after the flood is relayed")

        ok(gw.proc.poll() is None, "(6) imgated still runs")
        bad = re.findall(r"(AddressSanitizer|LeakSanitizer|runtime error:)"
                         r".*", log())
        ok(not bad, "(6) no sanitizer finding in imgated's output",
           diag="\n".join(bad[:5]))
        for u in uacs + [first]:
            u.close()


def main():
    flood("wait", "overload_lag_ms = 2000; overload_wait_ms = 5;")
    flood("share", "overload_lag_ms = 10; overload_wait_ms = 0;")
    tap.done()


if __name__ == "__main__":
    main()
