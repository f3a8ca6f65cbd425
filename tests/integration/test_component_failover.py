#!/usr/bin/python3
"""test_component_failover.py - XMPP component failover with Prosody 0.12
(docs/xmpp-component-failover.md): two imgated nodes configured for the
same component name on one Prosody.

  1. Node A holds the component; node B, started second, is refused by
     Prosody (component_conflict_resolve kick_new, its default) and keeps
     retrying with its backoff (capped by xmpp.reconnect_max_ms) while A
     stays connected.
  2. An XMPP-bound message sent to the standby B waits
     xmpp.queue_wait_ms for the component and is then refused with 503
     (a temporary error), never dropped.
  3. Steady load (SIP MESSAGEs for an XMPP user, spread over both nodes
     as a front would): A is killed with SIGKILL mid-load and not
     restarted.  B takes the component within the documented time
     (xmpp.reconnect_max_ms plus a handshake).  Every message's outcome is
     counted: delivered (bob got it; 200 from the node), refused with a
     temporary error, or unanswered because it went to the dead node (the
     sender's transaction times out, so the sender knows).  None may be
     lost: no 200 without delivery, no message both unanswered and
     undelivered through a live node.
  4. After the takeover a receipt that names the dead node's message
     with the same transaction number as one of B's (what the XMPP user
     sends for A's messages, which Prosody now routes to B) does not
     confirm B's message; B's own receipt does.
Prints the counts and the takeover time.
"""

import re
import signal
import sys
import time

import imgtest
from imgtest import Procs, tap
import gwtest
import sipuac
import xmppclient

COMP = "gw.localhost"
NUM = "+12025550101"
NUM_CARL = "+12025550102"
RECONNECT_MAX_MS = 1000
QUEUE_WAIT_MS = 3000
TAKEOVER_MAX_S = RECONNECT_MAX_MS / 1000.0 + 4.0   # + handshake, load


def main():
    with Procs("component-failover") as procs:
        dns = [gwtest.enum_naptr(NUM_CARL, "im:carl@localhost"),
               gwtest.enum_naptr(NUM, "im:bob@localhost"),
               gwtest.xmpp_domain("localhost")]
        dns_port, _ = imgtest.start_unbound(dns, procs=procs)
        pros = gwtest.Prosody(procs, [("bob", "pw"), ("carl", "pw")], COMP,
                              "s3cret").start()
        xconf = gwtest.xmpp_conf(
            pros, receipt_wait_ms=3000,
            extra="queue_wait_ms = %d; reconnect_max_ms = %d;" % (
                QUEUE_WAIT_MS, RECONNECT_MAX_MS))
        a = gwtest.start_imgated(procs, dns_port, conf_extra=xconf,
                                 sip_timeout_ms=3000)
        tap.ok(a.wait_log(r"component %s connected" % COMP, 15) is not None,
               "node A holds the component", diag=a.log_text()[-1500:])
        b = gwtest.start_imgated(procs, dns_port, conf_extra=xconf,
                                 sip_timeout_ms=3000)
        m = b.wait_log(r"component %s disconnected \(([^)]*)\)" % COMP, 15)
        tap.ok(m is not None and "already connected" in m.group(1),
               "node B is refused by Prosody (kick_new): %s" % (
                   m.group(1) if m else None), diag=b.log_text()[-1500:])
        tap.ok(b.wait_log(r"xmpp: reconnecting in \d+ ms", 5) is not None,
               "node B keeps retrying (standby)")
        time.sleep(2.5)
        retries = len(re.findall(
            r"Component already connected", b.log_text()))
        tap.ok(retries >= 2 and "disconnected" not in a.log_text(),
               "standby retries with backoff (%d refusals so far) and A "
               "keeps the component" % retries)

        bob = xmppclient.Client("bob@localhost", "pw",
                                ("127.0.0.1", pros.c2s)).start()
        time.sleep(0.3)
        uac = sipuac.UAC()
        code, _, _ = uac.message(a.addr, "sip:%s@gw.test" % NUM,
                                 body="via-a", timeout=10)
        got = bob.wait(lambda m: m["body"] == "via-a", 5)
        tap.ok(code == 200 and got is not None,
               "a message through A reaches bob (200)",
               diag="code %s" % code)
        t0 = time.monotonic()
        code, _, secs = uac.message(b.addr, "sip:%s@gw.test" % NUM,
                                    body="via-standby", timeout=15)
        tap.ok(code == 503 and secs is not None and
               secs >= QUEUE_WAIT_MS / 1000.0 - 0.2,
               "a message through the standby waits xmpp.queue_wait_ms and "
               "is refused with 503 (%s after %.1f s)" % (code, secs or 0))
        tap.ok(bob.wait(lambda m: m["body"] == "via-standby", 0.5) is None,
               "... and is not delivered")

        # steady load over both nodes; kill A in the middle
        sent = []          # (node, body, cid, sent_at)
        rate, seconds, kill_after = 5.0, 10.0, 3.0
        killed_at = took_at = None
        start = time.monotonic()
        i = 0
        while True:
            now = time.monotonic()
            if now - start >= seconds:
                break
            if killed_at is None and now - start >= kill_after:
                a.proc.send_signal(signal.SIGKILL)
                killed_at = time.monotonic()
            if killed_at is not None and took_at is None and \
                    re.search(r"component %s connected" % COMP,
                              b.log_text()):
                took_at = time.monotonic()
            due = start + i / rate
            if now >= due:
                node = a if i % 2 == 0 else b
                body = "load-%d" % i
                sent.append((node, body, uac.send(node.addr, "sip:%s@gw.test"
                                                  % NUM, body=body), now))
                i += 1
            uac.poll(0.02)
        if took_at is None and b.wait_log(r"component %s connected" % COMP,
                                          TAKEOVER_MAX_S):
            took_at = time.monotonic()
        uac.poll(QUEUE_WAIT_MS / 1000.0 + 8)
        time.sleep(1.0)
        tap.ok(a.proc.poll() is not None, "node A is dead (SIGKILL)")
        takeover = (took_at - killed_at) if took_at else None
        tap.diag("takeover: B connected %.2f s after A was killed" % (
            takeover or -1))
        tap.ok(takeover is not None and takeover <= TAKEOVER_MAX_S,
               "the standby takes the component within %.1f s "
               "(xmpp.reconnect_max_ms %d ms + handshake): %.2f s" % (
                   TAKEOVER_MAX_S, RECONNECT_MAX_MS, takeover or -1),
               diag=b.log_text()[-1500:])

        bodies = set(m["body"] for m in bob.messages if m["body"])
        counts = {"delivered": 0, "refused_temporary": 0,
                  "unanswered_dead_node": 0, "delivered_unanswered": 0,
                  "lost": 0}
        bad = []
        for node, body, cid, at in sent:
            code = uac.result(cid)[0]
            got = body in bodies
            if code == 200 and got:
                counts["delivered"] += 1
            elif code in (408, 480, 500, 503, 504) and not got:
                counts["refused_temporary"] += 1
            elif code is None and node is a and killed_at and \
                    at >= killed_at - 3.5:
                # in flight at A or sent to it after its death: the
                # sender got no final answer and knows it failed
                if got:
                    counts["delivered_unanswered"] += 1
                else:
                    counts["unanswered_dead_node"] += 1
            else:
                counts["lost"] += 1
                bad.append((node is a and "A" or "B", body, code, got,
                            round(at - start, 2)))
        tap.diag("outcomes of %d messages: %s" % (len(sent), counts))
        tap.ok(not bad, "every message delivered, refused with a temporary "
               "error, or unanswered by the dead node: none lost",
               diag=bad)
        after = [(body, uac.result(cid)[0]) for node, body, cid, at in sent
                 if node is b and took_at and at > took_at]
        tap.ok(after and all(c == 200 and body in bodies for body, c in after),
               "after the takeover messages through B are delivered "
               "(%d of them)" % len(after), diag=after)
        held = [(body, uac.result(cid)[0]) for node, body, cid, at in sent
                if node is b and killed_at and took_at and
                took_at - QUEUE_WAIT_MS / 1000.0 + 0.3 < at < took_at]
        tap.ok(held and all(c == 200 and body in bodies
                            for body, c in held),
               "messages held by B whose xmpp.queue_wait_ms outlasted the "
               "takeover are delivered after it (%d of them)" % len(held),
               diag=held)
        # 4. a receipt for the dead node's message of the same number
        carl = xmppclient.Client("carl@localhost", "pw",
                                 ("127.0.0.1", pros.c2s), ack=False).start()
        time.sleep(0.3)
        cid = uac.send(b.addr, "sip:%s@gw.test" % NUM_CARL, body="to-carl")
        m = carl.wait(lambda m: m["body"] == "to-carl", 5)
        sid = (m or {}).get("id") or ""
        mm = re.match(r"imgate-([0-9a-f]{16})-(\d+)$", sid)
        # A's ID for its transaction of the same number: another run tag
        # (before run tags, A's and B's IDs for it were the same).
        other = ("imgate-%016x-%s" % (int(mm.group(1), 16) ^ 1, mm.group(2))
                 if mm else sid)
        tap.ok(m is not None and mm is not None,
               "stanza IDs carry the node's run tag (%s)" % sid)
        if m is not None:
            carl.send_raw("<message to='%s'><received xmlns='urn:xmpp:"
                          "receipts' id='%s'/></message>" % (m["from"], other))
        uac.poll(1.5)
        tap.ok(uac.result(cid)[0] is None,
               "a receipt for another node's message with the same number "
               "does not confirm B's message", diag=uac.result(cid)[0])
        if m is not None:
            carl.send_raw("<message to='%s'><received xmlns='urn:xmpp:"
                          "receipts' id='%s'/></message>" % (m["from"], sid))
        uac.poll(3)
        tap.is_(uac.result(cid)[0], 200, "B's own receipt does (200)")
        carl.stop()

        tap.ok(b.alive(), "node B still running")
        bob.stop()
        uac.close()
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
