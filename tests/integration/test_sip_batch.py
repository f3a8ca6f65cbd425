#!/usr/bin/python3
"""test_sip_batch.py - imgated reads its SIP UDP socket in batches
(gateway/sipgw_recv.c, imgated(8) imgate_sip_udp_reads_total), against
real unbound and sipp.

imgated (one process) is stopped with SIGSTOP while a burst of MESSAGEs
is sent to it in one go, then continued: the whole burst waits in its
socket, and it reads up to 32 datagrams a system call.  Nothing is
retransmitted here, so a datagram held in a batch that the loop were
not woken for would stay unanswered.  Asserted: (1) a burst that only
imgated answers (484, no downstream traffic to wake the loop) is
answered in full, each request exactly once; (2) a burst relayed to a
UAS, with one request sent twice in a row (a retransmission inside the
batch), is answered 200 in full, each request exactly once and the
retransmitted one at least once, and the UAS receives every message
exactly once; (3) the reads were batched: the metrics count fewer read
calls than datagrams, at most half as many; (4) the daemon serves on,
without sanitizer findings.
"""

import os
import re
import selectors
import signal
import time
import urllib.request

import imgtest
from imgtest import Procs, tap
import gwtest
import promparse
import sipuac

RURI = "sip:+12025550100@gw.test"
BAD_RURI = "sip:+1-800-FLOWERS@gw.test"
N_BAD = 45      # more than one batch, not a multiple of 32
N_OK = 60
SENDERS = 4


def udp_counts(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                timeout=10) as r:
        m = promparse.parse(r.read().decode())
    return (m.get(("imgate_sip_udp_reads_total", ()), 0),
            m.get(("imgate_sip_udp_datagrams_total", ()), 0))


def stopped(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "T"
    except OSError:
        return False


def burst_while_stopped(gw, uacs, dup=None):
    """Send every deferred request of @uacs while imgated is stopped
    (@dup: a (uac, call-id) sent twice in a row), then continue it."""
    os.kill(gw.proc.pid, signal.SIGSTOP)
    end = time.monotonic() + 10
    while not stopped(gw.proc.pid) and time.monotonic() < end:
        time.sleep(0.01)
    for i in range(max(len(u.deferred) for u in uacs)):
        for u in uacs:
            if i < len(u.deferred):
                p = u.pending[u.deferred[i]]
                u.sock.sendto(p["raw"], p["server"])
                if dup == (u, u.deferred[i]):
                    u.sock.sendto(p["raw"], p["server"])
    for u in uacs:
        u.deferred = []
    os.kill(gw.proc.pid, signal.SIGCONT)


def collect(uacs, timeout, linger=1.5):
    """Every final answer per Call-ID, without retransmitting: until
    each pending request has one (or @timeout), then @linger seconds
    more for answers sent twice."""
    got = {cid: [] for u in uacs for cid in u.pending}
    sel = selectors.DefaultSelector()
    for u in uacs:
        sel.register(u.sock, selectors.EVENT_READ)
    end = time.monotonic() + timeout
    done_at = None
    while time.monotonic() < end:
        if done_at is None and all(got.values()):
            done_at = time.monotonic()
        if done_at is not None and time.monotonic() > done_at + linger:
            break
        for key, _ in sel.select(0.1):
            data = key.fileobj.recv(65535)
            code, h = sipuac.UAC.parse(data)
            cid = h.get("call-id")
            if cid in got and code >= 200:
                got[cid].append(code)
    sel.close()
    return got


def main():
    with Procs("sip_batch") as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        dns = [gwtest.enum_naptr("+12025550100", "im:carol@sip.test")] + \
            gwtest.sip_domain("sip.test", uas.port, ttl=600)
        dns_port, _ = imgtest.start_unbound(dns, procs=procs)
        mport = imgtest.free_port()
        gw = gwtest.start_imgated(
            procs, dns_port, sip_timeout_ms=30000, workers=1,
            conf_extra='metrics = { enable = true; listen = '
            '"127.0.0.1:%d"; };' % mport)

        first = sipuac.UAC()
        code = first.message(gw.addr, RURI, body="warm", timeout=15)[0]
        tap.is_(code, 200, "a first message is relayed (DNS now cached)")

        # (1) answered by imgated alone
        r0, d0 = udp_counts(mport)
        uacs = [sipuac.UAC() for _ in range(SENDERS)]
        for i in range(N_BAD):
            uacs[i % SENDERS].send(gw.addr, BAD_RURI, body="bad-%d" % i,
                                   defer=True)
        burst_while_stopped(gw, uacs)
        got = collect(uacs, 60)
        codes = sorted({c for v in got.values() for c in v})
        missing = [c for c, v in got.items() if not v]
        twice = [c for c, v in got.items() if len(v) > 1]
        tap.ok(not missing, "(1) every request of a burst of %d that "
               "imgated answers itself was answered, none retransmitted"
               % N_BAD, diag="%d unanswered" % len(missing))
        tap.ok(codes == [484], "(1) each with 484", diag=str(codes))
        tap.ok(not twice, "(1) each answered exactly once",
               diag="%d twice" % len(twice))
        r1, d1 = udp_counts(mport)
        tap.ok(d1 - d0 >= N_BAD and 2 * (r1 - r0) <= d1 - d0,
               "(3) %d datagrams read with %d read calls"
               % (d1 - d0, r1 - r0))
        for u in uacs:
            u.close()

        # (2) relayed, with a retransmission inside the batch
        uacs = [sipuac.UAC() for _ in range(SENDERS)]
        sent = {}
        dup = None
        for i in range(N_OK):
            u = uacs[i % SENDERS]
            cid = u.send(gw.addr, RURI, body="ok-%d" % i, defer=True)
            sent[cid] = "ok-%d" % i
            if i == 10:
                dup = (u, cid)
        burst_while_stopped(gw, uacs, dup=dup)
        got = collect(uacs, 60)
        codes = sorted({c for v in got.values() for c in v})
        missing = [c for c, v in got.items() if not v]
        twice = [c for c, v in got.items() if len(v) > 1 and c != dup[1]]
        tap.ok(not missing, "(2) every request of a relayed burst of %d "
               "was answered, none retransmitted" % N_OK,
               diag="%d unanswered" % len(missing))
        tap.ok(codes == [200], "(2) each with 200", diag=str(codes))
        tap.ok(not twice, "(2) each sent once was answered exactly once",
               diag="%d twice" % len(twice))
        tap.ok(got[dup[1]], "(2) the retransmission inside the batch "
               "got its first copy's answer (%s)" % got[dup[1]])
        bodies = {}
        end = time.monotonic() + 30
        while time.monotonic() < end:
            bodies = {}
            for r in uas.requests():
                if r["method"] == "MESSAGE" and r["body"].startswith("ok-"):
                    bodies[r["body"]] = bodies.get(r["body"], 0) + 1
            if len(bodies) >= N_OK:
                break
            time.sleep(0.1)
        tap.ok(len(bodies) == N_OK and set(bodies.values()) == {1},
               "(2) the UAS received each of the %d messages exactly once"
               % N_OK, diag="%d bodies, counts %s" % (
                   len(bodies), sorted(set(bodies.values()))))
        r2, d2 = udp_counts(mport)
        tap.ok(d2 - d1 >= N_OK + 1 and 2 * (r2 - r1) <= d2 - d1,
               "(3) %d datagrams read with %d read calls"
               % (d2 - d1, r2 - r1))
        for u in uacs:
            u.close()

        code = first.message(gw.addr, RURI, body="after", timeout=15)[0]
        tap.is_(code, 200, "(4) a message after the bursts is relayed")
        tap.ok(gw.proc.poll() is None, "(4) imgated still runs")
        bad = re.findall(r"(AddressSanitizer|LeakSanitizer|runtime error:)"
                         r".*", gw.log_text())
        tap.ok(not bad, "(4) no sanitizer finding in imgated's output",
               diag="\n".join(bad[:5]))
        first.close()
    tap.done()


if __name__ == "__main__":
    main()
