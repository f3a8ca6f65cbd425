#!/usr/bin/python3
"""test_dns_health.py - ENUM server health (imgate.conf(5) "DNS server
health"): two real unbound servers with the same data, imgated asking
both (dns.health.mode hunt, dns.health.failures 3, dns.timeout_ms 1000,
tries 1, no cache so that every message asks DNS).

  1. Steady load: every query goes to the first server.
  2. NXDOMAIN answers, many in a row, never take a server out of service.
  3. The first server is frozen (SIGSTOP) under steady load (10 msg/s):
     messages sent while it is being detected wait for timeouts and are
     answered by the second server; it is taken out of service (logged)
     after 3 failures; from then on no message waits a whole timeout
     (only queries already in flight to it, which later messages may
     join, still end), and one timeout later answers are as fast as with
     both servers up.  None is lost: every message gets 200.
  4. SIGCONT: the probe (e164.arpa SOA, every dns.health.interval_ms) is
     answered, the server is back in service (logged), and queries reach
     it again.  The per-server counters logged at shutdown agree.
  5. A server that answers SERVFAIL (the suite's fakedns) is failed over
     at once, taken out of service after 3, and then asked no more.
Per-message answer times are printed.
"""

import os
import signal
import sys
import time

import imgtest
from imgtest import Procs, tap
import gwtest
from gwtest import enum_owner as key
import sipuac

GOOD = "+12025550140"
MISSING = "+12025550149"
TIMEOUT_MS = 1000
FAILURES = 3
INTERVAL_MS = 1000


def dns_data(uas_port):
    return [
        gwtest.enum_naptr(GOOD, "im:h@health.test", ttl=60),
        *gwtest.sip_domain("health.test", uas_port),
    ]


def naptr_count(proc):
    return sum(1 for n, t in imgtest.unbound_query_log(proc.query_log)
               if t == "NAPTR" and imgtest.norm_owner(n) == key(GOOD))


def load(uac, gw, number, seconds, rate, watch=None):
    """Send MESSAGEs at @rate per second for @seconds; returns
    [(sent_at, cid)] and, with @watch (a regexp), when the daemon's log
    first showed it (monotonic time, or None)."""
    import re
    sent, seen = [], None
    rx = re.compile(watch) if watch else None
    start = time.monotonic()
    n = int(seconds * rate)
    for i in range(n):
        due = start + i / rate
        while True:
            now = time.monotonic()
            if now >= due:
                break
            uac.poll(min(0.02, due - now))
            if not uac.pending or all(p["final"] is not None
                                      for p in uac.pending.values()):
                time.sleep(max(0.0, min(0.02, due - time.monotonic())))
        t = time.monotonic()
        sent.append((t, uac.send(gw.addr, "sip:%s@gw.test" % number)))
        if rx is not None and seen is None and rx.search(gw.log_text()):
            seen = time.monotonic()
    uac.poll(20.0)
    if rx is not None and seen is None and rx.search(gw.log_text()):
        seen = time.monotonic()
    return sent, seen


def times(uac, sent):
    out = []
    for t, cid in sent:
        code, _, secs = uac.result(cid)
        out.append((t, code, secs))
    return out


def main():
    with Procs("dns-health") as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        data = dns_data(uas.port)
        port_a, ub_a = imgtest.start_unbound(data, procs=procs, name="ub-a")
        port_b, ub_b = imgtest.start_unbound(data, procs=procs, name="ub-b")
        gw = gwtest.start_imgated(
            procs, [port_a, port_b], dns_timeout_ms=TIMEOUT_MS,
            dns_extra='cache_entries = 0; health = { failures = %d; '
            'interval_ms = %d; mode = "hunt"; probe_name = "e164.arpa"; '
            'probe_type = "SOA"; };' % (FAILURES, INTERVAL_MS))
        uac = sipuac.UAC()

        # 1. steady load, both servers well: hunt asks the first only
        sent, _ = load(uac, gw, GOOD, 1.0, 10)
        r = times(uac, sent)
        tap.ok(all(c == 200 for _, c, _ in r),
               "steady load, both servers up: %d messages, all 200" % len(r),
               diag=[c for _, c, _ in r])
        base = sorted(s for _, _, s in r if s is not None)
        base_med = base[len(base) // 2] if base else 0
        tap.diag("answer times, both up: median %.0f ms, max %.0f ms" % (
            base_med * 1000, (base[-1] if base else 0) * 1000))
        tap.ok(naptr_count(ub_a) >= len(r) and naptr_count(ub_b) == 0,
               "hunt: every query went to the first server",
               diag="a %d, b %d" % (naptr_count(ub_a), naptr_count(ub_b)))

        # 2. NXDOMAIN, many in a row, is an answer, not a failure
        codes = [uac.message(gw.addr, "sip:%s@gw.test" % MISSING,
                             timeout=10)[0] for _ in range(3 * FAILURES)]
        tap.ok(all(c is not None and 400 <= c < 500 for c in codes),
               "%d NXDOMAIN numbers in a row: 4xx each" % len(codes),
               diag=codes)
        tap.ok("out of service" not in gw.log_text(),
               "NXDOMAIN answers never take a server out of service")
        before = naptr_count(ub_a)
        code = uac.message(gw.addr, "sip:%s@gw.test" % GOOD)[0]
        time.sleep(0.3)
        tap.ok(code == 200 and naptr_count(ub_a) > before and
               naptr_count(ub_b) == 0,
               "after the NXDOMAIN run the first server still answers")

        # 3. freeze the first server under steady load
        # (thawed on the way out too, so that it can be stopped)
        procs.add_cleanup(ub_a.send_signal, signal.SIGCONT)
        ub_a.send_signal(signal.SIGSTOP)
        frozen = time.monotonic()
        sent, down_at = load(uac, gw, GOOD, 5.0, 10,
                             watch=r"server 127\.0\.0\.1:%d out of "
                             r"service" % port_a)
        r = times(uac, sent)
        lost = [c for _, c, _ in r if c != 200]
        tap.ok(not lost, "first server frozen: all %d messages answered 200"
               " (none lost)" % len(r), diag=lost)
        tap.ok(down_at is not None,
               "the frozen server is taken out of service (logged)",
               diag=gw.log_text()[-1500:])
        m = gw.wait_log(r"out of service after (\d+) failures in a row", 1)
        tap.ok(m is not None and int(m.group(1)) == FAILURES,
               "after dns.health.failures = %d failures" % FAILURES)
        slow = [(t - frozen, s) for t, c, s in r
                if s is not None and s >= TIMEOUT_MS / 1000.0]
        fast_after = [(t - frozen, s) for t, c, s in r
                      if down_at is not None and t > down_at]
        for t, c, s in r:
            tap.diag("sent +%5.0f ms: %s in %5.0f ms" % (
                (t - frozen) * 1000, c, (s or 0) * 1000))
        tap.ok(slow, "messages sent while the freeze was being detected "
               "waited at least one timeout (%d of them)" % len(slow))
        # A message sent after that can only join a query already in
        # flight to it, which ends within one timeout of being sent
        # (before the message was): never a wait of a timeout or more,
        # give or take the second server's answer (100 ms of slack).
        lim = TIMEOUT_MS / 1000.0 + 0.1
        tap.ok(fast_after and all(s is not None and s < lim
                                  for _, s in fast_after),
               "after it was taken out of service no message waited a "
               "timeout for it (%d messages, max %.0f ms, timeout %d ms)" % (
                   len(fast_after), max([s or 0 for _, s in fast_after] or
                                        [0]) * 1000, TIMEOUT_MS),
               diag=[round((s or 0) * 1000) for _, s in fast_after
                     if s is None or s >= lim])
        # Queries already in flight to the frozen server when it was
        # taken out (coalesced waiters among them) end within one
        # timeout; after that nothing is added at all.
        settled = [s for t, c, s in r if down_at is not None and
                   t > down_at + TIMEOUT_MS / 1000.0]
        # (half a timeout: room for a loaded machine, far from a wait)
        tap.ok(len(settled) >= 5 and all(s is not None and
                                         s < TIMEOUT_MS / 2000.0
                                         for s in settled),
               "one timeout after that, answers are as fast as with both "
               "servers up (%d messages, max %.0f ms; both up: max %.0f "
               "ms)" % (len(settled), max([x or 0 for x in settled] or [0])
                        * 1000, (base[-1] if base else 0) * 1000),
               diag=[round((x or 0) * 1000) for x in settled])
        det = (down_at - frozen) if down_at else None
        tap.ok(det is not None and
               det < (FAILURES * TIMEOUT_MS + 3000) / 1000.0,
               "detection window %.0f ms (timeout %d ms)" % (
                   (det or 0) * 1000, TIMEOUT_MS))
        tap.ok(naptr_count(ub_b) > 0,
               "the second server answered meanwhile (%d NAPTR queries)" %
               naptr_count(ub_b))

        # 4. thaw: the probe is answered, the server comes back
        ub_a.send_signal(signal.SIGCONT)
        m = gw.wait_log(r"server 127\.0\.0\.1:%d back in service "
                        r"\(answered the probe\)" % port_a,
                        timeout=INTERVAL_MS / 1000.0 * 3 + 10)
        tap.ok(m is not None, "thawed: back in service after answering "
               "the probe (logged)", diag=gw.log_text()[-1500:])
        time.sleep(0.5)
        probes = [1 for n, t in imgtest.unbound_query_log(ub_a.query_log)
                  if t == "SOA" and imgtest.norm_owner(n) == "e164.arpa."]
        tap.ok(probes, "the probe (e164.arpa SOA) reached the server")
        before_a, before_b = naptr_count(ub_a), naptr_count(ub_b)
        sent, _ = load(uac, gw, GOOD, 1.0, 5)
        r = times(uac, sent)
        time.sleep(0.5)
        tap.ok(all(c == 200 for _, c, _ in r) and
               naptr_count(ub_a) >= before_a + len(r) and
               naptr_count(ub_b) == before_b,
               "queries reach the first server again (hunt)",
               diag="a +%d, b +%d of %d" % (naptr_count(ub_a) - before_a,
                                           naptr_count(ub_b) - before_b,
                                           len(r)))
        tap.ok(gw.alive(), "imgated still running")
        uac.close()

        # the counters (dns_server_stats(), logged at shutdown)
        procs.stop(gw.proc)
        import re
        stats = {}
        for m in re.finditer(r"dns: server 127\.0\.0\.1:(\d+): ([a-z ]+), "
                             r"(\d+) queries, (\d+) failures, (\d+) times "
                             r"out of service, (\d+) probes \((\d+) failed\)",
                             gw.log_text()):
            stats[int(m.group(1))] = (m.group(2),) + tuple(
                int(x) for x in m.groups()[2:])
        tap.diag("server counters: %s" % stats)
        sa, sb = stats.get(port_a), stats.get(port_b)
        tap.ok(sa is not None and sa[0] == "in service" and sa[2] >= FAILURES
               and sa[3] == 1 and sa[4] >= 1,
               "first server's counters: in service, >= %d failures, once "
               "out of service, probed" % FAILURES, diag=sa)
        tap.ok(sb is not None and sb[0] == "in service" and sb[1] > 0 and
               sb[2] == 0 and sb[3] == 0 and sb[4] == 0,
               "second server's counters: answered, no failure", diag=sb)

        # 5. SERVFAIL: a server that answers SERVFAIL is failed over at
        # once (no timeout) and taken out after dns.health.failures
        bad = imgtest.start_fakedns(
            [dict(a, rcode="SERVFAIL", rrs=[]) for a in data],
            procs=procs, log=os.path.join(procs.tmpdir("fake"), "q.log"))
        gw2 = gwtest.start_imgated(
            procs, [bad.port, port_b], dns_timeout_ms=TIMEOUT_MS,
            dns_extra='cache_entries = 0; health = { failures = %d; '
            'interval_ms = 600000; };' % FAILURES)
        uac = sipuac.UAC()
        r = [uac.message(gw2.addr, "sip:%s@gw.test" % GOOD, timeout=10)
             for _ in range(2 * FAILURES)]
        tap.ok(all(c == 200 and s_ is not None and
                   s_ < TIMEOUT_MS / 2000.0 for c, _, s_ in r),
               "SERVFAIL from the first server: answered by the second at "
               "once, no timeout waited (max %.0f ms)" % (
                   max(s_ or 0 for _, _, s_ in r) * 1000),
               diag=[(c, s_) for c, _, s_ in r])
        m = gw2.wait_log(r"server 127\.0\.0\.1:%d out of service after "
                         r"(\d+) failures in a row \(last: SERVFAIL\)" %
                         bad.port, 3)
        tap.ok(m is not None and int(m.group(1)) == FAILURES,
               "SERVFAILs take the server out of service",
               diag=gw2.log_text()[-1200:])
        n = len(bad.queries())
        r = [uac.message(gw2.addr, "sip:%s@gw.test" % GOOD, timeout=10)[0]
             for _ in range(3)]
        time.sleep(0.3)
        tap.ok(r == [200] * 3 and len(bad.queries()) == n,
               "out of service: no query reaches it any more",
               diag="%s, %d new queries" % (r, len(bad.queries()) - n))
        uac.close()
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
