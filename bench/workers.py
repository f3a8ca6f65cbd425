#!/usr/bin/python3
"""bench/workers.py - imgated's worker processes and overload control
(imgate.conf(5) gateway.workers, gateway.overload_lag_ms), in one run.

For each worker count asked (--workers 1,2,...): the highest warm
SIP->SIP burst rate that passes (run.py's rules: <= 0.1 % failed,
<= 0.1 % retransmitted, >= 95 % of the offered rate achieved), with the
µs of gateway CPU (supervisor and workers) per message.  The UAC sends
from many sockets (sipp: one per call, -t un; sipload: 1024), so that the
kernel's reuseport hash spreads the senders over the workers; each step
first runs its load --settle seconds (10) on the same process, unmeasured,
so that it judges the gateway's steady state (an overload step settles
at the max rate, then offers its multiple).  Then, at the
highest worker count, the overload scenario: 1.5x and 2x that rate for
--overload-seconds, with overload control on (the default) and off
(gateway.overload_lag_ms = 0: the behaviour before it), printing
goodput (200/s), 503s, failures (no answer), retransmissions and the p99
of the 200s.  --old EXE adds the one-worker search for another binary
(the main branch's) in the same run, and the same overload steps for
it, alternating with --imgated's.  --ceiling adds the generator-to-
generator ceiling.  --pin-gw/--pin-gen CPUS pin the gateway and the load
generators (taskset) for the scaling series on a bigger machine
(bench/scaling.sh).  --gen sipload|sipp picks the load generator
(bench/loadgen.py: the same load and counters with either; default
sipload, whose CPU per message is a fraction of sipp's); every step also
shows the generator's CPU per message (UAC + UAS).

Output: one line per scenario on stdout, the steps on stderr,
results.json in the work directory.  It reuses run.py's NSD fixture
and /proc readings, and loadgen.py's generators.
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run as B  # noqa: E402
import loadgen as L  # noqa: E402


# every step: a 503 ends a call as a refusal (counted, and a failed step
# when searching the max), answers go to the source port (rport); sipp
# sends each call from a socket of its own, sipload from 64 (so that the
# senders spread over the workers)
SCENARIO = "uac_inf_503.xml"


def cpus(spec):
    """"0-3,8" -> {0, 1, 2, 3, 8}"""
    out = set()
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return out


def children(pid):
    """pid and its children (the workers), from /proc."""
    out = [pid]
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def cpu(pids):
    return sum(B.cpu_ticks(p) or 0 for p in pids)


counts_503 = L.counts_503


def ra_text(r):
    """ " (N with Retry-After)" where the generator tells (sipload)."""
    if r.get("refused_ra") is None or not r["refused"]:
        return ""
    return " (%d with Retry-After)" % r["refused_ra"]


def gateway_group(workers, lag_ms, wait_ms=None):
    """imgated's gateway group for a step: @workers processes, overload
    control's marks (wait_ms None: imgated's default)."""
    return ('gateway = { domain = "gw.test"; allow_root = true; '
            'workers = %d; overload_lag_ms = %d;%s };' % (
                workers, lag_ms, "" if wait_ms is None else
                " overload_wait_ms = %d;" % wait_ms))


class Run:
    def __init__(self, a):
        self.a = a
        self.procs = B.Procs()
        self.dir = a.workdir or B.tempfile.mkdtemp(prefix="imgate-wbench-")
        os.makedirs(self.dir, exist_ok=True)
        self.res = {"machine": B.machine(), "steps": []}
        self.n = 0
        self.gens = {}
        self.uas = None
        self.use_gen(a.gen[0] if isinstance(a.gen, list) else a.gen)

    def use_gen(self, name):
        """The load generator of the steps from now on (sipload or
        sipp).  Its UAS replaces the other's on the same port (the DNS
        fixture points there)."""
        if name not in self.gens:
            self.gens[name] = L.make(name, self.dir)
        self.gen = self.gens[name]
        if self.uas is not None and self.uas.gen != name:
            self.uas_stats = self.uas.owner.stop_uas(self.procs, self.uas)
            self.start_gen_uas()

    def start_gen_uas(self):
        self.uas = self.gen.start_uas(self.procs, self.dir, self.uas_port,
                                      "uas-" + self.gen.name)
        self.uas.gen, self.uas.owner = self.gen.name, self.gen

    def setup(self):
        self.uas_port, hold = B.free_port(), B.free_port()
        self.nsd = B.start_nsd(self.procs, self.dir, self.uas_port, hold)
        self.start_gen_uas()
        self.nums = [B.e164(i) for i in range(B.WARM_NUMBERS)]
        self.csv = os.path.join(self.dir, "warm.csv")
        B.write_csv(self.csv, self.nums)

    def gateway(self, exe, d, workers, lag_ms, wait_ms=None):
        if workers is None:
            B._GATEWAY_GROUP.pop(exe, None)
            B.gateway_group(exe)
        else:
            B._GATEWAY_GROUP[exe] = gateway_group(workers, lag_ms, wait_ms)
        gw = B.Gateway(self.procs, exe, d, self.nsd.port)
        if self.a.pin_gw:
            B.subprocess.run(["taskset", "-apc", self.a.pin_gw, str(gw.pid)],
                             stdout=B.subprocess.DEVNULL)
        # the workers bind after the supervisor: give them a moment
        B.wait_until(lambda: len(children(gw.pid)) >= (workers or 1) + (
            1 if (workers or 1) > 1 else 0), 10)
        time.sleep(0.5 if (workers or 1) > 1 else 0)
        if self.a.pin_gw:
            for p in children(gw.pid):
                B.subprocess.run(["taskset", "-apc", self.a.pin_gw, str(p)],
                                 stdout=B.subprocess.DEVNULL)
        return gw

    def step(self, label, exe, workers, rate, secs, scenario=SCENARIO,
             lag_ms=100, direct=False, settle=0.0, settle_rate=None,
             wait_ms=None):
        """One step: a fresh gateway, the warm-up, then @rate for @secs,
        measured.  @settle > 0: first @settle seconds of the same load
        (the warm numbers), not measured, so that the step sees the
        gateway in its steady state (@settle_rate a second instead of
        @rate when given: the overload steps settle at the max rate,
        then offer a multiple of it): a fresh process's first seconds
        differ (nothing completed is freed yet while its memory grows;
        imgated keeps a completed transaction for sip.timeout_ms, 4 s
        here, Kamailio for its wait timer, 5 s)."""
        self.n += 1
        d = os.path.join(self.dir, "s%02d-%s-%d" % (self.n, label, rate))
        os.makedirs(d, exist_ok=True)
        gw = None
        if direct:
            target = self.uas_port
        else:
            gw = self.gateway(exe, d, workers, lag_ms, wait_ms)
            target = gw.port
            self.gen.run_uac(self.procs, os.path.join(d, "warmup"), target,
                             self.csv, 200, 0, count=len(self.nums),
                             warmup=True)
        settled = None
        if settle > 0 and gw:
            settled = self.gen.run_uac(
                self.procs, os.path.join(d, "settle"), target,
                getattr(self, "warm_csv", self.csv),
                settle_rate or rate, settle,
                scenario=scenario)
        pids = children(gw.pid) if gw else []
        c0, t0 = cpu(pids), time.monotonic()
        u0 = B.cpu_ticks(self.uas.pid) or 0
        count = int(rate * secs)
        ld = self.gen.run_uac(self.procs, d, target, self.csv, rate, secs,
                              count=count, scenario=scenario)
        wall = time.monotonic() - t0
        c1 = cpu(pids) if gw else 0
        uas_s = ((B.cpu_ticks(self.uas.pid) or 0) - u0) / B.HZ
        good, refused = ld.good, ld.refused
        r = {"label": label, "gen": self.gen.name, "workers": workers,
             "rate": rate, "count": count, "ok": good, "refused": refused,
             "refused_ra": ld.refused_ra,
             "failed": ld.failed, "retrans": ld.retrans,
             "missing": ld.missing,
             "wall": wall, "secs": secs, "lag_ms": lag_ms,
             "settle": settle,
             "settle_refused": settled.refused if settled else None,
             "settle_failed": (settled.failed + settled.missing)
             if settled else None}
        span = ld.span if ld.span is not None else max(wall, 1e-3)
        r["goodput"] = good / max(span, secs)
        r["p50"], r["p99"] = ld.p50, ld.p99
        r["cpu_us"] = ((c1 - c0) / B.HZ * 1e6 / ld.answered) \
            if gw and ld.answered else None
        # the generator's own cost: UAC and UAS (the UAS also answers
        # the warm-up's 16, negligible)
        r["gen_cpu_us"] = ((ld.uac_cpu + uas_s) * 1e6 / ld.answered) \
            if ld.answered else None
        bad = ld.failed + ld.missing
        r["pass"] = (bad <= 0.001 * count and refused == 0 and ld.rc == 0
                     and ld.retrans <= 0.001 * count
                     and good / span >= 0.95 * rate)
        if gw:
            r["alive"] = gw.alive()
            gw.stop()
            self.procs.procs = [p for p in self.procs.procs if p is not gw.p]
        B.log("  %-10s %-7s w=%-2s R=%-6d 200=%-7d 503=%-6d fail=%-5d "
              "miss=%-5d rtx=%-6d goodput=%6.0f/s p99=%s ms cpu=%s us "
              "gen=%s us %s%s"
              % (label, self.gen.name, workers, rate, good, refused,
                 ld.failed, r["missing"], ld.retrans, r["goodput"],
                 B.fmt(r["p99"]), B.fmt(r["cpu_us"], 0),
                 B.fmt(r["gen_cpu_us"], 1),
                 "PASS" if r["pass"] else "FAIL",
                 " (settled %g s first: 503=%d fail=%d)"
                 % (settle, settled.refused, r["settle_failed"])
                 if settled else ""))
        self.res["steps"].append(r)
        return r

    def search(self, label, exe, workers, start, direct=False):
        best, lo, hi, r = None, None, None, int(start)
        for _ in range(self.a.max_steps):
            res = self.step(label, exe, workers, r, self.a.seconds,
                            direct=direct, settle=self.a.settle,
                            wait_ms=self.a.wait_ms)
            if res["pass"]:
                best, lo = res, r
            else:
                hi = r
            if hi is None:
                r = int(r * 1.5)
            elif lo is None:
                r = int(r / 2)
                if r < 100:
                    break
            elif hi - lo <= max(100, 0.1 * lo):
                break
            else:
                r = int((lo + hi) / 2)
        return best

    def overload(self, exes, workers, m, factors=(1.5, 2.0), lags=(100, 0),
                 secs=30.0, settle=0.0, waits=(None,)):
        """The overload scenario: each factor of the max rate @m offered
        for @secs to each (name, exe) of @exes with each overload_lag_ms
        of @lags and each overload_wait_ms of @waits (None: the
        default; with lag 0 only the first), the binaries alternating at
        every step so that a change in the machine's load hits them
        alike.  An exe of None
        is the generator-to-generator baseline.  @settle > 0: each
        gateway first carries the max rate @m that many seconds (a
        running gateway, then the surge), unmeasured.  @return one line
        per step (also
        in self.res["steps"]).  Reusable beside other gateways (the
        Kamailio baseline): step() takes the exe and its label."""
        lines = []
        runs = [(f, lag, w) for f in factors for lag in lags
                for w in (waits if lag else waits[:1])]
        for f, lag, wait in runs:
            for name, exe in exes:
                wl = "" if wait is None or not lag else "-w%d" % wait
                r = self.step("over%.1fx%s%s%s" % (
                    f, "" if lag else "-off", wl,
                    "-" + name if name else ""),
                    exe, workers, int(m * f), secs,
                    scenario="uac_inf_503.xml", lag_ms=lag,
                    direct=exe is None, settle=settle,
                    settle_rate=int(m), wait_ms=wait)
                lines.append(
                    "overload %.1fx (%d/s offered, %scontrol %s%s): "
                    "goodput %.0f/s = %.0f %% of max, 503 %d%s, no "
                    "answer %d, retransmissions %d, p99 %s ms%s"
                    % (f, int(m * f), name + " " if name else "",
                       "on" if lag else "off",
                       "" if wait is None or not lag else
                       ", wait %d ms" % wait,
                       r["goodput"], 100.0 * r["goodput"] / m,
                       r["refused"], ra_text(r),
                       r["failed"] + r["missing"],
                       r["retrans"], B.fmt(r["p99"]),
                       self.verdict(r, m) if f == 2.0 and lag and exe
                       else ""))
        return lines

    @staticmethod
    def verdict(r, m):
        """Issue 16's acceptance at 2x: goodput >= 90 % of max @m, every
        request answered (200 or 503), p99 of the 200s < 200 ms."""
        ok = (r["goodput"] >= 0.9 * m, r["failed"] + r["missing"] == 0,
              r["p99"] is not None and r["p99"] < 200)
        return " [goodput %s, answered %s, p99 %s]" % tuple(
            "PASS" if x else "FAIL" for x in ok)

    def main(self):
        a = self.a
        self.setup()
        lines = []
        ceiling = None
        if a.ceiling:
            ceiling = self.search("ceiling", None, None, a.start * 4,
                                  direct=True)
            lines.append("%s->%s ceiling: %s/s" % (
                self.gen.name, self.gen.name,
                ceiling["rate"] if ceiling else "-"))
        if a.old and not a.overload_at:
            old = self.search("old", a.old, None, a.start)
            lines.append("old binary, 1 process: max %s/s, %s us/msg" % (
                old["rate"] if old else "-",
                B.fmt(old and old["cpu_us"], 0)))
        best = {}
        for w in a.workers if not a.overload_at else []:
            best[w] = self.search("w%d" % w, a.imgated, w, a.start * (
                w if a.start_per_worker else 1))
            b = best[w]
            lines.append("imgated workers=%d: max %s/s, %s us/msg%s" % (
                w, b["rate"] if b else "-", B.fmt(b and b["cpu_us"], 0),
                " (%.2fx 1 worker)" % (b["rate"] / best[a.workers[0]]["rate"])
                if b and best.get(a.workers[0]) and w != a.workers[0]
                else ""))
        top = best.get(a.workers[-1])
        if a.overload_at:
            top = {"rate": a.overload_at}
        if top and a.overload_seconds > 0:
            exes = [("", a.imgated)] + ([("old", a.old)] if a.old else [])
            lines += self.overload(exes, a.workers[-1], top["rate"],
                                   a.overload_factors, a.overload_lags,
                                   a.overload_seconds, a.settle,
                                   a.overload_waits or [None])
        self.res["lines"] = lines
        with open(os.path.join(self.dir, "results.json"), "w") as f:
            json.dump(self.res, f, indent=1, default=str)
        print("machine: %s" % self.res["machine"])
        print("load generator: %s" % self.gen.name)
        for ln in lines:
            print(ln)
        sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--imgated", default=os.environ.get("IMGATED"),
                    required=os.environ.get("IMGATED") is None)
    ap.add_argument("--old", help="another imgated, one process")
    ap.add_argument("--workers", default="1,2",
                    type=lambda s: [int(x) for x in s.split(",")])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--settle", type=float, default=10.0,
                    help="seconds of each max-rate step's load before "
                    "the measured --seconds, same process, not counted "
                    "(default 10: twice Timer K, 5 s, and past the 4 s "
                    "Timer J and Kamailio's 5 s wait timer, i.e. in "
                    "steady state even when a fresh process shed some of "
                    "its first seconds); 0: judge a fresh process's first "
                    "seconds")
    ap.add_argument("--overload-seconds", type=float, default=30.0)
    ap.add_argument("--start", type=int, default=2000)
    ap.add_argument("--start-per-worker", action="store_true",
                    help="each worker count's search starts at --start "
                    "times the count (the scaling series: with a few "
                    "steps, one start for all would cap 8 workers at "
                    "what 1 reaches)")
    ap.add_argument("--max-steps", type=int, default=5)
    ap.add_argument("--ceiling", action="store_true")
    ap.add_argument("--overload-at", type=int,
                    help="the max rate the overload steps multiply "
                    "(default: the highest worker count's)")
    ap.add_argument("--overload-factors", default="1.5,2",
                    type=lambda s: [float(x) for x in s.split(",")],
                    help="multiples of the max rate offered (1.5,2)")
    ap.add_argument("--overload-lags", default="100,0",
                    type=lambda s: [int(x) for x in s.split(",")],
                    help="overload_lag_ms values run at each factor "
                    "(100,0: control on and off)")
    ap.add_argument("--overload-waits", default=None,
                    type=lambda s: [int(x) for x in s.split(",")],
                    help="overload_wait_ms values run at each lag other "
                    "than 0 (default: the gateway's default)")
    ap.add_argument("--wait-ms", type=int, default=None,
                    help="imgated's gateway.overload_wait_ms in the max-rate "
                    "steps (default: the gateway's default)")
    ap.add_argument("--pin-gw", help="CPU list for imgated (taskset)")
    ap.add_argument("--pin-gen", help="CPU list for the load generator "
                    "and NSD")
    ap.add_argument("--gen", default="sipload", choices=L.GENS,
                    help="load generator (bench/loadgen.py): sipload "
                    "(default) or sipp")
    ap.add_argument("--workdir")
    a = ap.parse_args()
    B.raise_nofile()
    r = Run(a)
    if a.pin_gen:
        # the generator and NSD are started by this process: they inherit it
        os.sched_setaffinity(0, cpus(a.pin_gen))
    try:
        r.main()
    finally:
        r.procs.stop_all()


if __name__ == "__main__":
    main()
