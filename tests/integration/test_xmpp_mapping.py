#!/usr/bin/python3
"""test_xmpp_mapping.py - the daemon maps as the mappers the vectors test.

Against a real Prosody 0.12 (imgated its XEP-0114 component, slixmpp c2s
clients) and a sipp UAS, asserted end to end:

- An ENUM answer im:d'artagnan@localhost, and the percent-encoded
  im:d%27artagnan@localhost, reach the XMPP account d\\27artagnan@localhost
  (RFC 3922 3.3: percent-decoded, then XEP-0106 escaped; the raw localpart
  was sent before as to='d'artagnan@...' and the sender got 400), and
  imgate-lookup --json names that JID as xmpp_to.
- SIP -> XMPP: a folded Subject arrives unfolded (RFC 3261 7.3.1), a
  Content-Language list arrives as one xml:lang tag.
- XMPP -> SIP: a subject with line breaks arrives as a one-line Subject
  (it used to be copied raw into the header), one language tag, a
  <thread/> that is no Call-ID (two '@') is not used as one, and the
  sender's resource travels as ;gr= (RFC 7572 Table 1): a SIP reply to
  that From reaches the same resource.
"""

import json
import os
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
DART = "d\\27artagnan"          # the account: XEP-0106 escaped localpart


def find(js, k):
    """The first value of key @k anywhere in a JSON document."""
    if isinstance(js, dict):
        if k in js:
            return js[k]
        for v in js.values():
            r = find(v, k)
            if r is not None:
                return r
    if isinstance(js, list):
        for v in js:
            r = find(v, k)
            if r is not None:
                return r
    return None


def main():
    with Procs("xmpp-mapping") as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        dns = [naptr("+12025550131", "im:d'artagnan@localhost"),
               naptr("+12025550132", "im:d%27artagnan@localhost"),
               naptr("+12025550133", "im:bob@localhost"),
               naptr("+12025550100", "im:carol@sip.test"),
               gwtest.xmpp_domain("localhost"),
               *gwtest.sip_domain("sip.test", uas.port)]
        dns_port, _ = imgtest.start_unbound(dns, procs=procs)
        pros = gwtest.Prosody(procs, [(DART, "pw"), ("bob", "pw"),
                                      ("alice", "pw")], COMP,
                              "s3cret").start()
        gw = gwtest.start_imgated(procs, dns_port, conf_extra=gwtest.xmpp_conf(
            pros, receipt_wait_ms=3000), sip_timeout_ms=3000)
        tap.ok(gw.wait_log(r"component %s connected" % COMP, 15) is not None,
               "imgated connects to Prosody as component " + COMP,
               diag=gw.log_text()[-1500:])
        addr = ("127.0.0.1", pros.c2s)
        dart = xmppclient.Client(DART + "@localhost", "pw", addr).start()
        bob = xmppclient.Client("bob@localhost", "pw", addr).start()
        alice = xmppclient.Client("alice@localhost", "pw", addr).start()
        uac = sipuac.UAC()

        # -- ENUM im: -> JID, both spellings, end to end and in imgate-lookup
        for num, how in (("+12025550131", "im:d'artagnan"),
                         ("+12025550132", "im:d%27artagnan")):
            body = "one for all via " + how
            code, _, _ = uac.message(gw.addr, "sip:%s@gw.test" % num,
                                     body=body)
            m = dart.wait(lambda m: m["body"] == body, 10)
            tap.is_(code, 200, "%s: the SIP sender gets 200" % how)
            tap.ok(m is not None, "%s: %s@localhost receives it through "
                   "Prosody" % (how, DART), diag=gw.log_text()[-1500:])
            tap.is_((m or {}).get("to", "").split("/")[0],
                    DART + "@localhost", "%s: addressed to the escaped JID"
                    % how)
            out = subprocess.run(
                [os.path.join(gwtest.BUILDDIR, "imgate-lookup"), "-f",
                 gw.conf, "--json", num], stdout=subprocess.PIPE,
                universal_newlines=True, timeout=30)
            try:
                js = json.loads(out.stdout)
            except ValueError:
                js = {}
            tap.is_(find(js, "xmpp_to"), DART + "@localhost",
                    "%s: imgate-lookup --json shows xmpp_to" % how)

        # -- SIP -> XMPP: folded Subject, language list
        code, _, _ = uac.message(
            gw.addr, "sip:+12025550133@gw.test", body="folded",
            extra=["Subject: first line\r\n  second line",
                   "Content-Language: en-GB, fr"])
        m = bob.wait(lambda m: m["body"] == "folded", 10) or {}
        tap.is_(code, 200, "SIP->XMPP folded Subject: 200")
        tap.is_(m.get("subject"), "first line second line",
                "SIP->XMPP: a folded Subject arrives unfolded")
        tap.is_(m.get("lang"), "en-GB",
                "SIP->XMPP: Content-Language list -> one xml:lang tag")

        # -- XMPP -> SIP: subject on one line, one language, thread, ;gr=
        alice.send("+12025550100@" + COMP, "multi", receipt=True, id="m1",
                   thread="a@b@c", subject="line one\nline two",
                   lang="de-CH")
        rcpt = alice.wait(lambda m: m["received"] == "m1", 10)
        tap.ok(rcpt is not None, "XMPP->SIP: receipt after 200",
               diag=gw.log_text()[-1500:])
        got = [r for r in uas.requests() if r["method"] == "MESSAGE" and
               r["body"] == "multi"]
        r = got[-1] if got else {"headers": {}, "body": None}
        tap.is_(r["headers"].get("subject"), "line one line two",
                "XMPP->SIP: a subject with a line break is one Subject line")
        tap.is_(r["headers"].get("content-language"), "de-CH",
                "XMPP->SIP: xml:lang -> Content-Language")
        tap.ok(r["headers"].get("call-id") not in (None, "a@b@c"),
               "XMPP->SIP: a <thread/> with two '@' is no Call-ID",
               diag=r["headers"].get("call-id"))
        res = alice.bot.boundjid.resource
        frm = r["headers"].get("from", "").split(";tag")[0]
        tap.is_(frm, "<sip:alice%%40localhost@gw.test;gr=%s>" % res,
                "XMPP->SIP: the resource travels as ;gr= (RFC 7572)")

        # a SIP reply to that From reaches the same resource
        reply = frm.strip("<>")
        code, _, _ = uac.message(gw.addr, reply, body="back to you")
        m = alice.wait(lambda m: m["body"] == "back to you", 10) or {}
        tap.is_(code, 200, "SIP reply to the ;gr= From: 200")
        tap.is_(m.get("to"), "alice@localhost/" + res,
                "SIP reply to the ;gr= From reaches that resource")

        for c in (dart, bob, alice):
            c.stop()
        uac.close()
        tap.ok(gw.alive(), "imgated still running")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
