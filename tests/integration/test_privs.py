#!/usr/bin/python3
"""test_privs.py - whom imgated serves as, who owns its spool, and how it
starts (imgated(8) PRIVILEGES and START-UP, imgate.conf(5) gateway.user,
spool.path).

Real unbound (ENUM for one number), sipp UAS as the destination, imgated
started as root.  Asserted: (1) with gateway.user = "nobody" the running
loop has uid/gid nobody:nogroup in all four places of /proc/PID/status
and no other group, still routes a MESSAGE through ENUM/SRV (sipp UAC ->
imgated -> sipp UAS), stores and delivers through a store-and-forward
route, and still reloads its configuration on SIGHUP (a route added by
the reload is used); (2) the spool folder it created is 0700, the spool
file, its -wal/-shm and the lock 0600, all owned by nobody, and the lock
holds the daemon's pid; (3) root without gateway.user and without
gateway.allow_root refuses to start, -d or not, with a clear message
and nothing bound; (4) a second imgated on the same spool exits non-zero
naming the lock file and the holder's pid; (5) imgated without -d on a
busy port exits non-zero with the reason on stderr; (6) imgated without
-d and -u nobody: the parent exits 0 only once the detached child
serves (as nobody, lock holding the child's pid) and reloads on SIGHUP
(-u applies to the reloaded file), a spool file left 0644 becomes 0600
and nobody's, and a spool folder nobody cannot write is refused;
(7) -V/--version/-h/--help of imgated and imgate-lookup, and a bad
option; (8) a reload that brings the first store-and-forward route
opens and locks the spool then, as nobody (files 0600, nobody's), and a
second daemon that reloads the same route answers 503 and logs the
holder.
"""

import os
import pwd
import grp
import re
import signal
import socket
import stat
import sys
import time

import imgtest
from imgtest import Procs, tap
import gwtest
from gwtest import enum_owner as key, wait_for
import sipuac

LOOKUP = os.path.join(gwtest.BUILDDIR, "imgate-lookup")


def ids(pid):
    """(Uid four ids, Gid four ids, Groups) from /proc/PID/status."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            k, _, v = ln.partition(":")
            if k in ("Uid", "Gid", "Groups"):
                out[k] = [int(x) for x in v.split()]
    return out.get("Uid"), out.get("Gid"), out.get("Groups")


def mode_owner(path):
    st = os.lstat(path)
    return stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def lock_pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip() or "0")
    except (OSError, ValueError):
        return 0


def port_taken(port):
    return imgtest._port_taken(port, "u1")


def conf_text(port, dns_port, gateway, spool, routes):
    return """%s
log = { level = "debug"; };
sip = { listen = "sip:127.0.0.1:%d"; timeout_ms = 4000; };
dns = { servers = [ "127.0.0.1:%d" ]; timeout_ms = 1000; tries = 1; };
enum = { enumservices = [ "im", "sip" ]; };
spool = { path = "%s"; retry_initial_ms = 400; retry_max_ms = 800;
  commit_ms = 5; };
routes = (
%s
);
""" % (gateway, port, dns_port, spool, routes)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)


def main():
    if os.geteuid() != 0:
        tap.plan(0, "needs root (imgated drops root to nobody)")
        return 0
    try:
        nobody = pwd.getpwnam("nobody")
        nogroup = grp.getgrgid(nobody.pw_gid)
    except KeyError:
        tap.plan(0, "no user nobody")
        return 0
    uid, gid = nobody.pw_uid, nobody.pw_gid
    with Procs("privs") as procs:
        d = procs.tmpdir("privs")
        gwtest.open_up(d)
        uas = gwtest.start_uas(procs, "uas_message.xml")
        dns = [
            gwtest.naptr(key("+12025550100"), [gwtest.naptr_rr(
                regexp="!^\\+1(.*)$!im:carol\\1@sip.test!")], ttl=60),
            *gwtest.sip_domain("sip.test", uas.port)]
        dns_port, _ = imgtest.start_unbound(dns, procs=procs)
        routes = """  { name = "uk"; prefix = "+44"; action = "static";
    target = "sip:127.0.0.1:%d"; mode = "store-and-forward"; },
  { name = "any"; action = "enum"; }""" % uas.port
        spool_dir = os.path.join(d, "spool")
        spool = os.path.join(spool_dir, "spool.sqlite")
        lock = spool + ".lock"

        # (1) serving as nobody
        gw = gwtest.start_imgated(procs, dns_port, user="nobody",
                                  conf_extra="""
spool = { path = "%s"; retry_initial_ms = 400; retry_max_ms = 800;
  commit_ms = 5; };
routes = (
%s
);
""" % (spool, routes))
        u, g, groups = ids(gw.proc.pid)
        tap.is_(u, [uid] * 4, "gateway.user: real, effective, saved and "
                "file-system uid are nobody's")
        tap.is_(g, [gid] * 4, "gateway.user: all four gids are %s's"
                % nogroup.gr_name)
        tap.is_(groups, [gid], "gateway.user: no supplementary group but "
                "that one")
        tap.ok(gw.wait_log(r"serving as nobody:%s" % nogroup.gr_name, 5),
               "the log says whom it serves as")
        rc, trace = gwtest.run_uac(procs, "uac_message.xml", gw.port,
                                   extra_args=["-s", "+12025550100"])
        codes = gwtest.response_codes(trace)
        tap.ok(rc == 0 and 200 in codes, "as nobody: a MESSAGE routed "
               "through ENUM/SRV gets the UAS's 200",
               diag="rc=%s codes=%s\n%s" % (rc, codes, gw.log_text()[-1500:]))
        got = wait_for(lambda: [r for r in uas.requests() if
                                r["ruri"] == "sip:carol2025550100@sip.test"],
                       5)
        tap.is_(len(got), 1, "as nobody: the UAS received it")

        uac = sipuac.UAC()
        code, _, _ = uac.message(gw.addr, "sip:+442079460001@gw.test",
                                 body="saf-as-nobody")
        tap.is_(code, 202, "as nobody: store-and-forward accepts (202)")
        tap.ok(wait_for(lambda: [r for r in uas.requests() if
                                 r["body"] == "saf-as-nobody"], 10),
               "as nobody: the spooled message is delivered",
               diag=gw.log_text()[-1500:])

        # (2) the spool's modes and owners
        tap.is_(mode_owner(spool_dir), (0o700, uid, gid),
                "spool folder created 0700, owned by nobody")
        tap.is_(mode_owner(spool), (0o600, uid, gid),
                "spool file 0600, owned by nobody")
        tap.is_(mode_owner(lock), (0o600, uid, gid),
                "lock file 0600, owned by nobody")
        extra = [n for n in ("-wal", "-shm") if os.path.exists(spool + n)]
        tap.ok(extra and all(mode_owner(spool + n) == (0o600, uid, gid)
                             for n in extra),
               "WAL files (%s) 0600, owned by nobody" % ", ".join(extra),
               diag=[(n, mode_owner(spool + n)) for n in extra])
        tap.is_(lock_pid(lock), gw.proc.pid, "the lock holds the daemon's "
                "pid")

        # SIGHUP as nobody: the file is read again, the new route used
        text = open(gw.conf).read()
        write(gw.conf, text.replace(
            '{ name = "any"; action = "enum"; }',
            '{ name = "fr"; prefix = "+33"; action = "static";\n'
            '    target = "sip:127.0.0.1:%d"; },\n'
            '  { name = "any"; action = "enum"; }' % uas.port))
        os.kill(gw.proc.pid, signal.SIGHUP)
        tap.ok(gw.wait_log(r"reload: .* is in force", 10),
               "as nobody: SIGHUP reloads the configuration",
               diag=gw.log_text()[-1000:])
        code, _, _ = uac.message(gw.addr, "sip:+33123456789@gw.test",
                                 body="after-reload")
        tap.ok(code == 200 and wait_for(lambda: [
            r for r in uas.requests() if r["body"] == "after-reload"], 5),
            "as nobody: the route the reload added is used", diag=code)
        tap.is_(ids(gw.proc.pid)[0], [uid] * 4, "still nobody after the "
                "reload")

        # (4) a second imgated on the same spool
        port2 = imgtest.free_port()
        conf2 = os.path.join(d, "second.conf")
        write(conf2, conf_text(port2, dns_port,
                               'gateway = { domain = "gw.test"; workers = 1; '
                               'user = "nobody"; };', spool, routes))
        r = procs.run([gwtest.IMGATED, "-d", "-f", conf2], timeout=60)
        err = r.stderr.decode(errors="replace")
        tap.ok(r.returncode != 0, "second imgated on the same spool: "
               "exits non-zero (%d)" % r.returncode)
        tap.ok(lock in err and ("pid %d" % gw.proc.pid) in err,
               "second imgated: the message names the lock and the "
               "holder's pid", diag=err[-600:])
        tap.ok(not port_taken(port2), "second imgated: nothing left bound")
        tap.ok(gw.alive(), "the first daemon keeps serving")

        # (3) root without gateway.user and without allow_root
        port3 = imgtest.free_port()
        conf3 = os.path.join(d, "root.conf")
        write(conf3, conf_text(port3, dns_port,
                               'gateway = { domain = "gw.test"; workers = 1; };',
                               os.path.join(d, "root", "spool.sqlite"),
                               routes))
        for args, how in ((["-d"], "-d"), ([], "daemon")):
            r = procs.run([gwtest.IMGATED] + args + ["-f", conf3],
                          timeout=60)
            err = r.stderr.decode(errors="replace")
            tap.ok(r.returncode != 0 and "refusing to serve as root" in err
                   and "gateway.user" in err and "allow_root" in err,
                   "root without user or allow_root (%s): refused, exit "
                   "%d, stderr says why" % (how, r.returncode),
                   diag=err[-600:])
        tap.ok(not port_taken(port3) and
               not os.path.exists(os.path.join(d, "root")),
               "refused before binding or creating anything")

        # (5) daemon mode, busy port (held by this test, UDP and TCP)
        busy_u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        busy_t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        for attempt in range(20):
            p5 = imgtest.free_port()
            try:
                busy_u.bind(("127.0.0.1", p5))
                busy_t.bind(("127.0.0.1", p5))
                break
            except OSError:
                busy_u.close()
                busy_t.close()
                busy_u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                busy_t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        busy_t.listen(1)
        conf5 = os.path.join(d, "busy.conf")
        write(conf5, conf_text(p5, dns_port,
                               'gateway = { domain = "gw.test"; workers = 1; '
                               'allow_root = true; };',
                               os.path.join(d, "busy.sqlite"), routes))
        t0 = time.monotonic()
        r = procs.run([gwtest.IMGATED, "-f", conf5], timeout=60)
        err = r.stderr.decode(errors="replace")
        tap.ok(r.returncode != 0, "imgated -f (no -d) on a busy port: "
               "exit %d, not 0" % r.returncode)
        tap.ok("Address already in use" in err and
               "cannot start SIP" in err,
               "busy port: the reason is on stderr", diag=err[-600:])
        tap.ok(time.monotonic() - t0 < 30, "busy port: it says so at once")
        busy_u.close()
        busy_t.close()

        # (6) daemon mode: the parent waits for the child's start-up
        sp6dir = os.path.join(d, "sp6")
        os.mkdir(sp6dir, 0o700)
        sp6 = os.path.join(sp6dir, "spool.sqlite")
        with open(sp6, "w"):
            pass
        os.chmod(sp6, 0o644)
        p6 = imgtest.free_port()
        conf6 = os.path.join(d, "daemon.conf")
        write(conf6, conf_text(p6, dns_port,
                               'gateway = { domain = "gw.test"; workers = 1; };',
                               sp6, routes))
        r = procs.run([gwtest.IMGATED, "-u", "nobody", "-f", conf6],
                      timeout=60)
        err = r.stderr.decode(errors="replace")
        tap.ok(r.returncode != 0 and "not writable by user nobody" in err
               and sp6dir in err,
               "spool folder nobody cannot write: refused, stderr names it",
               diag=(r.returncode, err[-600:]))
        os.chown(sp6dir, uid, gid)
        r = procs.run([gwtest.IMGATED, "-u", "nobody", "-f", conf6],
                      timeout=60)
        err = r.stderr.decode(errors="replace")
        pid6 = lock_pid(sp6 + ".lock")
        if pid6 > 0:
            procs.add_cleanup(lambda: alive(pid6) and
                              os.kill(pid6, signal.SIGKILL))
        tap.ok(r.returncode == 0, "daemon mode: the parent exits 0",
               diag=err[-600:])
        tap.ok(pid6 > 0 and alive(pid6) and port_taken(p6),
               "daemon mode: the child serves when the parent has exited "
               "(lock names pid %d)" % pid6)
        tap.ok(pid6 > 0 and ids(pid6)[0] == [uid] * 4,
               "daemon mode, -u nobody: the child runs as nobody")
        tap.is_(mode_owner(sp6), (0o600, uid, gid),
                "a spool file left 0644 (root's) is now 0600, nobody's")
        tap.ok(re.search(r"spool\.sqlite was mode 0644, now 0600", err),
               "the change is reported", diag=err[-600:])
        code, _, _ = uac.message(("127.0.0.1", p6),
                                 "sip:+12025550100@gw.test", body="daemon")
        tap.is_(code, 200, "daemon mode: it routes")
        # -u must apply to the reloaded file too, or the reload would
        # see gateway.user change and refuse.
        write(conf6, conf_text(p6, dns_port,
                               'gateway = { domain = "gw.test"; workers = 1; };', sp6,
                               routes.replace(
                                   '{ name = "any"',
                                   '{ name = "fr"; prefix = "+33"; '
                                   'action = "static"; target = '
                                   '"sip:127.0.0.1:%d"; },\n  '
                                   '{ name = "any"' % uas.port)))
        if pid6 > 0:
            os.kill(pid6, signal.SIGHUP)

        def reloaded():
            c, _, _ = uac.message(("127.0.0.1", p6),
                                  "sip:+33123456780@gw.test",
                                  body="daemon-reload", timeout=3)
            return c == 200
        tap.ok(wait_for(reloaded, 20), "daemon mode, -u nobody: SIGHUP "
               "applies the new file (a route it adds is used)")
        if pid6 > 0:
            os.kill(pid6, signal.SIGTERM)
        tap.ok(pid6 > 0 and wait_for(lambda: not alive(pid6), 20),
               "daemon mode: SIGTERM stops it")
        uac.close()

        # (7) -V / --version / -h / --help
        for prog, name in ((gwtest.IMGATED, "imgated"),
                           (LOOKUP, "imgate-lookup")):
            for opt in ("-V", "--version"):
                r = procs.run([prog, opt], timeout=30)
                out = r.stdout.decode(errors="replace")
                tap.ok(r.returncode == 0 and re.match(
                    r"^%s \d+\.\d+\.\d+\n$" % name, out),
                    "%s %s: '%s VERSION', exit 0" % (name, opt, name),
                    diag=(r.returncode, out))
            for opt in ("-h", "--help"):
                r = procs.run([prog, opt], timeout=30)
                out = r.stdout.decode(errors="replace")
                tap.ok(r.returncode == 0 and out.startswith("usage: " +
                                                            name),
                       "%s %s: usage on stdout, exit 0" % (name, opt),
                       diag=(r.returncode, out))
            r = procs.run([prog, "-Z"], timeout=30)
            tap.ok(r.returncode == 1 and b"usage: " + name.encode() in
                   r.stderr, "%s -Z: usage on stderr, exit 1" % name,
                   diag=(r.returncode, r.stderr))
        # (8) the first store-and-forward route comes with a reload: the
        # spool is opened (and locked) only then, as nobody
        lazy_dir = os.path.join(d, "lazy")
        os.mkdir(lazy_dir, 0o700)
        os.chown(lazy_dir, uid, gid)
        lazy = os.path.join(lazy_dir, "spool.sqlite")
        relay_only = """
spool = { path = "%s"; commit_ms = 5; };
routes = ( { name = "any"; action = "enum"; } );
""" % lazy
        saf = relay_only.replace(
            '( { name = "any"',
            '( { name = "uk"; prefix = "+44"; action = "static"; '
            'target = "sip:127.0.0.1:%d"; mode = "store-and-forward"; },\n'
            '  { name = "any"' % uas.port)
        gwl = gwtest.start_imgated(procs, dns_port, user="nobody",
                                   conf_extra=relay_only)
        gwm = gwtest.start_imgated(procs, dns_port, user="nobody",
                                   conf_extra=relay_only)
        tap.ok(not os.path.exists(lazy + ".lock") and
               not os.path.exists(lazy),
               "no store-and-forward route: two daemons may name one spool "
               "they do not open; no lock, no file")
        for g_ in (gwl, gwm):
            text = open(g_.conf).read()
            write(g_.conf, text.replace(relay_only, saf))
        os.kill(gwl.proc.pid, signal.SIGHUP)
        tap.ok(gwl.wait_log(r"reload: .* is in force", 10),
               "a reload brings the first store-and-forward route")
        uac = sipuac.UAC()
        code, _, _ = uac.message(gwl.addr, "sip:+442079460002@gw.test",
                                 body="lazy-spool")
        tap.is_(code, 202, "its first message is spooled (202), as nobody")
        tap.ok(wait_for(lambda: [r for r in uas.requests() if
                                 r["body"] == "lazy-spool"], 10),
               "and delivered", diag=gwl.log_text()[-1000:])
        tap.ok(lock_pid(lazy + ".lock") == gwl.proc.pid and
               mode_owner(lazy + ".lock") == (0o600, uid, gid) and
               mode_owner(lazy) == (0o600, uid, gid),
               "the spool and its lock, made after the drop: 0600, "
               "nobody's, the lock names the daemon",
               diag=[mode_owner(n) for n in (lazy, lazy + ".lock")
                     if os.path.exists(n)])
        os.kill(gwm.proc.pid, signal.SIGHUP)
        tap.ok(gwm.wait_log(r"reload: .* is in force", 10),
               "the other daemon reloads the same route")
        code, hdrs, _ = uac.message(gwm.addr, "sip:+442079460003@gw.test",
                                    body="lazy-second")
        tap.ok(code == 503 and "retry-after" in hdrs,
               "the spool is in use: the other daemon answers 503 with "
               "Retry-After", diag=(code, hdrs))
        tap.ok(gwm.wait_log(r"spool: spool %s is in use: %s\.lock is "
                            r"locked by pid %d" % (re.escape(lazy),
                                                   re.escape(lazy),
                                                   gwl.proc.pid), 5),
               "and logs who holds the lock", diag=gwm.log_text()[-800:])
        tap.ok(gwl.alive() and gwm.alive(), "both keep serving")
        uac.close()

        tap.ok(gw.alive(), "the nobody daemon is still serving at the end")
        procs.stop(gw.proc, timeout=20)
        tap.is_(gw.proc.returncode, 0, "SIGTERM: the daemon serving as "
                "nobody exits 0 (under sanitizers: nothing leaked)")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
