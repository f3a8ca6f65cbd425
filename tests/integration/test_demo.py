#!/usr/bin/python3
"""test_demo.py - the README's demo (scripts/demo.py) as a test.

Runs the demo non-interactively and asserts its exit status 0 and, in
its output, both directions: the SIP MESSAGE arriving at the XMPP user,
that user's reply at the SIP UAS, the XMPP user's message to a number at
the SIP UAS, the refused number with its SIP status and XMPP error, and
the transaction log lines.  The demo configures Prosody with the snippet
of docs/deploy-xmpp-server.md, so this also runs the documented
configuration.  Then --keep: the lab stays up, prints how to connect
clients, and stops cleanly on SIGINT.
"""

import os
import signal
import subprocess
import sys
import time

from imgtest import Procs, tap
import gwtest

SRC = os.environ.get("IMGATE_SRCDIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")
DEMO = os.path.join(SRC, "scripts", "demo.py")


def main():
    env = dict(os.environ, IMGATE_BUILDDIR=gwtest.BUILDDIR)
    with Procs("demo") as procs:
        try:
            r = procs.run(["/usr/bin/python3", DEMO], timeout=240, env=env)
            out = (r.stdout + r.stderr).decode(errors="replace")
            rc = r.returncode
        except subprocess.TimeoutExpired as e:
            out, rc = str(e.output), None
        tap.is_(rc, 0, "the demo exits 0")
        checks = [
            ("imgate-lookup explains the SIP->XMPP number",
             "XMPP to:    juliet@localhost"),
            ("SIP->XMPP: juliet receives the SIP MESSAGE",
             "juliet@localhost received: from=carol\\40127.0.0.1"),
            ("... and the SIP sender gets 200", "the SIP sender got 200"),
            ("XMPP->SIP: juliet's reply reaches the SIP UAS",
             "body: 'Hi Carol, Juliet here'"),
            ("XMPP->SIP by number: the UAS gets MESSAGE sip:carol@sip.test",
             "the SIP UAS received: MESSAGE sip:carol@sip.test"),
            ("the refused number: 404 at the SIP sender",
             "SIP sender got: 404"),
            ("... and <item-not-found/> at the XMPP sender",
             "XMPP sender got: <item-not-found/>"),
            ("the transaction lines of both origins are shown",
             "origin=xmpp source=juliet@localhost"),
            ("the demo says it succeeded", "demo succeeded"),
        ]
        for desc, needle in checks:
            tap.ok(needle in out, desc, diag=out[-3000:] if needle not in
                   out else None)

        # --keep: up until Ctrl-C, with instructions for real clients.
        log = os.path.join(procs.tmpdir("keep"), "demo.log")
        p = procs.start(["/usr/bin/python3", DEMO, "--keep"], name="demo",
                        log=log, env=env)
        text = ""
        end = time.monotonic() + 180
        while time.monotonic() < end and p.poll() is None:
            text = open(log, errors="replace").read()
            if "Ctrl-C stops it" in text and "imgated's configuration" in \
                    text:
                break
            time.sleep(0.2)
        tap.ok("Ctrl-C stops it" in text, "--keep leaves the lab running",
               diag=text[-2000:])
        tap.ok("baresip" in text and "Gajim" in text,
               "--keep says how to point SIP and XMPP clients at it")
        p.send_signal(signal.SIGINT)
        try:
            rc = p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            rc = None
        tap.is_(rc, 0, "--keep: SIGINT tears the lab down, exit 0")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
