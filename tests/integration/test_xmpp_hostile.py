#!/usr/bin/python3
"""test_xmpp_hostile.py - the component edge against a hostile server.

fakecomp.py plays the XMPP server's XEP-0114 side, so that the test can
send what Prosody never would.  Asserted:

- An <iq/> get or set, to the component or to a number at it, is
  answered with an <iq type='error'/> <service-unavailable/> carrying its
  id (RFC 6120 8.2.3; it used to get nothing and its sender waited for
  ever); an iq result or error, or an iq without a from, gets nothing.
- Error stanzas for unknown ids and stanzas without a from are never
  answered (no error loops); 200 messages in one write are all handled.
- A headline is relayed, but never answered with an error stanza when
  it fails (RFC 6121 8.5.2; it used to get one), only logged.
- XML the server's stream cannot parse: libstrophe sends an
  <invalid-xml/> stream error but kept the stream open with its parser
  failed, every later stanza lost while the component looked connected;
  imgated now closes the stream, says why, and reconnects.
- The stream's caps (gateway/xmlguard.h): a stanza nested 200 000
  elements deep used to overflow imgated's stack in libstrophe (a
  crash); it, a stanza one level past 64, one over xmpp.max_stanza
  bytes and a comment (restricted XML, RFC 6120 11.1) now each get a
  <policy-violation/> or <restricted-xml/> stream error, the stream is
  closed with a log line saying why, and imgated reconnects; the
  message sent before them in the same write is still relayed, and a
  stanza nested 64 deep, or just under the byte cap, is relayed.
- A server that accepts the TCP connection and never answers the stream
  header: imgated gives up after 10 s and reconnects (it used to wait for
  ever, the component down for good).
- The connection closed in the middle of a stanza: reconnected.
- A server that stops reading: messages for XMPP used to be answered
  202 and kept in libstrophe's send queue without a bound; past
  xmpp.queue_max unwritten stanzas they are refused with 503, and each
  message taken arrives once the server reads again.  When instead the
  connection breaks, the stanzas libstrophe had not begun to write are
  taken back (logged with their count) and arrive, each once, on the
  next stream; they used to be freed with the connection, and their
  messages answered 202 all the same.
- The daemon serves on, exits 0 and clean under the sanitizers.
"""

import re
import sys
import time

import imgtest
from imgtest import Procs, tap
import gwtest
from gwtest import enum_naptr as naptr
from fakecomp import FakeComponent
import promparse
import sipuac

COMP = "gw.localhost"
SECRET = "s3cret"
NUM = "+12025550100@" + COMP


def msg(to, body="x", frm="alice@localhost/r", id="m1", mtype=None):
    return "<message to='%s'%s id='%s'%s><body>%s</body></message>" % (
        to, " from='%s'" % frm if frm else "", id,
        " type='%s'" % mtype if mtype else "", body)


def main():
    with Procs("xmpp-hostile") as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        dns = [naptr("+12025550100", "im:carol@sip.test"),
               naptr("+12025550101", "im:bob@localhost"),
               gwtest.xmpp_domain("localhost")]
        dns += gwtest.sip_domain("sip.test", uas.port)
        fake = imgtest.start_fakedns(dns, procs=procs)
        srv = FakeComponent(SECRET, COMP).start()
        # (xmpp.dead_after_s 0: the server below that reads nothing for
        # 30 s would otherwise be given up, test_xmpp_dead_peer.py's case)
        mport = imgtest.free_port()
        gw = gwtest.start_imgated(procs, fake.port, conf_extra="""xmpp = {
    enable = true; server = "127.0.0.1"; port = %d; domain = "%s";
    secret = "%s"; receipt_wait_ms = 2000; reconnect_max_ms = 1000;
    queue_wait_ms = 20000; queue_max = 100; max_stanza = 20000;
    dead_after_s = 0; };
metrics = { enable = true; listen = "127.0.0.1:%d"; };
""" % (srv.port, COMP, SECRET, mport), sip_extra="max_body = 60000;")
        c = srv.accept(10)
        c.handshake()
        tap.ok(gw.wait_log(r"component %s connected" % COMP, 5),
               "imgated connects to the fake component server")

        # -- iq
        c.send("<iq type='get' id='q1' from='alice@localhost/r' to='%s'>"
               "<query xmlns='http://jabber.org/protocol/disco#info'/>"
               "</iq>" % COMP)
        r = c.read_until(r"<iq [^>]*id=.q1.*?</iq>", 5) or ""
        tap.ok(re.search(r"type=.error.", r) and
               "<service-unavailable" in r and
               re.search(r"to=.alice@localhost/r.", r),
               "iq get to the component -> iq error <service-unavailable/>",
               diag=r or gw.log_text()[-800:])
        c.send("<iq type='set' id='q2' from='alice@localhost/r' to='%s'>"
               "<x xmlns='urn:example:unknown'/></iq>" % NUM)
        r = c.read_until(r"<iq [^>]*id=.q2.*?</iq>", 5) or ""
        tap.ok(re.search(r"type=.error.", r) and
               "<service-unavailable" in r and
               re.search(r"from=.%s." % re.escape(NUM), r),
               "iq set to a number -> iq error from that JID", diag=r)
        tap.ok(gw.wait_log(r"<iq type='set'/> from alice@localhost/r to "
                           r"\S+ refused", 3),
               "the refused iq is logged")
        c.send("<iq type='result' id='q3' from='alice@localhost/r' "
               "to='%s'/>" % COMP)
        c.send("<iq type='error' id='q4' from='alice@localhost/r' "
               "to='%s'/>" % COMP)
        c.send("<iq type='get' id='q5' to='%s'><ping xmlns='urn:xmpp:ping'/>"
               "</iq>" % COMP)
        c.send("<presence from='alice@localhost/r' to='%s'/>" % NUM)
        # -- never answered: errors for nothing of ours, no from
        c.send(msg(NUM, mtype="error", id="e1"))
        c.send(msg(NUM, mtype="error", id="imgate-0000000000000000-1"))
        c.send(msg(NUM, frm=None, id="nofrom"))
        out = c.drain(1.5)
        tap.is_(out, "", "iq result/error, iq and message without a from, "
                "error stanzas for unknown ids: nothing sent back")

        # -- headline: relayed, never answered with an error
        c.send(msg(NUM, "news", id="h1", mtype="headline"))
        c.send(msg("+12025550199@" + COMP, "news", id="h2",
                   mtype="headline"))
        c.send(msg("nonumber@" + COMP, "news", id="h3", mtype="headline"))
        out = c.drain(2)
        tap.ok(gwtest.wait_for(lambda: [r for r in uas.requests()
                                        if r["body"] == "news"], 3),
               "a headline is relayed like a message")
        tap.is_(out, "", "a headline is never answered, not even with an "
                "error (RFC 6121 8.5.2): no ENUM data, malformed number")
        tap.ok(gw.wait_log(r"in_id=h2 .*no ENUM data.*outcome=permanent",
                           1) and
               gw.wait_log(r"in_id=h3 .*invalid number.*outcome=permanent",
                           1),
               "... its failures are logged", diag=gw.log_text()[-3000:])

        # -- many stanzas in one write
        c.send("".join(msg(NUM, "burst %d" % i, id="b%d" % i)
                       for i in range(200)))
        ok = gwtest.wait_for(lambda: len([r for r in uas.requests()
                                          if r["body"].startswith("burst ")])
                             == 200, 20)
        tap.ok(ok, "200 stanzas in one write: 200 MESSAGEs",
               diag=len(uas.requests()))

        # -- XML the parser refuses: the stream is closed and re-opened
        n0 = len(srv.accepted)
        c.send(msg(NUM, "bad &#1; char", id="bad"))
        c2 = srv.accept(10)
        tap.ok(c2 is not None, "not well-formed XML from the server: "
               "imgated closes the stream and reconnects",
               diag=gw.log_text()[-1500:])
        tap.ok(gw.wait_log(r"warning: xmpp: component stream to \S+: not "
                           r"well-formed XML; closing it", 1),
               "... and says why")
        if c2 is not None:
            c.close()
            c = c2.handshake()
            c.send(msg(NUM, "after bad xml", id="abx"))
            tap.ok(gwtest.wait_for(lambda: [r for r in uas.requests()
                                            if r["body"] == "after bad xml"],
                                   5), "... and serves on the new stream",
                   diag=gw.log_text()[-2500:])
        else:
            tap.ok(False, "... and serves on the new stream")
        del n0

        # -- the stream's caps
        def refused(c, data, cond, why, label):
            """@data breaks a cap: a <@cond/> stream error, the stream
            closed, the log line, a new stream; returns its connection."""
            c.send(data)
            r = c.read_until(r".*?</stream:stream>", 10) or ""
            tap.ok(re.search(r"<stream:error><%s xmlns=.urn:ietf:params:"
                             r"xml:ns:xmpp-streams./>" % cond, r),
                   "%s: a <%s/> stream error, the stream closed"
                   % (label, cond), diag=r[-600:] or gw.log_text()[-800:])
            tap.ok(gw.wait_log(r"warning: xmpp: component stream to \S+: "
                               r"the server sent %s; closing it" % why, 5),
                   "... and says why", diag=gw.log_text()[-800:])
            c.close()
            c2 = srv.accept(10)
            tap.ok(c2 is not None and gw.alive(),
                   "... imgated serves on and reconnects")
            return c2.handshake() if c2 is not None else None

        def relayed(c, body, label):
            tap.ok(gwtest.wait_for(lambda: [r for r in uas.requests()
                                            if r["body"] == body], 5),
                   label, diag=gw.log_text()[-1500:])

        def nest(levels, body, mid=""):
            """A message whose extension nests it @levels deep."""
            return ("<message to='%s' from='a@localhost/r' id='n%d'>"
                    "<body>%s</body>%s%s%s</message>" % (
                        NUM, levels, body, mid,
                        "<x xmlns='urn:test'>" * (levels - 1) if levels > 1
                        else "", "</x>" * (levels - 1)))

        c.send(nest(64, "nested 64 deep"))
        relayed(c, "nested 64 deep", "a stanza nested 64 deep is relayed")
        deep = nest(200000, "never")
        c = refused(c, msg(NUM, "before the deep one", id="bd") + deep,
                    "policy-violation", "a stanza nested deeper than 64 "
                    "elements", "a stanza nested 200 000 deep (it used to "
                    "crash imgated)")
        relayed(c, "before the deep one", "... the message before it in "
                "the same write is relayed")
        if c is not None:
            c = refused(c, nest(65, "one too deep"), "policy-violation",
                        "a stanza nested deeper than 64 elements",
                        "a stanza nested 65 deep")
        if c is not None:
            # (the body stays short: over 1300 bytes it would go over TCP,
            # which the UAS does not take)
            c.send(nest(1, "19 000 bytes", "<x xmlns='urn:test'>%s</x>"
                        % ("b" * 18800)))
            relayed(c, "19 000 bytes", "a stanza of 19 000 bytes is "
                    "relayed (xmpp.max_stanza 20000)")
            c = refused(c, msg(NUM, "c" * 21000, id="big21"),
                        "policy-violation", r"a stanza longer than 20000 "
                        r"bytes \(xmpp.max_stanza\)",
                        "a stanza of 21 000 bytes")
        if c is not None:
            c = refused(c, "<!-- a comment -->", "restricted-xml",
                        r"a comment, processing instruction or document "
                        r"type declaration \(RFC 6120 11.1\)",
                        "a comment between stanzas")
        if c is None:
            tap.bail_out("no component connection after the caps")
        c.send(msg(NUM, "after the caps", id="atc"))
        relayed(c, "after the caps", "... and the new stream serves")
        s = gwtest.scrape(mport)
        got = [promparse.value(s, "imgate_component_refused_total", cap=k)
               for k in ("depth", "size", "restricted")]
        tap.is_(got, [2, 1, 1], "metrics: imgate_component_refused_total "
                "by cap (depth, size, restricted)")

        # -- a server that never answers the stream header
        c.close()
        c = srv.accept(10)
        tap.ok(c is not None, "reconnects after the server closed")
        c.read_until(r"<stream:stream[^>]*>", 5)
        t0 = time.monotonic()
        c2 = srv.accept(20)
        waited = time.monotonic() - t0
        tap.ok(c2 is not None and 9 < waited < 17,
               "a server that never answers the stream header: given up "
               "after 10 s, reconnected (%.1f s)" % waited,
               diag=gw.log_text()[-1000:])
        tap.ok(gw.wait_log(r"warning: xmpp: component stream to \S+: no "
                           r"handshake within 10000 ms; closing it", 1),
               "... and says why")
        c.close()
        if c2 is None:
            c2 = srv.accept(10)
        c = c2.handshake()

        # -- closed in the middle of a stanza's text
        c.send("<message to='%s' from='a@localhost/r' id='half'><body>"
               "cut off in the middle of its" % NUM)
        time.sleep(0.3)
        c.close()
        c = srv.accept(10)
        tap.ok(c is not None, "closed mid-stanza: reconnected")
        c.handshake()
        for i, body in enumerate(("y", "a longer body, after the cut")):
            c.send(msg(NUM, body, id="ac%d" % i))
            got = gwtest.wait_for(lambda: [r for r in uas.requests()
                                           if r["body"] == body], 5)
            tap.ok(got and gw.alive(), "after a stanza cut off in its "
                   "text, the first text on the new stream arrives as sent "
                   "(%r)" % body, diag=gw.log_text()[-1500:])
        uac = sipuac.UAC()
        code, _, _ = uac.message(gw.addr, "sip:+12025550101@gw.test",
                                 body="still serving")
        m = c.read_until(r"<message[^>]*>.*?still serving.*?</message>", 5)
        tap.ok(m is not None and code in (200, 202),
               "SIP->XMPP still works (%s)" % code)

        # -- a server that reads nothing: the unwritten stanzas are capped
        body = "B" * 50000
        codes = []
        for _ in range(4):
            ids = [uac.send(gw.addr, "sip:+12025550101@gw.test", body=body)
                   for i in range(100)]
            uac.poll(8)
            codes += [uac.result(i)[0] for i in ids]
        taken = sum(1 for x in codes if x in (200, 202))
        tap.ok(codes.count(503) > 0 and
               taken + codes.count(503) == len(codes),
               "a server that reads nothing: past xmpp.queue_max unwritten "
               "stanzas, messages are refused with 503 (%d taken, %d "
               "refused)" % (taken, codes.count(503)),
               diag=sorted(set(map(str, codes))))
        tap.ok(gw.wait_log(r"the XMPP server reads nothing: \d+ stanzas "
                           r"not written \(xmpp.queue_max 100\): refused",
                           1), "... and says why")
        data, end = "", time.monotonic() + 30
        while data.count(body) < taken and time.monotonic() < end:
            data += c.drain(0.5)
        data += c.drain(1)
        tap.is_(data.count(body), taken, "... and once it reads, each "
                "message taken arrives, once")

        # -- it reads nothing, then the connection breaks: what
        # libstrophe had not begun to write is sent on the next stream
        # (it used to be freed with the connection, each message
        # answered 202 all the same)
        pad = "y" * 50000
        mark = len(gw.log_text())
        ids = [uac.send(gw.addr, "sip:+12025550101@gw.test",
                        body="T%03d%s" % (i, pad)) for i in range(150)]

        def handled():
            """Messages imgated has written to libstrophe or refused:
            none may come after the reset, or it would be held as
            disconnected, not taken back."""
            t = gw.log_text()[mark:]
            return (len(re.findall(r"debug: txn \d+: <message to='bob@", t))
                    + len(re.findall(r"the XMPP server reads nothing: "
                                     r"\d+ stanzas not written", t)))
        tap.ok(gwtest.wait_for(lambda: handled() == 150, 30),
               "150 messages for a server that reads nothing: each "
               "written to libstrophe or refused (%d)" % handled())
        c.close()		# unread data: a reset
        m = gw.wait_log(r"xmpp: (\d+) stanzas not yet written when the "
                        r"connection went: (\d+) messages held again, "
                        r"(\d+) other stanzas kept", 10)
        c = srv.accept(10)
        if c is not None:
            c.handshake()
        data, end = "", time.monotonic() + 30
        while c is not None and time.monotonic() < end:
            more = c.drain(1)
            data += more
            if not more and data:
                break
        uac.poll(10)
        arrived = re.findall(r"T(\d{3})y", data)
        tap.ok(m is not None and int(m.group(1)) > 0 and arrived and
               len(arrived) == int(m.group(2)) + int(m.group(3)),
               "the connection broken with stanzas unwritten: they are "
               "taken back and arrive on the next stream (%s taken back, "
               "%d arrived)" % (m.group(1) if m else "none",
                                len(arrived)),
               diag=gw.log_text()[-1200:])
        tap.is_(len(arrived), len(set(arrived)), "... each once")
        logged = sum(int(a) + int(b) for a, b in re.findall(
            r"not yet written when the connection went: (\d+) messages "
            r"held again, (\d+) other stanzas kept", gw.log_text()))
        tap.is_(promparse.value(gwtest.scrape(mport),
                                "imgate_component_taken_back_total"),
                logged, "metrics: imgate_component_taken_back_total counts "
                "every stanza taken back (%d)" % logged)
        codes = [uac.result(i)[0] for i in ids]
        tap.ok(all(x in (200, 202, 503) for x in codes),
               "... and every sender has an answer",
               diag=sorted(set(map(str, codes))))
        uac.close()
        tap.ok(gw.alive(), "imgated alive")
        tap.is_(gw.term(), 0, "imgated exits 0")
        gwtest.sanitizer_clean(gw, "imgated")
        c.close()
        srv.stop()
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
