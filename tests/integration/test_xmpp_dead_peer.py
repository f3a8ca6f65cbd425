#!/usr/bin/python3
"""test_xmpp_dead_peer.py - an XMPP server that is gone without closing.

A server whose host dies, or whose path is cut, sends no FIN: the
component connection used to stay "connected" for as long as TCP
retries, for ever with nothing to write (no keepalive on the socket),
while messages for XMPP were written into it and answered 202.  The test
runs in a network namespace of its own (unshare --net; it re-executes
itself there) with the fake component server (fakecomp.py) and two
imgated on its loopback, then takes loopback down: nothing more is
delivered or acknowledged, as when the server's host is gone.

Asserted:
- with xmpp.dead_after_s = 3, imgated logs the component disconnected
  ("Connection timed out", or "reset" as the kernel words it with
  loopback down) within 2.5-9 s of the cut, and once loopback is
  back it reconnects and completes the handshake;
- with xmpp.dead_after_s = 0 (the kernel's defaults, what imgated did
  before) the other imgated notices nothing in the same time: the
  setting is what finds the dead server;
- both daemons still run; the first exits 0, clean under the sanitizers.
Skipped where no network namespace can be made (not root).
"""

import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import imgtest  # noqa: E402
from imgtest import Procs, tap  # noqa: E402
import gwtest  # noqa: E402
from fakecomp import FakeComponent  # noqa: E402

COMP = "gw.localhost"
SECRET = "s3cret"
MARK = "IMGATE_TEST_NETNS"


def lo(state):
    subprocess.run(["ip", "link", "set", "lo", state], check=True)


def component(procs, fake, srv, dead_after):
    return gwtest.start_imgated(procs, fake.port, conf_extra="""xmpp = {
    enable = true; server = "127.0.0.1"; port = %d; domain = "%s";
    secret = "%s"; reconnect_max_ms = 1000; dead_after_s = %d; };
""" % (srv.port, COMP, SECRET, dead_after))


def main():
    if os.environ.get(MARK) != "1":
        env = dict(os.environ, **{MARK: "1"})
        try:
            can = subprocess.run(["unshare", "--net", "true"],
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL).returncode == 0
        except OSError:
            can = False
        if not can:
            tap.skip("a dead XMPP server", "no network namespace here "
                     "(unshare --net needs root or CAP_SYS_ADMIN)")
            return tap.done()
        os.execvpe("unshare", ["unshare", "--net", sys.executable,
                               os.path.abspath(__file__)] + sys.argv[1:], env)
    try:
        lo("up")
    except (OSError, subprocess.CalledProcessError):
        tap.skip("a dead XMPP server", "no network namespace (not root)")
        return tap.done()
    with Procs("xmpp-dead-peer") as procs:
        fake = imgtest.start_fakedns([], procs=procs)
        srv_a = FakeComponent(SECRET, COMP).start()
        srv_b = FakeComponent(SECRET, COMP).start()
        gw_a = component(procs, fake, srv_a, 3)
        gw_b = component(procs, fake, srv_b, 0)
        ca = srv_a.accept(10).handshake()
        cb = srv_b.accept(10).handshake()
        tap.ok(gw_a.wait_log(r"component %s connected" % COMP, 5) and
               gw_b.wait_log(r"component %s connected" % COMP, 5),
               "both imgated connect to their fake servers")

        lo("down")
        t0 = time.monotonic()
        # (the kernel reports the probes' failure as a timeout or, with
        # loopback down, as a reset)
        m = gw_a.wait_log(r"warning: xmpp: component %s disconnected "
                          r"\((Connection timed out|Connection reset by "
                          r"peer)\)" % COMP, 15)
        took = time.monotonic() - t0
        tap.ok(m is not None and 2.5 < took < 9,
               "xmpp.dead_after_s = 3: the silent server is given up "
               "after %.1f s" % took, diag=gw_a.log_text()[-800:])
        tap.ok(gw_b.wait_log(r"disconnected", 0.1) is None,
               "xmpp.dead_after_s = 0 (the kernel's defaults): the other "
               "daemon noticed nothing in that time",
               diag=gw_b.log_text()[-800:])
        lo("up")
        ca.close()
        c2 = srv_a.accept(15)
        ok = False
        if c2 is not None:
            try:
                c2.handshake()
                ok = gw_a.wait_log(r"(?s)disconnected \(Connection.*"
                                   r"component %s connected" % COMP,
                                   5) is not None
            except RuntimeError:
                ok = False
        tap.ok(ok, "loopback back: it reconnects and completes the "
               "handshake", diag=gw_a.log_text()[-800:])
        tap.ok(gw_a.alive() and gw_b.alive(), "both daemons still run")
        tap.is_(gw_a.term(), 0, "imgated exits 0")
        gwtest.sanitizer_clean(gw_a, "imgated")
        for c in (c2, cb):
            if c is not None:
                c.close()
        srv_a.stop()
        srv_b.stop()
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
