#!/usr/bin/python3
"""imgtest.py - harness library for imgate's integration tests.

Stdlib only (run with /usr/bin/python3).  Everything listens on loopback.

Processes and temporary folders
    with Procs() as procs:              # stops everything on exit, on an
        d = procs.tmpdir()              # exception and on SIGTERM/SIGINT/SIGHUP
        p = procs.start([...], log=os.path.join(d, "x.log"))
        r = procs.run([...], timeout=30)  # like subprocess.run(capture), killable
        procs.stop(p)                   # SIGTERM to its process group, SIGKILL
                                        # after `timeout`, then wait()
    IMGATE_KEEP_TMP=1 keeps the temporary folders (their paths go to stderr).
    Functions taking procs=None use the innermost open Procs.

TAP (one TAP object per process: module `tap`)
    plan(n) / ok(cond, desc, diag=None) / is_(got, want, desc) /
    skip(desc, reason) / todo(cond, desc, reason) / diag(msg) / bail_out(msg)
    done() -> exit status (prints "1..N" at the end when no plan was given,
    then "# N passed, N failed, N skipped").

DNS fixtures
    free_port(udp_and_tcp=True)                   -> int
    dns_query(server, port, name, qtype, tcp=False, timeout=2.0, rd=True,
              ad=False, cd=False, do=False, edns=None) -> dict (fakedns.parse_message)
    unbound_plan(dns)                             -> ("unbound"|"forward"|"fakedns", [reasons])
    vector_dns_to_unbound(dns, fakedns_port=None) -> [config lines]
    start_unbound(lines_or_dns, procs=None, port=None, log_queries=True,
                  fakedns_port=None, probe=None, timeout=5.0, dns=None)
                                                  -> (port, proc)
    unbound_query_log(path)                       -> [(name, type)] (probe removed)
    start_fakedns(answers, procs=None, port=0, log=None, inproc=True)
                                                  -> server (.port .stop() .queries())
    start_vector_dns(dns, procs=None, backend="auto") -> DNSFixture
                                     (.port .backend .reasons .queries() .stop())
    load_vectors(path=None) -> (data, path)   ($IMGATE_VECTORS, else
                                 shared/docs beside the tree, else the copy
                                 tests/integration/vectors-public.json)

sipp (scenarios in tests/sip, see tests/sip/README.md)
    start_sipp_uas(scenario, procs=None, port=None, transport="u1", calls=None,
                   extra=())                      -> (port, proc)
          proc.message_file (-trace_msg), proc.log_file (<log>), proc.error_file
    run_sipp_uac(scenario, target_port, service, procs=None, transport="u1",
                 calls=1, timeout=15, extra=())   -> CompletedProcess (+ files)
    sipp_messages(path) / sipp_requests(path, method=None) / sip_header(msg, name)
    sipp_uas_log(path)
"""

import atexit
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
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import fakedns  # noqa: E402  (sibling module)

KEEP_TMP = os.environ.get("IMGATE_KEEP_TMP", "") == "1"
UNBOUND = os.environ.get("IMGATE_UNBOUND", "unbound")
PROBE_NAME = "imgate-probe.invalid."

# ================================================================== TAP


class TAP:
    """Minimal TAP 13 producer."""

    def __init__(self, out=None):
        self.out = out or sys.stdout
        self.n = 0
        self.failed = 0
        self.skipped = 0
        self.planned = None
        self._lock = threading.Lock()

    @staticmethod
    def _clean(desc):
        return " ".join(str(desc).split()).replace("#", "\\#")

    def _print(self, line):
        self.out.write(line + "\n")
        self.out.flush()

    def plan(self, n, reason=None):
        self.planned = n
        if n == 0 and reason:
            self._print("1..0 # SKIP %s" % reason)
        else:
            self._print("1..%d" % n)

    def diag(self, msg):
        for line in str(msg).splitlines() or [""]:
            self._print("# " + line)

    def ok(self, cond, desc, diag=None):
        with self._lock:
            self.n += 1
            cond = bool(cond)
            if not cond:
                self.failed += 1
            self._print("%s %d - %s" % ("ok" if cond else "not ok", self.n,
                                        self._clean(desc)))
            if not cond and diag is not None:
                self.diag(diag)
        return cond

    def is_(self, got, want, desc):
        """ok(got == want) with a got/want diagnostic."""
        return self.ok(got == want, desc,
                       diag="got:  %s\nwant: %s" % (_show(got), _show(want)))

    def skip(self, desc, reason):
        with self._lock:
            self.n += 1
            self.skipped += 1
            self._print("ok %d - %s # SKIP %s" % (self.n, self._clean(desc),
                                                  self._clean(reason)))

    def todo(self, cond, desc, reason, diag=None):
        """A TODO point: reported but never counted as a failure."""
        with self._lock:
            self.n += 1
            self._print("%s %d - %s # TODO %s" % ("ok" if cond else "not ok",
                                                  self.n, self._clean(desc),
                                                  self._clean(reason)))
            if not cond and diag is not None:
                self.diag(diag)
        return cond

    def bail_out(self, reason):
        self._print("Bail out! %s" % self._clean(reason))
        sys.exit(1)

    def done(self):
        """Print the trailing plan if needed; return the exit status."""
        if self.planned is None:
            self._print("1..%d" % self.n)
            self.planned = self.n
        bad = self.failed > 0 or self.n != self.planned
        if self.n != self.planned:
            self.diag("planned %d tests but ran %d" % (self.planned, self.n))
        self.diag("%d passed, %d failed, %d skipped" %
                  (self.n - self.failed - self.skipped, self.failed, self.skipped))
        return 1 if bad else 0


def _show(v):
    try:
        return json.dumps(v, sort_keys=True)
    except (TypeError, ValueError):
        return repr(v)


tap = TAP()
plan = tap.plan
ok = tap.ok
is_ = tap.is_
skip = tap.skip
todo = tap.todo
diag = tap.diag
bail_out = tap.bail_out
done = tap.done


def exit_status():
    return tap.done()

# ================================================================== processes


_ACTIVE = []          # Procs registries that are open, newest last
_SIG_INSTALLED = False


def _on_signal(signum, frame):
    # Unwind through every `with Procs()` (its __exit__ stops the processes),
    # then exit with the conventional status.
    for p in list(_ACTIVE)[::-1]:
        p.close()
    raise SystemExit(128 + signum)


def _install_signals():
    global _SIG_INSTALLED
    if _SIG_INSTALLED or threading.current_thread() is not threading.main_thread():
        return
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, _on_signal)
    atexit.register(_close_all)
    _SIG_INSTALLED = True


def _close_all():
    for p in list(_ACTIVE)[::-1]:
        p.close()


class Procs:
    """Registry of child processes, in-process servers and temporary folders.

    Every process is started in its own process group (own session) and is
    always stopped: SIGTERM to the group, SIGKILL after `timeout` seconds,
    then wait() so that no zombie remains.  Use as a context manager; it is
    also closed at interpreter exit and on SIGTERM/SIGINT/SIGHUP."""

    def __init__(self, name="imgate", stop_timeout=5.0):
        self.name = name
        self.stop_timeout = stop_timeout
        self.procs = []
        self.tmpdirs = []
        self.cleanups = []
        self.closed = False
        _install_signals()
        _ACTIVE.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # -- folders
    def tmpdir(self, prefix=None):
        d = tempfile.mkdtemp(prefix=(prefix or self.name) + "-")
        self.tmpdirs.append(d)
        return d

    # -- processes
    def start(self, args, name=None, log=None, stdout=None, stderr=None,
              stdin=subprocess.DEVNULL, env=None, cwd=None, pass_fds=()):
        """Popen in a new process group.  log=PATH sends stdout+stderr there
        (appending).  The Popen gets .name and .log attributes."""
        if self.closed:
            raise RuntimeError("Procs %s is closed (test stopping)" % self.name)
        fh = None
        if log is not None:
            fh = open(log, "ab")
            stdout = fh if stdout is None else stdout
            stderr = fh if stderr is None else stderr
        try:
            p = subprocess.Popen(args, stdin=stdin, stdout=stdout, stderr=stderr,
                                 env=env, cwd=cwd, start_new_session=True,
                                 pass_fds=pass_fds)
        finally:
            if fh is not None:
                fh.close()
        p.name = name or os.path.basename(str(args[0]))
        p.log = log
        self.procs.append(p)
        return p

    def stop(self, p, timeout=None, sig=signal.SIGTERM):
        """Stop one process (and its group); returns its exit status."""
        timeout = self.stop_timeout if timeout is None else timeout
        if p.poll() is None:
            self._signal(p, sig)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(p, signal.SIGKILL)
                p.wait()
        # leftovers of the group (daemons that forked) get SIGKILL
        self._signal(p, signal.SIGKILL, quiet=True)
        for f in (p.stdout, p.stderr, p.stdin):
            if f is not None:
                try:
                    f.close()
                except OSError:
                    pass
        if p in self.procs:
            self.procs.remove(p)
        return p.returncode

    @staticmethod
    def _signal(p, sig, quiet=False):
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass
        except PermissionError:
            if not quiet:
                try:
                    p.send_signal(sig)
                except ProcessLookupError:
                    pass

    def run(self, args, timeout=30.0, input=None, env=None, cwd=None):
        """Run a command to completion like subprocess.run(capture_output),
        but registered here so that it is killed if the test is stopped.
        Returns subprocess.CompletedProcess; raises subprocess.TimeoutExpired
        (after killing the command) on timeout."""
        p = self.start(args, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd)
        try:
            out, err = p.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            self.stop(p, timeout=1)
            raise subprocess.TimeoutExpired(args, timeout, output=e.output, stderr=e.stderr)
        finally:
            if p.poll() is not None and p in self.procs:
                self.procs.remove(p)
        return subprocess.CompletedProcess(args, p.returncode, out, err)

    def add_cleanup(self, fn, *args):
        """Run fn(*args) at close (before the processes are stopped)."""
        self.cleanups.append((fn, args))

    def close(self):
        if self.closed:
            return
        self.closed = True
        while self.cleanups:
            fn, args = self.cleanups.pop()
            try:
                fn(*args)
            except Exception as e:  # keep cleaning up
                sys.stderr.write("imgtest: cleanup %r failed: %s\n" % (fn, e))
        for p in list(self.procs)[::-1]:
            try:
                self.stop(p)
            except Exception as e:
                sys.stderr.write("imgtest: stopping %s failed: %s\n" % (p.pid, e))
        for d in self.tmpdirs:
            if KEEP_TMP:
                sys.stderr.write("imgtest: kept %s\n" % d)
            else:
                shutil.rmtree(d, ignore_errors=True)
        self.tmpdirs = []
        if self in _ACTIVE:
            _ACTIVE.remove(self)


def _procs(procs):
    """The given registry, else the innermost open one, else a new one."""
    if procs is not None:
        return procs
    if _ACTIVE:
        return _ACTIVE[-1]
    return Procs()

# ================================================================== ports


_HANDED_OUT = set()
_PORT_LOCK = threading.Lock()


def free_port(udp_and_tcp=True, host="127.0.0.1"):
    """A loopback port that is free for TCP and (by default) UDP right now.
    Never hands out the same port twice in one process."""
    with _PORT_LOCK:
        return _free_port(udp_and_tcp, host)


def _free_port(udp_and_tcp, host):
    for _ in range(200):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        u = None
        try:
            t.bind((host, 0))
            port = t.getsockname()[1]
            if port in _HANDED_OUT:
                continue
            if udp_and_tcp:
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                try:
                    u.bind((host, port))
                except OSError:
                    continue
            _HANDED_OUT.add(port)
            return port
        finally:
            t.close()
            if u is not None:
                u.close()
    raise OSError("no free port found")

# ================================================================== DNS client


def dns_query(server, port, name, qtype, tcp=False, timeout=2.0, rd=True,
              ad=False, cd=False, do=False, edns=None, qid=None):
    """Send one query and parse the answer (fakedns.parse_message dict,
    plus "raw" bytes and "elapsed" seconds).  Raises socket.timeout if no
    answer arrives in time."""
    msg = fakedns.build_query(name, qtype, qid=qid, rd=rd, ad=ad, cd=cd,
                              edns=edns, do=do)
    qid = struct.unpack("!H", msg[:2])[0]
    t0 = time.monotonic()
    if tcp:
        with socket.create_connection((server, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(struct.pack("!H", len(msg)) + msg)
            hdr = _recv_exact(s, 2)
            data = _recv_exact(s, struct.unpack("!H", hdr)[0])
    else:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.connect((server, port))
            s.send(msg)
            deadline = t0 + timeout
            while True:
                s.settimeout(max(0.001, deadline - time.monotonic()))
                data = s.recv(65535)
                if len(data) >= 2 and struct.unpack("!H", data[:2])[0] == qid:
                    break
    res = fakedns.parse_message(data)
    res["raw"] = data
    res["elapsed"] = time.monotonic() - t0
    return res


def _recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return buf

# ================================================================== vectors → unbound


class UnboundCannotServe(ValueError):
    """The dns list holds something unbound's local-data cannot give."""


_NAME_OK = re.compile(r"^([A-Za-z0-9_*-]([A-Za-z0-9_-]{0,62})?\.)*$|^\.$")
_EXTRAS = ("tc", "delay_ms", "drop", "malformed", "ad")
_SUPPORTED = ("NAPTR", "SRV", "A", "AAAA", "CNAME", "TXT", "NS", "PTR", "MX")


def norm_owner(name):
    return fakedns.norm(name)


def _is_sub(name, zone):
    """name at or below zone (both normalised)."""
    return zone == "." or name == zone or name.endswith("." + zone)


def _mf_string(s):
    """A master-file <character-string> for use inside a single-quoted
    unbound local-data: backslash and double quote escaped, everything that
    is not printable ASCII (and the single quote, which would end the
    unbound string) as \\DDD."""
    raw = s.encode("utf-8", "surrogateescape") if isinstance(s, str) else bytes(s)
    out = []
    for b in raw:
        c = chr(b)
        if c in ('"', "\\"):
            out.append("\\" + c)
        elif c == "'" or b < 0x20 or b >= 0x7f:
            out.append("\\%03d" % b)
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _mf_name(n):
    n = str(n)
    if not _NAME_OK.match(n if n.endswith(".") else n + "."):
        raise UnboundCannotServe("name %r needs escaping" % n)
    return n if n.endswith(".") else n + "."


def _rdata_text(t, rr):
    if t == "NAPTR":
        return "%d %d %s %s %s %s" % (rr["order"], rr["preference"],
                                      _mf_string(rr["flags"]),
                                      _mf_string(rr["services"]),
                                      _mf_string(rr["regexp"]),
                                      _mf_name(rr["replacement"]))
    if t == "SRV":
        return "%d %d %d %s" % (rr["priority"], rr["weight"], rr["port"],
                                _mf_name(rr["target"]))
    if t in ("A", "AAAA"):
        return str(rr["address"])
    if t in ("CNAME", "NS", "PTR"):
        return _mf_name(rr.get("target") or rr.get("cname") or rr["name"])
    if t == "MX":
        return "%d %s" % (rr["preference"], _mf_name(rr["exchange"]))
    if t == "TXT":
        strings = rr.get("strings")
        if strings is None:
            strings = [rr.get("text", "")]
        return " ".join(_mf_string(s) for s in strings)
    raise UnboundCannotServe("type %s" % t)


def _soa_line(zone, soa, ttl=None):
    z = "" if zone == "." else zone
    return "local-data: '%s %d IN SOA %s %s %d %d %d %d %d'" % (
        zone, soa.get("ttl", 3600) if ttl is None else ttl,
        soa.get("mname", "ns." + z), soa.get("rname", "hostmaster." + z),
        soa.get("serial", 1), soa.get("refresh", 3600), soa.get("retry", 600),
        soa.get("expire", 86400), soa.get("minimum", soa.get("ttl", 3600)))


def unbound_plan(dns_list):
    """How a vector's dns list can be served.

    Returns (mode, reasons): "unbound" = local-data only; "forward" =
    local-data plus forward-zones to the suite's fake server for SERVFAIL
    owners; "fakedns" = unbound cannot give these answers (reasons say why),
    serve the whole list from fakedns directly."""
    reasons = []
    forward = False
    keys = {}
    owners_with_data = set()
    zones = {}
    for a in dns_list:
        owner = norm_owner(a["owner"])
        t = str(a["type"]).upper()
        rc = str(a.get("rcode", "NOERROR")).upper()
        key = (owner, t)
        if key in keys:
            reasons.append("%s %s listed twice" % key)
        keys[key] = a
        for x in _EXTRAS:
            if a.get(x):
                reasons.append("%s %s: %s" % (owner, t, x))
        if a.get("aa") is False:
            reasons.append("%s %s: aa false" % (owner, t))
        if a.get("cname"):
            reasons.append("%s: cname (unbound does not chase local CNAMEs)" % owner)
        if t not in _SUPPORTED:
            reasons.append("%s: type %s" % (owner, t))
        try:
            _mf_name(owner)
        except UnboundCannotServe as e:
            reasons.append(str(e))
        rrs = a.get("rrs") or []
        if rc == "NOERROR":
            if rrs:
                owners_with_data.add(owner)
                seen = set()
                for rr in rrs:
                    if rr.get("malformed") or "rdata_hex" in rr:
                        reasons.append("%s %s: raw/malformed rdata" % key)
                    if "ttl" in rr and rr["ttl"] != a.get("ttl"):
                        reasons.append("%s %s: per-RR ttl" % key)
                    try:
                        txt = _rdata_text(t, rr)
                    except (UnboundCannotServe, KeyError) as e:
                        reasons.append("%s %s: %s" % (owner, t, e))
                        continue
                    if txt in seen:
                        reasons.append("%s %s: duplicate RR (unbound drops it)" % key)
                    seen.add(txt)
            elif a.get("soa"):
                owners_with_data.add(owner)
                if zones.get(owner, a["soa"]) != a["soa"]:
                    reasons.append("%s: two different SOAs" % owner)
                zones[owner] = a["soa"]
            else:
                reasons.append("%s %s: NODATA without SOA" % key)
        elif rc == "NXDOMAIN":
            if rrs:
                reasons.append("%s %s: NXDOMAIN with records" % key)
            if a.get("soa"):
                par = fakedns.parent(owner)
                if par == ".":
                    reasons.append("%s: NXDOMAIN SOA would sit at the root" % owner)
                if zones.get(par, a["soa"]) != a["soa"]:
                    reasons.append("%s: two different SOAs" % par)
                zones[par] = a["soa"]
        elif rc == "SERVFAIL":
            forward = True
        else:
            reasons.append("%s %s: rcode %s" % (owner, t, rc))
    # an NXDOMAIN owner must not exist in any other form
    for a in dns_list:
        if str(a.get("rcode", "NOERROR")).upper() != "NXDOMAIN":
            continue
        owner = norm_owner(a["owner"])
        for other in owners_with_data | set(zones):
            if _is_sub(other, owner) and not (other == fakedns.parent(owner)):
                reasons.append("%s is NXDOMAIN but %s exists" % (owner, other))
        for (o, t2), b in keys.items():
            if o == owner and str(b.get("rcode", "NOERROR")).upper() == "SERVFAIL":
                reasons.append("%s NXDOMAIN and SERVFAIL for different types" % owner)
    if reasons:
        return "fakedns", sorted(set(reasons))
    return ("forward" if forward else "unbound"), []


def vector_dns_to_unbound(dns_list, fakedns_port=None, fakedns_host="127.0.0.1"):
    """unbound config lines for a vector's `dns` list.

    Server-clause lines come first (unindented; start_unbound indents them),
    then one "forward-zone:" clause per SERVFAIL owner (needs fakedns_port:
    the suite's fake server, loaded with the same list, answers those).
    Raises UnboundCannotServe when unbound_plan() says "fakedns"."""
    mode, reasons = unbound_plan(dns_list)
    if mode == "fakedns":
        raise UnboundCannotServe("; ".join(reasons))
    if mode == "forward" and not fakedns_port:
        raise UnboundCannotServe("SERVFAIL answers need fakedns_port")
    # unbound's built-in "localhost." redirect zone would refuse data
    # below it (XMPP tests use the domain localhost): switch it off.
    lines = ['local-zone: "." static', 'local-zone: "localhost." nodefault']
    fwd = []
    zones = {}
    for a in dns_list:
        owner = norm_owner(a["owner"])
        rc = str(a.get("rcode", "NOERROR")).upper()
        if rc == "NOERROR" and not a.get("rrs") and a.get("soa"):
            zones[owner] = a["soa"]
        elif rc == "NXDOMAIN" and a.get("soa"):
            zones[fakedns.parent(owner)] = a["soa"]
        elif rc == "SERVFAIL" and owner not in fwd:
            fwd.append(owner)
    for z, soa in zones.items():
        lines.append('local-zone: "%s" static' % z)
        lines.append(_soa_line(z, soa))
    for owner in fwd:
        lines.append('local-zone: "%s" typetransparent' % owner)
    for a in dns_list:
        rc = str(a.get("rcode", "NOERROR")).upper()
        if rc != "NOERROR":
            continue
        t = str(a["type"]).upper()
        for rr in a.get("rrs") or []:
            lines.append("local-data: '%s %d IN %s %s'" % (
                _mf_name(a["owner"]), int(a.get("ttl", 3600)), t, _rdata_text(t, rr)))
    if fwd:
        lines.insert(0, "do-not-query-localhost: no")
    for owner in fwd:
        lines += ["forward-zone:", '    name: "%s"' % owner,
                  "    forward-addr: %s@%d" % (fakedns_host, fakedns_port)]
    return lines

# ================================================================== servers


def _conf_text(d, port, lines, log_queries, verbosity, probe_addr=None):
    server = [
        "interface: 127.0.0.1@%d" % port,
        "port: %d" % port,
        "do-ip4: yes",
        "do-ip6: no",
        "do-udp: yes",
        "do-tcp: yes",
        "do-daemonize: no",
        'username: ""',
        'chroot: ""',
        'directory: "%s"' % d,
        'pidfile: "%s/unbound.pid"' % d,
        "use-syslog: no",
        'logfile: "%s"' % (os.path.join(d, "unbound.log") if log_queries else ""),
        "log-queries: %s" % ("yes" if log_queries else "no"),
        "verbosity: %d" % verbosity,
        "num-threads: 1",
        # a racing second server on the same port must fail, not share it
        "so-reuseport: no",
        "access-control: 127.0.0.0/8 allow",
        'module-config: "iterator"',
        # ENUM ties are broken by response order: never shuffle RRsets
        "rrset-roundrobin: no",
        "qname-minimisation: no",
    ]
    if probe_addr:
        # This instance's own answer to the readiness probe: another test
        # process's unbound that raced onto the same port answers the
        # probe too, but not with this address.
        server += ['local-zone: "%s" static' % PROBE_NAME,
                   'local-data: "%s 60 IN A %s"' % (PROBE_NAME, probe_addr)]
    body, sections = [], []
    cur = body
    for ln in lines:
        s = ln.strip()
        if not s:
            continue
        if re.match(r"^[a-z-]+:$", s):      # a clause header
            if s == "server:":
                cur = body
            else:
                sections.append(s)
                cur = sections
            continue
        cur.append("    " + s)
    out = ["server:"] + ["    " + s for s in server] + body
    out += ["remote-control:", "    control-enable: no"]
    out += sections
    return "\n".join(out) + "\n"


def start_unbound(data=None, procs=None, port=None, log_queries=True,
                  fakedns_port=None, verbosity=0, probe=None, timeout=5.0,
                  name="unbound", dns=None):
    """Start unbound as a local-data fixture; returns (port, proc).

    data: server-clause lines (list of str; "forward-zone:" etc. start a new
    clause), or a vector `dns` list (list of dict; pass an empty vector
    list as dns=[] since [] alone means "no lines"), converted with
    vector_dns_to_unbound() (SERVFAIL answers start an in-process fakedns
    with the same list unless fakedns_port is given).
    log_queries: unbound logs every query it receives to proc.query_log
    (see unbound_query_log()).  probe: (name, qtype) to wait for NOERROR with
    an answer; default: any answer to PROBE_NAME.  proc has extra attributes
    dir, conf, query_log, fakedns (or None)."""
    procs = _procs(procs)
    d = procs.tmpdir("unbound")
    fake = None
    if dns is None and data and isinstance(data[0], dict):
        dns, data = data, None
    if dns is not None:
        data = dns
        mode, reasons = unbound_plan(data)
        if mode == "forward" and not fakedns_port:
            fake = start_fakedns(data, procs=procs,
                                 log=os.path.join(d, "fakedns.log"))
            fakedns_port = fake.port
        lines = vector_dns_to_unbound(data, fakedns_port=fakedns_port)
    else:
        lines = list(data or [])
    last_err = None
    for attempt in range(5):
        p_ = port or free_port()
        conf = os.path.join(d, "unbound.conf")
        mine = "127.%d.%d.%d" % tuple(random.randint(1, 254)
                                      for _ in range(3))
        with open(conf, "w") as f:
            f.write(_conf_text(d, p_, lines, log_queries, verbosity,
                               probe_addr=mine))
        proc = procs.start([UNBOUND, "-d", "-c", conf], name=name,
                           log=os.path.join(d, "unbound.stderr"))
        proc.dir, proc.conf, proc.fakedns = d, conf, fake
        proc.query_log = os.path.join(d, "unbound.log") if log_queries else None
        proc.port = p_
        try:
            _wait_dns(proc, p_, probe, timeout, mine)
            return p_, proc
        except RuntimeError as e:
            last_err = e
            procs.stop(proc)
            if port:  # caller's port: no retry elsewhere
                break
    raise RuntimeError("unbound did not start: %s" % last_err)


def _wait_dns(proc, port, probe, timeout, probe_addr=None):
    deadline = time.monotonic() + timeout
    pname, ptype = probe or (PROBE_NAME, "A")
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("exited with %s: %s" % (proc.returncode, _tail(proc.log)))
        try:
            r = dns_query("127.0.0.1", port, pname, ptype, timeout=0.1)
            if probe is None and probe_addr:
                if socket.inet_aton(probe_addr) in r["raw"]:
                    return
            elif probe is None or (r["rcode"] == "NOERROR" and r["answer"]):
                return
        except (socket.timeout, OSError, fakedns.ParseError):
            pass
        time.sleep(0.01)
    raise RuntimeError("no answer within %.1f s: %s" % (timeout, _tail(proc.log)))


def _tail(path, n=2000):
    try:
        with open(path, "rb") as f:
            return f.read()[-n:].decode("utf-8", "replace")
    except (OSError, TypeError):
        return ""


_QLOG = re.compile(r"info: (\S+) (\S+) (\S+) (\S+)\s*$")


def unbound_query_log(path, keep_probe=False):
    """[(name, type)] for every query unbound logged (log-queries: yes)."""
    out = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = _QLOG.search(line)
                if m and m.group(4) == "IN":
                    name = m.group(2)
                    if not keep_probe and norm_owner(name) == PROBE_NAME:
                        continue
                    out.append((name, m.group(3)))
    except OSError:
        pass
    return out


class _FakeProc:
    """fakedns run as a separate process (start_fakedns(inproc=False))."""

    def __init__(self, procs, proc, port, log):
        self.procs, self.proc, self.port, self.log = procs, proc, port, log

    def stop(self):
        self.procs.stop(self.proc)

    def queries(self):
        return fakedns_query_log(self.log)


def start_fakedns(answers, procs=None, port=0, log=None, inproc=True, timeout=5.0):
    """Start the suite's fake DNS server with `answers` (dns list/vector/path).

    inproc=True: a thread in this process (stopped at procs.close()).
    inproc=False: `fakedns.py` as a child process.  Returns an object with
    .port, .stop(), .log and .queries() -> [(transport, name, type)]."""
    procs = _procs(procs)
    if inproc:
        srv = fakedns.start(answers, port=port, log=log)
        srv.log = log
        procs.add_cleanup(srv.stop)
        return srv
    d = procs.tmpdir("fakedns")
    path = os.path.join(d, "answers.json")
    if not isinstance(answers, (str, os.PathLike)):
        with open(path, "w") as f:
            json.dump(fakedns.load_answers(answers), f)
    else:
        path = answers
    log = log or os.path.join(d, "queries.log")
    proc = procs.start([sys.executable, os.path.join(HERE, "fakedns.py"),
                        "--port", str(port), "--log", log, path],
                       name="fakedns", stdout=subprocess.PIPE,
                       stderr=open(os.path.join(d, "stderr"), "wb"))
    deadline = time.monotonic() + timeout
    line = b""
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    while time.monotonic() < deadline and not line.endswith(b"\n"):
        if not sel.select(max(0.0, deadline - time.monotonic())):
            break
        ch = proc.stdout.read1(256) if hasattr(proc.stdout, "read1") else proc.stdout.read(1)
        if not ch:
            break
        line += ch
    sel.close()
    m = re.match(rb"fakedns ready \S+ (\d+)", line)
    if not m:
        procs.stop(proc)
        raise RuntimeError("fakedns did not start: %r" % line)
    return _FakeProc(procs, proc, int(m.group(1)), log)


def fakedns_query_log(path):
    out = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 3:
                    out.append(tuple(parts))
    except OSError:
        pass
    return out


class DNSFixture:
    """What start_vector_dns() returns.

    port: where the code under test sends its queries (127.0.0.1:port).
    backend: "unbound", "forward" (unbound + fakedns) or "fakedns".
    reasons: why unbound could not serve it (backend "fakedns")."""

    def __init__(self, procs, port, backend, reasons, unbound=None, fake=None):
        self.procs, self.port, self.backend, self.reasons = procs, port, backend, reasons
        self.unbound, self.fake = unbound, fake

    def queries(self):
        """[(name, type)] received by the front server (probe removed)."""
        if self.unbound is not None:
            return unbound_query_log(self.unbound.query_log)
        return [(n, t) for (_tr, n, t) in self.fake.queries()
                if norm_owner(n) != PROBE_NAME]

    def stop(self):
        if self.unbound is not None:
            self.procs.stop(self.unbound)
        if self.fake is not None:
            self.fake.stop()


def start_vector_dns(dns_list, procs=None, backend="auto", timeout=5.0):
    """Serve a vector's `dns` list on a free loopback port.

    backend "auto": unbound (local-data; + fakedns forward-zones for SERVFAIL)
    when unbound can give every answer, else fakedns alone.  "unbound" fails
    when unbound cannot; "fakedns" always uses the fake server."""
    procs = _procs(procs)
    mode, reasons = unbound_plan(dns_list)
    if backend == "unbound" and mode == "fakedns":
        raise UnboundCannotServe("; ".join(reasons))
    if backend == "fakedns" or mode == "fakedns":
        fake = start_fakedns(dns_list, procs=procs)
        return DNSFixture(procs, fake.port, "fakedns", reasons, fake=fake)
    port, proc = start_unbound(procs=procs, log_queries=True,
                               timeout=timeout, dns=dns_list)
    return DNSFixture(procs, port, mode, [], unbound=proc, fake=proc.fakedns)

# ================================================================== misc


def find_vectors(start=None, name="vectors-public.json"):
    """The project's conformance file where the checkout sits beside it
    (shared/docs/<name> in a parent of `start`, default this file's
    folder, or in a sibling `shared` of a parent: the team adds cases
    there, and they must run without a copy being refreshed), else the
    copy kept with the tests (tests/integration/<name>, identical but for
    two description strings).  Another file is named with
    IMGATE_VECTORS."""
    d = os.path.abspath(start or HERE)
    while True:
        for cand in (os.path.join(d, "shared", "docs", name),
                     os.path.join(d, "docs", name)):
            if os.path.isfile(cand) and "shared" in cand:
                return cand
        nd = os.path.dirname(d)
        if nd == d:
            break
        d = nd
    own = os.path.join(HERE, name)
    return own if os.path.isfile(own) else None


def load_vectors(path=None):
    path = path or os.environ.get("IMGATE_VECTORS") or find_vectors()
    if not path:
        raise FileNotFoundError("vectors-public.json not found (set IMGATE_VECTORS)")
    with open(path, encoding="utf-8") as f:
        return json.load(f), path

# ================================================================== sipp

SIPP = os.environ.get("IMGATE_SIPP", "sipp")
SIP_DIR = os.path.join(os.path.dirname(HERE), "sip")


def sip_scenario(name):
    """Path of a scenario in tests/sip ("uas_message" or "uas_message.xml")."""
    if os.path.sep in name:
        return name
    return os.path.join(SIP_DIR, name if name.endswith(".xml") else name + ".xml")


def _port_taken(port, transport, host="127.0.0.1"):
    kind = socket.SOCK_STREAM if transport.startswith("t") else socket.SOCK_DGRAM
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, kind)
    try:
        s.bind((host, port))
        return False
    except OSError:
        return True
    finally:
        s.close()


def start_sipp_uas(scenario, procs=None, port=None, transport="u1", calls=None,
                   extra=(), timeout=5.0):
    """Start a sipp UAS on 127.0.0.1; returns (port, proc).

    Everything it receives and sends goes to proc.message_file (-trace_msg;
    parse with sipp_messages() / sipp_requests()); the scenarios' <log>
    lines go to proc.log_file (parse with sipp_uas_log()); unexpected
    messages to proc.error_file.  calls=N makes sipp exit after N calls."""
    procs = _procs(procs)
    d = procs.tmpdir("sipp-uas")
    for _ in range(5):
        p_ = port or free_port()
        args = [SIPP, "-sf", sip_scenario(scenario), "-i", "127.0.0.1",
                "-p", str(p_), "-t", transport, "-nostdin",
                "-trace_msg", "-message_file", os.path.join(d, "messages.log"),
                "-trace_logs", "-log_file", os.path.join(d, "actions.log"),
                "-trace_err", "-error_file", os.path.join(d, "errors.log")]
        if calls:
            args += ["-m", str(calls)]
        args += list(extra)
        proc = procs.start(args, name="sipp-uas", cwd=d, log=os.path.join(d, "stdout.log"))
        proc.port, proc.dir = p_, d
        proc.message_file = os.path.join(d, "messages.log")
        proc.log_file = os.path.join(d, "actions.log")
        proc.error_file = os.path.join(d, "errors.log")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None or _port_taken(p_, transport):
                break
            time.sleep(0.01)
        if proc.poll() is None and _port_taken(p_, transport):
            return p_, proc
        procs.stop(proc)
        if port:
            break
    raise RuntimeError("sipp UAS did not start: %s" % _tail(os.path.join(d, "stdout.log")))


def run_sipp_uac(scenario, target_port, service, procs=None, target_host="127.0.0.1",
                 transport="u1", calls=1, timeout=15, extra=()):
    """Run a sipp UAC to completion (-m calls, -timeout with -timeout_error).

    Returns subprocess.CompletedProcess with .dir, .message_file, .log_file,
    .error_file added.  returncode: 0 every call succeeded, 1 some call
    failed (unexpected answer, regexp check), 255 (-1) global timeout or
    fatal error."""
    procs = _procs(procs)
    d = procs.tmpdir("sipp-uac")
    args = [SIPP, "-sf", sip_scenario(scenario), "-i", "127.0.0.1",
            "-p", str(free_port()), "-t", transport, "-s", str(service),
            "-m", str(calls), "-nostdin", "-timeout", "%ds" % timeout, "-timeout_error",
            "-trace_msg", "-message_file", os.path.join(d, "messages.log"),
            "-trace_logs", "-log_file", os.path.join(d, "actions.log"),
            "-trace_err", "-error_file", os.path.join(d, "errors.log")]
    args += list(extra) + ["%s:%d" % (target_host, target_port)]
    r = procs.run(args, timeout=timeout + 10, cwd=d)
    r.dir = d
    r.message_file = os.path.join(d, "messages.log")
    r.log_file = os.path.join(d, "actions.log")
    r.error_file = os.path.join(d, "errors.log")
    return r


_SIPP_MSG = re.compile(rb"(UDP|TCP|TLS|SCTP) message (received|sent) "
                       rb"(?:\[(\d+)\] bytes ?:|\((\d+) bytes\):)\n\n")


def sipp_messages(path):
    """Messages of a sipp -trace_msg file, in order:
    [{"direction": "received"|"sent", "transport", "first_line",
      "headers": [(name, value)], "body": str, "raw": bytes}].
    Each message is cut by the byte count sipp logs, so bodies with blank
    lines survive."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return []
    out = []
    for m in _SIPP_MSG.finditer(data):
        raw = data[m.end():m.end() + int(m.group(3) or m.group(4))]
        head, _, body = raw.partition(b"\r\n\r\n")
        if not _:
            head, _, body = raw.partition(b"\n\n")
        lines = head.decode("utf-8", "replace").replace("\r\n", "\n").split("\n")
        headers = []
        for ln in lines[1:]:
            if ln[:1] in (" ", "\t") and headers:      # folded line
                headers[-1] = (headers[-1][0], headers[-1][1] + " " + ln.strip())
            elif ":" in ln:
                k, v = ln.split(":", 1)
                headers.append((k.strip(), v.strip()))
        out.append({"direction": m.group(2).decode(), "transport": m.group(1).decode(),
                    "first_line": lines[0], "headers": headers,
                    "body": body.decode("utf-8", "replace"), "raw": raw})
    return out


def sip_header(msg, name):
    """First value of a header (case-insensitive; compact forms of the
    common headers understood), or None."""
    compact = {"content-type": "c", "call-id": "i", "from": "f", "to": "t",
               "via": "v", "content-length": "l", "contact": "m", "subject": "s"}
    names = {name.lower(), compact.get(name.lower(), name.lower())}
    for k, v in msg["headers"]:
        if k.lower() in names:
            return v
    return None


def sipp_requests(path, method=None):
    """Requests a sipp received (from its -trace_msg file), each with an
    added "method" and "request_uri"; retransmissions included (compare
    Call-ID/CSeq to spot them)."""
    out = []
    for m in sipp_messages(path):
        if m["direction"] != "received" or m["first_line"].startswith("SIP/2.0"):
            continue
        parts = m["first_line"].split(" ")
        m["method"], m["request_uri"] = parts[0], parts[1] if len(parts) > 1 else ""
        if method is None or m["method"] == method:
            out.append(m)
    return out


_UAS_LOG = re.compile(r"^imgate-uas (\d+) request=(.*) ruri=(.*) ctype=(.*) cid=(.*) body=(.*)$")


def sipp_uas_log(path):
    """The one-line records the tests/sip UAS scenarios <log> per request:
    [{"call", "request_line", "request_uri", "content_type", "call_id",
      "body_first_line"}]."""
    out = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = _UAS_LOG.match(line.rstrip("\n"))
                if m:
                    out.append({"call": int(m.group(1)), "request_line": m.group(2),
                                "request_uri": m.group(3), "content_type": m.group(4),
                                "call_id": m.group(5), "body_first_line": m.group(6)})
    except OSError:
        pass
    return out
