#!/usr/bin/python3
"""bench/loadgen.py - the SIP load generators behind one interface, and
their own ceiling (generator to generator, no gateway).

Two generators send the same load (SIP MESSAGE over UDP at a constant
rate, numbers from a sipp -inf CSV, one non-INVITE client transaction
per message, a 503 being an answer) and read back the same counters:

  sipp     sipp UAC (bench/uac_inf_503.xml, -t un: a socket per call)
           and sipp UAS (bench/uas_200.xml)
  sipload  bench/sipload.c (built at run time with cc -O2): "uac" from
           1024 sockets, "uas" answering 200; a few µs of CPU a message
           where sipp's UAC and UAS together cost tens

Gen.run_uac() returns a Load whose fields mean the same for both: count
(asked), good (200s), refused (503s), failed (no answer within
--timeout, or another final answer), missing (never ended: not sent or
still open at the end), retrans, span (first to last 200, s), p99 (of
the 200s, ms), uac_cpu (s of CPU of the UAC process).  The pass rules
stay in the drivers (bench/workers.py, bench/kamailio.py).

Ceiling: python3 bench/loadgen.py ceiling [--rates R,R,..] [--seconds S]
runs both generators UAC -> UAS directly at rising rates, alternating,
and prints per step the achieved rate, failures, p50/p99 and the CPU µs
per message of UAC + UAS (utime+stime from /proc and the reaped UAC),
then each generator's highest passing rate.

Agreement: python3 bench/loadgen.py agree --imgated EXE [--rates R,..]
[--workers N] [--seconds S] [--repeat K] sends the same load through
the same imgated (bench/workers.py's step: fresh imgated, warm-up, the
NSD fixture) with each generator in turn and prints the counters,
p50/p99 of the 200s and the CPU per message of gateway and generator.
"""

import argparse
import json
import os
import resource
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run as B  # noqa: E402

GENS = ("sipload", "sipp")
# no answer within this many ms fails a message (sipp -recv_timeout:
# what the drivers always used)
RECV_TIMEOUT_MS = 5000
# sipload's --tick-us for both ends: at most one wake-up a tick, reading
# and sending what came meanwhile together, instead of one a datagram (a
# wake-up costs more than a message on a VM); a latency is up to a tick
# longer per end.  IMGATE_SIPLOAD_UAS_TICK_US sets the UAS's apart, and
# IMGATE_SIPLOAD_UAC_ARGS adds options to the UAC (trials).
TICK_US = int(os.environ.get("IMGATE_SIPLOAD_TICK_US", "1000"))
UAS_TICK_US = int(os.environ.get("IMGATE_SIPLOAD_UAS_TICK_US", TICK_US))


class Load:
    pass


def children_cpu():
    """CPU seconds of this process's reaped children."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def build_sipload(d):
    """sipload, built into @d with cc -O2; IMGATE_SIPLOAD names one built
    already (bench/device-bundle.sh's, on a machine without cc)."""
    if os.environ.get("IMGATE_SIPLOAD"):
        return os.environ["IMGATE_SIPLOAD"]
    exe = os.path.join(d, "sipload")
    if not os.path.exists(exe):
        B.subprocess.run(["cc", "-O2", "-std=c11", "-Wall", "-o", exe,
                          os.path.join(HERE, "sipload.c")], check=True)
    return exe


class Sipp:
    name = "sipp"

    def __init__(self, d):
        self.d = d

    def start_uas(self, procs, d, port, name="uas"):
        return B.start_uas(procs, d, "uas_200.xml", port, name)

    def stop_uas(self, procs, p):
        procs.stop(p)
        return {}

    def run_uac(self, procs, d, target, csv, rate, secs, count=None,
                scenario="uac_inf_503.xml", un=True, warmup=False):
        count = count if count is not None else int(rate * secs)
        extra = (["-t", "un", "-max_socket", "16000"] if un else []) + \
            ([] if warmup else ["-trace_counts"])
        c0 = children_cpu()
        st = B.run_uac(procs, d, target, csv, rate, count,
                       int(secs + 10), RECV_TIMEOUT_MS, extra=extra,
                       scenario=scenario)
        ld = Load()
        ld.rc, ld.count, ld.rate = st.rc, count, rate
        ld.uac_cpu = children_cpu() - c0
        ld.refused = 0 if warmup else counts_503(d)
        ld.refused_ra = None          # sipp does not tell
        ld.answered = st.ok           # 200 or 503
        ld.good = st.ok - ld.refused
        ld.failed, ld.retrans = st.failed, st.retrans
        ld.missing = max(0, count - st.ok - st.failed)
        if st.t_first is not None and st.t_last > st.t_first:
            ld.span = (st.t_last - st.t_first) / 1000.0 + 1.0 / rate
        else:
            ld.span = None
        rtt = sorted(st.rtt)
        ld.p50, ld.p99 = B.pct(rtt, 0.5), B.pct(rtt, 0.99)
        return ld


def counts_503(d):
    """How many 503s the sipp UAC received (-trace_counts)."""
    for fn in os.listdir(d):
        if fn.endswith("_counts.csv"):
            with open(os.path.join(d, fn)) as f:
                lines = [ln.rstrip("\n") for ln in f if ln.strip()]
            if len(lines) < 2:
                return 0
            hdr, last = lines[0].split(";"), lines[-1].split(";")
            for i, h in enumerate(hdr):
                if h.endswith("_503_Recv") and i < len(last):
                    try:
                        return int(last[i])
                    except ValueError:
                        return 0
    return 0


class Sipload:
    name = "sipload"

    def __init__(self, d):
        self.exe = build_sipload(d)

    def start_uas(self, procs, d, port, name="uas"):
        p = procs.start([self.exe, "uas", "127.0.0.1:%d" % port,
                         "--tick-us", str(UAS_TICK_US)], d, name)
        if not B.wait_until(lambda: B.udp_bound(port) or
                            p.poll() is not None, 5) or p.poll() is not None:
            raise RuntimeError("sipload uas %s did not start" % name)
        p.port = port
        p.out = os.path.join(d, name + ".out")
        return p

    def stop_uas(self, procs, p):
        """Stops it; @return its counters (its JSON line)."""
        procs.stop(p)
        try:
            with open(p.out) as f:
                return json.loads(f.read().strip().splitlines()[-1])
        except (OSError, ValueError, IndexError):
            return {}

    def run_uac(self, procs, d, target, csv, rate, secs, count=None,
                scenario=None, un=True, warmup=False):
        """scenario, un: sipp's; sipload's Via always asks for rport and
        oc, as uac_inf_503.xml's does, from 1024 sockets."""
        os.makedirs(d, exist_ok=True)
        count = count if count is not None else int(rate * secs)
        secs = count / float(rate)
        out = os.path.join(d, "uac.json")
        c0 = children_cpu()
        args = [self.exe, "uac", "127.0.0.1:%d" % target,
                str(rate), "%.6f" % secs, "--csv", csv,
                "--timeout", str(RECV_TIMEOUT_MS), "--oc",
                "--tick-us", str(TICK_US),
                "--wait", "%d" % (RECV_TIMEOUT_MS // 1000 + 2)]
        args += os.environ.get("IMGATE_SIPLOAD_UAC_ARGS", "").split()
        p = procs.start(args, d, "uac", out=out)
        rc = procs.wait(p, secs + RECV_TIMEOUT_MS / 1000.0 + 20)
        ld = Load()
        ld.rc, ld.count, ld.rate = rc, count, rate
        ld.uac_cpu = children_cpu() - c0
        try:
            with open(out) as f:
                j = json.loads(f.read().strip().splitlines()[-1])
        except (OSError, ValueError, IndexError):
            j = {}
            ld.rc = ld.rc or -2
        ld.json = j
        g = lambda k: j.get(k) or 0
        ld.good, ld.refused = g("ok2xx"), g("r503")
        ld.refused_ra = g("r503_retry_after")
        ld.answered = ld.good + ld.refused
        ld.failed = g("timeouts") + g("other")
        ld.retrans = g("retrans")
        ld.missing = max(0, count - ld.answered - ld.failed)
        if j.get("first_2xx_ms") is not None and \
                j["last_2xx_ms"] > j["first_2xx_ms"]:
            ld.span = (j["last_2xx_ms"] - j["first_2xx_ms"]) / 1000.0 + \
                1.0 / rate
        else:
            ld.span = None
        ld.p50, ld.p99 = j.get("p50_2xx_ms"), j.get("p99_2xx_ms")
        return ld


def make(name, d):
    return {"sipp": Sipp, "sipload": Sipload}[name](d)


def gen_choice(s):
    """--gen: sipload | sipp | both -> a list of names."""
    if s == "both":
        return list(GENS)
    if s not in GENS:
        raise argparse.ArgumentTypeError("sipload, sipp or both")
    return [s]


def passes(ld, secs):
    """run.py's step rule: <= 0.1 % failed (a 503 counts as one), <=
    0.1 % retransmitted, >= 95 % of the rate achieved."""
    span = max(ld.span or 0, secs)
    return (ld.rc == 0
            and ld.failed + ld.missing + ld.refused <= 0.001 * ld.count
            and ld.retrans <= 0.001 * ld.count
            and ld.good / span >= 0.95 * ld.rate)


def ceiling(a):
    procs = B.Procs()
    d = a.workdir or B.tempfile.mkdtemp(prefix="imgate-ceiling-")
    os.makedirs(d, exist_ok=True)
    csv = os.path.join(d, "nums.csv")
    B.write_csv(csv, [B.e164(i) for i in range(B.WARM_NUMBERS)])
    gens = {n: make(n, d) for n in a.gen}
    best, fails, rows = {}, {n: 0 for n in gens}, []
    try:
        for rate in a.rates:
            for n, g in gens.items():
                if fails[n] >= 2:
                    continue        # failed twice in a row: done
                sd = os.path.join(d, "%s-%d" % (n, rate))
                os.makedirs(sd, exist_ok=True)
                port = B.free_port()
                uas = g.start_uas(procs, sd, port)
                u0 = B.cpu_ticks(uas.pid) or 0
                ld = g.run_uac(procs, sd, port, csv, rate, a.seconds)
                u1 = B.cpu_ticks(uas.pid) or 0
                g.stop_uas(procs, uas)
                msgs = max(1, ld.answered)
                uas_us = (u1 - u0) / B.HZ * 1e6 / msgs
                uac_us = ld.uac_cpu * 1e6 / msgs
                ok = passes(ld, a.seconds)
                ach = ld.good / max(ld.span or 0, a.seconds)
                row = ("%-8s R=%-7d achieved %7.0f/s 200=%-8d fail=%-6d "
                       "miss=%-6d rtx=%-6d p50 %s p99 %s ms  cpu/msg: "
                       "uac %5.1f + uas %5.1f = %5.1f us  %s"
                       % (n, rate, ach, ld.good, ld.failed, ld.missing,
                          ld.retrans, B.fmt(ld.p50), B.fmt(ld.p99),
                          uac_us, uas_us, uac_us + uas_us,
                          "PASS" if ok else "FAIL"))
                B.log(row)
                rows.append(row)
                if ok:
                    best[n], fails[n] = rate, 0
                else:
                    fails[n] += 1
    finally:
        procs.stop_all()
    print("machine: %s" % B.machine())
    for r in rows:
        print(r)
    for n in gens:
        print("%s -> %s ceiling: %s" % (
            n, n, "%d/s (the highest rate tried that passed)" % best[n]
            if n in best else "no rate passed"))


def agree(a):
    """The same imgated, the same rates, each generator in turn
    (alternating, --repeat times): do the counters and latencies
    agree?"""
    import workers as W     # it imports this module
    a.pin_gw = None
    r = W.Run(a)
    rows = []
    try:
        r.setup()
        for rep in range(a.repeat):
            for rate in a.rates:
                for g in a.gen:
                    r.use_gen(g)
                    x = r.step("agree", a.imgated, a.workers, rate,
                               a.seconds)
                    rows.append(
                        "%-8s %6d/s  200 %-7d 503 %-5d fail %-4d miss %-4d "
                        "rtx %-5d p50 %6s p99 %6s ms  gateway %4s us/msg  "
                        "generator %5s us/msg" % (
                            g, rate, x["ok"], x["refused"], x["failed"],
                            x["missing"], x["retrans"], B.fmt(x["p50"], 1),
                            B.fmt(x["p99"], 1), B.fmt(x["cpu_us"], 0),
                            B.fmt(x["gen_cpu_us"], 1)))
    finally:
        r.procs.stop_all()
    print("machine: %s" % B.machine())
    print("imgated %s, gateway.workers = %d, %g s steps; sipp's "
          "latencies are whole ms, truncated" % (a.imgated, a.workers,
                                                 a.seconds))
    for ln in rows:
        print(ln)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("ceiling", help="generator -> generator, no gateway")
    c.add_argument("--rates", default="5000,10000,20000,40000,80000,"
                   "120000,160000",
                   type=lambda s: [int(x) for x in s.split(",")])
    c.add_argument("--seconds", type=float, default=5.0)
    c.add_argument("--gen", default="both", type=gen_choice)
    c.add_argument("--workdir")
    g = sub.add_parser("agree", help="both generators against the same "
                       "imgated at the same rates")
    g.add_argument("--imgated", required=True)
    g.add_argument("--workers", type=int, default=1)
    g.add_argument("--rates", default="1000,3000",
                   type=lambda s: [int(x) for x in s.split(",")])
    g.add_argument("--seconds", type=float, default=10.0)
    g.add_argument("--repeat", type=int, default=2)
    g.add_argument("--gen", default="both", type=gen_choice)
    g.add_argument("--workdir")
    a = ap.parse_args()
    B.raise_nofile()
    if a.cmd == "ceiling":
        ceiling(a)
    else:
        agree(a)


if __name__ == "__main__":
    main()
