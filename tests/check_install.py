#!/usr/bin/env python3
"""make install lays out what an operator needs (issue 14 item 4).

In the build directory: make install DESTDIR=<tmp>, then the list of
files is checked: every bin/sbin program of Makefile.am, every man page
in docs/ (imgatectl.8 too once it is there), the sample configuration in
SYSCONFDIR/imgate/imgate.conf (equal to conf/imgate.conf.example), the
examples under the doc directory, the systemd unit, sysusers.d and
tmpfiles.d snippets.  An operator's edited imgate.conf survives a second
install and an uninstall; uninstall removes everything else.
systemd-analyze verify accepts the unit (its paths pointed at DESTDIR;
skipped without systemd-analyze).  As root, the installed imgated is
started as the unit starts it - its ExecStart line, as an unprivileged
user (nobody here, imgate in the unit) with no new privileges, the
spool in a state directory of that user - and answers SIP OPTIONS; so
does the installed sample configuration, started as root with its
gateway.user set to nobody.  TAP.
"""
import filecmp
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time

SRC = os.environ.get("IMGATE_SRCDIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..")
BUILD = os.environ.get("IMGATE_BUILDDIR") or os.getcwd()
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
import imgtest                  # noqa: E402
from imgtest import Procs, tap  # noqa: E402
import sipuac                   # noqa: E402


def programs():
    am = open(os.path.join(SRC, "Makefile.am")).read().replace("\\\n", " ")
    names = []
    for m in re.finditer(r"^(?:bin|sbin)_PROGRAMS\s*\+?=\s*(.*)$", am, re.M):
        names += m.group(1).split()
    return names


def make(*args):
    env = dict(os.environ)
    env.pop("MAKEFLAGS", None)   # no -j / TESTS from the make running us
    env.pop("MFLAGS", None)
    return subprocess.run(["make", "-s"] + list(args), cwd=BUILD, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=600)


def files_under(root):
    out = []
    for d, _, fs in os.walk(root):
        out += [os.path.relpath(os.path.join(d, f), root) for f in fs]
    return sorted(out)


def find(files, pattern):
    rx = re.compile(pattern)
    return [f for f in files if rx.search(f)]


def main():
    with Procs("check_install") as procs:
        dest = procs.tmpdir("inst")
        r = make("install", "DESTDIR=" + dest)
        tap.ok(r.returncode == 0, "make install DESTDIR=... succeeds",
               diag=r.stdout[-1500:])
        files = files_under(dest)
        tap.diag("installed:\n  " + "\n  ".join(files))
        for p in programs():
            got = find(files, r"(^|/)s?bin/%s$" % re.escape(p))
            tap.ok(len(got) == 1 and os.access(os.path.join(dest, got[0]),
                                                os.X_OK),
                   "program %s is installed" % p, diag=got)
        pages = sorted(f for f in os.listdir(os.path.join(SRC, "docs"))
                       if re.search(r"\.[1-8]$", f))
        tap.ok(len(pages) >= 3, "docs/ has the man pages", diag=pages)
        for page in pages:
            got = find(files, r"/man/man%s/%s$" % (page[-1],
                                                   re.escape(page)))
            tap.ok(len(got) == 1, "man page %s is installed" % page,
                   diag=got)
        conf = find(files, r"(^|/)etc/imgate/imgate\.conf$")
        tap.ok(len(conf) == 1 and filecmp.cmp(
            os.path.join(dest, conf[0]),
            os.path.join(SRC, "conf", "imgate.conf.example"), False),
            "sample configuration in SYSCONFDIR/imgate/imgate.conf",
            diag=conf)
        for ex in ("imgate.conf.example", "lab.conf",
                   "enterprise-xmpp.conf", "carrier-sms-bridge.conf"):
            tap.ok(find(files, r"/doc/imgate/examples/%s$" % re.escape(ex)),
                   "example %s under the doc directory" % ex)
        for doc in ("deploy-xmpp-server.md", "deploy-sip-proxy.md",
                    "deploy-two-nodes.md"):
            tap.ok(find(files, r"/doc/imgate/%s$" % re.escape(doc)),
                   "guide %s under the doc directory" % doc)
        unit = find(files, r"/systemd/system/imgated\.service$")
        tap.ok(len(unit) == 1, "systemd unit imgated.service", diag=unit)
        tap.ok(find(files, r"/sysusers\.d/imgate\.conf$"),
               "sysusers.d snippet")
        tap.ok(find(files, r"/tmpfiles\.d/imgate\.conf$"),
               "tmpfiles.d snippet")
        text = open(os.path.join(dest, unit[0])).read() if unit else ""
        for key in ("User=imgate", "StateDirectory=imgate",
                    "RuntimeDirectory=imgate",
                    "ExecReload=/bin/kill -HUP $MAINPID",
                    "NoNewPrivileges=yes", "ProtectSystem=strict",
                    "ProtectHome=yes", "PrivateTmp=yes",
                    "CapabilityBoundingSet=\n"):
            tap.ok(key in text, "unit has %s" % key.strip())
        tap.ok(re.search(r"^Type=(notify|simple)$", text, re.M),
               "unit is Type=notify or Type=simple")
        m = re.search(r"^ExecStart=(\S+)(.*)$", text, re.M)
        prefix_bin = m.group(1) if m else ""
        tap.ok(m and os.access(dest + prefix_bin, os.X_OK) and
               " -d " in m.group(2) + " ",
               "ExecStart names the installed imgated, in the foreground",
               diag=m and m.group(0))

        # systemd-analyze verify, with the unit's paths under DESTDIR.
        sa = shutil.which("systemd-analyze")
        if sa is None or not unit:
            tap.skip("systemd-analyze verify accepts the unit",
                     "systemd-analyze is not installed")
        else:
            prefix = prefix_bin[:prefix_bin.rfind("/sbin/")]
            copy = os.path.join(procs.tmpdir("unit"), "imgated.service")
            with open(copy, "w") as f:
                f.write(text.replace(prefix + "/", dest + prefix + "/"))
            v = subprocess.run([sa, "verify", "--man=no", copy],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT,
                               universal_newlines=True, timeout=60)
            tap.ok(v.returncode == 0 and not v.stdout.strip(),
                   "systemd-analyze verify accepts the unit",
                   diag=v.stdout[-1500:])

        # Started as the unit starts it; started as root with the
        # installed sample configuration, which names its user.
        if os.geteuid() != 0 or not m:
            tap.skip("imgated runs as the unit runs it", "not root")
            tap.skip("imgated runs from the sample configuration",
                     "not root")
        else:
            run_as_unit(procs, dest, m, conf)
            run_sample(procs, dest, m, conf)

        # An operator's configuration survives install and uninstall.
        if conf:
            path = os.path.join(dest, conf[0])
            with open(path, "a") as f:
                f.write("\n# edited by the operator\n")
            r = make("install", "DESTDIR=" + dest)
            tap.ok(r.returncode == 0 and "edited by the operator" in
                   open(path).read(), "a second make install keeps the "
                   "operator's imgate.conf", diag=r.stdout[-800:])
            r = make("uninstall", "DESTDIR=" + dest)
            left = files_under(dest)
            tap.ok(r.returncode == 0 and left == [conf[0]],
                   "make uninstall removes everything but the operator's "
                   "imgate.conf", diag=left)
    return tap.done()


def wait_ready(p, log):
    for _ in range(300):
        if "imgated ready" in open(log, errors="replace").read():
            return True
        if p.poll() is not None:
            return False
        time.sleep(0.1)
    return False


def run_sample(procs, dest, m, conf):
    """The installed sample, as root: gateway.user switched to nobody,
    the lab's ports, the spool under a temporary folder."""
    d = procs.tmpdir("sample")
    os.chmod(d, 0o755)
    port = imgtest.free_port()
    text = open(os.path.join(dest, conf[0])).read()
    for pat, rep in ((r'user = "imgate";', 'user = "nobody";'),
                     (r'listen = "sip:127\.0\.0\.1:5060";',
                      'listen = "sip:127.0.0.1:%d";' % port),
                     (r'"127\.0\.0\.1:53"',
                      '"127.0.0.1:%d"' % imgtest.free_port()),
                     (r'path = "/var/lib/imgate/spool\.sqlite";',
                      'path = "%s/spool/spool.sqlite";' % d)):
        text, n = re.subn(pat, rep, text)
        tap.ok(n == 1, "sample configuration has %s" % pat)
    cfg = os.path.join(d, "imgate.conf")
    with open(cfg, "w") as f:
        f.write(text)
    os.chmod(cfg, 0o644)
    log = os.path.join(d, "imgated.log")
    p = procs.start([dest + m.group(1), "-d", "-f", cfg], name="imgated",
                    log=log)
    ready = wait_ready(p, log)
    text = open(log, errors="replace").read()
    tap.ok(ready and re.search(r"serving as nobody", text),
           "imgated started as root with the installed sample (user "
           "nobody) serves as nobody", diag=text[-1500:])
    code = None
    if ready:
        code = sipuac.UAC().message(("127.0.0.1", port), "sip:gw.test",
                                    method="OPTIONS", body="")[0]
    tap.is_(code, 200, "... and answers SIP OPTIONS")
    procs.stop(p)


def run_as_unit(procs, dest, m, conf):
    nobody = pwd.getpwnam("nobody")
    state = procs.tmpdir("state")    # what StateDirectory= gives
    os.chmod(os.path.dirname(state), 0o755)
    os.chmod(state, 0o700)
    os.chown(state, nobody.pw_uid, nobody.pw_gid)
    port = imgtest.free_port()
    cfg = os.path.join(state, "imgate.conf")
    with open(cfg, "w") as f:
        f.write('gateway = { domain = "gw.test"; workers = 1; };\n'
                'sip = { listen = "sip:127.0.0.1:%d"; };\n'
                'dns = { servers = [ "127.0.0.1:%d" ]; };\n'
                'spool = { path = "%s/spool.sqlite"; };\n'
                % (port, imgtest.free_port(), state))
    os.chmod(cfg, 0o644)
    args = (dest + m.group(1) + m.group(2)).split()
    i = args.index("-f")
    args[i + 1] = cfg
    setpriv = ["setpriv", "--reuid=%d" % nobody.pw_uid,
               "--regid=%d" % nobody.pw_gid, "--clear-groups",
               "--no-new-privs"]
    log = os.path.join(state, "imgated.log")
    p = procs.start(setpriv + args, name="imgated", log=log)
    ready = wait_ready(p, log)
    text = open(log, errors="replace").read()
    tap.ok(ready, "imgated starts as the unit starts it (as nobody, "
           "no new privileges)", diag=text[-1500:])
    code = None
    if ready:
        uac = sipuac.UAC()
        code, _, _ = uac.message(("127.0.0.1", port), "sip:gw.test",
                                 method="OPTIONS", body="")
    tap.is_(code, 200, "... and answers SIP OPTIONS")
    tap.ok(re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z imgated: ",
                     text, re.M), "-d lines carry an ISO 8601 date and time",
           diag=text[:300])
    procs.stop(p)


if __name__ == "__main__":
    sys.exit(main())
