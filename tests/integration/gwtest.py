#!/usr/bin/python3
"""gwtest.py - start imgated and sipp peers for the daemon's integration tests.

    start_imgated(procs, dns_port, conf_extra="", sip_extra="", ...,
                  user=None, dns_extra="") -> Daemon
        (dns_port: a port or a list; sip_extra: settings inside the sip
        group, e.g. a tls group; dns_extra: more settings of the dns
        group; gateway.allow_root = true unless user names whom to serve
        as)
        .port (SIP, UDP and TCP on 127.0.0.1), .proc, .log, .addr
        .log_text(), .wait_log(regexp, timeout)
    start_uas(procs, scenario, port=None, extra_args=()) -> UAS
        .port, .proc, .messages() (raw text of what sipp received)
    run_uac(procs, scenario, target_port, keys={}, calls=1, ...) -> (rc, trace)
    received_requests(text) -> [dict(method, ruri, headers, body)]
    response_codes(text) -> [int] of the responses found in a sipp trace
Everything on loopback, on free ports; all processes registered in procs.
"""

import os
import re
import subprocess
import time

import imgtest

BUILDDIR = os.environ.get("IMGATE_BUILDDIR", os.getcwd())
SRCDIR = os.environ.get("IMGATE_SRCDIR",
                        os.path.dirname(os.path.dirname(os.path.dirname(
                            os.path.abspath(__file__)))))
IMGATED = os.path.join(BUILDDIR, "imgated")
SIPDIR = os.path.join(SRCDIR, "tests", "sip")
SIPP = os.environ.get("IMGATE_SIPP", "sipp")


class Daemon:
    def __init__(self, proc, port, log, conf):
        self.proc, self.port, self.log, self.conf = proc, port, log, conf
        self.addr = ("127.0.0.1", port)

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def wait_log(self, pattern, timeout=5.0):
        end = time.monotonic() + timeout
        rx = re.compile(pattern)
        while time.monotonic() < end:
            m = rx.search(self.log_text())
            if m:
                return m
            if self.proc.poll() is not None:
                return None
            time.sleep(0.02)
        return None

    def alive(self):
        return self.proc.poll() is None


def gateway_group(user=None, workers=1, extra=""):
    """The gateway group of a test configuration.  The suite runs as
    root: imgated refuses to serve as root unless told it may
    (imgate.conf(5) gateway.allow_root) or given a user to become.
    One worker process unless the test asks for more (imgate.conf(5)
    gateway.workers; its default depends on the machine); workers=None
    leaves the setting out (the default).  @extra: more settings of the
    group.

    Overload control sheds at 2 s of loop lag here, not 100 ms: the
    suite runs on shared two-CPU machines and under ASan, where a burst a
    test sends can lag the loop past 100 ms, and a test of routing must
    not get a 503 it did not ask for.  test_overload.py and the benches
    set their own mark."""
    w = "" if workers is None else "workers = %d; " % workers
    if "overload_lag_ms" not in extra:
        extra = "overload_lag_ms = 2000; " + extra
    if user:
        return ('gateway = { domain = "gw.test"; user = "%s"; %s%s };'
                % (user, w, extra))
    return ('gateway = { domain = "gw.test"; allow_root = true; %s%s };'
            % (w, extra))


def open_up(path):
    """Let another user (imgated after dropping root) reach @path, a
    folder of the test's own (mkdtemp makes it 0700): it gets o+rx, and
    a folder above it that lacks o+x (TMPDIR set to a private one) gets
    that; the system's /tmp already has it and is left alone."""
    path = os.path.abspath(path)
    bits = 0o005
    while True:
        mode = os.stat(path).st_mode
        if mode & bits != bits:
            os.chmod(path, (mode | bits) & 0o7777)
        if path == "/":
            return
        path, bits = os.path.dirname(path), 0o001


def start_imgated(procs, dns_port, conf_extra="", enumservices=("im", "sip"),
                  sip_timeout_ms=4000, dns_timeout_ms=1000, verbose=True,
                  env=None, user=None, port=None, sip_extra="",
                  log_extra="", listen_host="127.0.0.1", dns_extra="",
                  workers=1, gateway_extra=""):
    """dns_port: one port, or a list of ports (several servers on
    127.0.0.1); dns_extra: more settings of the dns group.
    user: serve as this user (gateway.user) when the suite runs as
    root (ignored otherwise: only root can change users); the folder of
    the configuration is opened up so that it can reload it.  Without
    it the daemon may serve as whoever runs the suite.  sip_extra:
    settings inside the sip group (a tls group).  log_extra: more
    settings of the log group (its level is "debug").  listen_host: the
    address of sip.listen ("[::1]" for IPv6).  gateway_extra: more
    settings of the gateway group."""
    d = procs.tmpdir("imgated")
    want_port = port
    if user and os.geteuid() != 0:
        user = None
    if user:
        open_up(d)
    # A spool of its own (unless the test names one), in a folder that
    # does not exist yet: created 0700 for the daemon's user if a route
    # stores messages, otherwise no spool and no lock at all.  Two tests
    # never meet on the default /var/lib/imgate/spool.sqlite, nor open
    # one left there (imgate.conf(5) spool.path).
    if not re.search(r"^\s*spool\s*[=:]", conf_extra, re.M):
        conf_extra += '\nspool = { path = "%s"; };\n' % os.path.join(
            d, "spool", "spool.sqlite")
    dns_ports = dns_port if isinstance(dns_port, (list, tuple)) else [dns_port]
    servers = ", ".join('"127.0.0.1:%d"' % p for p in dns_ports)
    for attempt in range(5):
        port = want_port or imgtest.free_port()
        conf = os.path.join(d, "imgate.conf")
        with open(conf, "w") as f:
            f.write("""%s
log = { level = "debug"; %s };
sip = { listen = "sip:%s:%d"; timeout_ms = %d; %s };
dns = { servers = [ %s ]; timeout_ms = %d; tries = 1; %s };
enum = { enumservices = [ %s ]; };
%s
""" % (gateway_group(user, workers, gateway_extra), log_extra, listen_host, port,
       sip_timeout_ms, sip_extra, servers, dns_timeout_ms, dns_extra,
       ", ".join('"%s"' % s for s in enumservices), conf_extra))
        if user:
            os.chmod(conf, 0o644)
        log = os.path.join(d, "imgated.log")
        args = [IMGATED, "-d", "-f", conf] + (["-v"] if verbose else [])
        # IMGATE_VALGRIND=1: run the daemon under memcheck; any error or
        # leak makes it exit 99, which the tests' exit checks catch.
        if os.environ.get("IMGATE_VALGRIND") == "1":
            # (soname-synonyms: memcheck also replaces jemalloc's malloc
            # when imgated is linked with it.)
            args = ["valgrind", "-q", "--error-exitcode=99",
                    "--soname-synonyms=somalloc=*jemalloc*",
                    "--leak-check=full", "--errors-for-leak-kinds=definite",
                    "--log-file=%s" % os.path.join(d, "valgrind.log")] + args
        proc = procs.start(args, name="imgated", log=log, env=env)
        dmn = Daemon(proc, port, log, conf)
        if dmn.wait_log(r"imgated ready", 30.0):
            return dmn
        procs.stop(proc)
    raise RuntimeError("imgated did not start:\n" + dmn.log_text()[-2000:])


class UAS:
    def __init__(self, proc, port, msgfile, errfile):
        self.proc, self.port = proc, port
        self.msgfile, self.errfile = msgfile, errfile

    def messages(self):
        try:
            with open(self.msgfile, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def requests(self):
        return received_requests(self.messages())


def start_uas(procs, scenario, port=None, extra_args=()):
    d = procs.tmpdir("uas")
    for attempt in range(5):
        p = port or imgtest.free_port()
        msgfile = os.path.join(d, "uas_messages.log")
        errfile = os.path.join(d, "uas_errors.log")
        args = [SIPP, "-sf", os.path.join(SIPDIR, scenario), "-i",
                "127.0.0.1", "-p", str(p), "-trace_msg", "-message_file",
                msgfile, "-trace_err", "-error_file", errfile,
                "-nostdin"] + list(extra_args)
        proc = procs.start(args, name="sipp-uas",
                           log=os.path.join(d, "uas.out"),
                           stdin=subprocess.DEVNULL)
        # sipp has bound its socket once it answers an OPTIONS? It does
        # not answer anything else; wait until the port is taken instead.
        end = time.monotonic() + 5
        while time.monotonic() < end and proc.poll() is None:
            if imgtest._port_taken(p, "u1"):
                return UAS(proc, p, msgfile, errfile)
            time.sleep(0.02)
        procs.stop(proc)
    raise RuntimeError("sipp UAS did not start")


def run_uac(procs, scenario, target_port, keys=None, calls=1, rate=None,
            timeout=15, transport="u1", extra_args=()):
    """Run a sipp UAC to completion; returns (exit code, trace text)."""
    d = procs.tmpdir("uac")
    msgfile = os.path.join(d, "uac_messages.log")
    args = [SIPP, "-sf", os.path.join(SIPDIR, scenario), "-i", "127.0.0.1",
            "-p", str(imgtest.free_port()), "-m", str(calls), "-t",
            transport, "-trace_msg", "-message_file", msgfile,
            "-timeout", "%ds" % timeout, "-timeout_error", "-nostdin",
            "127.0.0.1:%d" % target_port]
    if rate:
        args += ["-r", str(rate)]
    for k, v in (keys or {}).items():
        args += ["-key", k, v]
    args += list(extra_args)
    p = procs.start(args, name="sipp-uac", log=os.path.join(d, "uac.out"))
    try:
        rc = p.wait(timeout + 10)
    except subprocess.TimeoutExpired:
        procs.stop(p)
        rc = -1
    try:
        with open(msgfile, errors="replace") as f:
            text = f.read()
    except OSError:
        text = ""
    return rc, text


_MSG_SPLIT = re.compile(r"^-{10,}.*$", re.M)


def _blocks(text):
    """sipp -trace_msg files: a dashed line, then one message."""
    out = []
    for blk in _MSG_SPLIT.split(text):
        blk = blk.strip("\r\n")
        m = re.search(r"^(?:[A-Z]+ \S+ SIP/2\.0|SIP/2\.0 \d{3}.*)$", blk, re.M)
        if m:
            out.append(blk[m.start():])
    return out


def received_requests(text):
    reqs = []
    for blk in _blocks(text):
        first, _, rest = blk.partition("\n")
        m = re.match(r"([A-Z]+) (\S+) SIP/2\.0", first.strip())
        if not m:
            continue
        head, _, body = rest.replace("\r\n", "\n").partition("\n\n")
        hdrs = {}
        for ln in head.split("\n"):
            if ":" in ln:
                k, v = ln.split(":", 1)
                hdrs.setdefault(k.strip().lower(), v.strip())
        reqs.append({"method": m.group(1), "ruri": m.group(2),
                     "headers": hdrs, "body": body.strip("\n")})
    return reqs


def response_codes(text):
    return [int(m.group(1)) for m in
            re.finditer(r"^SIP/2\.0 (\d{3})", text, re.M)]


PROSODY = os.environ.get("IMGATE_PROSODY", "prosody")
PROSODYCTL = os.environ.get("IMGATE_PROSODYCTL", "prosodyctl")


class Prosody:
    """A throwaway Prosody 0.12: c2s and one component."""

    def __init__(self, procs, users, component, secret):
        self.procs = procs
        self.dir = procs.tmpdir("prosody")
        self.c2s = imgtest.free_port()
        self.comp = imgtest.free_port()
        self.component, self.secret = component, secret
        self.proc = None
        os.makedirs(os.path.join(self.dir, "data"))
        os.makedirs(os.path.join(self.dir, "certs"))
        self.conf = os.path.join(self.dir, "prosody.cfg.lua")
        with open(self.conf, "w") as f:
            f.write("""run_as_root = true
pidfile = "%(d)s/prosody.pid"
data_path = "%(d)s/data"
plugin_paths = {}
certificates = "%(d)s/certs"
log = { info = "%(d)s/prosody.log"; error = "%(d)s/prosody.err"; }
interfaces = { "127.0.0.1" }
c2s_ports = { %(c2s)d }
c2s_direct_tls_ports = {}
component_ports = { %(comp)d }
component_interface = "127.0.0.1"
s2s_ports = {}
http_ports = {}
https_ports = {}
modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "presence"; "message"; }
modules_disabled = { "s2s"; "offline"; "c2s_limits"; "tls"; }
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_hashed"
storage = "internal"
limits = { c2s = { rate = "100mb/s" }; }
VirtualHost "localhost"
Component "%(component)s"
    component_secret = "%(secret)s"
""" % {"d": self.dir, "c2s": self.c2s, "comp": self.comp,
       "component": component, "secret": secret})
        for user, pw in users:
            subprocess.run([PROSODYCTL, "--config", self.conf, "register",
                            user, "localhost", pw], check=True,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30)

    def start(self, timeout=15.0):
        self.proc = self.procs.start([PROSODY, "--config", self.conf, "-F"],
                                     name="prosody",
                                     log=os.path.join(self.dir, "out.log"))
        end = time.monotonic() + timeout
        import socket
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                break
            up = 0
            for port in (self.c2s, self.comp):
                s = socket.socket()
                s.settimeout(0.2)
                try:
                    s.connect(("127.0.0.1", port))
                    up += 1
                except OSError:
                    pass
                finally:
                    s.close()
            if up == 2:
                return self
            time.sleep(0.05)
        raise RuntimeError("prosody did not start: " + self.log_text()[-1500:])

    def stop(self):
        if self.proc is not None:
            self.procs.stop(self.proc)
            self.proc = None

    def log_text(self):
        out = ""
        for n in ("out.log", "prosody.log", "prosody.err"):
            try:
                with open(os.path.join(self.dir, n), errors="replace") as f:
                    out += f.read()
            except OSError:
                pass
        return out


def xmpp_conf(prosody, receipt_wait_ms=3000, extra=""):
    """The xmpp group of an imgated configuration for this Prosody."""
    return """xmpp = { enable = true; server = "127.0.0.1"; port = %d;
    domain = "%s"; secret = "%s"; receipt_wait_ms = %d; %s };
""" % (prosody.comp, prosody.component, prosody.secret, receipt_wait_ms,
       extra)
