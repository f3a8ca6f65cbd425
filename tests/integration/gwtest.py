#!/usr/bin/python3
"""gwtest.py - start imgated and sipp peers for the daemon's integration tests.

    start_imgated(procs, dns_port, conf_extra="", sip_extra="", ...,
                  user=None, dns_extra="") -> Daemon
        (dns_port: a port or a list; sip_extra: settings inside the sip
        group, e.g. a tls group; dns_extra: more settings of the dns
        group; gateway.allow_root = true unless user names whom to serve
        as)
        .port (SIP, UDP and TCP on 127.0.0.1), .proc, .log, .addr
        .log_text(), .wait_log(regexp, timeout), .alive(),
        .term(timeout=15) -> exit status after SIGTERM (None: still up)
    start_uas(procs, scenario, port=None, extra_args=(), ip="127.0.0.1",
              transport="u1") -> UAS
        .port, .proc, .messages() (raw text of what sipp received)
    run_uac(procs, scenario, target_port, keys={}, calls=1, ...,
            ip="127.0.0.1", local_port=None) -> (rc, trace)
    received_requests(text) -> [dict(method, ruri, headers, body)]
    read_text(*paths) -> the files' text ("" for one not there)
    response_codes(text) -> [int] of the responses found in a sipp trace
Everything on loopback, on free ports; all processes registered in procs.

DNS answers, in the fixtures' format (imgtest.start_unbound, start_fakedns)
    enum_owner(num, suffix="e164.arpa.") -> "0.0.1...e164.arpa."
    naptr_rr(uri=None, regexp=None, services="E2U+im", order=10,
             preference=10, flags="u", replacement=".") -> one record
        (uri: the regexp "!^.*$!uri!"; regexp: as given)
    naptr(owner, rrs, ttl=120, **extra) -> the answer (extra: fakedns
        keys such as tc, drop, delay_ms)
    enum_naptr(num, uri, ttl=120, services="E2U+im", **extra)
        -> one E2U NAPTR at @num's owner
    enum_sip(num, uri, ttl=120) -> E2U+sip, regexp "!^\\+(.*)$!uri!"
    srv_rr(port, target, priority=10, weight=0), srv(owner, rrs, ttl=60),
    addr(owner, address="127.0.0.1", ttl=60) (A, or AAAA for an IPv6
        address), sip_domain(domain, port, ttl=60) (_im._sip SRV to
        uas.DOMAIN and its A record, 127.0.0.1),
    xmpp_domain(domain, port=5269, ttl=60) (_im._xmpp SRV to DOMAIN.)

Waiting, scraping, tools
    wait_for(pred, timeout, interval=0.05) -> pred()'s last value
    scrape_text(port) -> (status, content type, text) of /metrics
    scrape(port, none_on_error=False) -> promparse.parse() of /metrics
    imgatectl(sock, *args) -> (rc, JSON or None, stdout, stderr)
    lookup_json(dns_port, num, timeout=60) -> (rc, JSON or {"stderr"})
    static_route(port) -> a routes list sending everything to the port
    send_all(uacs, gw, ruri, prefix, timeout=20.0) -> final codes
TLS fixtures
    tls_group(port, cert, key, ca, extra="") -> the sip.tls group
    tls_env() -> environment for imgated with the LSan suppressions of
        lsan-sofia-tls.supp; sanitizer_clean(gw, what): a TAP point, no
        sanitizer report in its log
    start_fails(procs, dir, dns_port, tls, env=None) -> (rc, output)
"""

import json
import os
import re
import signal
import subprocess
import time
import urllib.request

import imgtest
import promparse

BUILDDIR = os.environ.get("IMGATE_BUILDDIR", os.getcwd())
SRCDIR = os.environ.get("IMGATE_SRCDIR",
                        os.path.dirname(os.path.dirname(os.path.dirname(
                            os.path.abspath(__file__)))))
IMGATED = os.path.join(BUILDDIR, "imgated")
SIPDIR = os.path.join(SRCDIR, "tests", "sip")
SIPP = os.environ.get("IMGATE_SIPP", "sipp")
CTL = os.path.join(BUILDDIR, "imgatectl")
LOOKUP = os.path.join(BUILDDIR, "imgate-lookup")
# Known leak of the sofia-sip version in use (see the file); anything else
# LSan finds in imgated fails the test.
LSAN_SUPP = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "lsan-sofia-tls.supp")


# ================================================================ DNS data

def enum_owner(num, suffix="e164.arpa."):
    """The ENUM owner name of +E.164 @num: digits reversed, one label
    each, under @suffix (RFC 6116)."""
    return ".".join(reversed(num.lstrip("+"))) + "." + suffix


def naptr_rr(uri=None, regexp=None, services="E2U+im", order=10,
             preference=10, flags="u", replacement="."):
    """One NAPTR record.  @uri: the regexp replaces the whole number by
    it ("!^.*$!uri!"); otherwise @regexp as given (none: "")."""
    if uri is not None:
        regexp = "!^.*$!%s!" % uri
    return {"order": order, "preference": preference, "flags": flags,
            "services": services, "regexp": regexp or "",
            "replacement": replacement}


def naptr(owner, rrs, ttl=120, **extra):
    """A NOERROR NAPTR answer at @owner; @extra: more keys of the answer
    (fakedns: tc, malformed, drop, delay_ms...)."""
    a = {"owner": owner, "type": "NAPTR", "rcode": "NOERROR", "ttl": ttl,
         "rrs": list(rrs)}
    a.update(extra)
    return a


def enum_naptr(num, uri, ttl=120, services="E2U+im", **extra):
    """The common ENUM answer: one "u" NAPTR at @num's owner that maps
    the number to @uri."""
    return naptr(enum_owner(num), [naptr_rr(uri, services=services)], ttl,
                 **extra)


def enum_sip(num, uri, ttl=120):
    """An E2U+sip NAPTR at @num's owner whose regexp keeps the digits:
    "!^\\+(.*)$!@uri!" (\\1 in @uri stands for them)."""
    return naptr(enum_owner(num), [naptr_rr(
        regexp="!^\\+(.*)$!%s!" % uri, services="E2U+sip",
        preference=100)], ttl)


def srv_rr(port, target, priority=10, weight=0):
    return {"priority": priority, "weight": weight, "port": port,
            "target": target}


def srv(owner, rrs, ttl=60):
    """A NOERROR SRV answer at @owner; @rrs: srv_rr() records."""
    return {"owner": owner, "type": "SRV", "rcode": "NOERROR", "ttl": ttl,
            "rrs": list(rrs)}


def addr(owner, address="127.0.0.1", ttl=60):
    """An A answer, or AAAA for an IPv6 @address."""
    return {"owner": owner, "type": "AAAA" if ":" in address else "A",
            "rcode": "NOERROR", "ttl": ttl, "rrs": [{"address": address}]}


def sip_domain(domain, port, ttl=60):
    """An IM domain served by SIP (RFC 3861 _im._sip) on 127.0.0.1:@port,
    through the host uas.@domain."""
    host = "uas.%s." % domain
    return [srv("_im._sip.%s." % domain, [srv_rr(port, host)], ttl),
            addr(host, ttl=ttl)]


def xmpp_domain(domain, port=5269, ttl=60):
    """An IM domain served by XMPP (RFC 3861 _im._xmpp): its SRV answer
    (imgated hands the message to its component link whatever the
    target)."""
    return srv("_im._xmpp.%s." % domain, [srv_rr(port, domain + ".")], ttl)


# ======================================================= waiting and tools

def wait_for(pred, timeout, interval=0.05):
    """Poll @pred every @interval seconds until it returns something
    true or @timeout seconds pass; returns its last value (asked once
    more at the end, so a slow machine still gets a last look)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    return pred()


def scrape_text(port):
    """(HTTP status, Content-Type, body) of imgated's /metrics."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                timeout=10) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode()


def scrape(port, none_on_error=False):
    """The parsed samples of /metrics (promparse.parse).  With
    @none_on_error, None while nothing answers or the text does not
    parse (a worker restarting), instead of the exception."""
    try:
        return promparse.parse(scrape_text(port)[2])
    except (OSError, ValueError):
        if none_on_error:
            return None
        raise


def imgatectl(sock, *args):
    """(rc, parsed JSON or None, stdout bytes, stderr text) of
    `imgatectl -s SOCK -j ARGS`; an argument may be bytes."""
    argv = [CTL.encode(), b"-s", sock.encode(), b"-j"] + [
        a if isinstance(a, bytes) else a.encode() for a in args]
    p = subprocess.run(argv, capture_output=True, timeout=60)
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        doc = None
    return p.returncode, doc, p.stdout, p.stderr.decode(errors="replace")


def lookup_json(dns_port, num, timeout=60):
    """(exit status, JSON) of `imgate-lookup --json` with the DNS server
    on 127.0.0.1:@dns_port; {"stderr": ...} when the output is not
    JSON."""
    p = subprocess.run([LOOKUP, "--server", "127.0.0.1:%d" % dns_port,
                        "--json", num], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True,
                       timeout=timeout)
    try:
        return p.returncode, json.loads(p.stdout)
    except ValueError:
        return p.returncode, {"stderr": p.stderr}


def static_route(port):
    """A routes list that sends everything to sip:127.0.0.1:@port."""
    return """
routes = ( { name = "all"; action = "static";
             target = "sip:127.0.0.1:%d"; } );
""" % port


def send_all(uacs, gw, ruri, prefix, timeout=20.0):
    """One message from each sipuac sender to @gw, bodies PREFIX-i;
    @return the final codes."""
    cids = [(u, u.send(gw.addr, ruri, body="%s-%d" % (prefix, i)))
            for i, u in enumerate(uacs)]
    end = time.monotonic() + timeout
    for u, _ in cids:
        u.poll(max(0.1, end - time.monotonic()))
    return [u.result(c)[0] for u, c in cids]


# ==================================================================== TLS

def tls_group(port, cert, key, ca, extra=""):
    """The sip.tls group: listen on sips:127.0.0.1:@port."""
    return ('tls = { listen = "sips:127.0.0.1:%d"; certificate = "%s"; '
            'key = "%s"; ca_file = "%s"; %s };' % (port, cert, key, ca,
                                                   extra))


def tls_env():
    """The environment for an imgated that speaks TLS: LeakSanitizer
    told of sofia-sip's known TLS leak (LSAN_SUPP)."""
    env = dict(os.environ)
    opts = env.get("LSAN_OPTIONS", "")
    env["LSAN_OPTIONS"] = (opts + ":" if opts else "") + \
        "suppressions=" + LSAN_SUPP + ":print_suppressions=0"
    # libcrypto has no frame pointers: without the slow unwinder the
    # stacks stop there and never reach the frame the suppression names
    opts = env.get("ASAN_OPTIONS", "")
    env["ASAN_OPTIONS"] = (opts + ":" if opts else "") + \
        "fast_unwind_on_malloc=0"
    return env


def sanitizer_clean(gw, what):
    """A TAP point: no sanitizer report in @gw's log."""
    log = gw.log_text()
    bad = [m for m in ("AddressSanitizer", "LeakSanitizer",
                       "runtime error:") if m in log]
    imgtest.tap.ok(not bad, "%s: no sanitizer report in imgated's log"
                   % what, diag=log[-3000:] if bad else None)


def start_fails(procs, d, dns_port, tls, env=None):
    """Run imgated -d with the sip.tls group @tls (a configuration in
    @d) to its exit; (exit status, stdout and stderr text)."""
    conf = os.path.join(d, "bad-%d.conf" % abs(hash(tls)))
    with open(conf, "w") as f:
        f.write('%s\n'
                'sip = { listen = "sip:127.0.0.1:%d"; %s };\n'
                'dns = { servers = [ "127.0.0.1:%d" ]; };\n'
                % (gateway_group(), imgtest.free_port(), tls, dns_port))
    r = procs.run([IMGATED, "-d", "-f", conf], timeout=60, env=env)
    out = ((r.stdout or b"") + (r.stderr or b"")).decode("utf-8", "replace")
    return r.returncode, out


def read_text(*paths):
    """The text of the files at @paths, one after the other; a file
    that is not there (yet) reads as ""."""
    out = ""
    for path in paths:
        try:
            with open(path, errors="replace") as f:
                out += f.read()
        except OSError:
            pass
    return out


class Daemon:
    def __init__(self, proc, port, log, conf):
        self.proc, self.port, self.log, self.conf = proc, port, log, conf
        self.addr = ("127.0.0.1", port)

    def log_text(self):
        return read_text(self.log)

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

    def term(self, timeout=15.0):
        """SIGTERM, then wait: the exit status, or None while it still
        runs after @timeout seconds (Procs stops it at the end)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None


# Overload control sheds at 2 s of loop lag here, not 100 ms, and at 1 s
# of waiting in the socket, not 10 ms: the suite runs on shared two-CPU
# machines and under ASan, where a burst a test sends (or the programs it
# starts beside imgated) can lag the loop past 100 ms, and a test of
# routing must not get a 503 it did not ask for.  test_overload.py and
# the benches set their own marks.
SUITE_OVERLOAD_MARKS = {"overload_lag_ms": 2000, "overload_wait_ms": 1000}


def suite_overload(extra=""):
    """The suite's overload marks (SUITE_OVERLOAD_MARKS) that @extra, the
    rest of a gateway group's settings, does not set itself."""
    return "".join("%s = %d; " % (k, v)
                   for k, v in SUITE_OVERLOAD_MARKS.items()
                   if not re.search(r"\b%s\s*=" % k, extra))


def gateway_group(user=None, workers=1, extra=""):
    """The gateway group of a test configuration.  The suite runs as
    root: imgated refuses to serve as root unless told it may
    (imgate.conf(5) gateway.allow_root) or given a user to become.
    One worker process unless the test asks for more (imgate.conf(5)
    gateway.workers; its default depends on the machine); workers=None
    leaves the setting out (the default).  @extra: more settings of the
    group.  Overload control gets the suite's marks
    (SUITE_OVERLOAD_MARKS) unless @extra sets its own."""
    w = "" if workers is None else "workers = %d; " % workers
    extra = suite_overload(extra) + extra
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
        return read_text(self.msgfile)

    def requests(self):
        return received_requests(self.messages())


def start_uas(procs, scenario, port=None, extra_args=(), ip="127.0.0.1",
              transport="u1"):
    """A sipp UAS on @ip (an IPv6 address too), @transport (sipp -t);
    on a free port unless @port names one."""
    d = procs.tmpdir("uas")
    for attempt in range(5):
        p = port or imgtest.free_port()
        msgfile = os.path.join(d, "uas_messages.log")
        errfile = os.path.join(d, "uas_errors.log")
        args = [SIPP, "-sf", os.path.join(SIPDIR, scenario), "-i",
                ip, "-p", str(p), "-t", transport, "-trace_msg",
                "-message_file", msgfile, "-trace_err", "-error_file",
                errfile, "-nostdin"] + list(extra_args)
        proc = procs.start(args, name="sipp-uas",
                           log=os.path.join(d, "uas.out"),
                           stdin=subprocess.DEVNULL)
        # sipp has bound its socket once it answers an OPTIONS? It does
        # not answer anything else; wait until the port is taken instead.
        end = time.monotonic() + 10
        while time.monotonic() < end and proc.poll() is None:
            if imgtest._port_taken(p, transport, ip):
                return UAS(proc, p, msgfile, errfile)
            time.sleep(0.02)
        procs.stop(proc)
    raise RuntimeError("sipp UAS on %s did not start" % ip)


def run_uac(procs, scenario, target_port, keys=None, calls=1, rate=None,
            timeout=15, transport="u1", extra_args=(), ip="127.0.0.1",
            local_port=None):
    """Run a sipp UAC to completion; returns (exit code, trace text).
    @ip: its own address and the target's (IPv6 too); @local_port: its
    own port (default: a free one)."""
    d = procs.tmpdir("uac")
    msgfile = os.path.join(d, "uac_messages.log")
    remote = ("[%s]:%d" if ":" in ip else "%s:%d") % (ip, target_port)
    args = [SIPP, "-sf", os.path.join(SIPDIR, scenario), "-i", ip,
            "-p", str(local_port or imgtest.free_port()), "-m", str(calls),
            "-t", transport, "-trace_msg", "-message_file", msgfile,
            "-timeout", "%ds" % timeout, "-timeout_error", "-nostdin",
            remote]
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
    return rc, read_text(msgfile)


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
        return read_text(*(os.path.join(self.dir, n) for n in
                           ("out.log", "prosody.log", "prosody.err")))


def xmpp_conf(prosody, receipt_wait_ms=3000, extra=""):
    """The xmpp group of an imgated configuration for this Prosody."""
    return """xmpp = { enable = true; server = "127.0.0.1"; port = %d;
    domain = "%s"; secret = "%s"; receipt_wait_ms = %d; %s };
""" % (prosody.comp, prosody.component, prosody.secret, receipt_wait_ms,
       extra)
