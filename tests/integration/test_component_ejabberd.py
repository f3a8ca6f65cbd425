#!/usr/bin/python3
"""test_component_ejabberd.py - XMPP component with several connections
(docs/xmpp-component-failover.md, "ejabberd"): two imgated nodes connect
to one throwaway ejabberd for the same component name.  Skipped when
ejabberd is not installed (Debian package ejabberd).

  1. Both nodes hold the component at once (neither is refused).
  2. SIP -> XMPP through both nodes: every message reaches bob, each
     answered 200 (the receipt came back to the node that sent it) or
     202 (ejabberd gave the receipt to the other node, which ignores it:
     its stanza IDs carry another run tag).
  3. XMPP -> SIP: bob's messages are spread over both nodes and every
     one reaches the SIP UAS, each with a receipt.
  4. One node SIGKILLed: SIP -> XMPP through the other goes on, and so
     does XMPP -> SIP, none lost.
Run twice: without domain_balancing (ejabberd spreads stanzas over the
connections anyway) and with it (type random, component_number 2).  With
domain_balancing, XMPP -> SIP after the kill is a TODO point: ejabberd
23.01 goes on balancing a share of bob's stanzas to the dead connection
and drops them without an error (counted and printed;
docs/xmpp-component-failover.md).
"""

import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import time

import imgtest
from imgtest import Procs, tap
import gwtest
from gwtest import enum_naptr as naptr
import sipuac
import xmppclient

COMP = "gw.localhost"
SECRET = "s3cret"
EJABBERDCTL = "/usr/sbin/ejabberdctl"
N = 20


def receipts(client, ids, timeout=10.0):
    """For each stanza ID, the receipt @client got (or None), all
    waited for within one @timeout."""
    end = time.monotonic() + timeout
    return [client.wait(lambda m, i=i: m["received"] == i,
                        max(0.05, end - time.monotonic())) for i in ids]


class Ejabberd:
    """A throwaway ejabberd: loopback only, no epmd (ERL_DIST_PORT),
    its own Mnesia spool in a temp folder, run as the ejabberd user."""

    def __init__(self, procs, balancing):
        self.procs = procs
        self.dir = procs.tmpdir("ejabberd")
        os.chmod(self.dir, 0o755)
        self.c2s = imgtest.free_port()
        self.comp = imgtest.free_port()
        self.dist = imgtest.free_port()
        self.node = "imgt%d@localhost" % self.dist
        self.ctlcfg = os.path.join(self.dir, "ejabberdctl.cfg")
        with open(self.ctlcfg, "w") as f:
            f.write('ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"\n'
                    "EJABBERD_PID_PATH=%(d)s/ejabberd.pid\n"
                    "EJABBERD_CONFIG_PATH=%(d)s/ejabberd.yml\n"
                    "ERL_DIST_PORT=%(p)d\nINET_DIST_INTERFACE=127.0.0.1\n"
                    "ERL_EPMD_ADDRESS=127.0.0.1\n" % {"d": self.dir,
                                                      "p": self.dist})
        with open(os.path.join(self.dir, "ejabberd.yml"), "w") as f:
            f.write("""hosts: ["localhost"]
loglevel: info
certfiles: []
listen:
  - port: %(c2s)d
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls: false
  - port: %(comp)d
    ip: "127.0.0.1"
    module: ejabberd_service
    hosts:
      "%(comp_name)s":
        password: "%(secret)s"
%(balancing)s
auth_method: internal
auth_password_format: scram
modules:
  mod_roster: {}
  mod_disco: {}
  mod_ping: {}
""" % {"c2s": self.c2s, "comp": self.comp, "comp_name": COMP,
       "secret": SECRET,
       "balancing": """domain_balancing:
  "%s":
    type: random
    component_number: 2""" % COMP if balancing else ""})
        open(os.path.join(self.dir, "inetrc"), "w").close()
        u = pwd.getpwnam("ejabberd")
        for root, dirs, files in os.walk(self.dir):
            for n in [root] + [os.path.join(root, x) for x in files]:
                os.chown(n, u.pw_uid, u.pw_gid)
        self.proc = None

    def ctl(self, *args, timeout=30):
        return subprocess.run([EJABBERDCTL] + self.common() + list(args),
                              cwd=self.dir, capture_output=True, text=True,
                              timeout=timeout)

    def common(self):
        return ["-c", self.ctlcfg, "-d", self.dir, "-l", self.dir, "-s",
                self.dir, "-n", self.node]

    def start(self, timeout=40.0):
        self.proc = self.procs.start([EJABBERDCTL] + self.common() +
                                     ["foreground"], name="ejabberd",
                                     log=os.path.join(self.dir, "fg.log"))
        self.procs.add_cleanup(self.stop)
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.proc.poll() is None:
            if "Start accepting TCP connections at 127.0.0.1:%d" % \
                    self.comp in self.log_text():
                return self
            time.sleep(0.1)
        raise RuntimeError("ejabberd did not start: " +
                           self.log_text()[-1500:])

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.ctl("stop", timeout=20)
            except (subprocess.SubprocessError, OSError):
                pass

    def log_text(self):
        return gwtest.read_text(*(os.path.join(self.dir, n) for n in
                                  ("fg.log", "ejabberd.log", "error.log")))


def main():
    if not os.path.exists(EJABBERDCTL) or os.geteuid() != 0:
        tap.skip("ejabberd model", "ejabberd not installed (Debian "
                 "package ejabberd), or not root")
        return tap.done()
    try:
        pwd.getpwnam("ejabberd")
    except KeyError:
        tap.skip("ejabberd model", "no ejabberd user")
        return tap.done()
    for balancing in (False, True):
        run(balancing)
    return tap.done()


def run(balancing):
    """One ejabberd, with or without domain_balancing, two nodes."""
    w = "domain_balancing: " if balancing else "no domain_balancing: "
    with Procs("component-ejabberd") as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        dns = [naptr("+12025550100", "im:carol@sip.test"),
               naptr("+12025550101", "im:bob@localhost"),
               gwtest.xmpp_domain("localhost"),
               *gwtest.sip_domain("sip.test", uas.port)]
        dns_port, _ = imgtest.start_unbound(dns, procs=procs)
        ej = Ejabberd(procs, balancing).start()
        r = ej.ctl("register", "bob", "localhost", "pw")
        tap.ok(r.returncode == 0, w + "ejabberd up, bob registered",
               diag=r.stdout + r.stderr)
        xconf = """xmpp = { enable = true; server = "127.0.0.1"; port = %d;
    domain = "%s"; secret = "%s"; receipt_wait_ms = 1500;
    queue_wait_ms = 3000; reconnect_max_ms = 1000; };
""" % (ej.comp, COMP, SECRET)
        a = gwtest.start_imgated(procs, dns_port, conf_extra=xconf,
                                 sip_timeout_ms=3000)
        b = gwtest.start_imgated(procs, dns_port, conf_extra=xconf,
                                 sip_timeout_ms=3000)
        ca = a.wait_log(r"component %s connected" % COMP, 15)
        cb = b.wait_log(r"component %s connected" % COMP, 15)
        time.sleep(1.5)
        tap.ok(ca and cb and "disconnected" not in a.log_text() and
               "disconnected" not in b.log_text(),
               w + "both nodes hold the component at once (no conflict)",
               diag=a.log_text()[-800:] + b.log_text()[-800:])

        bob = xmppclient.Client("bob@localhost", "pw",
                                ("127.0.0.1", ej.c2s)).start()
        time.sleep(0.5)
        uac = sipuac.UAC()
        sent = []
        for i in range(N):
            node = a if i % 2 == 0 else b
            sent.append(("s2x-%d" % i, uac.send(
                node.addr, "sip:+12025550101@gw.test", body="s2x-%d" % i)))
        uac.poll(15)
        time.sleep(0.5)
        bodies = set(m["body"] for m in bob.messages if m["body"])
        codes = [uac.result(cid)[0] for _, cid in sent]
        tap.ok(all(body in bodies for body, _ in sent),
               w + "SIP->XMPP through both nodes: all %d reach bob" % N,
               diag=sorted(set(b_ for b_, _ in sent) - bodies))
        tap.ok(all(c in (200, 202) for c in codes),
               w + "each answered 200 or 202 (%d x 200, %d x 202)" % (
                   codes.count(200), codes.count(202)), diag=codes)

        # XMPP -> SIP, spread by ejabberd over both nodes
        ids = []
        for i in range(N):
            ids.append(bob.send("+12025550100@" + COMP, "x2s-%d" % i,
                                receipt=True, id="x2s-%d" % i))
        ok_rcpt = receipts(bob, ["x2s-%d" % i for i in range(N)])
        got = set(r["body"] for r in uas.requests()
                  if r["method"] == "MESSAGE")
        tap.ok(all("x2s-%d" % i in got for i in range(N)),
               w + "XMPP->SIP: all %d reach the UAS" % N,
               diag=sorted("x2s-%d" % i for i in range(N)
                           if "x2s-%d" % i not in got))
        tap.ok(all(ok_rcpt), w + "... each with a receipt to bob")
        rx = r"<message> to \+12025550100@%s from bob@localhost" % COMP
        ia = len(re.findall(rx, a.log_text()))
        ib = len(re.findall(rx, b.log_text()))
        tap.diag("XMPP->SIP handled: node A %d, node B %d" % (ia, ib))
        tap.ok(ia > 0 and ib > 0, w + "ejabberd spread them over both nodes "
               "(A %d, B %d)" % (ia, ib))

        # one node dies; the other serves on
        a.proc.send_signal(signal.SIGKILL)
        time.sleep(2.0)
        sent = [("after-%d" % i, uac.send(b.addr, "sip:+12025550101@gw.test",
                                          body="after-%d" % i))
                for i in range(N // 2)]
        for i in range(N // 2):
            bob.send("+12025550100@" + COMP, "x2s-after-%d" % i,
                     receipt=True, id="xa-%d" % i)
        uac.poll(15)
        rc = receipts(bob, ["xa-%d" % i for i in range(N // 2)])
        time.sleep(0.5)
        bodies = set(m["body"] for m in bob.messages if m["body"])
        got = set(r["body"] for r in uas.requests()
                  if r["method"] == "MESSAGE")
        tap.ok(all(body in bodies and uac.result(cid)[0] in (200, 202)
                   for body, cid in sent),
               w + "node A killed: SIP->XMPP through B still delivered")
        lost = sorted("x2s-after-%d" % i for i in range(N // 2)
                      if "x2s-after-%d" % i not in got)
        tap.diag("XMPP->SIP after the kill: %d of %d reached the UAS; lost "
                 "in ejabberd: %s" % (N // 2 - len(lost), N // 2, lost))
        desc = w + "node A killed: XMPP->SIP all reach the UAS through B, " \
            "with receipts"
        if balancing:
            # Seen with ejabberd 23.01: it goes on balancing a share of
            # the component's stanzas to the killed connection and drops
            # them, with no error to the sender
            # (docs/xmpp-component-failover.md).
            tap.todo(not lost and all(rc), desc, "ejabberd 23.01 "
                     "domain_balancing drops stanzas balanced to a dead "
                     "connection", diag=lost)
        else:
            tap.ok(not lost and all(rc), desc, diag=lost)
        errs = [(m["id"], m["error"], m["error_type"]) for m in bob.messages
                if m["error"]]
        tap.diag("error stanzas bob got: %s" % errs)
        tap.ok(b.alive(), w + "node B still running")
        bob.stop()
        uac.close()


if __name__ == "__main__":
    sys.exit(main())
