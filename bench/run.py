#!/usr/bin/python3
"""bench/run.py - imgated SIP->SIP load benchmark on loopback.

Starts its own NSD (100 000 generated ENUM numbers), a C delaying UDP
forwarder (bench/dnsdelay.c, built at run time) for the 20 ms DNS case,
sipp UAS peers, imgated and sipp UACs, all on free 127.0.0.1 ports, and
prints ONE line per scenario on stdout (progress goes to stderr):

  a  ceiling: sipp UAC -> sipp UAS directly
  b  SIP->SIP warm cache (16 numbers, cache warmed first)
  c  SIP->SIP cold (a new number per message, 100k numbers)
  d  SIP->SIP cold, 20 ms DNS round trip (delaying forwarder before NSD)
  e  latency at half the max warm rate (and the direct path at that rate)
  f  RSS per in-flight transaction (slow UAS holds every answer)
  XMPP scenarios: skipped (XMPP not implemented)

Max rate: sipp -r R -m R*T steps (T = 5 s, --quick 2 s), growing R by
x1.5 (x2 quick) until a step fails, then bisecting.  A step passes when
<= 0.1 % of the messages fail (sipp failed calls, lost probes, missing
calls at the global timeout) and the achieved rate is >= 95 % of R.
imgated is restarted for every step (fresh cache, clean CPU and RSS).

Latency: a probe (this script) sends 200 MESSAGE/s of its own with the
load and times each answer with a monotonic clock (microseconds); sipp's
own per-call response times (-trace_rtt, whole milliseconds, truncated)
are shown as a cross-check.
CPU: imgated utime+stime delta (/proc/PID/stat) / messages answered.
RSS: VmHWM (/proc/PID/status) at the end of the step.

Usage: bench/run.py [--quick] [--imgated PATH] [--keep] [--only abcdef]
                    [--profile] [--workdir DIR]
Everything stops by itself; a global deadline aborts what is left.
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(HERE)
SIPP = os.environ.get("IMGATE_SIPP", "sipp")
NSD = os.environ.get("IMGATE_NSD", "nsd")

NUMBERS = 100000            # cold numbers: +4930000000 .. +4930099999
PROBE_COLD_FIRST = 99000    # the probe's cold numbers: the top 1000
WARM_NUMBERS = 16
HOLD_NUMBERS = 16           # +4931000000.. -> im:bench@hold.bench
TARGETS = {"warm": 0.28, "cold20": 0.15, "p99_added_ms": 5.0,
           "rss_per_txn": 4096}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def e164(i, block="4930"):
    return "+%s%06d" % (block, i)


def enum_owner(num):
    return ".".join(reversed(num.lstrip("+")))


# --------------------------------------------------------------------------
# processes: each started in its own session, stopped by its own pid/pgid

class Procs:
    def __init__(self):
        self.procs = []

    def start(self, args, cwd, name, out=None, env=None):
        outf = open(out or os.path.join(cwd, name + ".out"), "wb")
        p = subprocess.Popen(args, cwd=cwd, stdin=subprocess.DEVNULL,
                             stdout=outf, stderr=subprocess.STDOUT,
                             start_new_session=True, env=env)
        outf.close()
        p.name = name
        self.procs.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM, timeout=5.0):
        if p.poll() is None:
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(5)
        else:
            # reap anything left in its group (nsd's children)
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass
        if p in self.procs:
            self.procs.remove(p)
        return p.returncode

    def stop_all(self):
        for p in list(reversed(self.procs)):
            self.stop(p, timeout=3.0)


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(100):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise RuntimeError("no free port")


def udp_bound(port):
    """Is a UDP socket bound to 127.0.0.1:port (or *:port)?  Read from
    /proc/net/udp, so that probing never takes the port itself."""
    want = ":%04X" % port
    try:
        with open("/proc/net/udp") as f:
            next(f)
            for ln in f:
                local = ln.split()[1]
                if local.endswith(want) and local[:8] in ("0100007F",
                                                          "00000000"):
                    return True
    except OSError:
        pass
    return False


def udp_drops(port):
    """Datagrams the kernel dropped on the socket(s) bound to port
    (receive buffer full): the last column of /proc/net/udp."""
    want, total = ":%04X" % port, 0
    try:
        with open("/proc/net/udp") as f:
            next(f)
            for ln in f:
                parts = ln.split()
                if parts[1].endswith(want):
                    total += int(parts[-1])
    except (OSError, ValueError, IndexError):
        pass
    return total


def wait_until(pred, timeout, step=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return False


# --------------------------------------------------------------------------
# /proc readings

def cpu_ticks(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    fields = s[s.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])      # utime + stime


def proc_kb(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for ln in f:
                if ln.startswith(key + ":"):
                    return int(ln.split()[1])
    except OSError:
        pass
    return None


HZ = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------
# DNS: zone files, NSD, readiness probe

def dns_query(port, name, qtype=35, timeout=0.2):
    qid = random.randint(0, 65535)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(q, ("127.0.0.1", port))
        a, _ = s.recvfrom(4096)
    except OSError:
        return None
    finally:
        s.close()
    if len(a) < 12 or struct.unpack(">H", a[:2])[0] != qid:
        return None
    return {"rcode": a[3] & 15, "ancount": struct.unpack(">H", a[6:8])[0]}


def write_zones(d, uas_port, hold_port):
    with open(os.path.join(d, "e164.arpa.zone"), "w") as f:
        f.write("$ORIGIN e164.arpa.\n$TTL 3600\n"
                "@ IN SOA ns.e164.arpa. hostmaster.e164.arpa. "
                "1 3600 600 86400 3600\n@ IN NS ns.e164.arpa.\n"
                "ns IN A 127.0.0.1\n")
        rr = ' IN NAPTR 10 100 "u" "E2U+im" "!^.*$!im:bench@%s!" .\n'
        sip = rr % "sip.bench"
        for i in range(NUMBERS):
            f.write(enum_owner(e164(i)) + sip)
        hold = rr % "hold.bench"
        for i in range(HOLD_NUMBERS):
            f.write(enum_owner(e164(i, "4931")) + hold)
    for dom, port in (("sip.bench", uas_port), ("hold.bench", hold_port)):
        with open(os.path.join(d, dom + ".zone"), "w") as f:
            f.write("$ORIGIN %s.\n$TTL 3600\n"
                    "@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 3600\n"
                    "@ IN NS ns\nns IN A 127.0.0.1\nuas IN A 127.0.0.1\n"
                    "_im._sip IN SRV 10 0 %d uas.%s.\n"
                    % (dom, dom, dom, port, dom))


def start_nsd(procs, d, uas_port, hold_port):
    write_zones(d, uas_port, hold_port)
    for attempt in range(3):
        port = free_port()
        conf = os.path.join(d, "nsd.conf")
        with open(conf, "w") as f:
            f.write("""server:
    ip-address: 127.0.0.1@{port}
    port: {port}
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "{d}"
    pidfile: "{d}/nsd.pid"
    database: ""
    xfrdfile: "{d}/nsd-xfrd.state"
    zonelistfile: "{d}/nsd-zone.list"
    xfrdir: "{d}"
    logfile: "{d}/nsd.log"
    server-count: 1
    verbosity: 1
    hide-version: yes
    # Debian's NSD rate-limits 200 q/s per /24 by default: off
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: "e164.arpa"
    zonefile: "e164.arpa.zone"
zone:
    name: "sip.bench"
    zonefile: "sip.bench.zone"
zone:
    name: "hold.bench"
    zonefile: "hold.bench.zone"
""".format(port=port, d=d))
        p = procs.start([NSD, "-d", "-c", conf], d, "nsd")
        probe = enum_owner(e164(NUMBERS - 1)) + ".e164.arpa"

        def ready():
            r = dns_query(port, probe)
            return r is not None and r["rcode"] == 0 and r["ancount"] > 0
        if wait_until(lambda: ready() or p.poll() is not None, 20.0) \
                and p.poll() is None:
            p.port = port
            return p
        procs.stop(p)
    raise RuntimeError("nsd did not start; see %s/nsd.log" % d)


def build_dnsdelay(d):
    exe = os.path.join(d, "dnsdelay")
    subprocess.run(["cc", "-O2", "-Wall", "-o", exe,
                    os.path.join(HERE, "dnsdelay.c")], check=True)
    return exe


def start_fwd(procs, d, exe, upstream, delay_ms, seconds):
    for attempt in range(3):
        port = free_port()
        p = procs.start([exe, "fwd", str(port), str(upstream), str(delay_ms),
                         str(seconds)], d, "dnsdelay")
        if wait_until(lambda: udp_bound(port) or p.poll() is not None, 5) \
                and p.poll() is None:
            p.port = port
            return p
        procs.stop(p)
    raise RuntimeError("dnsdelay did not start")


# --------------------------------------------------------------------------
# sipp

def start_uas(procs, d, scenario, port, name, extra=()):
    p = procs.start([SIPP, "-sf", os.path.join(HERE, scenario),
                     "-i", "127.0.0.1", "-p", str(port), "-t", "u1",
                     "-nostdin", "-buff_size", "4194304",
                     "-l", "200000"] + list(extra), d, name)
    if not wait_until(lambda: udp_bound(port) or p.poll() is not None, 5) \
            or p.poll() is not None:
        raise RuntimeError("sipp UAS %s did not start" % name)
    p.port = port
    return p


def write_csv(path, numbers):
    with open(path, "w") as f:
        f.write("SEQUENTIAL\n")
        for n in numbers:
            f.write(n + ";\n")


class Step:
    pass


def run_uac(procs, d, target, csv, rate, count, timeout_s, recv_timeout_ms,
            extra=()):
    """Run a sipp UAC to completion; returns a Step with the counters."""
    os.makedirs(d, exist_ok=True)
    port = free_port()
    args = [SIPP, "-sf", os.path.join(HERE, "uac_inf.xml"), "-inf", csv,
            "-i", "127.0.0.1", "-p", str(port), "-t", "u1", "-nostdin",
            "-m", str(count), "-r", str(rate), "-rp", "1000",
            "-l", "200000", "-buff_size", "4194304",
            "-recv_timeout", str(recv_timeout_ms),
            "-timeout", "%ds" % timeout_s, "-timeout_error",
            "-trace_stat", "-stf", os.path.join(d, "stat.csv"), "-fd", "1",
            "-trace_rtt", "-rtt_freq", "1",
            "-trace_screen", "-screen_file", os.path.join(d, "screen.log"),
            "-trace_err", "-error_file", os.path.join(d, "errors.log"),
            ] + list(extra) + ["127.0.0.1:%d" % target]
    p = procs.start(args, d, "uac")
    try:
        rc = p.wait(timeout_s + 15)
    except subprocess.TimeoutExpired:
        procs.stop(p)
        rc = -1
    if p in procs.procs:
        procs.procs.remove(p)
    st = Step()
    st.rc, st.count, st.rate = rc, count, rate
    st.ok = st.failed = st.retrans = 0
    try:
        with open(os.path.join(d, "stat.csv")) as f:
            lines = [ln.rstrip("\n") for ln in f if ln.strip()]
        hdr = lines[0].split(";")
        last = lines[-1].split(";")
        col = lambda k: int(float(last[hdr.index(k)]))
        st.ok = col("SuccessfulCall(C)")
        st.failed = col("FailedCall(C)")
        st.retrans = col("Retransmissions(C)")
    except (OSError, IndexError, ValueError):
        pass
    st.rtt = []
    st.t_first = st.t_last = None
    for fn in os.listdir(d):
        if fn.endswith("_rtt.csv"):
            with open(os.path.join(d, fn)) as f:
                next(f, None)
                ts = []
                for ln in f:
                    parts = ln.split(";")
                    if len(parts) >= 2:
                        try:
                            ts.append(float(parts[0]))
                            st.rtt.append(float(parts[1]))
                        except ValueError:
                            pass
                if ts:
                    st.t_first, st.t_last = min(ts), max(ts)
    return st


# --------------------------------------------------------------------------
# latency probe: our own MESSAGEs, timed with a monotonic clock

class Probe:
    def __init__(self, target, numbers, rate=200.0):
        self.target, self.numbers, self.rate = target, numbers, rate
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.pending = {}
        self.lat = []
        self.bad = 0
        self.sent = 0
        self.stop_ev = threading.Event()
        self.lock = threading.Lock()
        self.tag = "%08x" % random.getrandbits(32)

    def _msg(self, n, num):
        body = "probe %d\r\n" % n
        cid = "probe-%s-%d@127.0.0.1" % (self.tag, n)
        ruri = "sip:%s@127.0.0.1:%d" % (num, self.target)
        return cid, ("MESSAGE %s SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s%d\r\n"
                     "From: <sip:probe@127.0.0.1:%d>;tag=p%s%d\r\n"
                     "To: <%s>\r\nCall-ID: %s\r\nCSeq: 1 MESSAGE\r\n"
                     "Max-Forwards: 70\r\nContent-Type: text/plain\r\n"
                     "Content-Length: %d\r\n\r\n%s"
                     % (ruri, self.port, self.tag, n, self.port, self.tag, n,
                        ruri, cid, len(body), body)).encode()

    def _send_loop(self, duration):
        t0 = time.monotonic()
        n = 0
        while not self.stop_ev.is_set():
            due = t0 + n / self.rate
            now = time.monotonic()
            if due - t0 >= duration:
                break
            if due > now:
                time.sleep(due - now)
            num = self.numbers[n % len(self.numbers)]
            cid, data = self._msg(n, num)
            with self.lock:
                self.pending[cid] = time.monotonic()
                self.sock.sendto(data, ("127.0.0.1", self.target))
            self.sent += 1
            n += 1

    def _recv_loop(self):
        rx_cid = re.compile(rb"^(?:Call-ID|i)\s*:\s*(\S+)", re.M | re.I)
        while not self.stop_ev.is_set() or self.pending:
            try:
                data, _ = self.sock.recvfrom(65536)
            except socket.timeout:
                if self.stop_ev.is_set():
                    break
                continue
            except OSError:
                break
            t = time.monotonic()
            m = re.match(rb"SIP/2\.0 (\d{3})", data)
            c = rx_cid.search(data)
            if not m or not c:
                continue
            code = int(m.group(1))
            if code < 200:
                continue
            with self.lock:
                t_sent = self.pending.pop(c.group(1).decode(), None)
            if t_sent is None:
                continue
            if code == 200:
                self.lat.append(t - t_sent)
            else:
                self.bad += 1

    def start(self, duration):
        self.rx = threading.Thread(target=self._recv_loop, daemon=True)
        self.tx = threading.Thread(target=self._send_loop, args=(duration,),
                                   daemon=True)
        self.rx.start()
        self.tx.start()

    def finish(self, grace=5.0):
        self.tx.join()
        wait_until(lambda: not self.pending, grace, 0.05)
        self.stop_ev.set()
        self.rx.join(2)
        self.lost = len(self.pending)
        self.sock.close()
        self.lat.sort()
        return self


def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    i = min(len(sorted_vals) - 1, int(len(sorted_vals) * p))
    return sorted_vals[i]


# --------------------------------------------------------------------------
# imgated

class Gateway:
    def __init__(self, procs, exe, d, dns_port, sip_timeout_ms=4000):
        self.procs, self.d = procs, d
        os.makedirs(d, exist_ok=True)
        for attempt in range(5):
            port = free_port()
            self.conf = os.path.join(d, "imgate.conf")
            with open(self.conf, "w") as f:
                f.write("""gateway = { domain = "gw.test"; };
log = { level = "warning"; };
sip = { listen = "sip:127.0.0.1:%d"; timeout_ms = %d; };
dns = { servers = [ "127.0.0.1:%d" ]; timeout_ms = 1000; tries = 2; cache_entries = 200000; };
enum = { enumservices = [ "im", "sip" ]; };
limits = { max_transactions = 100000; };
""" % (port, sip_timeout_ms, dns_port))
            self.log = os.path.join(d, "imgated.log")
            self.p = procs.start([exe, "-d", "-f", self.conf], d, "imgated",
                                 out=self.log)
            if wait_until(lambda: udp_bound(port) or self.p.poll() is not None,
                          5) and self.p.poll() is None:
                self.port, self.pid = port, self.p.pid
                return
            procs.stop(self.p)
        raise RuntimeError("imgated did not start: " + self.log_text()[-500:])

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def alive(self):
        return self.p.poll() is None

    def stop(self):
        was_alive = self.alive()
        rc = self.procs.stop(self.p, timeout=8.0)
        self.exit_rc = rc if was_alive else ("died %s" % rc)
        return self.exit_rc


# --------------------------------------------------------------------------
# the benchmark

class Bench:
    def __init__(self, args):
        self.a = args
        self.quick = args.quick
        self.T = 2 if self.quick else 5
        self.growth = 2.0 if self.quick else 1.5
        self.bisect = 1 if self.quick else 2
        self.max_steps = 6 if self.quick else 9
        self.deadline = time.monotonic() + (240 if self.quick else 780)
        self.procs = Procs()
        self.res = {}
        self.gw_problems = []
        self.nstep = 0

    # -- setup
    def setup(self):
        a = self.a
        self.dir = a.workdir or tempfile.mkdtemp(prefix="imgate-bench-")
        os.makedirs(self.dir, exist_ok=True)
        log("bench: work dir %s" % self.dir)
        self.exe = a.imgated or self.build_imgated()
        log("bench: imgated %s" % self.exe)
        self.dnsdelay = build_dnsdelay(self.dir)
        self.uas_port, self.hold_port = free_port(), free_port()
        t = time.monotonic()
        self.nsd = start_nsd(self.procs, os.path.join(self.dir), self.uas_port,
                             self.hold_port)
        log("bench: nsd :%d ready in %.1f s (%d NAPTRs)"
            % (self.nsd.port, time.monotonic() - t, NUMBERS + HOLD_NUMBERS))
        self.uas = start_uas(self.procs, self.dir, "uas_200.xml",
                             self.uas_port, "uas")
        self.warm_nums = [e164(i) for i in range(WARM_NUMBERS)]
        self.cold_nums = [e164(i) for i in range(PROBE_COLD_FIRST)]
        self.probe_cold = [e164(i) for i in range(PROBE_COLD_FIRST, NUMBERS)]
        self.hold_nums = [e164(i, "4931") for i in range(HOLD_NUMBERS)]
        self.warm_csv = os.path.join(self.dir, "warm.csv")
        self.cold_csv = os.path.join(self.dir, "cold.csv")
        self.hold_csv = os.path.join(self.dir, "hold.csv")
        write_csv(self.warm_csv, self.warm_nums)
        write_csv(self.cold_csv, self.cold_nums)
        write_csv(self.hold_csv, self.hold_nums)

    def build_imgated(self):
        b = os.environ.get("IMGATE_BENCH_BUILD", "/tmp/imgate-bench-build")
        os.makedirs(b, exist_ok=True)
        if not os.path.exists(os.path.join(b, "Makefile")):
            log("bench: configuring an optimised build in %s" % b)
            subprocess.run([os.path.join(SRCDIR, "configure"),
                            "CFLAGS=-O2 -g -fno-omit-frame-pointer"], cwd=b,
                           check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["make", "-j2", "imgated"], cwd=b, check=True,
                       stdout=subprocess.DEVNULL)
        return os.path.join(b, "imgated")

    def time_left(self):
        return self.deadline - time.monotonic()

    # -- one load step
    def step(self, label, rate, mode, dns_port=None, duration=None,
             probe=True, keep_gw=False):
        """mode: direct | warm | cold.  Returns a dict of results."""
        T = duration or self.T
        self.nstep += 1
        d = os.path.join(self.dir, "s%02d-%s-%d" % (self.nstep, label, rate))
        os.makedirs(d, exist_ok=True)
        gw = None
        if mode == "direct":
            target = self.uas_port
            csv, pnums = self.warm_csv, self.warm_nums
        else:
            gw = Gateway(self.procs, self.exe, d, dns_port)
            target = gw.port
            if mode == "warm":
                csv, pnums = self.warm_csv, self.warm_nums
                w = run_uac(self.procs, os.path.join(d, "warmup"), target,
                            self.warm_csv, 200, WARM_NUMBERS, 10, 3000)
                if w.ok != WARM_NUMBERS:
                    log("  warm-up: %d/%d ok" % (w.ok, WARM_NUMBERS))
            else:
                csv, pnums = self.cold_csv, self.probe_cold
        count = min(int(rate * T), len(self.cold_nums)) \
            if mode == "cold" else int(rate * T)
        c0 = cpu_ticks(gw.pid) if gw else None
        d0 = (udp_drops(target), udp_drops(self.uas_port))
        pr = Probe(target, pnums) if probe else None
        if pr:
            pr.start(count / rate)
        t0 = time.monotonic()
        st = run_uac(self.procs, d, target, csv, rate, count,
                     int(T + 8), 5000)
        wall = time.monotonic() - t0
        if pr:
            pr.finish()
        drops = (udp_drops(target) - d0[0], udp_drops(self.uas_port) - d0[1])
        if mode == "direct":
            drops = (0, drops[1])
        r = {"label": label, "rate": rate, "count": count, "ok": st.ok,
             "drops_gw": drops[0], "drops_uas": drops[1],
             "failed": st.failed, "rc": st.rc, "retrans": st.retrans,
             "wall": wall}
        if st.t_first is not None and st.t_last > st.t_first:
            span = (st.t_last - st.t_first) / 1000.0 + 1.0 / rate
            r["achieved"] = st.ok / span
        else:
            r["achieved"] = st.ok / max(wall, 1e-3)
        rt = sorted(st.rtt)
        r["sipp_p50"], r["sipp_p99"] = pct(rt, 0.5), pct(rt, 0.99)
        nmsg = st.ok
        missing = max(0, count - st.ok - st.failed)
        bad = st.failed + missing
        if pr:
            r["probe_n"] = len(pr.lat)
            r["probe_bad"] = pr.bad + pr.lost
            r["p50"] = pct(pr.lat, 0.5) * 1e3 if pr.lat else None
            r["p99"] = pct(pr.lat, 0.99) * 1e3 if pr.lat else None
            nmsg += len(pr.lat)
            bad += pr.bad + pr.lost
            total = count + pr.sent
        else:
            total = count
        r["bad"], r["total"] = bad, total
        if gw:
            c1 = cpu_ticks(gw.pid)
            r["alive"] = gw.alive()
            if c0 is not None and c1 is not None and nmsg:
                r["cpu_us"] = (c1 - c0) / HZ * 1e6 / nmsg
            r["hwm_kb"] = proc_kb(gw.pid, "VmHWM")
            if keep_gw:
                r["gw"] = gw
            else:
                self.finish_gw(gw, label, rate)
        r["pass"] = (bad <= 0.001 * total and st.rc == 0
                     and r["achieved"] >= 0.95 * rate
                     and r.get("alive", True))
        log("  step %-7s R=%-6d sent=%-6d ok=%-6d fail=%-4d miss=%-4d "
            "rtx=%-5d ach=%6.0f/s p50/p99=%s/%s ms sipp_p99=%s cpu=%s us "
            "hwm=%s MiB drops gw/uas=%d/%d %s"
            % (label, rate, count, st.ok, st.failed, missing, st.retrans,
               r["achieved"], fmt(r.get("p50")), fmt(r.get("p99")),
               r["sipp_p99"], fmt(r.get("cpu_us"), 0),
               fmt((r.get("hwm_kb") or 0) / 1024.0, 0) if gw else "-",
               drops[0], drops[1], "PASS" if r["pass"] else "FAIL"))
        return r

    def finish_gw(self, gw, label, rate):
        alive = gw.alive()
        rc = gw.stop()
        text = gw.log_text()
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if not alive or rc != 0 or lines:
            self.gw_problems.append(
                "%s R=%d: %s, exit %s, %d log lines%s"
                % (label, rate, "alive" if alive else "DIED", rc, len(lines),
                   (": " + " | ".join(sorted(set(
                       re.sub(r"\d+", "N", ln) for ln in lines))[:5]))
                   if lines else ""))

    # -- max-rate search
    def search(self, label, mode, start, dns_port=None, cap=None):
        best, fail_at, steps = None, None, 0
        r = int(start)
        while steps < self.max_steps and self.time_left() > 30:
            res = self.step(label, r, mode, dns_port)
            steps += 1
            if not res["pass"]:
                fail_at = r
                break
            best = res
            if cap and r >= cap:
                break
            r = int(r * self.growth)
            if cap:
                r = min(r, cap)
        if best is None and fail_at is not None and fail_at > 50:
            # the first step failed: go down instead
            r = fail_at
            while best is None and steps < self.max_steps and r > 50 \
                    and self.time_left() > 30:
                r = int(r / 2)
                res = self.step(label, r, mode, dns_port)
                steps += 1
                if res["pass"]:
                    best = res
                else:
                    fail_at = r
        lo = best["rate"] if best else None
        hi = fail_at
        for _ in range(self.bisect):
            if lo is None or hi is None or hi - lo < max(50, lo * 0.05) \
                    or self.time_left() < 30:
                break
            mid = int((lo + hi) / 2)
            res = self.step(label, mid, mode, dns_port)
            if res["pass"]:
                best, lo = res, mid
            else:
                hi = mid
        if best:
            best["first_fail"] = hi
        return best

    # -- scenarios
    def run(self):
        only = self.a.only
        out = []
        R = self.res

        def want(k):
            return k in only

        if want("a"):
            R["a"] = self.search("ceiling", "direct", 4000)
            out.append(self.line_rate("a ceiling sipp->sipp", R["a"], None))
        ceil = (R.get("a") or {}).get("achieved")
        if want("b"):
            start = max(250, int(ceil / 8)) if ceil else 1000
            R["b"] = self.search("warm", "warm", start, self.nsd.port)
            out.append(self.line_rate("b SIP->SIP warm", R["b"], ceil,
                                      TARGETS["warm"]))
        warm = (R.get("b") or {}).get("achieved")
        if want("c"):
            start = max(250, int(warm / 2)) if warm else 800
            R["c"] = self.search("cold", "cold", start, self.nsd.port,
                                 cap=len(self.cold_nums) // self.T)
            out.append(self.line_rate("c SIP->SIP cold (100k numbers)",
                                      R["c"], ceil))
        cold = (R.get("c") or {}).get("achieved")
        if want("d"):
            fwd = start_fwd(self.procs, self.dir, self.dnsdelay,
                            self.nsd.port, 20, 900)
            frate = max(5000, int(2 * (cold or 2500)))
            alone = subprocess.run(
                [self.dnsdelay, "load", str(fwd.port), str(frate),
                 "2" if self.quick else "3",
                 enum_owner(e164(5)) + ".e164.arpa"],
                capture_output=True, text=True, timeout=30).stdout.strip()
            log("  dnsdelay alone (20 ms, %d q/s): %s" % (frate, alone))
            R["fwd_alone"] = "%d q/s offered: %s" % (frate, alone)
            start = max(200, int(cold / 2)) if cold else 500
            R["d"] = self.search("cold20", "cold", start, fwd.port,
                                 cap=len(self.cold_nums) // self.T)
            self.procs.stop(fwd)
            out.append(self.line_rate("d SIP->SIP cold, DNS RTT 20 ms",
                                      R["d"], ceil, TARGETS["cold20"],
                                      extra="forwarder alone: " + alone))
        if want("e"):
            out.append(self.latency(warm))
        if want("f"):
            out.append(self.memory(warm))
        for s in ("g SIP->XMPP", "h XMPP->SIP", "i XMPP->XMPP"):
            out.append("%-34s skipped (XMPP not implemented)" % s)
        if self.a.profile:
            self.profile(warm)
        return out

    def line_rate(self, name, r, ceil, target=None, extra=None):
        if not r:
            return "%-34s no passing step (see stderr)" % name
        s = "%-34s %7.0f msg/s" % (name, r["achieved"])
        if ceil and r["label"] != "ceiling":
            ratio = r["achieved"] / ceil
            s += " = %5.1f%% of ceiling" % (100 * ratio)
            if target:
                s += " (target >= %d%%: %s)" % (
                    100 * target, "PASS" if ratio >= target else "FAIL")
        s += "  p50/p99 %s/%s ms (sipp p99 %s ms)" % (
            fmt(r.get("p50")), fmt(r.get("p99")), sipp_ms(r["sipp_p99"]))
        if "cpu_us" in r:
            s += "  CPU %.0f us/msg" % r["cpu_us"]
        if r.get("hwm_kb"):
            s += "  peak RSS %.0f MiB" % (r["hwm_kb"] / 1024.0)
        s += "  [first failing rate %s]" % r.get("first_fail")
        if extra:
            s += "  [" + extra + "]"
        return s

    def latency(self, warm):
        name = "e p99 latency @ half max warm"
        if not warm:
            return "%-34s no warm rate measured" % name
        rate = int(warm / 2)
        T = 4 if self.quick else 10
        g = self.step("lat-gw", rate, "warm", self.nsd.port, duration=T)
        dr = self.step("lat-dir", rate, "direct", duration=T)
        self.res["e"] = {"gw": g, "direct": dr}
        if g.get("p99") is None or dr.get("p99") is None:
            return "%-34s R=%d/s: no probe samples" % (name, rate)
        added = g["p99"] - dr["p99"]
        self.res["e"]["added_p99"] = added
        return ("%-34s R=%d/s: via imgated p50/p99 %s/%s ms, direct %s/%s ms,"
                " added p99 %.2f ms (target < %g ms: %s); sipp p99 %s vs %s ms;"
                " failures %d/%d"
                % (name, rate, fmt(g["p50"]), fmt(g["p99"]), fmt(dr["p50"]),
                   fmt(dr["p99"]), added, TARGETS["p99_added_ms"],
                   "PASS" if added < TARGETS["p99_added_ms"] else "FAIL",
                   sipp_ms(g["sipp_p99"]), sipp_ms(dr["sipp_p99"]),
                   g["bad"], g["total"]))

    def memory(self, warm):
        """Hold N transactions in flight (the UAS answers after HOLD s) and
        compare imgated's RSS at the peak with its RSS just before."""
        name = "f RSS per in-flight transaction"
        hold_ms = 10000
        send_s = 3 if self.quick else 5
        rate = int(min(2000, 0.6 * warm)) if warm else 1000
        n = rate * send_s
        d = os.path.join(self.dir, "mem")
        os.makedirs(d, exist_ok=True)
        uas = start_uas(self.procs, d, "uas_hold.xml", self.hold_port,
                        "uas-hold", extra=["-d", str(hold_ms)])
        gw = Gateway(self.procs, self.exe, d, self.nsd.port,
                     sip_timeout_ms=hold_ms + 10000)
        # warm the cache (these 16 stay in flight too)
        w = run_uac(self.procs, os.path.join(d, "warmup"), gw.port,
                    self.hold_csv, 200, HOLD_NUMBERS, 3, 2000, extra=["-nr"])
        time.sleep(0.5)
        base = proc_kb(gw.pid, "VmRSS")
        samples = []            # (seconds since the load started, kB)
        stop = threading.Event()
        t0 = time.monotonic()

        def sample():
            while not stop.is_set():
                v = proc_kb(gw.pid, "VmRSS")
                if v:
                    samples.append((time.monotonic() - t0, v))
                time.sleep(0.05)
        th = threading.Thread(target=sample, daemon=True)
        th.start()
        st_holder = {}

        def uac():
            st_holder["st"] = run_uac(
                self.procs, os.path.join(d, "load"), gw.port, self.hold_csv,
                rate, n, int(send_s + hold_ms / 1000 + 15), hold_ms + 8000,
                extra=["-nr"])
        ut = threading.Thread(target=uac, daemon=True)
        ut.start()
        ut.join(send_s + hold_ms / 1000 + 40)
        time.sleep(0.5)
        stop.set()
        th.join(1)
        st = st_holder.get("st")
        hwm = proc_kb(gw.pid, "VmHWM")
        self.finish_gw(gw, "mem", rate)
        self.procs.stop(uas)
        if not st or base is None or not samples:
            return "%-34s failed (no data)" % name
        # in flight: every message sent (send_s), none answered (hold_ms)
        inflight = [v for t, v in samples if t < hold_ms / 1000.0 - 0.3]
        peak = max(inflight or [base])
        after = max(v for t, v in samples)
        delta_kb = peak - base
        per = delta_kb * 1024.0 / (n + HOLD_NUMBERS)
        per_after = (after - base) * 1024.0 / (n + HOLD_NUMBERS)
        self.res["f"] = {"n": n, "rate": rate, "base_kb": base,
                         "peak_inflight_kb": peak, "peak_after_kb": after,
                         "hwm_kb": hwm, "per_txn_B": per,
                         "per_msg_after_answer_B": per_after,
                         "ok": st.ok, "failed": st.failed, "hold_ms": hold_ms}
        return ("%-34s %d in flight (%d/s for %d s, UAS answers after %d s):"
                " RSS %.1f -> %.1f MiB, %.0f B/txn (target < %d B: %s);"
                " once answered (completed txns kept) %.1f MiB = %.0f B/msg;"
                " answered %d/%d"
                % (name, n + HOLD_NUMBERS, rate, send_s, hold_ms // 1000,
                   base / 1024.0, peak / 1024.0, per,
                   TARGETS["rss_per_txn"],
                   "PASS" if per < TARGETS["rss_per_txn"] else "FAIL",
                   after / 1024.0, per_after, st.ok, n))

    def profile(self, warm):
        """perf record -g on imgated during a warm run at 70 % of max."""
        if not shutil.which("perf") or not warm:
            log("bench: no perf or no warm rate; no profile")
            return
        rate = int(0.7 * warm)
        T = 8
        d = os.path.join(self.dir, "profile")
        os.makedirs(d, exist_ok=True)
        gw = Gateway(self.procs, self.exe, d, self.nsd.port)
        run_uac(self.procs, os.path.join(d, "warmup"), gw.port,
                self.warm_csv, 200, WARM_NUMBERS, 10, 3000)
        data = os.path.join(d, "perf.data")
        perf = self.procs.start(["perf", "record", "-g", "-o", data, "-p",
                                 str(gw.pid), "--", "sleep", str(T - 1)],
                                d, "perf")
        run_uac(self.procs, os.path.join(d, "load"), gw.port, self.warm_csv,
                rate, rate * T, T + 8, 5000)
        try:
            perf.wait(20)
        except subprocess.TimeoutExpired:
            self.procs.stop(perf, signal.SIGINT)
        self.finish_gw(gw, "profile", rate)
        rep = subprocess.run(["perf", "report", "-i", data, "--stdio",
                              "--no-children", "--sort", "dso,symbol",
                              "-g", "none", "--percent-limit", "0.7"],
                             capture_output=True, text=True, timeout=120)
        with open(os.path.join(d, "perf-report.txt"), "w") as f:
            f.write(rep.stdout)
        log("bench: profile (warm, %d/s) in %s/perf-report.txt" % (rate, d))
        for ln in rep.stdout.splitlines():
            if ln.strip() and not ln.startswith("#"):
                log("  " + ln.rstrip())


def fmt(v, nd=2):
    if v is None:
        return "-"
    return ("%." + str(nd) + "f") % v


def sipp_ms(v):
    # sipp's response times are whole milliseconds, truncated
    if v is None:
        return "-"
    return "<1" if v < 1 else "%d-%d" % (v, v + 1)


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for ln in f:
            if ln.startswith("model name"):
                model = ln.split(":", 1)[1].strip()
                break
    return "nproc %d, %s, kernel %s" % (os.cpu_count(), model,
                                         os.uname().release)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="2 s steps, fewer of them (about 1-2 minutes)")
    ap.add_argument("--imgated", default=os.environ.get("IMGATED"),
                    help="imgated binary (default: build an -O2 one in "
                         "/tmp/imgate-bench-build)")
    ap.add_argument("--only", default="abcdef",
                    help="scenarios to run, e.g. ab (default abcdef)")
    ap.add_argument("--profile", action="store_true",
                    help="also perf-record imgated in a warm run")
    ap.add_argument("--workdir", help="keep everything here")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary work dir")
    a = ap.parse_args()
    b = Bench(a)
    t0 = time.monotonic()

    def on_term(sig, frm):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    lines = []
    try:
        b.setup()
        lines = b.run()
    except KeyboardInterrupt:
        log("bench: interrupted")
    finally:
        b.procs.stop_all()
    print("# imgate bench (%s) %s; %s" % (
        "quick" if a.quick else "full", time.strftime("%Y-%m-%d %H:%M"),
        machine()))
    for ln in lines:
        print(ln)
    if b.gw_problems:
        print("# imgated problems: " + "; ".join(b.gw_problems))
    else:
        print("# imgated: no crashes, exit 0 on SIGTERM, empty log at "
              "level warning in every run")
    print("# total %.0f s; work dir %s" % (time.monotonic() - t0, b.dir))
    res = {k: ({kk: vv for kk, vv in v.items() if kk != "gw"}
               if isinstance(v, dict) else v) for k, v in b.res.items()}
    try:
        with open(os.path.join(b.dir, "results.json"), "w") as f:
            json.dump(res, f, indent=1, default=str)
    except OSError:
        pass
    if not a.keep and not a.workdir and not a.profile:
        shutil.rmtree(b.dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
