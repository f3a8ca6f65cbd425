#!/usr/bin/python3
"""test_xmpp.py - SIP <-> XMPP interworking against a real Prosody 0.12.

imgated is an XEP-0114 component of Prosody; real c2s clients (slixmpp)
are alice and bob at localhost; sipp plays the SIP side.  Asserted:
SIP->XMPP (body, a From that maps back to the SIP sender, thread = Call-ID,
200 after the client's receipt), XMPP->SIP (Request-URI, From, Content-Type,
body; receipt to the client; 486/404/503 become RFC 7247 conditions),
XMPP->XMPP, replies through the escaped addresses, message/cpim, refusals
with the right error condition, an iq get answered with
service-unavailable, non-ASCII text byte-exact both ways, and
a Prosody restart in the middle of traffic with every message answered.
"""

import os
import re
import sys
import time
import xml.etree.ElementTree as ET

import imgtest
from imgtest import Procs, tap
import gwtest
from gwtest import enum_naptr as naptr, sip_domain
import sipuac
import xmppclient

COMP = "gw.localhost"
TEXT = "Привет, мир! 👋 Nic z obého"


def unescape_localpart(lp):
    for seq, ch in (("\\20", " "), ("\\22", '"'), ("\\26", "&"),
                    ("\\27", "'"), ("\\2f", "/"), ("\\3a", ":"),
                    ("\\3c", "<"), ("\\3e", ">"), ("\\40", "@"),
                    ("\\5c", "\\")):
        lp = lp.replace(seq, ch)
    return lp


def main():
    with Procs("xmpp") as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        busy = gwtest.start_uas(procs, "uas_486.xml")
        nf = gwtest.start_uas(procs, "uas_404.xml")
        unav = gwtest.start_uas(procs, "uas_503.xml")
        dns = [naptr("+12025550100", "im:carol@sip.test"),
               naptr("+12025550101", "im:bob@localhost"),
               naptr("+12025550102", "im:nobody@localhost"),
               naptr("+12025550186", "im:x@busy.test"),
               naptr("+12025550144", "im:x@nf.test"),
               naptr("+12025550153", "im:x@unav.test"),
               gwtest.xmpp_domain("localhost")]
        dns += sip_domain("sip.test", uas.port)
        dns += sip_domain("busy.test", busy.port)
        dns += sip_domain("nf.test", nf.port)
        dns += sip_domain("unav.test", unav.port)
        dns_port, _ = imgtest.start_unbound(dns, procs=procs)
        pros = gwtest.Prosody(procs, [("alice", "pw"), ("bob", "pw"),
                                      ("carl", "pw")], COMP,
                              "s3cret").start()
        identities = """
identities = ( { sip = "sip:dave@id.example"; number = "+12025550177"; },
               { xmpp = "carl@localhost"; number = "+12025550178"; } );
"""
        gw = gwtest.start_imgated(procs, dns_port, conf_extra=gwtest.xmpp_conf(
            pros, receipt_wait_ms=3000, extra="queue_wait_ms = 20000;") +
            identities, sip_timeout_ms=3000)
        tap.ok(gw.wait_log(r"component %s connected" % COMP, 10) is not None,
               "imgated connects to Prosody as component " + COMP,
               diag=gw.log_text()[-1500:])
        # The handshake used to wait for libstrophe's 250 ms tick.
        tap.ok(ms_between(gw.log_text(), r"imgated ready",
                          r"component %s connected" % COMP) < 200,
               "the component handshake does not wait for a timer tick",
               diag=gw.log_text()[-1500:])
        addr = ("127.0.0.1", pros.c2s)
        alice = xmppclient.Client("alice@localhost", "pw", addr).start()
        bob = xmppclient.Client("bob@localhost", "pw", addr).start()
        time.sleep(0.3)

        # -- SIP -> XMPP with sipp
        rc, trace = gwtest.run_uac(procs, "uac_message.xml", gw.port,
                                   extra_args=["-s", "+12025550101"])
        m = bob.wait(lambda m: m["body"] and "imgate-marker" in m["body"], 5)
        tap.ok(m is not None, "SIP->XMPP: bob receives the body",
               diag=gw.log_text()[-1500:])
        m = m or {}
        tap.is_(m.get("type") in (None, "normal"), True,
                "SIP->XMPP: no type or type='normal' (RFC 7572 5)")
        frm = m.get("from") or ""
        tap.ok(frm.endswith("@" + COMP),
               "SIP->XMPP: from is at the component domain (%s)" % frm)
        back = "sip:" + unescape_localpart(frm.split("@" + COMP)[0])
        tap.ok(back.startswith("sip:sipp@127.0.0.1:"),
               "SIP->XMPP: from maps back to the SIP sender (%s)" % back)
        tap.ok(m.get("thread") and m.get("thread") in trace,
               "SIP->XMPP: <thread/> is the Call-ID", diag=m.get("thread"))
        tap.ok(m.get("request"), "SIP->XMPP: XEP-0184 receipt requested")
        codes = gwtest.response_codes(trace)
        tap.ok(rc == 0 and 200 in codes, "SIP->XMPP: UAC gets 200 after "
               "the client's receipt", diag="rc=%s codes=%s" % (rc, codes))

        uac = sipuac.UAC()
        # Subject, language, non-ASCII, and the receipt wait without ack
        cid = uac.send(gw.addr, "sip:+12025550101@gw.test", body=TEXT,
                       ctype="text/plain; charset=UTF-8",
                       extra=["Subject: Ahoj", "Content-Language: cs"])
        uac.poll(6)
        code = uac.result(cid)[0]
        m = bob.wait(lambda m: m["body"] == TEXT, 3)
        tap.is_(code, 200, "SIP->XMPP non-ASCII: 200")
        tap.ok(m is not None, "SIP->XMPP: Cyrillic and emoji byte-exact")
        m = m or {}
        tap.is_(m.get("subject"), "Ahoj", "SIP->XMPP: Subject -> <subject/>")
        tap.is_(m.get("lang"), "cs", "SIP->XMPP: Content-Language -> "
                "xml:lang")

        # XML's own characters in the body, the subject and the thread.
        marks = "a<b & c>d 'q' \"qq\" ]]> &amp;"
        code, _, _ = uac.message(gw.addr, "sip:+12025550101@gw.test",
                                 body=marks, extra=["Subject: <&'\">"])
        m = bob.wait(lambda m: m["body"] == marks, 3)
        tap.ok(code == 200 and m is not None,
               "SIP->XMPP: < & > ' \" in the body arrive as sent",
               diag="code %s" % code)
        tap.is_((m or {}).get("subject"), "<&'\">",
                "SIP->XMPP: ... and in the subject")

        cpim = ("From: <sip:x@sip.test>\r\nTo: <im:bob@localhost>\r\n"
                "Subject: cpim-subject\r\n\r\nContent-Type: text/plain; "
                "charset=UTF-8\r\n\r\ninside cpim")
        code, _, _ = uac.message(gw.addr, "sip:+12025550101@gw.test",
                                 body=cpim, ctype="message/cpim")
        m = bob.wait(lambda m: m["body"] == "inside cpim", 3)
        tap.ok(code == 200 and m is not None,
               "SIP->XMPP: message/cpim is unwrapped (RFC 3862)",
               diag="code %s" % code)
        code, h, _ = uac.message(gw.addr, "sip:+12025550101@gw.test",
                                 body="\x00\x01", ctype="application/x-bin")
        tap.is_(code, 415, "SIP->XMPP: unsupported content type -> 415")
        tap.ok("accept" in h, "415 lists Accept", diag=h)
        code, _, _ = uac.message(gw.addr, "sip:+12025550102@gw.test",
                                 body="to nobody")
        tap.ok(code in (404, 480, 503), "SIP->XMPP: unknown user -> error "
               "code from the server's error stanza (%s)" % code)

        # the sender's escaped JID routes back to SIP
        cid = uac.send(gw.addr, "sip:+12025550101@gw.test", body="ping",
                       from_uri="sip:carol@127.0.0.1:%d" % uas.port)
        uac.poll(6)
        m = bob.wait(lambda m: m["body"] == "ping", 3) or {}
        reply_to = m.get("from")
        tap.ok(reply_to == "carol\\40127.0.0.1\\3a%d@%s" % (uas.port, COMP),
               "SIP sender appears as XEP-0106 escaped JID (%s)" % reply_to)
        if reply_to:
            bob.send(reply_to, "pong", receipt=True, id="r1")
            time.sleep(1)
        got = [r for r in uas.requests() if r["method"] == "MESSAGE" and
               r["body"] == "pong"]
        tap.ok(len(got) == 1 and got[0]["ruri"] ==
               "sip:carol@127.0.0.1:%d" % uas.port,
               "reply to the escaped JID reaches sip:carol@127.0.0.1",
               diag=[r["ruri"] for r in uas.requests()])

        # -- XMPP -> SIP
        alice.send("+12025550100@" + COMP, TEXT, receipt=True, id="a1",
                   thread="th-1", subject="Sub", lang="cs")
        rcpt = alice.wait(lambda m: m["received"] == "a1", 5)
        tap.ok(rcpt is not None, "XMPP->SIP: alice gets the XEP-0184 "
               "receipt after 200", diag=gw.log_text()[-1500:])
        got = [r for r in uas.requests() if r["method"] == "MESSAGE" and
               r["ruri"] == "sip:carol@sip.test"]
        r = got[-1] if got else {"headers": {}, "body": None}
        tap.ok(bool(got), "XMPP->SIP: UAS gets MESSAGE sip:carol@sip.test")
        # RFC 7572 Table 1: the resource is the GRUU parameter.
        tap.is_(r["headers"].get("from", "").split(";tag")[0],
                "<sip:alice%%40localhost@gw.test;gr=%s>"
                % alice.bot.boundjid.resource,
                "XMPP->SIP: From is the sender's JID at the gateway, "
                "resource as ;gr=")
        tap.is_(r["headers"].get("content-type", "").replace(" ", "")
                .lower(), "text/plain;charset=utf-8",
                "XMPP->SIP: Content-Type text/plain; charset=UTF-8")
        tap.is_(r["body"], TEXT, "XMPP->SIP: Cyrillic and emoji byte-exact")
        tap.is_(r["headers"].get("call-id"), "th-1",
                "XMPP->SIP: <thread/> -> Call-ID")
        tap.is_(r["headers"].get("subject"), "Sub",
                "XMPP->SIP: <subject/> -> Subject")
        tap.is_(r["headers"].get("content-language"), "cs",
                "XMPP->SIP: xml:lang -> Content-Language")

        # the XMPP sender's SIP address routes back to XMPP
        code, _, _ = uac.message(gw.addr, "sip:alice%40localhost@gw.test",
                                 body="back-to-alice")
        m = alice.wait(lambda m: m["body"] == "back-to-alice", 5)
        tap.ok(code == 200 and m is not None,
               "reply to sip:alice%40localhost@gw reaches alice over XMPP",
               diag="code %s" % code)

        for num, cond, what in (("+12025550186", "recipient-unavailable",
                                 "486"),
                                ("+12025550144", "item-not-found", "404"),
                                ("+12025550153", "service-unavailable",
                                 "503")):
            i = "e" + what
            alice.send(num + "@" + COMP, "x", id=i)
            e = alice.wait(lambda m: m["id"] == i and m["type"] == "error",
                           6)
            tap.is_(e and e["error"], cond, "XMPP->SIP: UAS %s -> <%s/>"
                    % (what, cond))

        # -- refusals
        for to, body, mtype, cond, what in (
                ("alice@" + COMP, "x", "chat", "jid-malformed",
                 "non-number localpart"),
                ("+1-800-FLOWERS@" + COMP, "x", "chat", "jid-malformed",
                 "letters in the number"),
                ("+12025550199@" + COMP, "x", "chat", "item-not-found",
                 "number without ENUM data"),
                ("+12025550100@" + COMP, "", "chat", "bad-request",
                 "empty body"),
                ("+12025550100@" + COMP, "x", "groupchat", "not-acceptable",
                 "groupchat")):
            i = "r-" + what.replace(" ", "-")
            alice.send(to, body, id=i, mtype=mtype, receipt=False)
            e = alice.wait(lambda m: m["id"] == i and m["type"] == "error",
                           5)
            tap.is_(e and e["error"], cond, "refused: %s -> <%s/>"
                    % (what, cond))

        # -- iq: answered, or the client waits for ever (RFC 6120 8.2.3)
        for to in (COMP, "+12025550100@" + COMP):
            tap.is_(alice.iq(to, "http://jabber.org/protocol/disco#info"),
                    ("error", "service-unavailable"),
                    "iq get to %s through Prosody -> <service-unavailable/>"
                    % to)

        # -- identity table: senders shown as their numbers
        code, _, _ = uac.message(gw.addr, "sip:+12025550101@gw.test",
                                 body="from-dave",
                                 from_uri="sip:dave@id.example")
        m = bob.wait(lambda m: m["body"] == "from-dave", 5) or {}
        tap.is_(m.get("from"), "+12025550177@" + COMP,
                "identity table: a listed SIP sender appears as its number")
        carl = xmppclient.Client("carl@localhost", "pw", addr).start()
        carl.send("+12025550100@" + COMP, "from-carl", receipt=True,
                  id="c1")
        carl.wait(lambda m: m["received"] == "c1", 5)
        got = [r for r in uas.requests() if r["method"] == "MESSAGE" and
               r["body"] == "from-carl"]
        tap.ok(got and got[0]["headers"].get("from", "").startswith(
            "<sip:+12025550178@gw.test;user=phone>"),
            "identity table: a listed XMPP sender appears in SIP as its "
            "number", diag=got and got[0]["headers"].get("from"))
        carl.stop()

        # -- XMPP -> XMPP
        alice.send("+12025550101@" + COMP, "x2x", receipt=True, id="xx1")
        m = bob.wait(lambda m: m["body"] == "x2x", 5)
        tap.ok(m is not None and m["from"] == "alice\\40localhost@" + COMP,
               "XMPP->XMPP: bob gets it from alice's gateway JID",
               diag=m and m["from"])
        tap.ok(alice.wait(lambda m: m["received"] == "xx1", 5) is not None,
               "XMPP->XMPP: alice gets bob's receipt")

        # -- SIP -> SIP still works
        code, _, _ = uac.message(gw.addr, "sip:+12025550100@gw.test",
                                 body="s2s")
        tap.is_(code, 200, "SIP->SIP still works with XMPP enabled")

        # -- the ACL holds for replies to escaped addresses too
        import signal
        with open(gw.conf) as f:
            conf_text = f.read()
        with open(gw.conf, "w") as f:
            f.write(conf_text + 'acl = { xmpp_domains = [ "elsewhere.example" ]; };\n')
        os.kill(gw.proc.pid, signal.SIGHUP)
        gw.wait_log(r"reload: .* is in force", 5)
        bob.send("carol\\40127.0.0.1\\3a%d@%s" % (uas.port, COMP), "sneak",
                 id="acl1", receipt=False)
        e = bob.wait(lambda m: m["id"] == "acl1" and m["type"] == "error", 5)
        tap.is_(e and e["error"], "forbidden", "ACL: a reply to an escaped "
                "SIP address from a domain not allowed -> <forbidden/>")
        alice.send("+12025550100@" + COMP, "sneak2", id="acl2",
                   receipt=False)
        e = alice.wait(lambda m: m["id"] == "acl2" and m["type"] == "error",
                       5)
        tap.is_(e and e["error"], "forbidden", "ACL: a number from a "
                "domain not allowed -> <forbidden/>")
        tap.ok(not [r for r in uas.requests() if r["body"] in
                    ("sneak", "sneak2")], "ACL: nothing reached SIP")
        with open(gw.conf, "w") as f:
            f.write(conf_text)
        os.kill(gw.proc.pid, signal.SIGHUP)
        time.sleep(0.5)

        # -- Prosody restart in the middle of traffic
        alice.stop()
        bob.stop()
        pros.stop()
        tap.ok(gw.wait_log(r"component %s disconnected" % COMP, 5)
               is not None, "imgated notices the component is down")
        n = 6
        ids = [uac.send(gw.addr, "sip:+12025550101@gw.test",
                        body="during outage %d" % i) for i in range(n)]
        uac.poll(1.0)
        tap.ok(all(uac.result(c)[0] is None for c in ids),
               "messages accepted during the outage are held")
        pros.start()
        bob = xmppclient.Client("bob@localhost", "pw", addr).start()
        tap.ok(gw.wait_log(r"component %s connected(?s:.*)component %s "
                           "connected" % (COMP, COMP), 15) is not None,
               "the component reconnects")
        uac.poll(15)
        codes = [uac.result(c)[0] for c in ids]
        tap.ok(all(c is not None for c in codes),
               "every held message is answered (%s)" % codes)
        delivered = [c for c in codes if c in (200, 202)]
        got = [m for m in bob.messages if (m["body"] or "").startswith(
            "during outage")]
        tap.ok(len(delivered) == len(got) or len(got) >= len(delivered),
               "%d delivered after the reconnect, %d reached bob, none lost"
               % (len(delivered), len(got)))
        tap.ok(sum(1 for c in codes if c in (200, 202)) +
               sum(1 for c in codes if c is not None and c >= 300) == n,
               "the count adds up: none lost")
        tap.ok(gw.alive(), "imgated still running (libstrophe component "
               "stanza handling did not crash)")
        bob.stop()
        uac.close()
        procs.stop(gw.proc)
        pros.stop()
        tap.is_(gw.proc.returncode, 0, "imgated exits 0")
        log = gw.log_text()
        tap.ok("Bad file descriptor" not in log,
               "losing and closing the component connection leave su_root "
               "consistent (no EBADF from epoll)",
               diag=[ln for ln in log.splitlines() if "EPOLL" in ln][:3])
        tap.ok(re.search(r"info: xmpp: component \S+ disconnected", log)
               and not re.search(r"warning: xmpp: component \S+ "
                                 r"disconnected \(closed\)\s*\Z", log),
               "the disconnection at shutdown is logged as info, not a "
               "warning")
    return tap.done()


def ms_between(log, first, second):
    """Milliseconds between the first log lines matching @first and
    @second (YYYY-MM-DDTHH:MM:SS.mmmZ stamps, imgated -d); a large number
    when one is missing."""
    stamps = []
    for pat in (first, second):
        m = re.search(r"^(?:\d{4}-\d\d-\d\dT)?(\d+):(\d+):(\d+)\.(\d+)Z? "
                      r".*%s" % pat, log, re.M)
        if m is None:
            return 10 ** 9
        h, mi, se, ms = (int(x) for x in m.groups())
        stamps.append(((h * 60 + mi) * 60 + se) * 1000 + ms)
    return stamps[1] - stamps[0]


if __name__ == "__main__":
    sys.exit(main())
