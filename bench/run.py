#!/usr/bin/python3
"""bench/run.py - imgated SIP->SIP load benchmark on loopback.

Starts its own NSD (300 000 generated ENUM numbers), a C delaying UDP
forwarder (bench/dnsdelay.c, built at run time) for the 20 ms DNS case,
sipp UAS peers, imgated and sipp UACs, all on free 127.0.0.1 ports, and
prints ONE line per scenario on stdout (progress goes to stderr):

  a  ceiling: sipp UAC -> sipp UAS directly
  b  SIP->SIP warm cache (16 numbers, cache warmed first)
  c  SIP->SIP cold (a new number per message)
  d  SIP->SIP cold, 20 ms DNS round trip (delaying forwarder before NSD)
  e  latency at half the max warm rate (and the direct path at that rate)
  f  RSS per in-flight transaction (slow UAS holds every answer 10 s)
  g  SIP->XMPP through Prosody 0.12: sipp UAC -> imgated -> XEP-0114
     component -> Prosody -> c2s sink clients (bench/xmppload.c), whose
     XEP-0184 receipts make imgated answer 200.  Baseline (g0): a
     component of the bench's own sends to the same clients at the same
     pacing and waits for their receipts.  Rate shown as % of g0.
  h  XMPP->SIP: a c2s client (xmppload) sends to +NUMBER@gw.bench with a
     receipt request -> Prosody -> imgated -> sipp UAS; counted: receipts
     and error stanzas.  Baseline (h0): a component that answers each
     message with a receipt at once.  Rate shown as % of h0.
  i  XMPP->XMPP: skipped (not a bench scenario yet)
  j  SIP->SIP store-and-forward: the warm numbers through a fresh imgated
     whose single route is mode "store-and-forward" (spool in the step's
     dir); sipp expects 202 Accepted.  A step passes by the rules below
     and only when a fresh counting UAS then received every accepted
     message within 5 s of the load's end and the spool file is empty
     after imgated stopped.  Rate shown as % of a and of b.

Burst max rate: sipp -r R -m R*T steps (T = 5 s, --quick 2 s) against a
fresh imgated each, growing R by x1.5 (x2 quick) until a step fails
(halving while none passed), then bisecting to within 10 % (15 %).
A step passes when <= 0.1 % of the messages fail (sipp failed calls,
lost or refused probes, calls missing at the global timeout), <= 0.1 %
needed a UDP retransmission (no answer within T1 = 500 ms), and the
achieved rate is >= 95 % of R.

Sustained rate (full mode only): imgated keeps every completed UDP
transaction for 32 s (sofia-sip Timer J = 64*T1) and frees it then, so a
fresh daemon runs its first 32 s at a third of the steady-state cost.
A sustained run loads a fresh imgated 34 s at R before an 8 s measured
window; tried at 0.6 x the burst rate, then 0.8 x or 0.35 x (0.47 x).
The ratio to the ceiling is judged on the sustained rate.

Latency: a probe (this script) sends 200 MESSAGE/s of its own with the
load and times each answer with a monotonic clock (microseconds); sipp's
own per-call response times (-trace_rtt, whole milliseconds, truncated)
are shown as a cross-check.
CPU: imgated utime+stime delta (/proc/PID/stat) / messages answered in
the window.  RSS: VmHWM (/proc/PID/status) at the end of the run.
Other CPU: busy time of processes that are not the bench's (from
/proc/stat); a failed search step during which they took > 15 % of a CPU
is repeated once.

Usage: bench/run.py [--quick] [--imgated PATH] [--keep] [--only abcdefghij]
                    [--profile] [--callgrind] [--workdir DIR]
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
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(HERE)
SIPP = os.environ.get("IMGATE_SIPP", "sipp")
NSD = os.environ.get("IMGATE_NSD", "nsd")

NUMBERS = 300000            # cold numbers: +4930000000 .. +4930299999
PROBE_COLD_FIRST = 295000   # the probe's cold numbers: the top 5000
WARM_NUMBERS = 16
HOLD_NUMBERS = 16           # +4931000000.. -> im:bench@hold.bench
XMPP_NUMBERS = 16           # +4932000000.. -> im:u<i % users>@xmpp.bench
XMPP_USERS = 2              # sink clients u0, u1 at xmpp.bench
XMPP_DOMAIN = "xmpp.bench"  # Prosody's VirtualHost
COMP = "gw.bench"           # imgated's component
BASE_COMP = "base.bench"    # the baselines' component
COMP_SECRET = "s3cret"
PROSODY = os.environ.get("IMGATE_PROSODY", "prosody")
PROSODYCTL = os.environ.get("IMGATE_PROSODYCTL", "prosodyctl")
TARGETS = {"warm": 0.28, "cold20": 0.15, "p99_added_ms": 5.0,
           "rss_per_txn": 4096, "xmpp": 0.90}


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

    def wait(self, p, timeout, sig=signal.SIGTERM):
        """@p's exit status if it ends within @timeout seconds; past
        that it is stopped with @sig and the status is -1.  Either way
        it leaves the list (stop_all() has nothing more to do with it)."""
        try:
            rc = p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop(p, sig)
            rc = -1
        if p in self.procs:
            self.procs.remove(p)
        return rc

    def stop_all(self):
        for p in list(reversed(self.procs)):
            self.stop(p, timeout=3.0)


def raise_nofile():
    """This process' open-file limit up to its hard limit: a generator
    with a socket per call, and the many steps' gateways, need more
    than the soft 1024."""
    try:
        import resource
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):
        pass


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


def proc_io(pid):
    """/proc/PID/io as a dict (syscw: write syscalls, write_bytes: bytes
    sent to the block layer), or {}."""
    try:
        with open("/proc/%d/io" % pid) as f:
            return {k: int(v) for k, v in
                    (ln.split(":") for ln in f if ":" in ln)}
    except (OSError, ValueError):
        return {}


def disk_flushes(path):
    """Flush requests completed by the block device holding path
    (/proc/diskstats, kernel >= 5.5; whole device, every process), or
    None.  An fsync on ext4 ends in one or more device flushes."""
    try:
        dev = os.stat(path).st_dev
        want = (os.major(dev), os.minor(dev))
        with open("/proc/diskstats") as f:
            for ln in f:
                v = ln.split()
                if (int(v[0]), int(v[1])) == want and len(v) >= 20:
                    return int(v[18])
    except (OSError, ValueError):
        pass
    return None


def rtt_dates(d):
    """The dates (ms since that sipp started) of every line of the
    *_rtt.csv files in d (one line per call with -rtt_freq 1)."""
    out = []
    for fn in os.listdir(d):
        if fn.endswith("_rtt.csv"):
            with open(os.path.join(d, fn)) as f:
                next(f, None)
                for ln in f:
                    try:
                        out.append(float(ln.split(";", 1)[0]))
                    except ValueError:
                        pass
    return out


def rtt_lines(d):
    """Lines in the *_rtt.csv files of d, header excluded (cheap)."""
    n = 0
    for fn in os.listdir(d):
        if fn.endswith("_rtt.csv"):
            try:
                with open(os.path.join(d, fn), "rb") as f:
                    n += max(0, f.read().count(b"\n") - 1)
            except OSError:
                pass
    return n


def spool_rows(path):
    """Rows left in a spool file, read-only (imgated stopped), or an error
    string."""
    import sqlite3
    if not os.path.exists(path):
        return "no spool file"
    try:
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        try:
            return db.execute("SELECT COUNT(*) FROM spool").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error as e:
        return "sqlite3: %s" % e


HZ = os.sysconf("SC_CLK_TCK")


def machine_busy_ticks():
    """Busy jiffies of the whole machine (all CPUs) from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return sum(v) - v[3] - v[4]           # minus idle and iowait


def group_ticks(pgids):
    """utime+stime of every live process in one of these process groups
    (each process the bench starts leads its own group)."""
    total = 0
    for e in os.listdir("/proc"):
        if not e.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % e) as f:
                s = f.read()
        except OSError:
            continue
        fl = s[s.rindex(")") + 2:].split()
        if int(fl[2]) in pgids:
            total += int(fl[11]) + int(fl[12])
    return total


class CpuWatch:
    """How much CPU did processes other than the bench's own use while a
    step ran?  Other work on the machine makes the numbers noisy."""

    def __init__(self, procs):
        self.procs = procs
        self.t0 = time.monotonic()
        self.m0 = machine_busy_ticks()
        self.o0 = self._ours()

    def _ours(self):
        t = os.times()
        own = (t.user + t.system + t.children_user + t.children_system) * HZ
        return own + group_ticks({p.pid for p in self.procs.procs})

    def foreign_pct(self):
        """Foreign CPU in % of one CPU over the step."""
        dt = time.monotonic() - self.t0
        m = machine_busy_ticks() - self.m0
        o = self._ours() - self.o0
        return max(0.0, (m - o) / HZ / max(dt, 1e-3) * 100.0)


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


def write_zones(d, uas_port, hold_port, sip_naptr=False):
    """sip_naptr: every number of the load (+4930..) also gets an
    E2U+sip NAPTR, order 20 (after the E2U+im one, which imgated
    follows), to sip:bench@sip.bench, and sip.bench a _sip._udp SRV: the
    records Kamailio's enum module and its RFC 3263 lookup need
    (bench/kamailio.py)."""
    with open(os.path.join(d, "e164.arpa.zone"), "w") as f:
        f.write("$ORIGIN e164.arpa.\n$TTL 3600\n"
                "@ IN SOA ns.e164.arpa. hostmaster.e164.arpa. "
                "1 3600 600 86400 3600\n@ IN NS ns.e164.arpa.\n"
                "ns IN A 127.0.0.1\n")
        rr = ' IN NAPTR 10 100 "u" "E2U+im" "!^.*$!im:bench@%s!" .\n'
        sip = rr % "sip.bench"
        if sip_naptr:
            sip += (' IN NAPTR 20 100 "u" "E2U+sip" '
                    '"!^.*$!sip:bench@sip.bench!" .\n')
        for i in range(NUMBERS):
            f.write(enum_owner(e164(i)) + sip)
        hold = rr % "hold.bench"
        for i in range(HOLD_NUMBERS):
            f.write(enum_owner(e164(i, "4931")) + hold)
        # SIP->XMPP: im: URIs whose domain has only _im._xmpp SRV, so
        # imgated's RFC 3861 step picks XMPP (after a _im._sip miss)
        for i in range(XMPP_NUMBERS):
            f.write(enum_owner(e164(i, "4932"))
                    + rr.replace("im:bench@%s", "im:u%d@%s")
                    % (i % XMPP_USERS, XMPP_DOMAIN))
    for dom, port in (("sip.bench", uas_port), ("hold.bench", hold_port)):
        with open(os.path.join(d, dom + ".zone"), "w") as f:
            f.write("$ORIGIN %s.\n$TTL 3600\n"
                    "@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 3600\n"
                    "@ IN NS ns\nns IN A 127.0.0.1\nuas IN A 127.0.0.1\n"
                    "_im._sip IN SRV 10 0 %d uas.%s.\n"
                    % (dom, dom, dom, port, dom))
            if sip_naptr:
                f.write("_sip._udp IN SRV 10 0 %d uas.%s.\n" % (port, dom))
    # the SRV target and port are never used: imgated hands the message
    # to Prosody over its component connection
    with open(os.path.join(d, XMPP_DOMAIN + ".zone"), "w") as f:
        f.write("$ORIGIN %s.\n$TTL 3600\n"
                "@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 3600\n"
                "@ IN NS ns\nns IN A 127.0.0.1\n@ IN A 127.0.0.1\n"
                "_im._xmpp IN SRV 10 0 5269 %s.\n"
                % (XMPP_DOMAIN, XMPP_DOMAIN, XMPP_DOMAIN, XMPP_DOMAIN))


def start_nsd(procs, d, uas_port, hold_port, sip_naptr=False,
              also_listen=()):
    """also_listen: more "ADDR@PORT" for NSD to answer on (Kamailio's
    resolver asks port 53 of the address in resolv.conf)."""
    write_zones(d, uas_port, hold_port, sip_naptr)
    for attempt in range(3):
        port = free_port()
        conf = os.path.join(d, "nsd.conf")
        with open(conf, "w") as f:
            f.write("""server:
    ip-address: 127.0.0.1@{port}
{more}    port: {port}
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
zone:
    name: "{x}"
    zonefile: "{x}.zone"
""".format(port=port, d=d, x=XMPP_DOMAIN,
           more="".join("    ip-address: %s\n" % a for a in also_listen)))
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


def build_xmppload(d):
    exe = os.path.join(d, "xmppload")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs",
                            "libstrophe"], capture_output=True, text=True,
                           check=True).stdout.split()
    subprocess.run(["cc", "-O2", "-std=c11", "-Wall", "-o", exe,
                    os.path.join(HERE, "xmppload.c")] + flags, check=True)
    return exe


def tcp_established(port):
    """Is there an established TCP connection to 127.0.0.1:port?"""
    want = ":%04X" % port
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for ln in f:
                parts = ln.split()
                if parts[2].endswith(want) and parts[3] == "01":
                    return True
    except OSError:
        pass
    return False


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
                     "-l", "200000", "-trace_err", "-error_file",
                     os.path.join(d, name + "-errors.log")] + list(extra),
                    d, name)
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
            extra=(), scenario="uac_inf.xml"):
    """Run a sipp UAC to completion; returns a Step with the counters.
    st.t_start: time.monotonic() just before sipp started (its rtt dates
    are milliseconds since its start)."""
    os.makedirs(d, exist_ok=True)
    port = free_port()
    args = [SIPP, "-sf", os.path.join(HERE, scenario), "-inf", csv,
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
    t_start = time.monotonic()
    p = procs.start(args, d, "uac")
    rc = procs.wait(p, timeout_s + 15)
    st = Step()
    st.rc, st.count, st.rate = rc, count, rate
    st.t_start = t_start
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
    st.rtt, st.rtt_t = [], []
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
                            t, v = float(parts[0]), float(parts[1])
                        except ValueError:
                            continue
                        ts.append(t)
                        st.rtt.append(v)
                if ts:
                    st.t_first, st.t_last = min(ts), max(ts)
                st.rtt_t = ts
    return st


# --------------------------------------------------------------------------
# latency probe: our own MESSAGEs, timed with a monotonic clock

class Probe:
    def __init__(self, target, numbers, rate=200.0, ok_code=200):
        """ok_code: the final answer that counts as success (202 for
        store-and-forward routes); any other final answer is bad."""
        self.target, self.numbers, self.rate = target, numbers, rate
        self.ok_code = ok_code
        self.t_last_ok = None
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
        self.tx = None

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
            if code == self.ok_code:
                self.lat.append(t - t_sent)
                self.t_last_ok = t
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

class Prosody:
    """A throwaway Prosody 0.12 with c2s, the imgated component and the
    baselines' component (tests/integration/gwtest.py, plus the load
    settings): no mod_limits, logging at warn, epoll."""

    def __init__(self, procs, d, users):
        self.procs, self.dir = procs, os.path.join(d, "prosody")
        for sub in ("data", "certs"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        self.conf = os.path.join(self.dir, "prosody.cfg.lua")
        for attempt in range(3):
            self.c2s, self.comp = free_port(), free_port()
            with open(self.conf, "w") as f:
                f.write("""run_as_root = true
pidfile = "%(d)s/prosody.pid"
data_path = "%(d)s/data"
plugin_paths = {}
certificates = "%(d)s/certs"
log = { warn = "%(d)s/prosody.log"; }
interfaces = { "127.0.0.1" }
c2s_ports = { %(c2s)d }
c2s_direct_tls_ports = {}
component_ports = { %(comp)d }
component_interface = "127.0.0.1"
s2s_ports = {}
http_ports = {}
https_ports = {}
network_backend = "epoll"
modules_enabled = { "roster"; "saslauth"; "disco"; "presence"; "message"; }
-- no mod_limits (c2s rate limits off), no offline storage, no TLS
modules_disabled = { "s2s"; "offline"; "c2s_limits"; "tls"; }
limits = { c2s = { rate = "100mb/s" }; component = { rate = "100mb/s" }; }
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_hashed"
storage = "internal"
VirtualHost "%(vh)s"
Component "%(comp_name)s"
    component_secret = "%(secret)s"
Component "%(base_name)s"
    component_secret = "%(secret)s"
""" % {"d": self.dir, "c2s": self.c2s, "comp": self.comp,
       "vh": XMPP_DOMAIN, "comp_name": COMP, "base_name": BASE_COMP,
       "secret": COMP_SECRET})
            if attempt == 0:
                for user in users:
                    subprocess.run([PROSODYCTL, "--config", self.conf,
                                    "register", user, XMPP_DOMAIN, "pw"],
                                   check=True, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, timeout=30)
            self.p = procs.start([PROSODY, "--config", self.conf, "-F"],
                                 self.dir, "prosody")

            def up():
                n = 0
                for port in (self.c2s, self.comp):
                    c = socket.socket()
                    c.settimeout(0.2)
                    try:
                        c.connect(("127.0.0.1", port))
                        n += 1
                    except OSError:
                        pass
                    finally:
                        c.close()
                return n == 2
            if wait_until(lambda: up() or self.p.poll() is not None, 15,
                          0.05) and self.p.poll() is None:
                self.pid = self.p.pid
                return
            procs.stop(self.p)
        raise RuntimeError("prosody did not start; see %s" % self.dir)

    def log_text(self):
        try:
            with open(os.path.join(self.dir, "prosody.log"),
                      errors="replace") as f:
                return f.read()
        except OSError:
            return ""


_GATEWAY_GROUP = {}


def gateway_group(exe):
    """The gateway group for EXE: imgated since the privilege drop refuses
    to serve as root without allow_root, an older one (compared in the
    same run) does not know the setting.  One process (workers = 1):
    gateway.workers defaults to one per CPU, and this bench measures (and
    callgrind/perf follow) one process; a binary from before workers does
    not know the setting and is one process anyway.  Asked once per binary
    with -n."""
    if exe not in _GATEWAY_GROUP:
        for opts in ("allow_root = true; workers = 1; ",
                     "allow_root = true; ", ""):
            with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
                f.write('gateway = { domain = "gw.test"; %s};\n' % opts)
                f.flush()
                r = subprocess.run([exe, "-n", "-f", f.name],
                                   capture_output=True)
            if r.returncode == 0:
                break
        _GATEWAY_GROUP[exe] = 'gateway = { domain = "gw.test"; %s};' % opts
    return _GATEWAY_GROUP[exe]


class Daemon:
    """A gateway under test, started by a subclass into self.p with
    self.procs: whether it runs, and its stop with the exit status (or
    "died N" when it was gone already)."""

    def alive(self):
        return self.p.poll() is None

    def stop(self):
        was_alive = self.alive()
        rc = self.procs.stop(self.p, timeout=8.0)
        self.exit_rc = rc if was_alive else ("died %s" % rc)
        return self.exit_rc


class Gateway(Daemon):
    def __init__(self, procs, exe, d, dns_port, sip_timeout_ms=4000,
                 xmpp=None, extra_conf=""):
        """xmpp: a Prosody to connect to as component COMP.  extra_conf:
        more groups for imgate.conf (scenario j: spool and routes)."""
        self.procs, self.d = procs, d
        os.makedirs(d, exist_ok=True)
        for attempt in range(5):
            port = free_port()
            self.conf = os.path.join(d, "imgate.conf")
            with open(self.conf, "w") as f:
                f.write("""%s
log = { level = "warning"; };
sip = { listen = "sip:127.0.0.1:%d"; timeout_ms = %d; };
dns = { servers = [ "127.0.0.1:%d" ]; timeout_ms = 1000; tries = 2; cache_entries = 200000; };
enum = { enumservices = [ "im", "sip" ]; };
limits = { max_transactions = 100000; };
""" % (gateway_group(exe), port, sip_timeout_ms, dns_port))
                if xmpp:
                    f.write('xmpp = { enable = true; server = "127.0.0.1"; '
                            'port = %d; domain = "%s"; secret = "%s"; '
                            'receipt_wait_ms = 4000; queue_max = 100000; };\n'
                            % (xmpp.comp, COMP, COMP_SECRET))
                f.write(extra_conf)
            self.log = os.path.join(d, "imgated.log")
            self.p = procs.start([exe, "-d", "-f", self.conf], d, "imgated",
                                 out=self.log)
            if wait_until(lambda: udp_bound(port) or self.p.poll() is not None,
                          5) and self.p.poll() is None:
                self.port, self.pid = port, self.p.pid
                # the component connection (at level warning nothing is
                # logged; the warm-up then proves the handshake)
                if xmpp and not wait_until(
                        lambda: tcp_established(xmpp.comp), 5):
                    log("  imgated: no component connection after 5 s")
                return
            procs.stop(self.p)
        raise RuntimeError("imgated did not start: " + self.log_text()[-500:])

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""



# --------------------------------------------------------------------------
# the benchmark

class Bench:
    def __init__(self, args):
        self.a = args
        self.quick = args.quick
        self.T = 2 if self.quick else 5
        self.growth = 2.0 if self.quick else 1.5
        self.max_steps = 4 if self.quick else 7
        self.PRE, self.W = 34, 8        # steady-state runs: warm-up, window
        xmpp = "g" in args.only or "h" in args.only
        self.deadline = time.monotonic() + (240 if self.quick else 840) \
            + ((150 if self.quick else 300) if xmpp else 0) \
            + ((90 if self.quick else 180) if "j" in args.only else 0)
        self.procs = Procs()
        self.res = {}
        self.gw_problems = []
        self.gw_seen = {}
        self.foreign = []
        self.nstep = 0
        self.prosody = None

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
             probe=True, keep_gw=False, pre=0):
        """mode: direct | warm | cold | xmpp (warm, SIP->XMPP through
        Prosody to the sink clients).  pre: seconds of load before the
        measured window of `duration` seconds (steady state: imgated keeps
        completed transactions 32 s, so the cost of freeing them only
        shows after that).  Returns a dict of results."""
        T = duration or self.T
        self.nstep += 1
        d = os.path.join(self.dir, "s%02d-%s-%d" % (self.nstep, label, rate))
        os.makedirs(d, exist_ok=True)
        gw = None
        if mode == "direct":
            target = self.uas_port
            csv, pnums = self.warm_csv, self.warm_nums
        else:
            xmpp = self.prosody if mode == "xmpp" else None
            gw = Gateway(self.procs, self.exe, d, dns_port, xmpp=xmpp)
            target = gw.port
            if mode in ("warm", "xmpp"):
                if xmpp:
                    csv, pnums = self.xmpp_csv, self.xmpp_nums
                else:
                    csv, pnums = self.warm_csv, self.warm_nums
                w = run_uac(self.procs, os.path.join(d, "warmup"), target,
                            csv, 200, len(pnums), 10, 3000)
                if w.ok != len(pnums):
                    log("  warm-up: %d/%d ok" % (w.ok, len(pnums)))
            else:
                csv, pnums = self.cold_csv, self.probe_cold
        # A cold run longer than the number list starts it over (sipp
        # reads -inf files round): still cold, since imgated's DNS cache
        # (200 000 entries, LRU) has evicted a number 295 000 messages on.
        count = int(rate * (pre + T))
        win = {}
        pr = Probe(target, pnums) if probe else None
        d0 = (udp_drops(target), udp_drops(self.uas_port))

        pros = self.prosody if mode == "xmpp" else None

        def window_start():
            win["c0"] = cpu_ticks(gw.pid) if gw else None
            win["x0"] = cpu_ticks(pros.pid) if pros else None
            win["k0"] = cpu_ticks(self.sink.pid) if pros else None
            win["watch"] = CpuWatch(self.procs)
            win["t0"] = time.monotonic()
            if pr:
                pr.start(min(T, count / rate - pre))

        def window_end():
            win["c1"] = cpu_ticks(gw.pid) if gw else None
            win["x1"] = cpu_ticks(pros.pid) if pros else None
            win["k1"] = cpu_ticks(self.sink.pid) if pros else None
            win["foreign"] = win["watch"].foreign_pct()
            win["t1"] = time.monotonic()

        t0 = time.monotonic()
        timer = None
        if pre > 0:
            def timed():
                time.sleep(max(0, t0 + pre - time.monotonic()))
                window_start()
                time.sleep(max(0, t0 + pre + T - time.monotonic()))
                window_end()
            timer = threading.Thread(target=timed, daemon=True)
            timer.start()
        else:
            window_start()
        st = run_uac(self.procs, d, target, csv, rate, count,
                     int(pre + T + 8), 5000)
        wall = time.monotonic() - t0
        if timer:
            timer.join(pre + T + 5)
        if "c1" not in win:
            if "watch" not in win:       # the UAC ended before the window
                window_start()
            window_end()
        if pr and pr.tx is not None:
            pr.finish()
        drops = (udp_drops(target) - d0[0], udp_drops(self.uas_port) - d0[1])
        if mode == "direct":
            drops = (0, drops[1])
        r = {"label": label, "rate": rate, "count": count, "ok": st.ok,
             "drops_gw": drops[0], "drops_uas": drops[1],
             "failed": st.failed, "rc": st.rc, "retrans": st.retrans,
             "wall": wall, "pre": pre, "window": T}
        if st.t_first is not None and st.t_last > st.t_first:
            span = (st.t_last - st.t_first) / 1000.0 + 1.0 / rate
            r["achieved"] = st.ok / span
        else:
            r["achieved"] = st.ok / max(wall, 1e-3)
        rt = sorted(v for t, v in zip(st.rtt_t, st.rtt) if t >= pre * 1000)
        r["sipp_p50"], r["sipp_p99"] = pct(rt, 0.5), pct(rt, 0.99)
        wdt = max(1e-3, win["t1"] - win["t0"])
        nmsg = st.ok if pre == 0 else min(st.ok, rate * wdt)
        missing = max(0, count - st.ok - st.failed)
        bad = st.failed + missing
        if pr and pr.tx is not None:
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
        r["foreign"] = win["foreign"]
        if gw:
            c0, c1 = win["c0"], win["c1"]
            r["alive"] = gw.alive()
            if c0 is not None and c1 is not None and nmsg:
                r["cpu_us"] = (c1 - c0) / HZ * 1e6 / nmsg
            if pros and win["x0"] is not None and win["x1"] is not None \
                    and nmsg:
                r["prosody_us"] = (win["x1"] - win["x0"]) / HZ * 1e6 / nmsg
                r["sink_us"] = (win["k1"] - win["k0"]) / HZ * 1e6 / nmsg
            r["hwm_kb"] = proc_kb(gw.pid, "VmHWM")
            if keep_gw:
                r["gw"] = gw
            else:
                self.finish_gw(gw, label, rate)
        r["pass"] = (bad <= 0.001 * total and st.rc == 0
                     and st.retrans <= 0.001 * count
                     and r["achieved"] >= 0.95 * rate
                     and r.get("alive", True))
        log("  step %-7s R=%-6d sent=%-6d ok=%-6d fail=%-4d miss=%-4d "
            "rtx=%-5d ach=%6.0f/s p50/p99=%s/%s ms sipp_p99=%s cpu=%s us "
            "hwm=%s MiB drops gw/uas=%d/%d other-cpu=%.0f%%%s %s"
            % (label, rate, count, st.ok, st.failed, missing, st.retrans,
               r["achieved"], fmt(r.get("p50")), fmt(r.get("p99")),
               r["sipp_p99"], fmt(r.get("cpu_us"), 0),
               fmt((r.get("hwm_kb") or 0) / 1024.0, 0) if gw else "-",
               drops[0], drops[1], r["foreign"],
               " prosody=%s sink=%s us" % (fmt(r.get("prosody_us"), 0),
                                          fmt(r.get("sink_us"), 0))
               if pros else "", "PASS" if r["pass"] else "FAIL"))
        self.foreign.append(r["foreign"])
        return r

    # -- store-and-forward (scenario j)
    SAF_DRAIN_S = 5.0       # every accepted message delivered within this

    def saf_step(self, label, rate, mode="saf", dns_port=None):
        """One store-and-forward step: a fresh counting UAS (sipp, one rtt
        line per MESSAGE received) on the UAS port that the warm numbers'
        SRV points to, a fresh imgated whose single route is
        store-and-forward with its spool in the step's dir, the 16 warm
        numbers accepted and delivered once (that delivery fills the ENUM
        cache), then sipp -r R -m R*T expecting 202 plus the probe (202
        counts).  After the load: wait up to SAF_DRAIN_S for the UAS to
        have received every accepted message, stop imgated, count the rows
        left in the spool (sqlite3, read-only)."""
        T = self.T
        self.nstep += 1
        d = os.path.join(self.dir, "s%02d-%s-%d" % (self.nstep, label, rate))
        udir = os.path.join(d, "uas")
        os.makedirs(udir, exist_ok=True)
        t_uas = time.monotonic()
        uas = start_uas(self.procs, udir, "uas_200_rtd.xml", self.uas_port,
                        "uas-count", extra=["-trace_rtt", "-rtt_freq", "1"])
        spool = os.path.join(d, "spool.sqlite")
        gw = Gateway(self.procs, self.exe, d, dns_port or self.nsd.port,
                     extra_conf='spool = { path = "%s"; };\n'
                     'routes = ( { name = "saf"; action = "enum"; '
                     'mode = "store-and-forward"; } );\n' % spool)
        target = gw.port
        w = run_uac(self.procs, os.path.join(d, "warmup"), target,
                    self.warm_csv, 200, WARM_NUMBERS, 10, 3000,
                    scenario="uac_inf_202.xml")
        if not wait_until(lambda: rtt_lines(udir) >= w.ok, 5, 0.05) \
                or w.ok != WARM_NUMBERS:
            log("  warm-up: %d/%d accepted, %d delivered"
                % (w.ok, WARM_NUMBERS, rtt_lines(udir)))
        count = int(rate * T)
        pr = Probe(target, self.warm_nums, ok_code=202)
        d0 = (udp_drops(target), udp_drops(self.uas_port))
        c0, io0 = cpu_ticks(gw.pid), proc_io(gw.pid)
        f0 = disk_flushes(d)
        watch = CpuWatch(self.procs)
        t0 = time.monotonic()
        pr.start(T)
        st = run_uac(self.procs, d, target, self.warm_csv, rate, count,
                     int(T + 8), 5000, scenario="uac_inf_202.xml")
        pr.finish()
        t_load_end = time.monotonic()
        accepted = w.ok + st.ok + len(pr.lat)
        wait_until(lambda: rtt_lines(udir) >= accepted, self.SAF_DRAIN_S,
                   0.02)
        t1 = time.monotonic()
        c1, io1 = cpu_ticks(gw.pid), proc_io(gw.pid)
        f1 = disk_flushes(d)
        foreign = watch.foreign_pct()
        drops = (udp_drops(target) - d0[0], udp_drops(self.uas_port) - d0[1])
        alive = gw.alive()
        hwm = proc_kb(gw.pid, "VmHWM")
        self.finish_gw(gw, label, rate)
        # imgated's last close checkpoints and removes the WAL; a WAL left
        # behind means it did not close the spool
        wal = os.path.join(d, "spool.sqlite-wal")
        wal_left = os.path.getsize(wal) if os.path.exists(wal) else 0
        rows = spool_rows(spool)
        self.procs.stop(uas)
        dates = rtt_dates(udir)
        delivered = len(dates)
        r = {"label": label, "rate": rate, "count": count, "ok": st.ok,
             "failed": st.failed, "rc": st.rc, "retrans": st.retrans,
             "drops_gw": drops[0], "drops_uas": drops[1],
             "warmup_ok": w.ok, "accepted": accepted,
             "delivered": delivered, "spool_rows": rows, "alive": alive,
             "wal_left": wal_left,
             "hwm_kb": hwm, "foreign": foreign, "window": t1 - t0}
        if st.t_first is not None and st.t_last > st.t_first:
            span = (st.t_last - st.t_first) / 1000.0 + 1.0 / rate
            r["achieved"] = st.ok / span
        else:
            r["achieved"] = st.ok / max(t_load_end - t0, 1e-3)
        rt = sorted(st.rtt)
        r["sipp_p50"], r["sipp_p99"] = pct(rt, 0.5), pct(rt, 0.99)
        r["probe_n"] = len(pr.lat)
        r["probe_bad"] = pr.bad + pr.lost
        r["p50"] = pct(pr.lat, 0.5) * 1e3 if pr.lat else None
        r["p99"] = pct(pr.lat, 0.99) * 1e3 if pr.lat else None
        missing = max(0, count - st.ok - st.failed)
        bad = st.failed + missing + pr.bad + pr.lost
        total = count + pr.sent
        r["bad"], r["total"] = bad, total
        n = st.ok + len(pr.lat)
        dt = max(1e-3, t1 - t0)
        if c0 is not None and c1 is not None and n:
            r["cpu_us"] = (c1 - c0) / HZ * 1e6 / n
        if io0 and io1 and n:
            r["syscw_s"] = (io1["syscw"] - io0["syscw"]) / dt
            r["wbytes_msg"] = (io1["write_bytes"] - io0["write_bytes"]) / n
        if f0 is not None and f1 is not None:
            r["flush_s"] = (f1 - f0) / dt
        # the last 202 (sipp's or the probe's) and the last delivery, on
        # one clock: sipp's rtt dates are ms since its own start
        last202 = [x for x in (
            st.t_start + st.t_last / 1000.0 if st.t_last is not None
            else None, pr.t_last_ok) if x is not None]
        if dates and last202:
            r["lag_ms"] = (t_uas + max(dates) / 1000.0 - max(last202)) * 1e3
            load = sorted(dates)[w.ok:]
            if len(load) > 1 and load[-1] > load[0]:
                r["deliv_rate"] = len(load) / ((load[-1] - load[0]) / 1e3)
        r["drained"] = (delivered >= accepted
                        and t_uas + (max(dates) if dates else 0) / 1e3
                        <= t_load_end + self.SAF_DRAIN_S)
        r["pass"] = (bad <= 0.001 * total and st.rc == 0
                     and st.retrans <= 0.001 * count
                     and r["achieved"] >= 0.95 * rate and alive
                     and r["drained"] and rows == 0)
        log("  step %-7s R=%-6d sent=%-6d 202=%-6d fail=%-4d miss=%-4d "
            "rtx=%-5d ach=%6.0f/s p50/p99=%s/%s ms sipp_p99=%s "
            "delivered=%d/%d lag=%s ms spool=%s wal=%d cpu=%s us hwm=%s MiB "
            "syscw=%s/s flush=%s/s drops gw/uas=%d/%d other-cpu=%.0f%% %s"
            % (label, rate, count, st.ok, st.failed, missing, st.retrans,
               r["achieved"], fmt(r["p50"]), fmt(r["p99"]), r["sipp_p99"],
               delivered, accepted, fmt(r.get("lag_ms"), 0), rows, wal_left,
               fmt(r.get("cpu_us"), 0), fmt((hwm or 0) / 1024.0, 0),
               fmt(r.get("syscw_s"), 0), fmt(r.get("flush_s"), 0),
               drops[0], drops[1], foreign, "PASS" if r["pass"] else "FAIL"))
        self.foreign.append(foreign)
        return r

    def line_saf(self, r, ceil, warm):
        name = "j SIP->SIP store-and-forward"
        if not r:
            return ["%-32s no passing step (see stderr)" % name]
        s = "%-32s burst %6.0f msg/s accepted (202)" % (name, r["achieved"])
        if ceil:
            s += " = %4.1f%% of ceiling" % (100 * r["achieved"] / ceil)
        if warm:
            s += ", %5.1f%% of relay warm (b)" % (100 * r["achieved"] / warm)
        s += ", 202 p50/p99 %s/%s ms (sipp p99 %s)" % (
            fmt(r.get("p50")), fmt(r.get("p99")), sipp_ms(r["sipp_p99"]))
        if "cpu_us" in r:
            s += ", CPU %.0f us/msg (accept + delivery)" % r["cpu_us"]
        if r.get("hwm_kb"):
            s += ", RSS %.0f MiB" % (r["hwm_kb"] / 1024.0)
        if "syscw_s" in r:
            s += ", %.0f write syscalls/s, %.1f KB/msg to disk" % (
                r["syscw_s"], r["wbytes_msg"] / 1024.0)
        if "flush_s" in r:
            s += ", %.0f device flushes/s" % r["flush_s"]
        s += " [fails at %s]" % r.get("first_fail")
        note = ("%-32s delivery lag (last 202 -> last MESSAGE at the UAS) "
                "%s ms at %d/s; delivered %d of %d accepted (%s/s), spool "
                "rows after stop %s; spool settings at imgated's "
                "defaults"
                % ("j note", fmt(r.get("lag_ms"), 0), r["rate"],
                   r["delivered"], r["accepted"],
                   fmt(r.get("deliv_rate"), 0), r["spool_rows"]))
        return [s, note]

    # -- XMPP: Prosody, the sink clients, the XMPP-sender steps
    def setup_xmpp(self):
        """Prosody with the users, and the sink clients u0.. (logged in for
        the whole XMPP part; they answer every receipt request)."""
        self.xmppload = build_xmppload(self.dir)
        t = time.monotonic()
        self.prosody = Prosody(self.procs, self.dir,
                               ["u%d" % i for i in range(XMPP_USERS)]
                               + ["s0"])
        self.xmpp_nums = [e164(i, "4932") for i in range(XMPP_NUMBERS)]
        self.xmpp_csv = os.path.join(self.dir, "xmpp.csv")
        write_csv(self.xmpp_csv, self.xmpp_nums)
        self.xto = {}
        for key, lines in (
                ("users", ["u%d@%s" % (i, XMPP_DOMAIN)
                           for i in range(XMPP_USERS)]),
                ("base", [n + "@" + BASE_COMP for n in self.warm_nums]),
                ("gw", [n + "@" + COMP for n in self.warm_nums])):
            self.xto[key] = os.path.join(self.dir, "to-%s.txt" % key)
            with open(self.xto[key], "w") as f:
                f.write("\n".join(lines) + "\n")
        self.sink = self.procs.start(
            [self.xmppload, "sink", "127.0.0.1", str(self.prosody.c2s),
             XMPP_DOMAIN, "pw", str(XMPP_USERS)], self.dir, "sink")
        if not wait_until(lambda: "ready" in self.out_text("sink") or
                          self.sink.poll() is not None, 30, 0.05) \
                or self.sink.poll() is not None:
            raise RuntimeError("xmppload sink did not log in: "
                               + self.out_text("sink")[-500:])
        log("bench: prosody c2s :%d component :%d, %d sink clients ready "
            "in %.1f s" % (self.prosody.c2s, self.prosody.comp, XMPP_USERS,
                           time.monotonic() - t))
        self.pin_xmpp(True)

    def pin_xmpp(self, on):
        """Prosody is single-threaded and the busiest process of g0/g and
        h0/h: give it CPU 1 and everything else (run.py and what it starts
        from now on, imgated, sipp, xmppload, NSD) CPU 0, in the baselines
        and the scenarios alike, so that the ratio compares what imgated
        lets Prosody relay with what Prosody relays on its own rather than
        the scheduler's luck.  --no-pin turns it off."""
        if self.a.no_pin or not hasattr(os, "sched_setaffinity") or \
                os.cpu_count() < 2 or not self.prosody:
            return
        every = set(range(os.cpu_count()))
        rest = {0} if on else every
        for p in [None] + list(self.procs.procs):
            pid = 0 if p is None else p.pid
            try:
                os.sched_setaffinity(pid, rest)
            except OSError:
                pass
        try:
            os.sched_setaffinity(self.prosody.pid, {1} if on else every)
        except OSError:
            pass
        self.res["xmpp_pinned"] = on
        log("bench: %s" % ("Prosody on CPU 1, the rest on CPU 0" if on
                           else "CPU pinning off"))

    def out_text(self, name, d=None):
        try:
            with open(os.path.join(d or self.dir, name + ".out"),
                      errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def finish_xmpp(self):
        """Stop the sink and note what it and Prosody said."""
        if not self.prosody:
            return
        self.pin_xmpp(False)
        rc = self.procs.stop(self.sink)
        tail = self.out_text("sink").strip().splitlines()
        log("bench: sink exit %s: %s" % (rc, tail[-1] if tail else "-"))
        self.res["sink"] = tail[-1] if tail else None
        lines = [ln for ln in self.prosody.log_text().splitlines()
                 if ln.strip()]
        # h's warm-up is sent until imgated's component is through its
        # handshake; Prosody bounces what comes before (expected)
        early = [ln for ln in lines if "Component not connected" in ln
                 and "to='+" in ln and "@%s'" % COMP in ln]
        if early:
            log("bench: prosody bounced %d warm-up messages sent before "
                "imgated's component had connected" % len(early))
        lines = [ln for ln in lines if ln not in early]
        if lines:
            self.gw_problems.append(
                "prosody logged %d lines at warn/error: %s" % (
                    len(lines), " | ".join(sorted(set(
                        re.sub(r"\d+", "N", ln.split("\t", 1)[-1])
                        for ln in lines))[:5])))
        self.res["prosody_peak_rss_kb"] = proc_kb(self.prosody.pid, "VmHWM")

    def xstep(self, label, rate, mode, dns_port=None):
        """One step with xmppload as the sender (COUNT = R x T messages at
        R/s, then up to 5 s for the answers).  mode:
          g0  baseline of g: component BASE_COMP -> sink clients
          h0  baseline of h: client s0 -> BASE_COMP, which answers every
              message with a receipt at once (xmppload echo)
          h   client s0 -> +NUMBER@COMP -> imgated -> sipp UAS
        A step passes when <= 0.1 % of the messages were not sent (the
        tool's send queue was full), lost, answered with an error or
        answered after 500 ms (sipp's T1, the bar of the SIP scenarios),
        and the answered rate is >= 95 % of R."""
        T = self.T
        self.nstep += 1
        d = os.path.join(self.dir, "s%02d-%s-%d" % (self.nstep, label, rate))
        os.makedirs(d, exist_ok=True)
        pros, gw, echo = self.prosody, None, None
        load = [self.xmppload, "send", "127.0.0.1", str(pros.c2s),
                "s0@%s/load" % XMPP_DOMAIN, "pw"]
        if mode == "g0":
            args = [self.xmppload, "csend", "127.0.0.1", str(pros.comp),
                    BASE_COMP, COMP_SECRET, self.xto["users"]]
        elif mode == "h0":
            echo = self.procs.start([self.xmppload, "echo", "127.0.0.1",
                                     str(pros.comp), BASE_COMP, COMP_SECRET],
                                    d, "echo")
            if not wait_until(lambda: "ready" in self.out_text("echo", d) or
                              echo.poll() is not None, 10, 0.02):
                log("  echo component did not connect")
            args = load + [self.xto["base"]]
        else:
            gw = Gateway(self.procs, self.exe, d, dns_port, xmpp=pros)
            # The component handshake ends some 100-300 ms after the TCP
            # connect; until then Prosody bounces the messages with an
            # error.  The warm-up is repeated until all 16 get receipts.
            end = time.monotonic() + 10
            while True:
                w = subprocess.run(load + [self.xto["gw"], "200",
                                           str(WARM_NUMBERS), "5"],
                                   capture_output=True, text=True,
                                   timeout=60)
                if " receipts %d " % WARM_NUMBERS in w.stdout:
                    break
                if time.monotonic() > end:
                    log("  warm-up: %s %s" % (w.stdout.strip(),
                                              w.stderr.strip()[-200:]))
                    break
                time.sleep(0.2)
            args = load + [self.xto["gw"]]
        count = int(rate * T)
        other = gw.pid if gw else (echo.pid if echo else None)
        c0, x0 = cpu_ticks(other) if other else None, cpu_ticks(pros.pid)
        k0 = cpu_ticks(self.sink.pid)
        watch = CpuWatch(self.procs)
        t0 = time.monotonic()
        p = self.procs.start(args + [str(rate), str(count), "5"], d, "load")
        rc = self.procs.wait(p, T + 60)
        wall = time.monotonic() - t0
        c1 = cpu_ticks(other) if other else None
        x1 = cpu_ticks(pros.pid)
        k1 = cpu_ticks(self.sink.pid)
        foreign = watch.foreign_pct()
        out = self.out_text("load", d)
        m = dict(re.findall(r"(\w+) (-?[0-9.]+)", out))
        num = lambda k: float(m.get(k, 0))
        r = {"label": label, "rate": rate, "count": count, "rc": rc,
             "sent": int(num("sent")), "unsent": int(num("unsent")),
             "ok": int(num("receipts")), "errors": int(num("errors")),
             "lost": int(num("lost")), "late": int(num("late")),
             "achieved": num("rate"), "wall": wall, "foreign": foreign,
             "p50": num("p50") if "p50" in m else None,
             "p99": num("p99") if "p99" in m else None,
             "max": num("max") if "max" in m else None}
        answered = r["ok"] + r["errors"]
        if "sent" not in m:
            r["lost"] = count
            log("  xmppload: " + out.strip()[-300:])
        bad = r["unsent"] + r["lost"] + r["errors"] + r["late"]
        r["bad"], r["total"] = bad, count
        if answered:
            r["prosody_us"] = (x1 - x0) / HZ * 1e6 / answered
            if mode == "g0":
                r["sink_us"] = (k1 - k0) / HZ * 1e6 / answered
            if c0 is not None and c1 is not None:
                r["cpu_us"] = (c1 - c0) / HZ * 1e6 / answered
        if gw:
            r["alive"] = gw.alive()
            r["hwm_kb"] = proc_kb(gw.pid, "VmHWM")
            self.finish_gw(gw, label, rate)
        if echo:
            self.procs.stop(echo)
        r["pass"] = (bad <= 0.001 * count and rc == 0
                     and r["achieved"] >= 0.95 * rate
                     and r.get("alive", True))
        log("  step %-7s R=%-6d sent=%-6d ok=%-6d err=%-4d lost=%-4d "
            "late=%-4d unsent=%-4d ach=%6.0f/s p50/p99=%s/%s ms cpu=%s us "
            "prosody=%s sink=%s us hwm=%s MiB other-cpu=%.0f%% %s"
            % (label, rate, r["sent"], r["ok"], r["errors"], r["lost"],
               r["late"], r["unsent"], r["achieved"], fmt(r["p50"]),
               fmt(r["p99"]), fmt(r.get("cpu_us"), 0),
               fmt(r.get("prosody_us"), 0), fmt(r.get("sink_us"), 0),
               fmt((r.get("hwm_kb") or 0) / 1024.0, 0) if gw else "-",
               foreign, "PASS" if r["pass"] else "FAIL"))
        self.foreign.append(foreign)
        return r

    def line_xmpp(self, name, r, base=None, target=None, who="imgated"):
        """One line for an XMPP scenario or its baseline."""
        if not r:
            return "%-32s no passing step (see stderr)" % name
        s = "%-32s burst %6.0f msg/s" % (name, r["achieved"])
        if base:
            ratio = r["achieved"] / base
            s += " = %5.1f%% of baseline" % (100 * ratio)
            if target:
                s += " (target >= %d%%: %s)" % (
                    100 * target, "PASS" if ratio >= target else "FAIL")
        s += ", p50/p99 %s/%s ms" % (fmt(r.get("p50")), fmt(r.get("p99")))
        if "cpu_us" in r:
            s += ", %s CPU %.0f us/msg" % (who, r["cpu_us"])
        if r.get("hwm_kb"):
            s += ", RSS %.0f MiB" % (r["hwm_kb"] / 1024.0)
        if "prosody_us" in r:
            s += ", Prosody CPU %.0f us/msg" % r["prosody_us"]
        if "sink_us" in r:
            s += " (sink clients %.0f)" % r["sink_us"]
        return s + " [fails at %s]" % r.get("first_fail")

    def finish_gw(self, gw, label, rate):
        alive = gw.alive()
        rc = gw.stop()
        text = gw.log_text()
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if not alive or rc != 0 or lines:
            # steps that ended the same way share one entry
            what = ("%s, exit %s, %%d log lines%s"
                    % ("alive" if alive else "DIED", rc,
                       (": " + " | ".join(sorted(set(
                           re.sub(r"\d+", "N", re.sub(r"0x[0-9a-f]+", "0x",
                                                      ln))
                           for ln in lines))[:5])
                        .replace("%", "%%")) if lines else ""))
            if what not in self.gw_seen:
                self.gw_seen[what] = (len(self.gw_problems), [])
                self.gw_problems.append(None)
            i, seen = self.gw_seen[what]
            seen.append((label, rate, len(lines)))
            self.gw_problems[i] = "%s: %s" % (
                ", ".join("%s R=%d" % (lb, r) for lb, r, n in seen),
                what % sum(n for lb, r, n in seen))

    # -- max-rate search
    def search(self, label, mode, start, dns_port=None, cap=None,
               step=None, max_steps=None):
        """Highest passing rate: grow by self.growth until a step fails
        (halve while nothing has passed yet), then bisect to within 8 %.
        A failed step during which other processes used > 15 % of a CPU
        is run once more before it counts.  step: the step function
        (default self.step; self.xstep for the XMPP-sender scenarios)."""
        step = step or self.step
        max_steps = max_steps or self.max_steps
        best, lo, hi, steps = None, None, None, 0
        r = int(start)
        while steps < max_steps and self.time_left() > 30:
            res = step(label, r, mode, dns_port)
            steps += 1
            if not res["pass"] and res["foreign"] > 15 \
                    and steps < max_steps:
                log("  (other processes were busy: running that step again)")
                res = step(label, r, mode, dns_port)
                steps += 1
            if res["pass"]:
                if best is None or res["rate"] > best["rate"]:
                    best = res
                lo = r
            else:
                hi = r
            if cap and lo is not None and lo >= cap:
                break
            if hi is None:
                r = int(r * self.growth)
                if cap:
                    r = min(r, cap)
            elif lo is None:
                r = int(r / 2)
                if r < 50:
                    break
            else:
                if hi - lo <= max(50, (0.15 if self.quick else 0.1) * lo):
                    break
                r = int((lo + hi) / 2)
        if best:
            best["first_fail"] = hi
        return best

    # -- scenarios
    def sustain(self, label, mode, burst, dns_port=None):
        """Steady state: fresh imgated, PRE s of load at R (so completed
        transactions start being freed 32 s in), then the measured window.
        Tries 0.6 x the burst rate, then 0.8 x, 0.9 x and 1.0 x while
        they pass, or 0.35 x (then 0.47 x)."""
        if not burst or self.quick:
            return None
        best = None
        fracs = [0.6]
        while fracs and self.time_left() > self.PRE + self.W + 40:
            f = fracs.pop(0)
            rate = max(50, int(burst * f))
            res = self.step(label + "-s", rate, mode, dns_port,
                            duration=self.W, pre=self.PRE)
            if res["pass"]:
                best = res
                if f in (0.6, 0.8, 0.9):
                    fracs.append({0.6: 0.8, 0.8: 0.9, 0.9: 1.0}[f])
                elif f == 0.35 and self.time_left() > 300:
                    fracs.append(0.47)
            elif f == 0.6:
                fracs.append(0.35)
        return best

    def run(self):
        only = self.a.only
        out = []
        R = self.res

        def want(k):
            return k in only

        if want("a"):
            R["a"] = self.search("ceiling", "direct", 16000)
            out.append(self.line_rate("a ceiling sipp->sipp", R["a"], None,
                                      None, None))
        ceil = (R.get("a") or {}).get("achieved")
        if want("b"):
            start = max(250, int(ceil / 8)) if ceil else 1000
            R["b"] = self.search("warm", "warm", start, self.nsd.port)
            R["b_s"] = self.sustain("warm", "warm", rate_of(R["b"]),
                                    self.nsd.port)
            out.append(self.line_rate("b SIP->SIP warm", R["b"], R["b_s"],
                                      ceil, TARGETS["warm"]))
        warm = rate_of(R.get("b"))
        warm_s = rate_of(R.get("b_s"))
        if want("c"):
            start = max(250, int(warm / 2)) if warm else 800
            cap = len(self.cold_nums) // self.T
            R["c"] = self.search("cold", "cold", start, self.nsd.port,
                                 cap=cap)
            R["c_s"] = self.sustain("cold", "cold", rate_of(R["c"]),
                                    self.nsd.port)
            out.append(self.line_rate("c SIP->SIP cold", R["c"], R["c_s"],
                                      ceil, None))
        cold = rate_of(R.get("c"))
        if want("d"):
            fwd = start_fwd(self.procs, self.dir, self.dnsdelay,
                            self.nsd.port, 20, 1800)
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
            R["d_s"] = self.sustain("cold20", "cold", rate_of(R["d"]),
                                    fwd.port)
            self.procs.stop(fwd)
            out.append(self.line_rate("d SIP->SIP cold, DNS RTT 20 ms",
                                      R["d"], R["d_s"], ceil,
                                      TARGETS["cold20"],
                                      extra="forwarder alone, %d q/s: %s"
                                      % (frate, alone)))
        if want("e"):
            out.append(self.latency(warm_s or warm, bool(warm_s)))
        if want("f"):
            out.append(self.memory(warm_s or warm))
        # the XMPP searches get two steps more: a re-run for noise must
        # still leave room to bisect, or the ratio is one of 2^n
        xsteps = self.max_steps + 2
        if (want("g") or want("h")) and self.time_left() > 60:
            self.setup_xmpp()
        if want("g") and self.prosody:
            # the same pacing as sipp's (-r R, R x T messages), through
            # Prosody to the same sink clients; only the sender differs
            R["g0"] = self.search("g0-base", "g0", 4000, step=self.xstep,
                                  max_steps=xsteps)
            base = rate_of(R["g0"])
            out.append(self.line_xmpp("g0 baseline comp->Prosody->c2s",
                                      R["g0"], who="echo"))
            start = int(base / 2) if base else 1000
            if warm:
                start = min(start, int(warm))
            R["g"] = self.search("sip2xmpp", "xmpp", start, self.nsd.port,
                                 max_steps=xsteps)
            out.append(self.line_xmpp("g SIP->XMPP via Prosody", R["g"],
                                      base, TARGETS["xmpp"]))
            if R["g"]:
                R["g_ratio"] = rate_of(R["g"]) / base if base else None
        if want("h") and self.prosody:
            R["h0"] = self.search("h0-base", "h0", 4000, step=self.xstep,
                                  max_steps=xsteps)
            base = rate_of(R["h0"])
            out.append(self.line_xmpp("h0 baseline c2s->Prosody->echo",
                                      R["h0"], who="echo component"))
            start = int(base / 2) if base else 1000
            R["h"] = self.search("xmpp2sip", "h", start, self.nsd.port,
                                 step=self.xstep, max_steps=xsteps)
            out.append(self.line_xmpp("h XMPP->SIP via Prosody", R["h"],
                                      base))
            if R["h"]:
                R["h_ratio"] = rate_of(R["h"]) / base if base else None
        if want("g") or want("h"):
            self.finish_xmpp()
        if want("i"):
            out.append("%-32s skipped (not a bench scenario yet)"
                       % "i XMPP->XMPP")
        if want("j") and self.time_left() > 40:
            # the shared UAS makes way for a fresh counting one per step
            self.procs.stop(self.uas)
            warm_b = rate_of(R.get("b"))
            start = max(250, int(warm_b / 2)) if warm_b else 2000
            R["j"] = self.search("saf", "saf", start, self.nsd.port,
                                 step=self.saf_step, max_steps=xsteps)
            out.extend(self.line_saf(R["j"], ceil, warm_b))
            self.uas = start_uas(self.procs, self.dir, "uas_200.xml",
                                 self.uas_port, "uas")
        if self.a.profile:
            self.profile(warm_s or warm)
        if self.a.callgrind:
            self.callgrind()
        if self.a.syscalls:
            out.extend(self.syscalls([int(r) for r in
                                      self.a.syscalls.split(",")]))
        return out

    def line_rate(self, name, burst, sus, ceil, target=None, extra=None):
        """One line: the sustained (steady-state) result first when there
        is one, then the burst one (fresh daemon, first T seconds)."""
        if not burst and not sus:
            return "%-32s no passing step (see stderr)" % name

        def part(r, what, verdict):
            s = "%s %6.0f msg/s" % (what, r["achieved"])
            if ceil and r["label"] != "ceiling":
                ratio = r["achieved"] / ceil
                s += " = %4.1f%% of ceiling" % (100 * ratio)
                if target and verdict:
                    s += " (target >= %d%%: %s)" % (
                        100 * target, "PASS" if ratio >= target else "FAIL")
            s += ", p50/p99 %s/%s ms (sipp p99 %s)" % (
                fmt(r.get("p50")), fmt(r.get("p99")), sipp_ms(r["sipp_p99"]))
            if "cpu_us" in r:
                s += ", CPU %.0f us/msg" % r["cpu_us"]
            if r.get("hwm_kb"):
                s += ", RSS %.0f MiB" % (r["hwm_kb"] / 1024.0)
            return s
        s = "%-32s " % name
        parts = []
        if sus:
            parts.append(part(sus, "SUSTAINED", True))
        elif not self.quick and burst and burst["label"] != "ceiling":
            parts.append("SUSTAINED: no passing run")
        if burst:
            parts.append(part(burst, "burst" if burst["label"] != "ceiling"
                              else "", not sus)
                         + " [fails at %s]" % burst.get("first_fail"))
        s += " | ".join(parts)
        if extra:
            s += " [" + extra + "]"
        return s

    def latency(self, warm, steady):
        name = "e latency @ half max warm"
        if not warm:
            return "%-32s no warm rate measured" % name
        rate = int(warm / 2)
        T = 4 if self.quick else 10
        g = self.step("lat-gw", rate, "warm", self.nsd.port, duration=T,
                      pre=self.PRE if steady else 0)
        dr = self.step("lat-dir", rate, "direct", duration=T)
        self.res["e"] = {"gw": g, "direct": dr}
        if g.get("p99") is None or dr.get("p99") is None:
            return "%-32s R=%d/s: no probe samples" % (name, rate)
        added = g["p99"] - dr["p99"]
        self.res["e"]["added_p99"] = added
        return ("%-32s R=%d/s (%s): via imgated p50/p99 %s/%s ms, direct "
                "%s/%s ms, added p99 %.2f ms (target < %g ms: %s); sipp "
                "p99 %s vs %s ms; failures %d/%d"
                % (name, rate, "steady state" if steady else "fresh daemon",
                   fmt(g["p50"]), fmt(g["p99"]), fmt(dr["p50"]),
                   fmt(dr["p99"]), added, TARGETS["p99_added_ms"],
                   "PASS" if added < TARGETS["p99_added_ms"] else "FAIL",
                   sipp_ms(g["sipp_p99"]), sipp_ms(dr["sipp_p99"]),
                   g["bad"], g["total"]))

    def memory(self, warm):
        """Hold N transactions in flight (the UAS answers after HOLD s) and
        compare imgated's RSS at the peak with its RSS just before."""
        name = "f RSS per in-flight txn"
        hold_ms = 10000
        send_s = 3 if self.quick else 5
        # 1200/s x 5 s = 6000 in flight: with ~10 000 in flight imgated
        # saturates (sofia-sip re-sorts its retransmission timer list on
        # every Timer E retransmission toward the slow UAS: O(in flight))
        rate = int(min(1200, 0.6 * warm)) if warm else 1000
        n = rate * send_s
        d = os.path.join(self.dir, "mem")
        os.makedirs(d, exist_ok=True)
        uas = start_uas(self.procs, d, "uas_hold.xml", self.hold_port,
                        "uas-hold", extra=["-d", str(hold_ms)])
        gw = Gateway(self.procs, self.exe, d, self.nsd.port,
                     sip_timeout_ms=hold_ms + 10000)
        # warm the cache (these 16 stay in flight too; their UAC waits)
        wu = threading.Thread(target=run_uac, daemon=True, args=(
            self.procs, os.path.join(d, "warmup"), gw.port, self.hold_csv,
            200, HOLD_NUMBERS, int(hold_ms / 1000 + 20), hold_ms + 8000,
            ["-nr"]))
        wu.start()
        time.sleep(1.0)
        base = proc_kb(gw.pid, "VmRSS")
        cpu0, drop0 = cpu_ticks(gw.pid), udp_drops(gw.port)
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
        wu.join(30)
        time.sleep(0.5)
        stop.set()
        th.join(1)
        st = st_holder.get("st")
        hwm = proc_kb(gw.pid, "VmHWM")
        cpu_s = (cpu_ticks(gw.pid) - cpu0) / HZ
        drops = udp_drops(gw.port) - drop0
        self.finish_gw(gw, "mem", rate)
        self.procs.stop(uas)
        if not st or base is None or not samples:
            return "%-32s failed (no data)" % name
        # in flight: every message sent (send_s), none answered (hold_ms)
        inflight = [v for t, v in samples if t < hold_ms / 1000.0 - 0.3]
        peak = max(inflight or [base])
        after = max(v for t, v in samples)
        delta_kb = peak - base
        per = delta_kb * 1024.0 / (n + HOLD_NUMBERS)
        per_after = (after - base) * 1024.0 / (n + HOLD_NUMBERS)
        self.res["f"] = {"n": n, "rate": rate, "base_kb": base,
                         "cpu_s": cpu_s, "drops": drops,
                         "peak_inflight_kb": peak, "peak_after_kb": after,
                         "hwm_kb": hwm, "per_txn_B": per,
                         "per_msg_after_answer_B": per_after,
                         "ok": st.ok, "failed": st.failed, "hold_ms": hold_ms}
        return ("%-32s %d in flight (%d/s for %d s, UAS answers after %d s):"
                " RSS %.1f -> %.1f MiB, %.0f B/txn (target < %d B: %s);"
                " once answered (completed txns kept) %.1f MiB = %.0f B/msg;"
                " answered 200 %d/%d; imgated CPU %.1f s, %d datagrams"
                " dropped on its socket"
                % (name, n + HOLD_NUMBERS, rate, send_s, hold_ms // 1000,
                   base / 1024.0, peak / 1024.0, per,
                   TARGETS["rss_per_txn"],
                   "PASS" if per < TARGETS["rss_per_txn"] else "FAIL",
                   after / 1024.0, per_after, st.ok, n, cpu_s, drops))

    def profile(self, warm):
        """perf record (DWARF call graphs) on imgated in steady state: warm
        load at 70 % of the max warm rate, recorded from PRE s on for 8 s.
        The Debian sofia-sip has no symbols for its static functions and
        no frame pointers, hence DWARF unwinding (callers still resolve)."""
        if not shutil.which("perf") or not warm:
            log("bench: no perf or no warm rate; no profile")
            return
        rate = int(0.7 * warm)
        T = 8
        pre = 0 if self.quick else self.PRE
        d = os.path.join(self.dir, "profile")
        os.makedirs(d, exist_ok=True)
        gw = Gateway(self.procs, self.exe, d, self.nsd.port)
        run_uac(self.procs, os.path.join(d, "warmup"), gw.port,
                self.warm_csv, 200, WARM_NUMBERS, 10, 3000)
        data = os.path.join(d, "perf.data")
        holder = {}

        def rec():
            time.sleep(pre)
            holder["p"] = self.procs.start(
                ["perf", "record", "-F", "499", "--call-graph", "dwarf,8192",
                 "-o", data, "-p", str(gw.pid), "--", "sleep", str(T - 1)],
                d, "perf")
        th = threading.Thread(target=rec, daemon=True)
        th.start()
        st = run_uac(self.procs, os.path.join(d, "load"), gw.port,
                     self.warm_csv, rate, rate * (pre + T), pre + T + 8, 5000)
        th.join(5)
        perf = holder.get("p")
        if perf:
            self.procs.wait(perf, 30, signal.SIGINT)
        self.finish_gw(gw, "profile", rate)
        reports = []
        for args in (["--no-children", "--sort", "dso,symbol", "-g", "none",
                      "--percent-limit", "0.7"],
                     ["--children", "--sort", "symbol", "-g", "none",
                      "--percent-limit", "3"]):
            rep = subprocess.run(["perf", "report", "-i", data, "--stdio"]
                                 + args, capture_output=True, text=True,
                                 timeout=300)
            reports.append(rep.stdout)
        with open(os.path.join(d, "perf-report.txt"), "w") as f:
            f.write("\n".join(reports))
        log("bench: profile (warm, %d/s, %d ok, from %d s on) in "
            "%s/perf-report.txt" % (rate, st.ok, pre, d))
        for ln in reports[0].splitlines()[:60]:
            if ln.strip() and not ln.startswith("#"):
                log("  " + ln.rstrip())

    def syscalls(self, rates, count=6000):
        """System calls and CPU per message, warm, one imgated at each
        of RATES msg/s in turn (COUNT messages a step): perf stat
        counting the syscall tracepoints of the imgated process (or
        strace -c without perf), /proc CPU time, and the batched reads
        (imgate_sip_udp_reads_total, _datagrams_total; '-' for a binary
        without them)."""
        d = os.path.join(self.dir, "syscalls")
        os.makedirs(d, exist_ok=True)
        port, mport = free_port(), free_port()
        conf = os.path.join(d, "imgate.conf")
        with open(conf, "w") as f:
            f.write("""%s
log = { level = "warning"; };
sip = { listen = "sip:127.0.0.1:%d"; timeout_ms = 4000; };
dns = { servers = [ "127.0.0.1:%d" ]; timeout_ms = 1000; tries = 2;
        cache_entries = 200000; };
enum = { enumservices = [ "im", "sip" ]; };
limits = { max_transactions = 100000; };
metrics = { enable = true; listen = "127.0.0.1:%d"; };
""" % (gateway_group(self.exe), port, self.nsd.port, mport))
        gw = self.procs.start([self.exe, "-d", "-f", conf], d, "imgated")
        out = []
        if not wait_until(lambda: udp_bound(port), 30):
            log("bench: imgated did not start (syscalls)")
            self.procs.stop(gw)
            return out
        run_uac(self.procs, os.path.join(d, "warmup"), port, self.warm_csv,
                200, WARM_NUMBERS, 30, 5000)
        events = ["raw_syscalls:sys_enter"] + [
            "syscalls:sys_enter_" + c for c in (
                "epoll_wait", "ioctl", "recvmsg", "recvmmsg", "sendmsg",
                "sendto")]
        perf = None if self.a.strace else shutil.which("perf")

        def udp():
            try:
                with urllib.request.urlopen(
                        "http://127.0.0.1:%d/metrics" % mport,
                        timeout=5) as r:
                    text = r.read().decode()
            except OSError:
                return None, None
            v = {}
            for ln in text.splitlines():
                m = re.match(r"^(imgate_sip_udp_\w+_total) (\d+)", ln)
                if m:
                    v[m.group(1)] = int(m.group(2))
            return (v.get("imgate_sip_udp_reads_total"),
                    v.get("imgate_sip_udp_datagrams_total"))

        for rate in rates:
            sd = os.path.join(d, "r%d" % rate)
            os.makedirs(sd, exist_ok=True)
            res = os.path.join(sd, "count.txt")
            if perf:
                # (sys_exit_epoll_wait, ret > 0: the wakeups that found
                # something, beside the timeout-0 polls of sofia's loop)
                cmd = [perf, "stat", "-x", ",", "-o", res, "-p",
                       str(gw.pid)] + sum((["-e", e] for e in events),
                                          []) + [
                    "-e", "syscalls:sys_exit_epoll_wait",
                    "--filter", "ret > 0"]
            else:
                cmd = ["strace", "-c", "-f", "-o", res, "-p", str(gw.pid)]
            r0, d0 = udp()
            cpu0 = cpu_ticks(gw.pid)
            tr = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
            time.sleep(0.5)
            st = run_uac(self.procs, os.path.join(sd, "load"), port,
                         self.warm_csv, rate, count, count // rate + 30,
                         8000)
            tr.send_signal(signal.SIGINT)
            tr.wait(30)
            cpu1 = cpu_ticks(gw.pid)
            r1, d1 = udp()
            n = {}
            with open(res) as f:
                for ln in f:
                    parts = ln.strip().split(",")
                    if perf and len(parts) > 2 and parts[0].isdigit():
                        n[parts[2].split(":")[-1].replace(
                            "sys_enter_", "").replace(
                            "sys_exit_epoll_wait", "epoll_ready")] = int(
                            parts[0])
                    elif not perf:
                        m = re.match(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+"
                                     r"(\d+)\s+(?:\d+\s+)?(\w+)$",
                                     ln.strip() and ln)
                        if m and m.group(2) != "total":
                            n[m.group(2)] = int(m.group(1))
                            n["sys_enter"] = n.get("sys_enter", 0) + int(
                                m.group(1))
            ok = max(st.ok, 1)
            per = " ".join("%s %.2f" % (k, v / ok) for k, v in sorted(
                n.items()) if k != "sys_enter")
            ratio = ("%.2f" % ((d1 - d0) / max(r1 - r0, 1))
                     if r0 is not None and r1 is not None else "-")
            cpu = ("%.1f" % ((cpu1 - cpu0) * 1e6 / HZ / ok)
                   if cpu0 is not None and cpu1 is not None else "-")
            out.append("syscalls %5d/s: %d ok %d failed, %.2f syscalls/msg "
                       "(%s), %s datagrams/read, CPU %s us/msg"
                       % (rate, st.ok, st.failed,
                          n.get("sys_enter", 0) / ok, per, ratio, cpu))
            log("bench: " + out[-1])
        self.procs.stop(gw)
        return out

    def callgrind(self, rate=200, count=4000):
        """imgated under valgrind --tool=callgrind, warm cache, RATE msg/s:
        exact instruction counts with inclusive costs per function."""
        if not shutil.which("valgrind"):
            log("bench: no valgrind; no callgrind profile")
            return
        d = os.path.join(self.dir, "callgrind")
        os.makedirs(d, exist_ok=True)
        out = os.path.join(d, "callgrind.out")
        port = free_port()
        conf = os.path.join(d, "imgate.conf")
        with open(conf, "w") as f:
            f.write("""%s
log = { level = "warning"; };
sip = { listen = "sip:127.0.0.1:%d"; timeout_ms = 4000; };
dns = { servers = [ "127.0.0.1:%d" ]; timeout_ms = 1000; tries = 2; cache_entries = 200000; };
enum = { enumservices = [ "im", "sip" ]; };
limits = { max_transactions = 100000; };
""" % (gateway_group(self.exe), port, self.nsd.port))
        gw = self.procs.start(["valgrind", "--tool=callgrind",
                               "--callgrind-out-file=" + out,
                               self.exe, "-d", "-f", conf], d, "imgated")
        if not wait_until(lambda: udp_bound(port), 60):
            log("bench: imgated under callgrind did not start")
            self.procs.stop(gw)
            return
        w = run_uac(self.procs, os.path.join(d, "warmup"), port,
                    self.warm_csv, 50, WARM_NUMBERS, 20, 5000)
        st = run_uac(self.procs, os.path.join(d, "load"), port,
                     self.warm_csv, rate, count, count // rate + 30, 8000)
        self.procs.stop(gw, timeout=60)
        log("bench: callgrind: %d+%d messages ok, %d failed; %s"
            % (w.ok, st.ok, st.failed, out))
        for mode in ("no", "yes"):
            rep = subprocess.run(["callgrind_annotate", "--inclusive=" + mode,
                                  "--threshold=100", out],
                                 capture_output=True, text=True, timeout=120)
            name = "inclusive" if mode == "yes" else "self"
            with open(os.path.join(d, "annotate-%s.txt" % name), "w") as f:
                f.write(rep.stdout)
            rows = [ln for ln in rep.stdout.splitlines()
                    if re.match(r"^\s*[0-9,]+ \(", ln)][1:26]
            log("  callgrind %s cost, per message = Ir / %d:"
                % (name, w.ok + st.ok))
            for ln in rows:
                log("   " + ln.strip()[:150])


def rate_of(r):
    return r["achieved"] if r else None


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
    ap.add_argument("--only", default="abcdefghij",
                    help="scenarios to run, e.g. ab (default abcdefghij; "
                         "g and h include their baselines)")
    ap.add_argument("--profile", action="store_true",
                    help="also perf-record imgated in a warm run")
    ap.add_argument("--callgrind", action="store_true",
                    help="also run imgated under callgrind (warm, 200/s)")
    ap.add_argument("--syscalls", metavar="RATES",
                    help="also count imgated's system calls per message "
                         "at these rates, e.g. 200,2000,5000 (perf stat, "
                         "or strace -c)")
    ap.add_argument("--strace", action="store_true",
                    help="--syscalls: count with strace -c even where "
                         "perf is there")
    ap.add_argument("--no-pin", action="store_true",
                    help="g/h: do not pin Prosody to CPU 1 and the rest to "
                         "CPU 0")
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
    if b.foreign:
        print("# other processes on the machine used up to %.0f%% of a CPU "
              "during a step (mean %.0f%%)%s" % (
                  max(b.foreign), sum(b.foreign) / len(b.foreign),
                  "; numbers are noisy" if max(b.foreign) > 15 else ""))
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
    if not a.keep and not a.workdir and not a.profile and not a.callgrind \
            and not a.syscalls:
        shutil.rmtree(b.dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
