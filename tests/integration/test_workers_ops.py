#!/usr/bin/python3
"""test_workers_ops.py - one /metrics endpoint and one control socket for
imgated with gateway.workers = 2 (imgated(8) PROCESSES, imgatectl(8)),
against real unbound and sipp.

Asserted: (1) /metrics counts the messages of both workers: the sum
equals what was sent, each worker's share is labelled worker="K" and
both have some; (2) imgatectl status and stats list every worker (pid,
restarts, transactions, loop lag) and sum the counters; (3) cache dump
shows both workers' caches, --worker N one of them; cache flush
empties one (--worker N) or both; (4) reload: a
broken file is refused with one verdict and no worker changes; a good
one is applied by every worker (one verdict, every sender meets the new
route); SIGHUP with a broken file changes no worker either; (5) a
killed worker 1 is restarted, counted, applies the reloaded
configuration before it says it is ready and keeps it, and the
counters do not go back; (6) a killed worker 0, which serves
/metrics and the control socket, is restarted and both come back with
the counters intact.
"""

import os
import re
import signal
import time

import imgtest
from imgtest import Procs, tap
import gwtest
from gwtest import enum_owner as key, wait_for, send_all
import promparse
import sipuac

SENDERS = 16
M = promparse.value


def ctl(sock, *args):
    """(rc, parsed JSON or None) of imgatectl -j."""
    return gwtest.imgatectl(sock, *args)[:2]


def scrape(port):
    """The parsed samples, or None while nothing answers (a worker
    restarting)."""
    return gwtest.scrape(port, none_on_error=True)


def in_2xx(s):
    return M(s, "imgate_messages_in_total",
             **{"protocol": "sip", "class": "2xx"})


def in_all(s):
    return sum(v for (n, _), v in s.items()
               if n == "imgate_messages_in_total")


def per_worker(s, name):
    return dict((int(dict(ls)["worker"]), v) for (n, ls), v in s.items()
                if n == name and "worker" in dict(ls))


ROUTES = """
routes = (
%s
  { name = "all"; prefix = "+"; action = "enum"; }
);
"""
DENY = ('  { name = "no"; prefix = "+12025550100"; action = "deny"; '
        'status = 403; },')


def main():
    with Procs("workers_ops") as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        dns = [gwtest.enum_naptr("+12025550100", "im:carol@sip.test", ttl=300),
               *gwtest.sip_domain("sip.test", uas.port, ttl=300)]
        dns_port, _ = imgtest.start_unbound(dns, procs=procs)
        d = procs.tmpdir("ops")
        sock = os.path.join(d, "imgated.sock")
        mport = imgtest.free_port()
        extra = """
control = { socket = "%s"; };
metrics = { enable = true; listen = "127.0.0.1:%d"; };
""" % (sock, mport)
        gw = gwtest.start_imgated(procs, dns_port, workers=2,
                                  conf_extra=extra + ROUTES % "")
        log = gw.log_text
        tap.ok(gw.wait_log(r"imgated ready: 2 workers serving", 20),
               "a supervisor starts 2 workers", diag=log()[-1500:])
        pids = dict((int(k), int(p)) for k, p in
                    re.findall(r"worker (\d) ready \(pid (\d+)\)", log()))

        # (1) /metrics: the sum over both workers
        uacs = [sipuac.UAC() for _ in range(SENDERS)]
        codes = send_all(uacs, gw, "sip:+12025550100@gw.test", "m")
        tap.ok(codes == [200] * SENDERS, "(1) %d senders, every message "
               "200" % SENDERS, diag="%s\n%s" % (codes, log()[-1500:]))
        s = wait_for(lambda: (lambda x: x if x and in_2xx(x) >= SENDERS
                              else None)(scrape(mport)), 10) or {}
        tap.is_(in_2xx(s), SENDERS, "(1) /metrics: sip 2xx in = the "
                "messages sent through both workers")
        share = per_worker(s, "imgate_worker_messages_in_total")
        tap.ok(sorted(share) == [0, 1] and sum(share.values()) == SENDERS
               and all(v > 0 for v in share.values()),
               "(1) each worker's share labelled worker=K, both served, "
               "adding up (%s)" % share)
        tap.ok(M(s, "imgate_messages_out_total",
                 **{"protocol": "sip", "class": "2xx"}) == SENDERS and
               M(s, "imgate_routing_decisions_total", route="all",
                 outcome="ok") == SENDERS,
               "(1) out and routing decisions summed too")
        tap.ok(sorted(per_worker(s, "imgate_worker_up").items()) ==
               [(0, 1), (1, 1)] and len(per_worker(
                   s, "imgate_worker_loop_lag_seconds")) == 2,
               "(1) per-worker gauges: up, loop lag")
        # Each worker asked unbound itself (its own cache): the NAPTR
        # at least twice in the sum, published by each worker's tick.
        s = wait_for(lambda: (lambda x: x if x and M(
            x, "imgate_dns_queries_total") >= 2 * 3 else None)(
                scrape(mport)), 5) or {}
        tap.ok(M(s, "imgate_dns_queries_total") >= 6, "(1) DNS queries: "
               "both workers' resolvers summed (%s)" %
               M(s, "imgate_dns_queries_total"))

        # (2) imgatectl status / stats
        rc, st = ctl(sock, "status")
        ws = (st or {}).get("workers", [])
        tap.ok(rc == 0 and st["pid"] == gw.proc.pid and
               [w["worker"] for w in ws] == [0, 1] and
               dict((w["worker"], w["pid"]) for w in ws) == pids and
               all(w["running"] and w["restarts"] == 0 and
                   "loop_lag_ms" in w and "transactions" in w
                   for w in ws),
               "(2) status: the supervisor's pid, every worker with its "
               "pid, restarts, transactions, loop lag", diag=str(st))
        rc, st = ctl(sock, "stats")
        ws = (st or {}).get("workers", [])
        tap.ok(rc == 0 and st["messages"]["in"]["sip"].get("2xx") ==
               SENDERS and sum(w["messages_in"] for w in ws) == SENDERS
               and len(ws) == 2 and st["dns"]["queries_sent"] >= 6,
               "(2) stats: messages and DNS summed, each worker's share",
               diag=str(st))

        # (3) cache dump / flush reach both workers
        owner = key("+12025550100").rstrip(".")

        def naptr_in(doc):
            return sorted(set(e["worker"] for e in doc.get("entries", [])
                              if e["type"] == "NAPTR" and
                              e["name"].rstrip(".").lower() == owner))
        rc, dump = ctl(sock, "cache", "dump")
        tap.ok(rc == 0 and naptr_in(dump or {}) == [0, 1],
               "(3) cache dump: the NAPTR in both workers' caches",
               diag=str(dump)[:1500])
        rc, dump = ctl(sock, "cache", "dump", "--worker", "1")
        tap.ok(rc == 0 and naptr_in(dump or {}) == [1] and all(
            e["worker"] == 1 for e in dump["entries"]),
            "(3) cache dump --worker 1: worker 1's cache only",
            diag=str(dump)[:1500])
        rc, fl = ctl(sock, "cache", "flush", "--worker", "1")
        tap.ok(rc == 0 and fl["flushed"] >= 3 and
               [w["worker"] for w in fl["workers"]] == [1],
               "(3) cache flush --worker 1: worker 1's only", diag=str(fl))
        rc, dump = ctl(sock, "cache", "dump")
        tap.ok(rc == 0 and naptr_in(dump or {}) == [0],
               "(3) cache dump: the NAPTR left in worker 0's cache only",
               diag=str(dump)[:1500])
        rc, bad = ctl(sock, "cache", "flush", "--worker", "2")
        tap.ok(rc != 0 and bad and not bad["ok"] and "--worker" in
               bad["error"], "(3) --worker 2 of 2 workers: refused",
               diag=str(bad))
        rc, fl = ctl(sock, "cache", "flush")
        tap.ok(rc == 0 and fl["flushed"] >= 3 and
               sorted(w["worker"] for w in fl["workers"]) == [0, 1] and
               [w["flushed"] >= 3 for w in fl["workers"]
                if w["worker"] == 0] == [True],
               "(3) cache flush: both workers asked, worker 0's entries "
               "counted", diag=str(fl))
        rc, dump = ctl(sock, "cache", "dump")
        tap.ok(rc == 0 and naptr_in(dump or {}) == [],
               "(3) cache dump after the flush: gone everywhere",
               diag=str(dump)[:1500])

        # (4) reload: one verdict, all workers or none
        with open(gw.conf) as f:
            good = f.read()
        with open(gw.conf, "w") as f:
            f.write(good + "\nrouts = broken\n")
        before = len(re.findall(r"is in force", log()))
        rc, rl = ctl(sock, "reload")
        tap.ok(rc != 0 and rl and rl["ok"] is False and
               "every worker keeps" in rl.get("error", ""),
               "(4) broken file: refused, one verdict", diag=str(rl))
        time.sleep(0.5)
        rc, st = ctl(sock, "status")
        tap.ok(len(re.findall(r"is in force", log())) == before and
               [w["generation"] for w in st["workers"]] == [1, 1],
               "(4) broken file: no worker changed",
               diag=str(st["workers"]))
        with open(gw.conf, "w") as f:
            f.write(good.replace(ROUTES % "", ROUTES % DENY))
        rc, rl = ctl(sock, "reload")
        tap.ok(rc == 0 and rl and rl["ok"] and "in all 2 workers" in
               rl.get("verdict", ""), "(4) good file: one verdict for "
               "both workers", diag=str(rl))
        tap.ok(wait_for(lambda: [w["generation"] for w in ctl(
            sock, "status")[1]["workers"]] == [2, 2], 5),
            "(4) good file: both workers on generation 2")
        codes = send_all(uacs, gw, "sip:+12025550100@gw.test", "deny")
        tap.ok(codes == [403] * SENDERS, "(4) every sender meets the new "
               "deny route", diag=str(codes))
        with open(gw.conf, "w") as f:
            f.write(good + "\nrouts = broken\n")
        # this SIGHUP's own refusal, not the one above: the file is
        # written again below, and a check still to come would read it
        # (once read truncated: an empty file, all defaults, in force)
        refused = len(re.findall(r"every worker keeps the running",
                                 log()))
        gw.proc.send_signal(signal.SIGHUP)
        tap.ok(wait_for(lambda: len(re.findall(
            r"every worker keeps the running", log())) > refused, 10),
            "(4) SIGHUP, broken file: the supervisor refuses it")
        codes = send_all(uacs, gw, "sip:+12025550100@gw.test", "still")
        tap.ok(codes == [403] * SENDERS, "(4) SIGHUP, broken file: every "
               "worker keeps the reloaded configuration", diag=str(codes))
        # an empty file, as one written in place reads for a moment
        open(gw.conf, "w").close()
        refused = len(re.findall(r"is empty .*every worker keeps the "
                                 r"running", log()))
        gw.proc.send_signal(signal.SIGHUP)
        tap.ok(wait_for(lambda: len(re.findall(
            r"is empty .*every worker keeps the running", log())) >
            refused, 10), "(4) SIGHUP, empty file: the supervisor refuses "
            "it, not all defaults")
        codes = send_all(uacs, gw, "sip:+12025550100@gw.test", "empty")
        tap.ok(codes == [403] * SENDERS, "(4) SIGHUP, empty file: every "
               "worker keeps the reloaded configuration", diag=str(codes))
        with open(gw.conf, "w") as f:
            f.write(good.replace(ROUTES % "", ROUTES % DENY))

        # (5) kill worker 1: restarted, counted, same configuration
        s0 = scrape(mport) or {}
        os.kill(pids[1], signal.SIGKILL)
        tap.ok(gw.wait_log(r"worker 1 restarted", 10),
               "(5) worker 1 restarted", diag=log()[-1500:])
        s = wait_for(lambda: (lambda x: x if x and per_worker(
            x, "imgate_worker_up").get(1) == 1 else None)(scrape(mport)),
            15) or {}
        tap.is_(per_worker(s, "imgate_worker_restarts_total").get(1), 1,
                "(5) /metrics: imgate_worker_restarts_total{worker=\"1\"}")
        tap.ok(in_all(s) >= in_all(s0) > 0 and in_2xx(s) >= SENDERS,
               "(5) the counters did not go back (%s -> %s)" % (
                   in_all(s0), in_all(s)))
        rc, st = ctl(sock, "status")
        w1 = [w for w in (st or {}).get("workers", []) if w["worker"] == 1]
        tap.ok(w1 and w1[0]["restarts"] == 1 and w1[0]["pid"] != pids[1]
               and w1[0]["running"], "(5) status: worker 1's new pid and "
               "its restart", diag=str(w1))
        # the new worker says it is ready only once it serves the
        # reloaded configuration (it once said so first, and a request
        # in between met the old routes)
        wait_for(lambda: re.search(r"worker 1 ready \(pid", log().split(
            "worker 1 restarted")[-1]), 15)
        after = log().split("worker 1 restarted")[-1]
        ready = after.find("worker 1 ready (pid")
        applied = after.find("is in force (generation")
        tap.ok(0 <= applied < ready, "(5) the new worker 1 applies the "
               "reloaded configuration before it says it is ready",
               diag=after[:1500])
        codes = send_all(uacs, gw, "sip:+12025550100@gw.test", "again",
                         timeout=30)
        tap.ok(codes == [403] * SENDERS, "(5) the new worker 1 serves the "
               "reloaded configuration", diag=str(codes))

        # (6) kill worker 0: /metrics and the control socket come back
        n0 = in_all(scrape(mport) or {})
        os.kill(pids[0], signal.SIGKILL)
        tap.ok(gw.wait_log(r"worker 0 restarted", 10),
               "(6) worker 0 restarted", diag=log()[-1500:])
        s = wait_for(lambda: scrape(mport), 20) or {}
        tap.ok(in_all(s) >= n0 > 0, "(6) /metrics back, the counters "
               "intact (%s -> %s)" % (n0, in_all(s)))
        rc, st = wait_for(lambda: (lambda r: r if r[0] == 0 else None)(
            ctl(sock, "status")), 20) or (None, None)
        tap.ok(rc == 0 and [w["restarts"] for w in st["workers"]] ==
               [1, 1], "(6) the control socket back, both restarts shown",
               diag=str(st))

        rc = gw.term()
        tap.is_(rc, 0, "SIGTERM: supervisor and workers stop, exit 0")
        bad = re.findall(r"(AddressSanitizer|LeakSanitizer|runtime error:)"
                         r".*", log())
        tap.ok(not bad, "no sanitizer finding in imgated's output",
               diag="\n".join(bad[:5]))
        for u in uacs:
            u.close()

        # (7) the default: one worker per CPU, at most 16
        want = min(os.cpu_count() or 1, 16)
        gw = gwtest.start_imgated(procs, dns_port, workers=None)
        tap.ok(gw.wait_log(r"imgated ready: %d workers serving" % want
                           if want > 1 else r"imgated ready \(config",
                           20),
               "(7) no gateway.workers: %d worker%s (one per CPU)" % (
                   want, "s" if want > 1 else ""),
               diag=gw.log_text()[-1500:])
        rc = gw.term()
        tap.is_(rc, 0, "(7) SIGTERM: exit 0")
    tap.done()


if __name__ == "__main__":
    main()
