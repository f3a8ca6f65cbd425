#!/usr/bin/python3
"""test_sip_path.py - the SIP path end to end against real servers.

unbound serves an ENUM zone (and, through the suite's own fakedns, a
SERVFAIL), sipp UAS instances play the downstream servers, sipp UAC (and
for a few cases the suite's small UAC) plays the sender, imgated sits in
the middle.  Asserted: what the UAS received (Request-URI, Route to the
SRV target, body, Content-Type) and what the sender got, for the success
path and every error class of the Foundation issue: 484 (malformed and
non-E.164 numbers), 404 (no NAPTR, no usable rule), 503 + Retry-After
(SERVFAIL, dead resolver, silent resolver), 408 (downstream timeout),
downstream error codes relayed; and that the daemon keeps serving.
"""

import re
import sys
import time

import imgtest
from imgtest import Procs, tap
import gwtest
import sipuac


def zone(uas, slow, busy):
    def naptr(num, svc, rx):
        return gwtest.naptr(gwtest.enum_owner(num), [gwtest.naptr_rr(
            regexp=rx, services=svc, preference=100)])
    return [
        naptr("+12025550100", "E2U+im", "!^\\+1(.*)$!im:carol\\1@sip.test!"),
        naptr("+12025550102", "E2U+h323", "!^.*$!h323:op@sip.test!"),
        naptr("+12025550103", "E2U+im", "!^.*$!im:slow@slow.test!"),
        naptr("+12025550104", "E2U+im", "!^.*$!im:busy@busy.test!"),
        gwtest.enum_sip("+12025550105", "sip:\\1@127.0.0.1:%d" % uas),
        naptr("+12025550107", "E2U+sip",
              "!^(.*)$!sip:\\1@127.0.0.1:%d;user=phone!" % uas),
        {"owner": gwtest.enum_owner("+12025550106"), "type": "NAPTR",
         "rcode": "SERVFAIL"},
        *gwtest.sip_domain("sip.test", uas),
        *gwtest.sip_domain("slow.test", slow),
        *gwtest.sip_domain("busy.test", busy),
    ]


def main():
    with Procs("sip-path") as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        slow = gwtest.start_uas(procs, "uas_slow.xml")
        busy = gwtest.start_uas(procs, "uas_486.xml")
        dns_port, unbound = imgtest.start_unbound(
            zone(uas.port, slow.port, busy.port), procs=procs)
        # As an operator runs it: bound as root, serving as nobody.
        gw = gwtest.start_imgated(procs, dns_port, sip_timeout_ms=2000,
                                  user="nobody")
        tap.diag("unbound :%d, imgated :%d, UAS :%d/:%d/:%d"
                 % (dns_port, gw.port, uas.port, slow.port, busy.port))

        # -- success path
        rc, trace = gwtest.run_uac(procs, "uac_message.xml", gw.port,
                                   extra_args=["-s", "+12025550100"])
        codes = gwtest.response_codes(trace)
        tap.ok(rc == 0 and 200 in codes, "success: sender gets 200",
               diag="rc=%s codes=%s\n%s" % (rc, codes, gw.log_text()[-1500:]))
        time.sleep(0.2)
        reqs = [r for r in uas.requests() if r["method"] == "MESSAGE"]
        tap.ok(len(reqs) == 1, "success: the UAS received one MESSAGE",
               diag=uas.messages()[-2000:])
        r = reqs[0] if reqs else {"ruri": None, "headers": {}, "body": ""}
        tap.is_(r["ruri"], "sip:carol2025550100@sip.test",
                "success: Request-URI is sip:user@domain from the im: URI")
        tap.ok("127.0.0.1:%d" % uas.port in r["headers"].get("route", ""),
               "success: loose Route to the _im._sip SRV target",
               diag=r["headers"].get("route"))
        tap.is_(r["headers"].get("content-type"), "text/plain",
                "success: Content-Type preserved")
        tap.ok(r["body"].startswith("hello from sipp call 1 imgate-marker"),
               "success: body preserved", diag=repr(r["body"]))
        tap.ok("sip:sipp@127.0.0.1" in r["headers"].get("from", ""),
               "success: From names the original sender",
               diag=r["headers"].get("from"))

        import os
        tasks = os.listdir("/proc/%d/task" % gw.proc.pid)
        tap.is_(len(tasks), 1, "imgated runs a single thread")

        # -- error classes through sipp's expecting scenarios
        for num, scen, what in [
                ("+1-800-FLOWERS", "uac_expect_484.xml",
                 "letters in the number -> 484"),
                ("02025550100", "uac_expect_484.xml",
                 "dialled string without + (not E.164) -> 484"),
                ("+1234567890123456", "uac_expect_484.xml",
                 "16 digits -> 484"),
                ("+12025550199", "uac_expect_404.xml",
                 "no NAPTR (NXDOMAIN) -> 404"),
                ("+12025550102", "uac_expect_404.xml",
                 "only unusable NAPTRs -> 404"),
                ("+12025550106", "uac_expect_503.xml",
                 "SERVFAIL -> 503 with Retry-After"),
                ("+12025550103", "uac_expect_408.xml",
                 "downstream never answers -> 408")]:
            rc, trace = gwtest.run_uac(procs, scen, gw.port,
                                       extra_args=["-s", num])
            tap.ok(rc == 0, what, diag="codes=%s\n%s" % (
                gwtest.response_codes(trace), gw.log_text()[-800:]))
            tap.ok(gw.alive(), "daemon alive after: " + what)

        uac = sipuac.UAC()
        try:
            code, h, _ = uac.message(gw.addr, "sip:+12025550104@gw.test",
                                     timeout=6)
            tap.is_(code, 486, "downstream 486 is relayed as 486")
            code, h, _ = uac.message(
                gw.addr, "sip:+1-202-555-0100@gw.test;user=phone")
            tap.is_(code, 200, "sip: URI with user=phone and separators")
            code, h, _ = uac.message(gw.addr, "tel:+12025550100")
            tap.is_(code, 200, "tel: Request-URI")
            code, h, _ = uac.message(gw.addr, "sip:+12025550105@gw.test")
            tap.is_(code, 200, "E2U+sip URI naming an address: delivered")
            code, h, _ = uac.message(gw.addr, "sip:+12025550107@gw.test",
                                     body="user-phone")
            tap.is_(code, 200, "E2U+sip URI with ;user=phone: delivered")
            code, h, _ = uac.message(gw.addr, "sip:alice@gw.test")
            tap.is_(code, 484, "a user part that is no number -> 484")
            code, h, _ = uac.message(
                gw.addr, "sip:+1-800-FLOWERS@gw.test;user=phone")
            tap.is_(code, 484, "user=phone with letters -> 484")
            code, h, _ = uac.message(
                gw.addr, "tel:5550100;phone-context=+1202")
            tap.is_(code, 484, "tel: local number -> 484")
            code, h, _ = uac.message(gw.addr, "sip:+12025550100@gw.test",
                                     body="x" * 9000)
            tap.is_(code, 413, "body over sip.max_body -> 413")
            # -- requests imgate does not relay (RFC 3261 8.2.1-8.2.2)
            code, h, _ = uac.message(gw.addr, "sip:+12025550100@gw.test",
                                     method="OPTIONS", body="")
            tap.is_(code, 200, "OPTIONS -> 200")
            tap.ok("MESSAGE" in h.get("allow", ""),
                   "OPTIONS answer lists MESSAGE in Allow", diag=h)
            code, h, _ = uac.message(gw.addr, "sip:+12025550100@gw.test",
                                     method="SUBSCRIBE", body="")
            tap.is_(code, 405, "SUBSCRIBE -> 405")
            tap.ok("MESSAGE" in h.get("allow", ""),
                   "405 carries Allow", diag=h)
            code, h, _ = uac.message(gw.addr, "sip:+12025550100@gw.test",
                                     extra=["Require: 100rel-bogus"])
            tap.is_(code, 420, "unknown Require -> 420")
            tap.is_(h.get("unsupported"), "100rel-bogus",
                    "420 names the extension in Unsupported")
            # -- each answer imgate writes, relayed or its own (relay,
            # screen, OPTIONS), carries the whole Server header (encoded
            # once at start, copied into every answer: sipgw.c answer())
            # and a To tag (RFC 3261 8.2.6.2).
            seen = []
            for ruri, kw in (("sip:+12025550100@gw.test", {}),
                             ("sip:alice@gw.test", {}),
                             ("sip:+12025550100@gw.test",
                              {"method": "OPTIONS", "body": ""}),
                             ("sip:+12025550100@gw.test",
                              {"body": "x" * 9000})):
                code, h, _ = uac.message(gw.addr, ruri, **kw)
                seen.append((code, h.get("server", ""), h.get("to", "")))
            tap.ok([c for c, _, _ in seen] == [200, 484, 200, 413] and
                   len({s for _, s, _ in seen}) == 1 and
                   re.match(r"^imgate/[0-9][^\s,;]*$", seen[0][1]) and
                   all(re.search(r";\s*tag=[^;\s]+", t)
                       for _, _, t in seen),
                   "every answer has Server: imgate/VERSION and a To tag",
                   diag=seen)
            # answer() builds the answer itself: nta's To tag, new for
            # every answer, around the sender's To as it was.
            totags = [re.search(r";\s*tag=([^;\s]+)", t) for _, _, t in seen]
            tap.ok(all(totags) and
                   len({m.group(1) for m in totags if m}) == len(seen) and
                   all(t.startswith("<sip:+12025550100@gw.test>;") or
                       t.startswith("<sip:alice@gw.test>;")
                       for _, _, t in seen),
                   "a new To tag in every answer, the sender's To kept",
                   diag=seen)
            code, h, _ = uac.message(gw.addr, "mailto:a@gw.test")
            tap.is_(code, 416, "mailto: Request-URI -> 416")
            code, h, _ = uac.message(gw.addr, "sip:+12025550100@gw.test")
            tap.ok(code == 200 and ";tag=" in h.get("to", ""),
                   "final response carries a To tag", diag=h)
            # A retransmission after the answer is absorbed by the server
            # transaction: the same answer again, no second relay.
            before = len(uas.requests())
            cid = uac.send(gw.addr, "sip:+12025550100@gw.test",
                           body="once only")
            uac.poll(5)
            first = uac.result(cid)[0]
            uac.sock.sendto(uac.pending[cid]["raw"], gw.addr)
            uac.sock.settimeout(2)
            again = uac.parse(uac.sock.recvfrom(65535)[0])[0]
            time.sleep(0.3)
            tap.ok(first == 200 and again == 200,
                   "a retransmitted MESSAGE gets its 200 again",
                   diag=(first, again))
            tap.is_(len([r for r in uas.requests()[before:]
                         if r["method"] == "MESSAGE"]), 1,
                    "a retransmitted MESSAGE is relayed once")
        finally:
            uac.close()
        time.sleep(0.2)
        got = [r for r in uas.requests() if r["method"] == "MESSAGE"]
        tap.ok(any(r["ruri"] == "sip:12025550105@127.0.0.1:%d" % uas.port
                   for r in got), "E2U+sip: Request-URI is the NAPTR's URI",
               diag=[r["ruri"] for r in got])
        up = [r for r in gwtest.received_requests(uas.messages())
              if r["body"] == "user-phone"]
        want = "<sip:+12025550107@127.0.0.1:%d;user=phone>" % uas.port
        tap.ok(len(up) == 1 and up[0]["headers"].get("to", "").startswith(
            want), "URI parameters stay inside To's angle brackets",
            diag=[r["headers"].get("to") for r in up])

        # -- what imgate writes into each forwarded MESSAGE itself (it
        # makes the Call-ID and From tag, not nta): a Call-ID and a From
        # tag of its own, new for every message and not the sender's,
        # its User-Agent, one hop fewer than the request arrived with.
        fwd = [r for r in gwtest.received_requests(uas.messages())
               if r["method"] == "MESSAGE"]
        cids = [r["headers"].get("call-id", "") for r in fwd]
        tags = [re.search(r";\s*tag=([^;\s]+)", r["headers"].get("from",
                                                                 ""))
                for r in fwd]
        tags = [m.group(1) if m else "" for m in tags]
        tap.ok(len(fwd) >= 6 and all(cids) and all(tags),
               "every forwarded MESSAGE has a Call-ID and a From tag",
               diag=list(zip(cids, tags)))
        # A retransmission of imgate's own request repeats both.
        tap.ok(len(set(cids)) == len(set(tags)) == len(set(zip(cids, tags)))
               and len(set(cids)) >= 6,
               "a new Call-ID and From tag per forwarded MESSAGE",
               diag=list(zip(cids, tags)))
        tap.ok(not any("SIPpTag" in t or "@127.0.0.1" in c
                       for c, t in zip(cids, tags)),
               "neither is the sender's (sipp's Call-ID and From tag)",
               diag=list(zip(cids, tags)))
        tap.ok(all(r["headers"].get("user-agent", "").startswith("imgate/")
                   for r in fwd), "User-Agent: imgate/VERSION",
               diag=[r["headers"].get("user-agent") for r in fwd])
        tap.ok(all(r["headers"].get("max-forwards") == "69" for r in fwd),
               "Max-Forwards: 70 in, 69 out",
               diag=[r["headers"].get("max-forwards") for r in fwd])

        # -- still serving after all of that
        rc, trace = gwtest.run_uac(procs, "uac_message.xml", gw.port,
                                   extra_args=["-s", "+12025550100"])
        tap.ok(rc == 0, "daemon keeps serving: a good message after the "
               "errors gets 200")
        log = gw.log_text()
        for why in ("invalid number", "not an E.164 number", "no ENUM data",
                    "no usable NAPTR", "DNS temporary failure",
                    "downstream timeout"):
            tap.ok(why in log, "log line says why: " + why)

        # -- resolver dead (port closed) and resolver silent
        dead = imgtest.free_port()
        gw2 = gwtest.start_imgated(procs, dead)
        rc, trace = gwtest.run_uac(procs, "uac_expect_503.xml", gw2.port,
                                   extra_args=["-s", "+12025550100"])
        tap.ok(rc == 0, "resolver port closed -> 503 with Retry-After",
               diag=gw2.log_text()[-800:])
        import socket
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        silent.bind(("127.0.0.1", 0))
        gw3 = gwtest.start_imgated(procs, silent.getsockname()[1],
                                   dns_timeout_ms=500)
        rc, trace = gwtest.run_uac(procs, "uac_expect_503.xml", gw3.port,
                                   extra_args=["-s", "+12025550100"])
        tap.ok(rc == 0, "resolver silent (timeout) -> 503 with Retry-After",
               diag=gw3.log_text()[-800:])
        silent.close()
        for d in (gw, gw2, gw3):
            procs.stop(d.proc)
            tap.is_(d.proc.returncode, 0, "imgated exits 0 on SIGTERM")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
