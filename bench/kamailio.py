#!/usr/bin/python3
"""bench/kamailio.py - imgated against Kamailio 5.6 in one run (issue 16).

Both gateways forward SIP MESSAGE per ENUM, statefully, on both CPUs:
imgated with gateway.workers = 2 (--workers), Kamailio (Debian's
kamailio 5.6 with the enum module: enum_query(), then t_relay()) with
--children UDP workers.  The same NSD and zone as run.py (the load's
numbers also carry an E2U+sip NAPTR for Kamailio, and sip.bench a
_sip._udp SRV), the same UAS and UAC (bench/workers.py's step and
search rule: many source sockets, run.py's pass rules, a 503 counted
as one of the 0.1 % failures; in the warm scenario each step first runs
its load --settle seconds on the same gateway, unmeasured, so that both
are judged in their steady state, and each overload step first carries
the gateway's max rate as long: a running gateway, then the surge).  --gen picks the load generator
(bench/loadgen.py): sipload (default: a few µs of CPU a message, so
that the two CPUs go to the gateways), sipp, or both: the whole series
once with each, sipload first, one table each (twice the time: the
--budget holds for each).  Scenarios, the two gateways' steps
interleaved: warm max rate, cold max rate (a new number per
message), cold with a 20 ms DNS round trip (bench/dnsdelay.c in front
of NSD), and the overload scenario (1.5x and 2x the gateway's own warm
max for --overload-seconds).  Printed side by side with the ratios and
the issue's acceptance lines.

Kamailio's resolver reads only /etc/resolv.conf and asks port 53, so the
whole bench runs in a network and mount namespace of its own (unshare
-n -m, private propagation): loopback only, with a private file bind-
mounted on /etc/resolv.conf.  NSD answers on 127.0.0.1:PORT (imgated)
and 127.0.0.2:53 (Kamailio); the 20 ms forwarder listens on
127.0.0.1:53 and both gateways use it in that scenario.  The host's
/etc/resolv.conf is never written.  Needs root (unshare, mount).

Output: one line per scenario and the table on stdout, the steps on
stderr, results.json and every step's files in the work directory.
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run as B  # noqa: E402
import workers as W  # noqa: E402
import loadgen as L  # noqa: E402

KAMAILIO = os.environ.get("IMGATE_KAMAILIO", "kamailio")
KAM_MODULES = os.environ.get("IMGATE_KAMAILIO_MODULES",
                             "/usr/lib/x86_64-linux-gnu/kamailio/modules")
NS_ENV = "IMGATE_KAMBENCH_NS"
KAM_DNS = "127.0.0.2"       # NSD for Kamailio (port 53)
FWD_DNS = "127.0.0.1"       # the 20 ms forwarder (port 53)
DELAY_MS = 20

# Kamailio: the same timeouts as imgated's bench config (SIP 4 s, DNS
# 1 s x 2 tries), log level warning, no TCP, no IPv6 lookups, the
# UDP receive buffer up to 4 MiB as sipp's.  request_route: ENUM, then
# a stateful relay to what the NAPTR gave (RFC 3263 SRV/A from
# Kamailio's DNS cache); anything else is refused.
KAM_CFG = """#!KAMAILIO
debug=0
log_stderror=yes
fork=yes
children={children}
listen=udp:127.0.0.1:{port}
disable_tcp=yes
auto_aliases=no
dns_try_ipv6=no
dns_use_search_list=no
dns_retr_time=1
dns_retr_no=2
use_dns_cache=on
maxbuffer=4194304
mpath="{mpath}"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "maxfwd.so"
loadmodule "enum.so"
modparam("tm", "fr_timer", 4000)
request_route {{
    if (!mf_process_maxfwd_header("10")) {{
        sl_send_reply("483", "Too Many Hops");
        exit;
    }}
    if (method != "MESSAGE") {{
        sl_send_reply("405", "Method Not Allowed");
        exit;
    }}
    if (!enum_query()) {{
        sl_send_reply("404", "Not Found");
        exit;
    }}
    if (!t_relay()) {{
        sl_reply_error();
    }}
    exit;
}}
"""


def enter_namespace():
    """Re-run this script in a new network + mount namespace (once)."""
    if os.environ.get(NS_ENV) == "1":
        return
    if os.geteuid() != 0:
        sys.exit("kamailio.py: needs root (unshare -n -m, mount --bind)")
    env = dict(os.environ)
    env[NS_ENV] = "1"
    os.execvpe("unshare", ["unshare", "--net", "--mount",
                           "--propagation", "private", sys.executable,
                           os.path.abspath(__file__)] + sys.argv[1:], env)


class Kamailio(B.Daemon):
    """One Kamailio, started in its own session; stopped by its pgid."""

    def __init__(self, procs, d, children, shm_mb):
        self.procs, self.d = procs, d
        for attempt in range(5):
            port = B.free_port()
            cfg = os.path.join(d, "kamailio.cfg")
            with open(cfg, "w") as f:
                f.write(KAM_CFG.format(children=children, port=port,
                                       mpath=KAM_MODULES))
            self.log = os.path.join(d, "kamailio.log")
            # -DD: the creator stays in the foreground (our child), the
            # workers are its children
            self.p = procs.start([KAMAILIO, "-f", cfg, "-DD", "-E",
                                  "-m", str(shm_mb), "-M", "16",
                                  "-Y", d, "-w", d], d, "kamailio",
                                 out=self.log)
            if B.wait_until(lambda: B.udp_bound(port)
                            or self.p.poll() is not None, 15) \
                    and self.p.poll() is None:
                self.port, self.pid = port, self.p.pid
                B.wait_until(lambda: len(W.children(self.pid)) > children,
                             10)
                time.sleep(0.3)
                return
            procs.stop(self.p)
        raise RuntimeError("kamailio did not start: see " + self.log)



class KamRun(W.Run):
    """workers.Run whose gateway is imgated or Kamailio, whose load list
    (warm or cold) and DNS server (NSD or the 20 ms forwarder) are set
    per scenario."""

    def setup(self):
        self.resolv = os.path.join(self.dir, "resolv.conf")
        self.set_resolver(KAM_DNS)
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        subprocess.run(["mount", "--bind", self.resolv, "/etc/resolv.conf"],
                       check=True)
        self.uas_port, hold = B.free_port(), B.free_port()
        self.nsd = B.start_nsd(self.procs, self.dir, self.uas_port, hold,
                               sip_naptr=True,
                               also_listen=[KAM_DNS + "@53"])
        self.start_gen_uas()
        self.nums = [B.e164(i) for i in range(B.WARM_NUMBERS)]
        self.warm_csv = os.path.join(self.dir, "warm.csv")
        B.write_csv(self.warm_csv, self.nums)
        self.cold_csv = os.path.join(self.dir, "cold.csv")
        B.write_csv(self.cold_csv, [B.e164(i) for i in
                                    range(B.WARM_NUMBERS, B.NUMBERS)])
        self.dnsdelay = B.build_dnsdelay(self.dir)
        self.fwd = None
        self.scenario("warm")

    def set_resolver(self, addr):
        # written in place: the bind mount keeps the inode; Kamailio
        # reads it when it starts, i.e. at every step
        with open(self.resolv, "w") as f:
            f.write("nameserver %s\noptions timeout:1 attempts:2\n" % addr)

    def scenario(self, name):
        """warm | cold | cold20: the load list and both DNS paths."""
        self.csv = self.warm_csv if name == "warm" else self.cold_csv
        if name == "cold20":
            if self.fwd is None:
                self.fwd = self.procs.start(
                    [self.dnsdelay, "fwd", "53", str(self.nsd.port),
                     str(DELAY_MS), "3600"], self.dir, "dnsdelay")
                if not B.wait_until(lambda: B.udp_bound(53), 5):
                    raise RuntimeError("dnsdelay did not start")
            self.dns_port = 53
            self.set_resolver(FWD_DNS)
        else:
            self.dns_port = self.nsd.port
            self.set_resolver(KAM_DNS)

    def gateway(self, exe, d, workers, lag_ms, wait_ms=None):
        if exe == "kamailio":
            return Kamailio(self.procs, d, self.a.children, self.a.shm_mb)
        if wait_ms is None:
            wait_ms = self.a.wait_ms
        B._GATEWAY_GROUP[exe] = W.gateway_group(workers, lag_ms, wait_ms)
        gw = B.Gateway(self.procs, exe, d, self.dns_port)
        B.wait_until(lambda: len(W.children(gw.pid)) >= workers + (
            1 if workers > 1 else 0), 10)
        time.sleep(0.5 if workers > 1 else 0)
        return gw

    def step(self, label, exe, workers, rate, secs, **kw):
        # workers.Run.step, plus the CPU other processes on the machine
        # took meanwhile (% of one CPU): the noise of a shared machine
        watch = B.CpuWatch(self.procs)
        r = super().step(label, exe, workers, rate, secs, **kw)
        r["foreign_pct"] = watch.foreign_pct()
        if r["refused"] and not label.split("-")[-1].startswith("over"):
            # the rule for the max rate: <= 0.1 % failures, a 503
            # being one (workers.py's steps allow no 503 at all: with
            # the machine's load swings imgated's overload control shed
            # a few, 10 in 20 000, and the search halved)
            was = r["pass"]
            r["pass"] = (r["failed"] + r["missing"] + r["refused"]
                         <= 0.001 * r["count"]
                         and r["retrans"] <= 0.001 * r["count"]
                         and r["goodput"] >= 0.95 * rate)
            if r["pass"] != was:
                B.log("    %d 503s within the 0.1 %% of failures: %s"
                      % (r["refused"], "PASS" if r["pass"] else "FAIL"))
        B.log("    others' CPU during the step: %.0f %% of one CPU"
              % r["foreign_pct"])
        return r

    def size(self, exe):
        """What step()'s "w=" shows: imgated's workers or Kamailio's
        children."""
        return self.a.children if exe == "kamailio" else self.a.workers

    def over_budget(self, what, need):
        """Would a thing of NEED seconds end past --budget?"""
        if time.monotonic() - self.t0 + need > self.a.budget:
            B.log("  %s skipped: it would end past the %d s budget"
                  % (what, self.a.budget))
            return True
        return False

    def step_s(self, secs):
        # a step's wall time: the load, the gateway's start and stop,
        # the warm-up and sipp's end (measured: 3-6 s on 2 busy CPUs)
        return secs + 8

    def search_pair(self, sc, starts):
        """workers.Run.search's rule (x1.5 while passing, halve while
        nothing passed, then bisect to --resolution or 100/s,
        --max-steps), run
        for both gateways with their steps interleaved, so that the
        shared machine's load swings fall on both alike.  starts:
        [(name, exe, first rate)]; returns {name: best step or None}."""
        st = [{"name": n, "exe": e, "r": max(100, int(r)), "best": None,
               "lo": None, "hi": None, "n": 0, "done": False}
              for n, e, r in starts]
        while not all(x["done"] for x in st):
            for x in st:
                if x["done"]:
                    continue
                label = "%s-%s" % (x["name"], sc)
                # keep the overload steps' time in reserve
                reserve = (4 * (self.step_s(self.a.overload_seconds)
                                + self.a.settle)
                           if self.a.overload_seconds > 0 else 0)
                settle = self.a.settle if sc == "warm" else 0.0
                if self.over_budget(label, self.step_s(self.a.seconds)
                                    + settle + reserve):
                    x["done"] = True
                    continue
                res = self.step(label, x["exe"], self.size(x["exe"]),
                                x["r"], self.a.seconds, settle=settle)
                x["n"] += 1
                if res["pass"]:
                    x["best"], x["lo"] = res, x["r"]
                else:
                    x["hi"] = x["r"]
                lo, hi = x["lo"], x["hi"]
                if x["n"] >= self.a.max_steps:
                    x["done"] = True
                elif hi is None:
                    x["r"] = int(x["r"] * 1.5)
                elif lo is None:
                    x["r"] = int(x["r"] / 2)
                    x["done"] = x["r"] < 100
                elif hi - lo <= max(100, self.a.resolution * lo):
                    x["done"] = True
                else:
                    x["r"] = int((lo + hi) / 2)
        return {x["name"]: x["best"] for x in st}

    def main(self):
        a = self.a
        self.setup()
        self.res["kamailio"] = subprocess.run(
            [KAMAILIO, "-v"], capture_output=True,
            text=True).stdout.splitlines()[0]
        lines = []
        self.res["runs"] = {}
        for g in a.gen:
            self.use_gen(g)
            self.res["steps"] = []
            run = self.series()
            self.res["runs"][g] = dict(run, steps=self.res["steps"])
            lines += (["", "===== load generator: %s =====" % g]
                      if len(a.gen) > 1 else []) + run["lines"]
            for ln in run["lines"]:
                B.log(ln)
        self.res["lines"] = lines
        with open(os.path.join(self.dir, "results.json"), "w") as f:
            json.dump(self.res, f, indent=1, default=str)
        for ln in lines:
            print(ln)
        sys.stdout.flush()

    def series(self):
        """Every scenario and the overload steps with the current
        generator, within --budget; @return its results and lines."""
        a = self.a
        self.t0 = t0 = time.monotonic()
        up0 = uptime()
        gws = (("imgated", a.imgated), ("kamailio", "kamailio"))
        R = {}
        for sc in a.scenarios:
            self.scenario(sc)
            starts = []
            for name, exe in gws:
                start = a.start if name == "imgated" else a.kam_start
                if sc != "warm":
                    prev = R.get((name, "cold" if sc == "cold20" else "warm"))
                    if prev:
                        start = 0.8 * prev["rate"]
                if sc == "cold20" and name == "kamailio":
                    # Kamailio's ENUM lookup blocks a worker per
                    # message: at most children / RTT
                    start = min(start, 0.8 * a.children * 1000 / DELAY_MS)
                starts.append((name, exe, start))
            for name, best in self.search_pair(sc, starts).items():
                R[(name, sc)] = best
        over = {}
        if a.overload_seconds > 0:
            self.scenario("warm")
            # interleaved too: imgated 1.5x, Kamailio 1.5x, imgated 2x, ...
            for f in (1.5, 2.0):
                for name, exe in gws:
                    top = R.get((name, "warm"))
                    if not top or self.over_budget(
                            "%s overload %.1fx" % (name, f),
                            self.step_s(a.overload_seconds) + a.settle):
                        continue
                    # a running gateway at its max, then the surge:
                    # --settle seconds at the max first, unmeasured
                    over[(name, f)] = self.step(
                        "%s-over%.1fx" % (name, f), exe, self.size(exe),
                        int(top["rate"] * f), a.overload_seconds,
                        settle=a.settle, settle_rate=int(top["rate"]))
        self.res["uptime_start"] = up0
        self.res["uptime_end"] = uptime()
        self.res["wall_s"] = time.monotonic() - t0
        return {"uptime_start": up0, "uptime_end": self.res["uptime_end"],
                "wall_s": self.res["wall_s"],
                "lines": self.report(R, over)}

    def report(self, R, over):
        a = self.a
        fp = [x["foreign_pct"] for x in self.res["steps"]]
        gcpu = [x["gen_cpu_us"] for x in self.res["steps"]
                if x.get("gen_cpu_us") is not None]
        out = ["machine: %s" % self.res["machine"],
               "load generator: %s, its CPU per message (UAC + UAS): "
               "median %s us over the steps" % (
                   self.gen.name, B.fmt(sorted(gcpu)[len(gcpu) // 2]
                                        if gcpu else None, 1)),
               "load: start %s; end %s" % (self.res["uptime_start"],
                                           self.res["uptime_end"]),
               "other processes' CPU during the steps: mean %.0f %%, max "
               "%.0f %% of one CPU" % (sum(fp) / max(1, len(fp)),
                                       max(fp or [0])),
               "%s; imgated %s, gateway.workers = %d%s; kamailio children = "
               "%d; %.0f s" % (self.res["kamailio"], a.imgated, a.workers,
                               "" if a.wait_ms is None else
                               ", overload_wait_ms = %d" % a.wait_ms,
                               a.children, self.res["wall_s"]),
               "",
               "max rate with <= 0.1 % failed (the lowest failed rate "
               "above it), gateway CPU per message:",
               "%-22s %-24s %-24s %-7s %s" % ("scenario", "imgated",
                                             "kamailio", "ratio",
                                             "acceptance")]
        target = {"warm": 2.5, "cold20": 20.0}
        for sc in a.scenarios:
            i, k = R.get(("imgated", sc)), R.get(("kamailio", sc))

            def cell(r):
                if not r:
                    return "-"
                # the lowest failed step above: the max lies in between
                up = [x["rate"] for x in self.res["steps"]
                      if x["label"] == r["label"] and not x["pass"]
                      and x["rate"] > r["rate"]]
                return "%d/s%s %s us" % (r["rate"], " (<%d)" % min(up)
                                         if up else "",
                                         B.fmt(r["cpu_us"], 0))
            ratio = (i["rate"] / k["rate"]) if i and k else None
            verdict = ""
            if sc in target:
                verdict = ">= %gx: %s" % (target[sc], "-" if ratio is None
                                          else "PASS" if ratio >= target[sc]
                                          else "FAIL")
            out.append("%-22s %-24s %-24s %-7s %s" % (
                {"warm": "warm SIP->SIP", "cold": "cold SIP->SIP",
                 "cold20": "cold, DNS RTT %d ms" % DELAY_MS}[sc],
                cell(i), cell(k),
                "%.2fx" % ratio if ratio else "-", verdict))
        if over:
            out += ["", "overload, %g s (each at its own warm max): "
                    "goodput, 503s, no answer, retransmissions, p99 of 200s"
                    % a.overload_seconds]
            for f in (1.5, 2.0):
                for name in ("imgated", "kamailio"):
                    r = over.get((name, f))
                    if not r:
                        continue
                    m = R[(name, "warm")]["rate"]
                    out.append(
                        "  %-8s %.1fx = %6d/s offered: goodput %6.0f/s "
                        "(%3.0f %% of max), 503 %d%s, no answer %d, rtx %d, "
                        "p99 %s ms" % (name, f, r["rate"], r["goodput"],
                                       100.0 * r["goodput"] / m,
                                       r["refused"], W.ra_text(r),
                                       r["failed"] + r["missing"],
                                       r["retrans"], B.fmt(r["p99"])))
        return out


def uptime():
    try:
        return subprocess.run(["uptime"], capture_output=True,
                              text=True).stdout.strip()
    except OSError:
        return "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--imgated", default=os.environ.get("IMGATED"),
                    required=os.environ.get("IMGATED") is None)
    ap.add_argument("--workers", type=int, default=2,
                    help="imgated's gateway.workers (default 2)")
    ap.add_argument("--children", type=int, default=8,
                    help="Kamailio's UDP workers (default 8)")
    ap.add_argument("--shm-mb", type=int, default=1024,
                    help="Kamailio's shared memory (-m)")
    ap.add_argument("--scenarios", default="warm,cold,cold20",
                    type=lambda s: s.split(","))
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--settle", type=float, default=20.0,
                    help="warm scenario: seconds of each step's load "
                    "before its measured --seconds, same process, not "
                    "counted (default 20: both gateways in steady state: "
                    "past imgated's 4 s Timer J and 5 s Timer K and "
                    "Kamailio's 5 s wait timer, and past the seconds in "
                    "which a fresh imgated's heap grows, which at "
                    "30 000/s and up last 14 s and more, shedding some "
                    "of it (bench/README.md); 0: a fresh process's first "
                    "seconds")
    ap.add_argument("--overload-seconds", type=float, default=30.0)
    ap.add_argument("--wait-ms", type=int, default=None,
                    help="imgated's gateway.overload_wait_ms (default: "
                    "its own default)")
    ap.add_argument("--start", type=int, default=6000,
                    help="imgated's first warm step (msg/s)")
    ap.add_argument("--kam-start", type=int, default=3000,
                    help="Kamailio's first warm step (msg/s)")
    ap.add_argument("--max-steps", type=int, default=10,
                    help="steps of each search at most (default 10)")
    ap.add_argument("--resolution", type=float, default=0.05,
                    help="a search ends when its lowest failed rate is "
                    "within this share of its highest passed one "
                    "(default 0.05: the max is known to 5 %%; at 0.1 the "
                    "searches of both gateways could each stop up to "
                    "10 %% under their max, and the ratio of the two "
                    "moved by as much with the run's luck)")
    ap.add_argument("--gen", default=["sipload"], type=L.gen_choice,
                    help="load generator: sipload (default), sipp, or "
                    "both (the whole series with each, one table each)")
    ap.add_argument("--budget", type=int, default=1500,
                    help="no search step starts that would leave less "
                    "than the overload steps' time before this many "
                    "seconds, no overload step that would end after them "
                    "(default 1500: the run ends within 26 minutes; with "
                    "--gen both, for each generator)")
    ap.add_argument("--workdir")
    a = ap.parse_args()
    for sc in a.scenarios:
        if sc not in ("warm", "cold", "cold20"):
            ap.error("unknown scenario %r" % sc)
    enter_namespace()
    B.raise_nofile()
    r = KamRun(a)
    try:
        r.main()
    finally:
        r.procs.stop_all()


if __name__ == "__main__":
    main()
