#!/usr/bin/python3
"""test_imdn.py - delivery notifications, typing state and IDNA through
the real imgated, Prosody 0.12, sipp and unbound (issue 13 items 3-4).

Asserted:
- IDNA: an XMPP user's message to a number whose ENUM answer is a sip: URI
  with a U-label host arrives at the sipp UAS with the A-label host (the
  A-label name is what unbound knows); an invalid A-label is refused.
- A SIP MESSAGE in CPIM with imdn.Disposition-Notification:
  positive-delivery to an XMPP user yields an IMDN (message/cpim wrapping
  message/imdn+xml, status delivered, the sender's Message-ID) back at the
  SIP sender when the XMPP client sends its XEP-0184 receipt.
- With xmpp.request_imdn, an XMPP message asking for a receipt reaches SIP
  in CPIM with an imdn.Message-ID; the SIP recipient's IMDN for it yields
  the XEP-0184 receipt to the XMPP sender, and is not delivered as text.
- isComposing (bare and in CPIM) reaches XMPP as an XEP-0085 chat state,
  never as a text message; other media still get 415.
"""

import os
import re
import signal
import sys
import time

import imgtest
from imgtest import Procs, tap
import gwtest
from gwtest import enum_naptr as naptr, sip_domain, wait_for
import sipuac
import xmppclient

COMP = "gw.localhost"
# RFC 3986 3.2.2: a URI carries a U-label host percent-encoded (raw UTF-8
# would be an IRI, which ENUM does not return: enum/naptr discards it).
ULABEL = "b%C3%BCcher.test"
ALABEL = "xn--bcher-kva.test"


def cpim_text(frm, to, mid, disp, text):
    return ("From: <%s>\r\nTo: <%s>\r\n"
            "NS: imdn <urn:ietf:params:imdn>\r\n"
            "imdn.Message-ID: %s\r\n"
            "DateTime: 2026-12-06T18:00:00Z\r\n"
            "imdn.Disposition-Notification: %s\r\n\r\n"
            "Content-Type: text/plain;charset=UTF-8\r\n\r\n%s"
            % (frm, to, mid, disp, text))


def cpim_imdn(frm, to, mid, orig, status="delivered"):
    kind = "delivery" if status == "delivered" else "display"
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\r\n'
           '<imdn xmlns="urn:ietf:params:xml:ns:imdn">'
           '<message-id>%s</message-id>'
           '<datetime>2026-12-06T18:00:01Z</datetime>'
           '<%s-notification><status><%s/></status></%s-notification>'
           '</imdn>' % (orig, kind, status, kind))
    return ("From: <%s>\r\nTo: <%s>\r\n"
            "NS: imdn <urn:ietf:params:imdn>\r\n"
            "imdn.Message-ID: %s\r\n"
            "DateTime: 2026-12-06T18:00:01Z\r\n\r\n"
            "Content-Type: message/imdn+xml\r\n"
            "Content-Disposition: notification\r\n"
            "Content-Length: %d\r\n\r\n%s"
            % (frm, to, mid, len(xml.encode()), xml))


COMPOSING = ('<?xml version="1.0" encoding="UTF-8"?>\r\n'
             '<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing">'
             '<state>%s</state><contenttype>text/plain</contenttype>'
             '<refresh>60</refresh></isComposing>')


def main():
    with Procs("imdn") as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        dns = [naptr("+12025550101", "im:bob@localhost"),
               naptr("+12025550100", "im:carol@sip.test"),
               # IDNA: the URI names the U-label host; DNS knows the
               # A-label only.
               naptr("+12025550111", "sip:+12025550111@%s:%d" %
                     (ULABEL, uas.port), services="E2U+sip"),
               naptr("+12025550112", "sip:+12025550112@xn--zz.test:%d" %
                     uas.port, services="E2U+sip"),
               naptr("+12025550113", "im:dora@" + ULABEL),
               gwtest.addr(ALABEL + "."),
               gwtest.xmpp_domain("localhost")]
        dns += sip_domain("sip.test", uas.port)
        dns += sip_domain(ALABEL, uas.port)
        dns_port, _ = imgtest.start_unbound(dns, procs=procs)
        pros = gwtest.Prosody(procs, [("alice", "pw"), ("bob", "pw")], COMP,
                              "s3cret").start()
        gw = gwtest.start_imgated(
            procs, dns_port, conf_extra=gwtest.xmpp_conf(
                pros, receipt_wait_ms=3000,
                extra="request_imdn = true; chat_states = \"map\";"),
            sip_timeout_ms=3000)
        tap.ok(gw.wait_log(r"component %s connected" % COMP, 15)
               is not None, "imgated connects to Prosody",
               diag=gw.log_text()[-1500:])
        addr = ("127.0.0.1", pros.c2s)
        alice = xmppclient.Client("alice@localhost", "pw", addr).start()
        bob = xmppclient.Client("bob@localhost", "pw", addr).start()
        time.sleep(0.3)
        uac = sipuac.UAC()

        def uas_msgs(pred):
            return [r for r in uas.requests()
                    if r["method"] == "MESSAGE" and pred(r)]

        # -- IDNA: U-label host from ENUM -> A-label Request-URI
        alice.send("+12025550111@" + COMP, "idn-text", receipt=False,
                   id="idn1")
        got = wait_for(lambda: uas_msgs(
            lambda r: "idn-text" in r["body"]), 10)
        tap.ok(bool(got) and got[0]["ruri"] == "sip:+12025550111@%s:%d"
               % (ALABEL, uas.port),
               "IDNA: ENUM sip: URI with U-label host reaches the UAS with "
               "the A-label host",
               diag=[r["ruri"] for r in uas.requests()] or
               gw.log_text()[-1500:])
        alice.send("+12025550113@" + COMP, "idn-im", receipt=False,
                   id="idn3")
        got = wait_for(lambda: uas_msgs(
            lambda r: "idn-im" in r["body"]), 10)
        tap.ok(bool(got) and got[0]["ruri"] == "sip:dora@" + ALABEL,
               "IDNA: ENUM im: URI with U-label host: SRV under the "
               "A-label, Request-URI with the A-label",
               diag=[r["ruri"] for r in uas.requests()] or
               gw.log_text()[-1500:])
        alice.send("+12025550112@" + COMP, "bad-idn", receipt=False,
                   id="idn2")
        e = alice.wait(lambda m: m["id"] == "idn2" and
                       m["type"] == "error", 10)
        tap.ok(e is not None and not uas_msgs(
            lambda r: "bad-idn" in r["body"]) and
            gw.wait_log(r"txn \d+: .*xn--zz", 2),
            "IDNA: an invalid A-label in the ENUM URI is refused (%s)"
            % (e and e["error"]), diag=gw.log_text()[-1500:])

        # -- SIP sender asks for positive-delivery; XMPP receipt -> IMDN
        sender = "sip:alice@127.0.0.1:%d" % uas.port
        body = cpim_text(sender, "sip:+12025550101@gw.test", "m-imdn-1",
                         "positive-delivery", "please confirm")
        code, _, _ = uac.message(gw.addr, "sip:+12025550101@gw.test",
                                 body=body, ctype="message/cpim",
                                 from_uri=sender)
        m = bob.wait(lambda m: m["body"] == "please confirm", 10)
        tap.ok(code in (200, 202) and m is not None and m["request"],
               "SIP CPIM with Disposition-Notification reaches bob with a "
               "receipt request", diag="code %s" % code)
        imdn = wait_for(lambda: uas_msgs(
            lambda r: "m-imdn-1" in r["body"]), 10)
        r = imdn[0] if imdn else {"headers": {}, "body": "", "ruri": ""}
        tap.ok(bool(imdn), "XMPP receipt -> IMDN back at the SIP sender",
               diag=gw.log_text()[-2000:])
        tap.is_(r["ruri"], sender, "IMDN: Request-URI is the sender's URI")
        tap.is_(r["headers"].get("content-type", "").lower(),
                "message/cpim", "IMDN: Content-Type message/cpim")
        tap.ok("Content-Type: message/imdn+xml" in r["body"] and
               "<message-id>m-imdn-1</message-id>" in r["body"] and
               "<delivery-notification><status><delivered/>" in r["body"],
               "IMDN: message/imdn+xml, delivered, for m-imdn-1",
               diag=r["body"])
        tap.ok(re.search(r"^imdn\.Message-ID: \S+", r["body"], re.M) and
               "From: <sip:+12025550101@gw.test>" in r["body"],
               "IMDN: own Message-ID, From is the recipient the sender "
               "named", diag=r["body"])

        # -- XMPP sender asks for a receipt; SIP IMDN -> XEP-0184 receipt
        alice.send("+12025550100@" + COMP, "imdn-from-xmpp", receipt=True,
                   id="ax1")
        got = wait_for(lambda: uas_msgs(
            lambda r: "imdn-from-xmpp" in r["body"]), 10)
        r = got[0] if got else {"headers": {}, "body": ""}
        mid = re.search(r"^imdn\.Message-ID: (\S+)", r["body"], re.M)
        tap.ok(r["headers"].get("content-type", "").lower() ==
               "message/cpim" and mid and
               "imdn.Disposition-Notification: positive-delivery" in
               r["body"], "XMPP->SIP with request_imdn: CPIM with "
               "imdn.Message-ID and positive-delivery", diag=r["body"])
        time.sleep(0.5)
        tap.ok(alice.wait(lambda m: m["received"] == "ax1", 0.1) is None,
               "XMPP->SIP: no receipt on 200 while the IMDN is awaited")
        mid = mid.group(1) if mid else "none"
        frm = r["headers"].get("from", "").split(";tag")[0].strip("<>")
        code, _, _ = uac.message(
            gw.addr, frm or "sip:alice%40localhost@gw.test",
            body=cpim_imdn("sip:carol@sip.test", frm, "n-1", mid),
            ctype="message/cpim")
        rc = alice.wait(lambda m: m["received"] == "ax1", 10)
        tap.is_(code, 200, "SIP IMDN to the XMPP sender's address: 200")
        tap.ok(rc is not None, "SIP IMDN -> XEP-0184 receipt to the XMPP "
               "sender", diag=gw.log_text()[-2000:])
        tap.ok(not [m for m in alice.messages if m["body"] and
                    ("imdn" in m["body"] or "delivered" in m["body"])],
               "the IMDN never reaches alice as text")
        # An IMDN for a message imgate never sent: consumed, logged.
        code, _, _ = uac.message(
            gw.addr, "sip:alice%40localhost@gw.test",
            body=cpim_imdn("sip:carol@sip.test",
                           "sip:alice%40localhost@gw.test", "n-2",
                           "imgate-m-999999"), ctype="message/cpim")
        tap.ok(code == 200 and gw.wait_log(
            r"IMDN for unknown message imgate-m-999999", 5),
            "IMDN for an unknown message: 200 and a log line, no text",
            diag="code %s" % code)

        # -- isComposing -> XEP-0085 chat state, never a body
        n0 = len(bob.messages)
        code, _, _ = uac.message(gw.addr, "sip:+12025550101@gw.test",
                                 body=COMPOSING % "active",
                                 ctype="application/im-iscomposing+xml")
        cs = bob.wait(lambda m: m["chatstate"] == "composing", 10)
        tap.ok(code == 200 and cs is not None and cs["body"] is None,
               "isComposing active -> <composing/> without body",
               diag="code %s %r" % (code, cs))
        wrapped = ("From: <sip:x@sip.test>\r\nTo: <sip:+12025550101@gw."
                   "test>\r\n\r\nContent-Type: application/im-iscomposing"
                   "+xml\r\n\r\n" + COMPOSING % "idle")
        code, _, _ = uac.message(gw.addr, "sip:+12025550101@gw.test",
                                 body=wrapped, ctype="message/cpim")
        cs = bob.wait(lambda m: m["chatstate"] == "paused", 10)
        tap.ok(code == 200 and cs is not None and cs["body"] is None,
               "isComposing idle in CPIM -> <paused/> without body",
               diag="code %s" % code)
        code, _, _ = uac.message(gw.addr, "sip:+12025550101@gw.test",
                                 body="<isComposing><state>weird</state>"
                                 "</isComposing>",
                                 ctype="application/im-iscomposing+xml")
        tap.is_(code, 400, "malformed isComposing -> 400")
        time.sleep(0.5)
        tap.ok(not [m for m in bob.messages[n0:] if m["body"] and
                    "isComposing" in m["body"]],
               "no isComposing document reaches bob as text")
        code, h, _ = uac.message(gw.addr, "sip:+12025550101@gw.test",
                                 body="<x/>", ctype="application/x-foo+xml")
        tap.ok(code == 415 and "message/imdn+xml" in h.get("accept", ""),
               "other non-text media: 415, Accept names the notification "
               "types", diag="%s %s" % (code, h))

        # -- XEP-0085 chat state -> isComposing MESSAGE, never an error
        alice.send_raw("<message to='+12025550100@%s' type='chat' "
                       "id='cs1'><composing xmlns='http://jabber.org/"
                       "protocol/chatstates'/></message>" % COMP)
        got = wait_for(lambda: uas_msgs(
            lambda r: "isComposing" in r["body"]), 10)
        r = got[0] if got else {"headers": {}, "body": "", "ruri": ""}
        tap.ok(bool(got) and r["headers"].get("content-type", "").lower()
               == "application/im-iscomposing+xml" and
               "<state>active</state>" in r["body"],
               "XMPP <composing/> -> SIP isComposing active",
               diag=r["body"] or gw.log_text()[-1500:])
        alice.send_raw("<message to='+12025550199@%s' type='chat' "
                       "id='cs2'><paused xmlns='http://jabber.org/"
                       "protocol/chatstates'/></message>" % COMP)
        time.sleep(1.0)
        tap.ok(alice.wait(lambda m: m["id"] == "cs2", 0.1) is None,
               "a chat state that cannot be routed gets no error stanza")

        # -- XMPP payload without body and without a mapping
        alice.send_raw("<message to='+12025550100@%s' type='chat' "
                       "id='oob1'><x xmlns='jabber:x:oob'><url>http://"
                       "example.invalid/f.png</url></x></message>" % COMP)
        e = alice.wait(lambda m: m["id"] == "oob1" and
                       m["type"] == "error", 10)
        tap.is_(e and e["error"], "feature-not-implemented",
                "XMPP payload without mapping -> <feature-not-implemented/>")
        tap.ok(not uas_msgs(lambda r: "example.invalid" in r["body"]) and
               gw.wait_log(r"refused: unsupported content type", 3),
               "... never sent as text, and logged")

        # -- a store-and-forward route never stores a notification
        spool = os.path.join(procs.tmpdir("spool"), "s.sqlite")
        gw2 = gwtest.start_imgated(procs, dns_port, conf_extra="""
spool = { path = "%s"; retry_initial_ms = 400; retry_max_ms = 800;
  max_age_s = 600; commit_ms = 5; };
routes = ( { name = "uk"; prefix = "+44"; action = "static";
  target = "sip:127.0.0.1:%d"; mode = "store-and-forward"; } );
""" % (spool, uas.port))
        code, _, _ = uac.message(gw2.addr, "sip:+442079460148@gw.test",
                                 body="saf-control")
        tap.is_(code, 202, "SAF route: a text message is stored (202)")
        code, _, _ = uac.message(gw2.addr, "sip:+442079460148@gw.test",
                                 body=COMPOSING % "active",
                                 ctype="application/im-iscomposing+xml")
        got = uas_msgs(lambda r: "<state>active</state>" in r["body"] and
                       r["ruri"].startswith("sip:+44"))
        tap.ok(code == 200 and got,
               "SAF route: isComposing is relayed at once (200 from the "
               "UAS), never stored", diag="code %s" % code)

        alice.stop()
        bob.stop()
        uac.close()
        tap.ok(gw.proc.poll() is None, "imgated still running")
        # A clean stop, and no sanitizer report (sanitizer builds).
        gw.proc.send_signal(signal.SIGTERM)
        try:
            gw.proc.wait(15)
        except Exception:
            pass
        bad = re.findall(r".*(?:Sanitizer|runtime error:).*",
                         gw.log_text())[:3]
        tap.ok(gw.proc.poll() is not None and not bad,
               "imgated stops cleanly, no sanitizer report", diag=bad)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
