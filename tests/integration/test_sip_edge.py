#!/usr/bin/python3
"""test_sip_edge.py - loops, hop counts and header caps at the SIP edge.

Real unbound, sipp UAS and imgated on loopback; the senders are the
suite's small UDP client (sipuac) and raw TCP sockets.  Asserted:
- Max-Forwards (RFC 3261 16.3, 16.6): absent -> forwarded with 70, N ->
  forwarded with N-1, 0 -> 483 and nothing forwarded, malformed (-1,
  256, letters, two headers) -> 400 and nothing forwarded;
- Content-Type: six texts in turn, twice round, each forwarded as sent;
- a NAPTR pointing back at the gateway (its own domain, or its own
  address) -> 482 at once, one request processed, nothing relayed; a
  ping-pong between two gateways (static routes at each other) ends by
  Max-Forwards within one hop budget: 483 to the sender in seconds, at
  most ~71 requests processed over both;
- an XMPP address at the component's own domain (ENUM xmpp: answer, or a
  reply to an escaped JID there) -> 482;
- header caps over TCP: a 1 MiB header, 10 000 headers, a 60 KB header
  block and one 5 KB header line are each refused (513 or a close),
  logged with the cap, never relayed; the daemon keeps serving;
- a STUN binding request on the SIP UDP port is not answered (no
  reflection), is logged, and the daemon keeps serving;
- requests the SIP stack refuses before imgate sees them (a CSeq that is
  not a number, no From, SIP/3.0, a Content-Length past the end) get
  400 Bad CSeq Header, 400, 505 and 400, are never relayed, and are
  counted in one log line (nta logs them only at its debug level; they
  used to leave no line at all); the daemon keeps serving;
- 300 datagrams that are not SIP: the SIP stack's line for each
  ("received garbage") is logged 10 times at most, not 300 (a flood of
  them was a flood of log lines), the rest reported as suppressed with
  the next one after 10 s; the daemon keeps serving.
"""

import re
import socket
import struct
import time

import imgtest
from imgtest import Procs, tap
import gwtest
import sipuac


def naptr(num, rx, services="E2U+sip"):
    return gwtest.naptr(gwtest.enum_owner(num), [gwtest.naptr_rr(
        regexp=rx, services=services, preference=100)])


def zone(uas_port, gw_port):
    return [
        gwtest.enum_sip("+12025550100", "sip:\\1@127.0.0.1:%d" % uas_port),
        # points back at the gateway by its domain (gateway.domain)
        naptr("+12025550111", "!^(.*)$!sip:\\1@gw.test;user=phone!"),
        # ... and by its address
        naptr("+12025550112", "!^(.*)$!sip:\\1@127.0.0.1:%d!" % gw_port),
        # ... and by a name whose A record is the gateway's
        naptr("+12025550113", "!^(.*)$!sip:\\1@loop.test:%d!" % gw_port),
        # an XMPP address at the component's own domain
        naptr("+12025550114", "!^.*$!xmpp:bob@comp.gw.test!", "E2U+xmpp"),
        gwtest.addr("loop.test."),
    ]


INBOUND = re.compile(r"txn \d+: MESSAGE \S+ from ")


def inbound(gw):
    """Requests the daemon took in (one log line each)."""
    return len(INBOUND.findall(gw.log_text()))


def mf_of(req):
    return req["headers"].get("max-forwards")


def uas_messages(uas):
    return [r for r in uas.requests() if r["method"] == "MESSAGE"]


def tcp_request(port, headers, body=b"hi", timeout=10.0):
    """Send one MESSAGE over TCP with @headers (list of str lines after
    the mandatory ones); return (status code or None, closed?)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    lp = s.getsockname()[1]
    head = [
        "MESSAGE sip:+12025550100@gw.test SIP/2.0",
        "Via: SIP/2.0/TCP 127.0.0.1:%d;branch=z9hG4bK%d" % (lp, lp),
        "Max-Forwards: 70",
        "From: <sip:tcp@127.0.0.1>;tag=%d" % lp,
        "To: <sip:+12025550100@gw.test>",
        "Call-ID: tcp-%d@test" % lp,
        "CSeq: 1 MESSAGE",
        "Content-Type: text/plain",
    ] + headers + ["Content-Length: %d" % len(body)]
    raw = ("\r\n".join(head) + "\r\n\r\n").encode() + body
    code, closed = None, False
    try:
        s.sendall(raw)
        data = b""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            data += chunk
            m = re.search(rb"^SIP/2\.0 (\d{3})", data, re.M)
            if m and int(m.group(1)) >= 200:
                code = int(m.group(1))
                break
    except (ConnectionResetError, BrokenPipeError):
        closed = True
    except socket.timeout:
        pass
    finally:
        s.close()
    return code, closed


def main():
    with Procs("sip-edge") as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        gw_port = imgtest.free_port()
        dns_port, _ = imgtest.start_unbound(zone(uas.port, gw_port),
                                            procs=procs)
        gw = gwtest.start_imgated(procs, dns_port, port=gw_port,
                                  sip_timeout_ms=3000)
        srv = ("127.0.0.1", gw.port)
        uac = sipuac.UAC()
        ruri = "sip:+12025550100@gw.test"

        # -- Max-Forwards
        seen = 0
        for mf, want_code, want_fwd, what in [
                (None, 200, "70", "absent -> forwarded with 70"),
                ("70", 200, "69", "70 -> forwarded with 69"),
                ("1", 200, "0", "1 -> forwarded with 0"),
                ("71", 200, "70", "71 -> forwarded with 70"),
                ("255", 200, "254", "255 -> forwarded with 254"),
                ("0", 483, None, "0 -> 483, not forwarded"),
                ("-1", 400, None, "-1 -> 400, not forwarded"),
                ("256", 400, None, "256 -> 400, not forwarded"),
                ("ten", 400, None, "letters -> 400, not forwarded")]:
            code, _, _ = uac.message(srv, ruri, max_forwards=mf)
            time.sleep(0.3)
            got = uas_messages(uas)
            new = got[seen:]
            seen = len(got)
            tap.ok(code == want_code, "Max-Forwards %s: sender gets %d"
                   % (what, want_code),
                   diag="got %s\n%s" % (code, gw.log_text()[-800:]))
            if want_fwd is None:
                tap.is_(len(new), 0, "Max-Forwards %s: UAS got nothing"
                        % what)
            else:
                tap.ok(len(new) == 1 and mf_of(new[0]) == want_fwd,
                       "Max-Forwards %s: UAS got Max-Forwards %s"
                       % (what, want_fwd),
                       diag=[mf_of(r) for r in new])
        code, _, _ = uac.message(srv, ruri, max_forwards="5",
                                 extra=["Max-Forwards: 6"])
        time.sleep(0.3)
        got = uas_messages(uas)
        tap.ok(code == 400 and len(got) == seen,
               "two Max-Forwards headers -> 400, not forwarded",
               diag="code %s" % code)
        seen = len(got)
        tap.ok(gw.wait_log(r"Max-Forwards is 0 -> 483", 2) is not None,
               "the 483 is logged with its reason")

        # -- Content-Type: sent on as received, several texts in turn,
        # twice round
        types = ["text/plain", "text/plain;charset=UTF-8", "message/cpim",
                 "text/html;charset=utf-8", "application/im-iscomposing+xml",
                 "text/x-edge;a=b"]
        for rnd in (1, 2):
            for ct in types:
                code, _, _ = uac.message(srv, ruri, ctype=ct,
                                         body="ct %d %s" % (rnd, ct))
                got = []
                end = time.monotonic() + 10
                while time.monotonic() < end:
                    got = [r for r in uas_messages(uas)
                           if r["body"] == "ct %d %s" % (rnd, ct)]
                    if got:
                        break
                    time.sleep(0.05)
                tap.ok(code == 200 and len(got) == 1 and
                       got[0]["headers"].get("content-type") == ct,
                       "round %d: Content-Type %s forwarded as sent"
                       % (rnd, ct),
                       diag="code %s, %s" % (code, [r["headers"].get(
                           "content-type") for r in got]))
        seen = len(uas_messages(uas))

        # -- loops through ENUM back to the gateway
        for num, what in [("+12025550111", "its own domain"),
                          ("+12025550112", "its own address"),
                          ("+12025550113", "a name with its address")]:
            before = inbound(gw)
            t0 = time.monotonic()
            code, _, _ = uac.message(srv, "sip:%s@gw.test" % num)
            dt = time.monotonic() - t0
            tap.ok(code == 482 and dt < 3,
                   "NAPTR pointing at %s: 482 in %.2f s" % (what, dt),
                   diag="code %s\n%s" % (code, gw.log_text()[-1000:]))
            after = inbound(gw)
            tap.is_(after - before, 1, "NAPTR pointing at %s: one request "
                    "processed, none sent to itself" % what)
        tap.is_(len(uas_messages(uas)), seen, "loops: UAS got nothing")
        code, _, _ = uac.message(srv, ruri)
        tap.is_(code, 200, "a normal message routes right after the loops")
        seen += 1

        # -- ping-pong between two gateways: only Max-Forwards ends it
        pb = imgtest.free_port()
        route = """routes = ( { name = "peer"; prefix = "+1202555019";
  action = "static"; target = "sip:127.0.0.1:%d"; } );"""
        ga = gwtest.start_imgated(procs, dns_port, conf_extra=route % pb,
                                  sip_timeout_ms=8000)
        gb = gwtest.start_imgated(procs, dns_port, conf_extra=route % ga.port,
                                  sip_timeout_ms=8000, port=pb)
        t0 = time.monotonic()
        code, _, _ = uac.message(("127.0.0.1", ga.port),
                                 "sip:+12025550190@gw.test", timeout=20)
        dt = time.monotonic() - t0
        na = inbound(ga)
        nb = inbound(gb)
        tap.diag("ping-pong: %d + %d requests processed, %.2f s" %
                 (na, nb, dt))
        tap.ok(code == 483 and dt < 10,
               "ping-pong loop: sender gets 483 in %.2f s" % dt,
               diag="code %s\n%s" % (code, ga.log_text()[-1500:]))
        tap.ok(na + nb <= 72, "ping-pong loop: at most one Max-Forwards "
               "budget of requests (%d)" % (na + nb))
        time.sleep(1.0)
        tap.is_(inbound(ga) +
                inbound(gb), na + nb,
                "ping-pong loop: nothing more after the answer")

        # -- XMPP: a message for the component's own domain would come
        # straight back to imgate (the component is configured but its
        # server is down: the refusal comes before any sending)
        gx = gwtest.start_imgated(
            procs, dns_port, enumservices=("im", "sip", "xmpp"),
            conf_extra="""xmpp = { enable = true; server = "127.0.0.1";
    port = %d; domain = "comp.gw.test"; secret = "s"; };""" %
            imgtest.free_port())
        for r, what in [
                ("sip:+12025550114@gw.test", "ENUM answer xmpp:bob@<component>"),
                ("sip:alice%40comp.gw.test@gw.test",
                 "a reply to alice@<component>")]:
            t0 = time.monotonic()
            code, _, _ = uac.message(("127.0.0.1", gx.port), r)
            dt = time.monotonic() - t0
            tap.ok(code == 482 and dt < 3, "XMPP loop, %s: 482 in %.2f s"
                   % (what, dt), diag="code %s\n%s" % (code,
                                                        gx.log_text()[-800:]))
        tap.ok(gx.wait_log(r"component's own domain", 1) is not None,
               "XMPP loop: the log says why")

        # -- header caps over TCP
        for hdrs, what, cap in [
                (["Subject: " + "x" * (1 << 20)], "a 1 MiB header", None),
                (["X-H%d: v" % i for i in range(10000)], "10 000 headers",
                 "sip.max_headers"),
                (["X-Big%d: %s" % (i, "y" * 3000) for i in range(20)],
                 "a 60 KB header block", "sip.max_headers_size"),
                (["Subject: " + "z" * 5000], "a 5 KB header line",
                 "sip.max_header_line")]:
            code, closed = tcp_request(gw.port, hdrs)
            tap.ok((code is not None and code >= 400) or closed,
                   "%s: refused (%s)" % (what, code if code else "closed"))
            if code is not None and cap is not None:
                tap.is_(code, 513, "%s: 513" % what)
                tap.ok(gw.wait_log(r"over %s|than %s" % (re.escape(cap),
                                                         re.escape(cap)),
                                   2) is not None,
                       "%s: the log names %s" % (what, cap))
            time.sleep(0.2)
            tap.is_(len(uas_messages(uas)), seen, "%s: nothing relayed"
                    % what)
            code, _, _ = uac.message(srv, ruri)
            tap.is_(code, 200, "%s: the daemon keeps serving" % what)
            seen += 1
        # -- STUN on the SIP UDP port: sofia would answer a binding
        # request (RFC 5626's keepalive answer) with a larger response,
        # toward whatever source the request claims; imgate drops it
        stun = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        stun.settimeout(1.0)
        req = struct.pack("!HHI12s", 0x0001, 0, 0x2112A442,
                          b"imgate-stun1")
        for _ in range(3):
            stun.sendto(req, srv)
        try:
            got = stun.recv(2048)
        except socket.timeout:
            got = None
        stun.close()
        tap.ok(got is None, "STUN binding request: no answer",
               diag="got %r" % (got,))
        tap.ok(gw.wait_log(r"STUN", 2) is not None,
               "STUN binding request: the log says it was dropped")
        code, _, _ = uac.message(srv, ruri)
        tap.is_(code, 200, "STUN: the daemon keeps serving")
        seen += 1

        # -- malformed requests the SIP stack itself refuses
        time.sleep(1.1)		# the Max-Forwards 400s above are counted
        mark = len(gw.log_text())
        raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        raw.settimeout(2.0)
        raw.bind(("127.0.0.1", 0))
        rport = raw.getsockname()[1]

        def bad(n, start="MESSAGE %s SIP/2.0" % ruri, cseq="1 MESSAGE",
                frm="From: <sip:a@b.test>;tag=t\r\n", cl="0", body=""):
            return ("%s\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK"
                    "bad%d\r\n%sTo: <%s>\r\nCall-ID: bad%d@test\r\n"
                    "CSeq: %s\r\nMax-Forwards: 70\r\n"
                    "Content-Length: %s\r\n\r\n%s" % (
                        start, rport, n, frm, ruri, n, cseq, cl,
                        body)).encode()
        for req, want, what in [
                (bad(1, cseq="x MESSAGE"), b"SIP/2.0 400 Bad CSeq Header",
                 "a CSeq that is not a number"),
                (bad(2, frm=""), b"SIP/2.0 400 ", "no From"),
                (bad(3, start="MESSAGE %s SIP/3.0" % ruri),
                 b"SIP/2.0 505 ", "SIP/3.0"),
                (bad(4, cl="50", body="abc"), b"SIP/2.0 400 ",
                 "a Content-Length past the end")]:
            raw.sendto(req, srv)
            try:
                got = raw.recv(4096).split(b"\r\n")[0]
            except socket.timeout:
                got = None
            tap.ok(got is not None and got.startswith(want),
                   "%s: %s" % (what, want.decode().strip()),
                   diag="got %r" % (got,))
        raw.close()

        def counted():
            return sum(int(n) for n in re.findall(
                r"warning: sip: malformed SIP refused by the SIP stack in "
                r"\d+ ms: (\d+) requests", gw.log_text()[mark:]))
        tap.ok(gwtest.wait_for(lambda: counted() == 4, 3),
               "... the four counted in the log (a line a second)",
               diag=gw.log_text()[mark:][-800:])
        time.sleep(0.2)
        tap.is_(len(uas_messages(uas)), seen, "... none relayed")
        code, _, _ = uac.message(srv, ruri)
        tap.is_(code, 200, "... and the daemon keeps serving")
        seen += 1

        # -- a flood of datagrams that are not SIP: sofia logs each one
        mark = len(gw.log_text())
        junk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(300):
            junk.sendto(b"HELLO %d\r\n\r\n" % i, srv)
            if i % 50 == 49:
                time.sleep(0.05)	# no kernel drops: each one is read
        code, _, _ = uac.message(srv, ruri)
        tap.is_(code, 200, "300 datagrams that are not SIP: the daemon "
                "keeps serving")
        seen += 1
        n = gw.log_text()[mark:].count("received garbage")
        tap.ok(0 < n <= 10, "... and logs at most 10 lines for them, not "
               "300 (%d)" % n)
        time.sleep(10.2)
        junk.sendto(b"HELLO again\r\n\r\n", srv)
        rx = re.compile(r"sofia nta: nta_agent: received garbage from "
                        r"\S+: (\d+) more lines like it suppressed")
        m = None
        if gwtest.wait_for(lambda: rx.search(gw.log_text()[mark:]), 3):
            m = rx.search(gw.log_text()[mark:])
        tap.ok(m is not None and int(m.group(1)) + n == 300,
               "... the other %d reported with the next one after 10 s"
               % (300 - n), diag=gw.log_text()[mark:][-600:])
        junk.close()

        tap.ok(gw.alive() and ga.alive() and gb.alive() and gx.alive(),
               "every imgated still runs")
        uac.close()
    return tap.done()


if __name__ == "__main__":
    raise SystemExit(main())
