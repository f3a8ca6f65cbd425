#!/usr/bin/python3
"""bench/spool_backends.py - store-and-forward throughput per spool backend,
on one machine in one run (bench/README.md "Spool backends").

Three set-ups, each fresh, each given the same closed-loop load:
  sqlite   one imgated, spool.backend "sqlite" (a file under --workdir,
           WAL, synchronous=FULL)
  pg       one imgated, spool.backend "postgresql" on a throwaway
           PostgreSQL 15 cluster started here (tests/integration/
           pgfixture.py) with fsync=on and synchronous_commit=on, so that
           a commit costs a WAL flush as it does in production
  pg2      two imgated nodes on that cluster (a database of their own),
           the load split evenly between them
Every imgated: a single static route +44 -> a sipp UAS answering 200 at
once, mode "store-and-forward", spool.commit_ms 5, max_inflight 1000,
max_messages 1 000 000, lease_s 60.
Load: sipp (bench/uac_inf_202.xml, 202 the only success) sends N
MESSAGEs with at most L outstanding (-l; -r high): the gateway's own pace
decides the rate.  With two nodes, two sipps with N/2 and L/2 each.
Measured:
  accepted/s   202s received / the time from the load's start to the
               last sipp's end
  delivered/s  messages / the time from the load's start until the spool
               is empty (every message delivered and its row deleted)
  202 p50/p99  sipp's response times (ms)
  CPU          imgated utime+stime, and postgres (all its processes),
               per message, over the run; and how busy the whole
               machine was (/proc/stat), since other people's work on a
               shared machine caps every number here
Usage: bench/spool_backends.py [--imgated PATH] [-n N] [-l L]
                               [--rounds R] [--only sqlite,pg,pg2]
Prints one line per set-up and round on stdout; progress on stderr.
Loopback only.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

import imgtest            # noqa: E402
import pgfixture          # noqa: E402

SIPP = "sipp"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def ticks(pids):
    t = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                parts = f.read().rsplit(")", 1)[1].split()
            t += int(parts[11]) + int(parts[12])
        except (OSError, IndexError, ValueError):
            pass
    return t


def postgres_pids(cluster):
    """Every process of the cluster: the postmaster (its command line
    names the data folder) and its children."""
    out = []
    pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    for pid in pids:
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmd = f.read()
            with open("/proc/%d/stat" % pid) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if (b"bin/postgres" in cmd and cluster.data.encode() in cmd) or \
                ppid in out:
            out.append(pid)
    return out


def busy_ticks():
    """CPU ticks the whole machine spent busy (all CPUs)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v) - v[3] - (v[4] if len(v) > 4 else 0)


def write_csv(path, n):
    with open(path, "w") as f:
        f.write("SEQUENTIAL\n")
        for i in range(n):
            f.write("+4420794%05d;\n" % (i % 100000))


def start_gw(procs, exe, d, spool_conf, uas_port):
    os.makedirs(d, exist_ok=True)
    port = imgtest.free_port()
    conf = os.path.join(d, "imgate.conf")
    with open(conf, "w") as f:
        f.write("""gateway = { domain = "gw.test"; allow_root = true;
  workers = 1; };
log = { level = "warning"; };
sip = { listen = "sip:127.0.0.1:%d"; timeout_ms = 4000; };
dns = { servers = [ "127.0.0.1:9" ]; timeout_ms = 1000; tries = 1; };
limits = { max_transactions = 100000; };
spool = { %s commit_ms = 5; max_inflight = 1000; max_messages = 1000000;
  retry_initial_ms = 1000; };
routes = ( { name = "saf"; prefix = "+44"; action = "static";
  target = "sip:127.0.0.1:%d"; mode = "store-and-forward"; } );
""" % (port, spool_conf, uas_port))
    lg = os.path.join(d, "imgated.log")
    p = procs.start([exe, "-d", "-f", conf], name="imgated", log=lg)
    end = time.monotonic() + 20
    while time.monotonic() < end:
        if p.poll() is not None:
            raise RuntimeError("imgated exited: " + open(lg).read()[-800:])
        if not _udp_free(port):
            return p, port
        time.sleep(0.05)
    raise RuntimeError("imgated did not bind: " + open(lg).read()[-800:])


def _udp_free(port):
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def start_uac(procs, d, target, csv, n, limit):
    os.makedirs(d, exist_ok=True)
    args = [SIPP, "-sf", os.path.join(HERE, "uac_inf_202.xml"), "-inf", csv,
            "-i", "127.0.0.1", "-p", str(imgtest.free_port()), "-t", "u1",
            "-nostdin", "-m", str(n), "-r", "100000", "-rp", "1000",
            "-l", str(limit), "-buff_size", "4194304",
            "-recv_timeout", "10000", "-timeout", "120s", "-timeout_error",
            "-trace_stat", "-stf", os.path.join(d, "stat.csv"), "-fd", "1",
            "-trace_rtt", "-rtt_freq", "1",
            "127.0.0.1:%d" % target]
    return procs.start(args, name="uac", log=os.path.join(d, "sipp.log"),
                       cwd=d)


def uac_result(d):
    ok = failed = 0
    rtt = []
    try:
        with open(os.path.join(d, "stat.csv")) as f:
            lines = [ln.rstrip("\n") for ln in f if ln.strip()]
        hdr, last = lines[0].split(";"), lines[-1].split(";")
        ok = int(float(last[hdr.index("SuccessfulCall(C)")]))
        failed = int(float(last[hdr.index("FailedCall(C)")]))
    except (OSError, IndexError, ValueError):
        pass
    for fn in os.listdir(d):
        if fn.endswith("_rtt.csv"):
            with open(os.path.join(d, fn)) as f:
                next(f, None)
                for ln in f:
                    parts = ln.split(";")
                    try:
                        rtt.append(float(parts[1]))
                    except (IndexError, ValueError):
                        pass
    return ok, failed, sorted(rtt)


def pct(v, p):
    return v[min(len(v) - 1, int(len(v) * p / 100.0))] if v else float("nan")


def run_setup(name, procs, exe, work, pg, uas_port, n, limit, rnd):
    d = os.path.join(work, "%s-%d" % (name, rnd))
    os.makedirs(d, exist_ok=True)
    if name == "sqlite":
        spool = pgfixture.SqliteSpool(os.path.join(d, "spool.sqlite"))
        confs = [spool.conf()]
    else:
        spool = pgfixture.PgSpool(pg, "%s_%d" % (name, rnd), lease_s=60)
        db = spool.db
        nodes = 2 if name == "pg2" else 1
        confs = [('backend = "postgresql"; conninfo = "%s"; node_id = '
                  '"node%d"; lease_s = 60; path = "/nonexistent/x";'
                  % (pg.conninfo(db), i)) for i in range(nodes)]
    gws = [start_gw(procs, exe, os.path.join(d, "gw%d" % i), c, uas_port)
           for i, c in enumerate(confs)]
    csv = os.path.join(d, "numbers.csv")
    write_csv(csv, n)
    pids = [p.pid for p, _ in gws]
    pgp = postgres_pids(pg) if pg is not None and name != "sqlite" else []
    c0, p0, m0 = ticks(pids), ticks(pgp), busy_ticks()
    t0 = time.monotonic()
    per = n // len(gws)
    uacs = [start_uac(procs, os.path.join(d, "uac%d" % i), port, csv, per,
                      max(1, limit // len(gws)))
            for i, (_, port) in enumerate(gws)]
    for u in uacs:
        u.wait(300)
    t_load = time.monotonic() - t0
    end = time.monotonic() + 120
    rows = spool.rows()
    while rows != 0 and time.monotonic() < end:
        time.sleep(0.05)
        rows = spool.rows()
    t_drain = time.monotonic() - t0
    c1 = ticks(pids)
    p1 = ticks(pgp)
    m1 = busy_ticks()
    ok = failed = 0
    rtt = []
    for i in range(len(uacs)):
        o, f, r = uac_result(os.path.join(d, "uac%d" % i))
        ok, failed = ok + o, failed + f
        rtt += r
    rtt.sort()
    hz = os.sysconf("SC_CLK_TCK")
    for p, _ in gws:
        procs.stop(p, timeout=10)
    line = ("%-6s round %d: %d sent, %d accepted (202), %d failed; "
            "accepted %.0f/s; delivered %.0f/s (spool empty %.2f s after "
            "start, rows left %d); 202 p50/p99 %.0f/%.0f ms; imgated CPU "
            "%.0f us/msg, postgres CPU %.0f us/msg; machine busy %.0f %% "
            "of %d CPUs, imgated+postgres %.0f %%"
            % (name, rnd, n, ok, failed, ok / t_load if t_load else 0,
               ok / t_drain if rows == 0 and t_drain else 0, t_drain, rows,
               pct(rtt, 50), pct(rtt, 99),
               (c1 - c0) * 1e6 / hz / max(ok, 1),
               (p1 - p0) * 1e6 / hz / max(ok, 1),
               100.0 * (m1 - m0) / hz / t_drain / os.cpu_count(),
               os.cpu_count(),
               100.0 * ((c1 - c0) + (p1 - p0)) / hz / t_drain /
               os.cpu_count()))
    print(line, flush=True)
    return line


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--imgated", default=os.path.join(
        HERE, "..", "_build", "plain", "imgated"))
    ap.add_argument("-n", type=int, default=20000)
    ap.add_argument("-l", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--only", default="sqlite,pg,pg2")
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()
    why = pgfixture.available()
    setups = a.only.split(",")
    if why is not None and any(s != "sqlite" for s in setups):
        sys.exit("PostgreSQL: " + why)
    work = a.workdir or tempfile.mkdtemp(prefix="imgate-spoolbench-")
    with imgtest.Procs("spoolbench", stop_timeout=10) as procs:
        if a.workdir is None:
            import shutil
            procs.add_cleanup(shutil.rmtree, work, True)
        uas_port = imgtest.free_port()
        os.makedirs(os.path.join(work, "uas"), exist_ok=True)
        procs.start([SIPP, "-sf", os.path.join(HERE, "uas_200.xml"),
                     "-i", "127.0.0.1", "-p", str(uas_port), "-t", "u1",
                     "-nostdin", "-buff_size", "4194304", "-l", "200000"],
                    name="uas",
                    log=os.path.join(work, "uas", "sipp.log"),
                    cwd=os.path.join(work, "uas"))
        pg = None
        if any(s != "sqlite" for s in setups):
            log("starting PostgreSQL (fsync on)")
            pg = pgfixture.PgCluster(procs, fsync=True)
        log("machine: %d CPUs, %s" % (os.cpu_count(),
                                       subprocess.run(
                                           ["uname", "-srm"],
                                           capture_output=True,
                                           text=True).stdout.strip()))
        for rnd in range(1, a.rounds + 1):
            for s in setups:
                log("%s, round %d" % (s, rnd))
                run_setup(s, procs, os.path.abspath(a.imgated), work, pg,
                          uas_port, a.n, a.l, rnd)


if __name__ == "__main__":
    main()
