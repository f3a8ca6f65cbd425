#!/usr/bin/python3
"""test_spool.py - store-and-forward routes end to end (imgate.conf(5)
"Store-and-forward").

Real unbound (ENUM for one number), sipp UAS instances as destinations and
as the sender's own address, imgated in the middle with a spool file.
Asserted: (1) a message to a store-and-forward route gets 202 and reaches
the ENUM-resolved UAS with a Call-ID made of the message id; (2) with the
destination down, 202 all the same, then retries (one answered 503 by a
sipp UAS, one delivered) carry the same Call-ID; (3) imgated SIGKILLed
after the 202 while the destination is down, restarted on the same spool:
the message is delivered (durability, restart recovery); (4) the
destination answers 404: the sender's own address receives a failure
notice MESSAGE naming the destination and the status; (5) a full spool
refuses with 503 and Retry-After and logs it.

Runs once per spool backend (pgfixture.backends(): SQLite, and
PostgreSQL in a throwaway cluster); every description names the backend.
"""

import os
import re
import signal
import sys
import time

import imgtest
import pgfixture
from imgtest import Procs, tap
import gwtest
from gwtest import wait_for
import sipuac
import xmppclient

COMP = "gw.localhost"


def spool_conf(spool, routes, max_messages=100):
    return """
spool = { %s retry_initial_ms = 400; retry_max_ms = 800;
  max_age_s = 600; max_messages = %d; commit_ms = 5; };
%sroutes = (
%s
);
""" % (spool.conf(), max_messages, getattr(spool, "LIMITS", ""), routes)


def messages(uas, body):
    return [r for r in uas.requests() if r["method"] == "MESSAGE" and
            r["body"] == body]


CID = re.compile(r"^[0-9a-f]{32}@gw\.test$")


def run(procs, tap, mk):
    uas = gwtest.start_uas(procs, "uas_message.xml")
    nf = gwtest.start_uas(procs, "uas_404.xml")
    timeout = gwtest.start_uas(procs, "uas_408.xml")
    sender = gwtest.start_uas(procs, "uas_message.xml")
    down = imgtest.free_port()     # case 2: nobody there at first
    down3 = imgtest.free_port()    # case 3
    down5 = imgtest.free_port()    # case 5: never up
    dns = [
        gwtest.enum_naptr("+12025550100", "im:carol@sip.test", ttl=60),
        *gwtest.sip_domain("sip.test", uas.port)]
    dns_port, _ = imgtest.start_unbound(dns, procs=procs)
    spool_a = mk("a")
    gw = gwtest.start_imgated(procs, dns_port, conf_extra=spool_conf(
        spool_a, """
  { name = "us"; prefix = "+1202"; action = "enum";
    mode = "store-and-forward"; },
  { name = "uk"; prefix = "+44"; action = "static";
    target = "sip:127.0.0.1:%d"; mode = "store-and-forward"; },
  { name = "fr"; prefix = "+33"; action = "static";
    target = "sip:127.0.0.1:%d"; mode = "store-and-forward"; },
  { name = "se"; prefix = "+46"; action = "static";
    target = "sip:127.0.0.1:%d"; mode = "store-and-forward"; },
  { name = "relay"; prefix = "+49"; action = "static";
    target = "sip:127.0.0.1:%d"; }""" % (down, nf.port, timeout.port,
                                      nf.port)))
    uac = sipuac.UAC()

    # (1) accepted, then delivered through ENUM + SRV
    code, _, _ = uac.message(gw.addr, "sip:+12025550100@gw.test",
                             body="saf-enum", max_forwards="10")
    tap.is_(code, 202, "store-and-forward: 202 Accepted")
    got = wait_for(lambda: messages(uas, "saf-enum"), 5)
    tap.ok(len(got) == 1, "store-and-forward: delivered to the "
           "ENUM/SRV target", diag=uas.messages()[-800:])
    cid = got[0]["headers"].get("call-id", "") if got else ""
    tap.ok(CID.match(cid), "Call-ID is the message id @ gateway.domain",
           diag=cid)
    mf = got[0]["headers"].get("max-forwards") if got else None
    tap.is_(mf, "9", "the delivery carries the Max-Forwards the "
            "message was accepted with, less one")
    tap.ok(wait_for(lambda: spool_a.rows() == 0, 3), "delivered: the "
           "row left the spool", diag=spool_a.rows())
    code, _, _ = uac.message(gw.addr, "sip:+4915112345@gw.test",
                             body="relay-404")
    tap.is_(code, 404, "relay route next to it: the sender still gets "
            "the downstream answer")

    # (2) destination down: 202, retries, same Call-ID every attempt
    code, _, _ = uac.message(gw.addr, "sip:+442079460001@gw.test",
                             body="saf-retry")
    tap.is_(code, 202, "destination down: still 202")
    tap.ok(gw.wait_log(r"attempt 1 failed", 10) is not None,
           "destination down: attempt 1 failed, retry scheduled")
    busy = gwtest.start_uas(procs, "uas_503.xml", port=down)
    first = wait_for(lambda: messages(busy, "saf-retry"), 10)
    # The 503 responder goes only once imgated has its answer: stopped
    # between taking the request and answering it, the attempt's
    # retransmission reached the next UAS and that same attempt was
    # delivered, one attempt short of the three counted below.
    tried = len(re.findall(r"spool delivery of \S+ to "
                           r"sip:\+442079460001", gw.log_text()))
    refused = gw.wait_log(r"attempt %d failed" % tried, 10)
    procs.stop(busy.proc)
    up = gwtest.start_uas(procs, "uas_message.xml", port=down)
    got = wait_for(lambda: messages(up, "saf-retry"), 10)
    tap.ok(len(first) >= 1 and refused is not None and len(got) >= 1,
           "destination back: a retry answered 503, a later one delivered",
           diag=(len(first), tried, refused is not None, len(got)))
    cids = set(r["headers"].get("call-id") for r in first + got)
    tap.ok(len(cids) == 1 and CID.match(next(iter(cids))),
           "the same Call-ID on every attempt", diag=cids)
    log_ids = set(re.findall(r"spool delivery of (\S+) to "
                             r"sip:\+442079460001", gw.log_text()))
    tap.ok(len(log_ids) == 1 and log_ids == cids and
           len(re.findall(r"spool delivery of \S+ to "
                          r"sip:\+442079460001", gw.log_text())) >= 3,
           "the log shows >= 3 attempts, all with that id",
           diag=log_ids)

    # (2b) a 408 from downstream (a proxy that got no answer) is
    # temporary: tried again, not notified as failed
    code, _, _ = uac.message(gw.addr, "sip:+46812345678@gw.test",
                             body="saf-408")
    tap.is_(code, 202, "408 ahead: 202 first")
    wait_for(lambda: len(messages(timeout, "saf-408")) >= 3, 10)
    tries = messages(timeout, "saf-408")
    tap.ok(len(tries) >= 3, "a 408 answer is retried (%d attempts)" %
           len(tries), diag=gw.log_text()[-1200:])
    tap.ok("failed for good" not in gw.log_text(),
           "... and not given up as a permanent failure")
    procs.stop(timeout.proc)
    ok408 = gwtest.start_uas(procs, "uas_message.xml", port=timeout.port)
    tap.ok(wait_for(lambda: messages(ok408, "saf-408"), 10),
           "... and delivered once the next hop answers")

    # (4) permanent failure: the sender gets a notice
    from_uri = "sip:alice@127.0.0.1:%d" % sender.port
    code, _, _ = uac.message(gw.addr, "sip:+33123456789@gw.test",
                             body="saf-404", from_uri=from_uri)
    tap.is_(code, 202, "permanent failure ahead: 202 first")
    tap.ok(wait_for(lambda: messages(nf, "saf-404"), 5),
           "the destination answered 404")
    notes = wait_for(lambda: [r for r in sender.requests()
                              if r["method"] == "MESSAGE"], 10)
    n = notes[0] if notes else {"headers": {}, "body": "", "ruri": ""}
    tap.ok(len(notes) == 1, "the sender received one failure notice",
           diag=sender.messages()[-800:])
    tap.ok("+33123456789" in n["body"] and "404" in n["body"],
           "the notice names the destination and the status",
           diag=n["body"])
    tap.ok(n["ruri"].startswith("sip:alice@127.0.0.1") and
           "sip:imgate@gw.test" in n["headers"].get("from", "") and
           n["headers"].get("content-type", "").startswith(
               "text/plain"), "notice: to the From URI, from "
           "sip:imgate@gw.test, text/plain",
           diag=(n["ruri"], n["headers"]))
    tap.ok(wait_for(lambda: spool_a.rows() == 0, 5),
           "the failed message and its notice left the spool",
           diag=spool_a.rows())
    procs.stop(gw.proc, timeout=20)
    tap.is_(gw.proc.returncode, 0, "imgated exits 0")

    # (3) durability: SIGKILL after the 202, restart on the same spool
    spool_b = mk("b")
    conf_b = spool_conf(spool_b, """
  { name = "uk"; prefix = "+44"; action = "static";
    target = "sip:127.0.0.1:%d"; mode = "store-and-forward"; },
  { name = "de"; prefix = "+49"; action = "static";
    target = "sip:127.0.0.1:%d"; mode = "store-and-forward"; }""" % (
        down3, down5), max_messages=3)
    gwb = gwtest.start_imgated(procs, dns_port, conf_extra=conf_b)
    code, _, _ = uac.message(gwb.addr, "sip:+442079460002@gw.test",
                             body="saf-crash")
    tap.is_(code, 202, "crash case: 202 while the destination is down")
    gwb.proc.send_signal(signal.SIGKILL)
    gwb.proc.wait(10)
    tap.is_(spool_b.rows(), 1, "after SIGKILL the message is in the "
            "spool")
    up3 = gwtest.start_uas(procs, "uas_message.xml", port=down3)
    gwb2 = gwtest.start_imgated(procs, dns_port, conf_extra=conf_b)
    tap.ok(gwb2.wait_log(r"spool: .*\b1 message waiting", 10),
           "restart: the spool holds the message")
    tap.ok(wait_for(lambda: messages(up3, "saf-crash"), 30),
           "restart: the message is delivered", diag=up3.messages())
    tap.ok(wait_for(lambda: spool_b.rows() == 0, 5), "restart: and "
           "leaves the spool")

    # (5) spool full: max_messages = 3, destination never up
    res = [uac.message(gwb2.addr, "sip:+4930123456%d@gw.test" % i,
                       body="fill %d" % i)[:2] for i in range(4)]
    tap.ok([r[0] for r in res[:3]] == [202, 202, 202],
           "spool filling: 202 x3", diag=[r[0] for r in res])
    tap.is_(res[3][0], 503, "spool full: 503")
    tap.ok("retry-after" in res[3][1], "spool full: with Retry-After",
           diag=res[3][1])
    tap.ok(gwb2.wait_log(r"spool full", 3) is not None,
           "spool full: logged")
    uac.close()
    procs.stop(gwb2.proc, timeout=20)
    tap.is_(gwb2.proc.returncode, 0, "imgated exits 0 with messages "
            "still spooled")
    tap.is_(spool_b.rows(), 3, "those messages stay in the spool")

    # (6) an XMPP sender on a store-and-forward route: nothing while
    # the message waits in the spool, its XEP-0184 receipt on delivery
    pros = gwtest.Prosody(procs, [("alice", "pw")], COMP,
                          "s3cret").start()
    spool_c = mk("c")
    down6 = imgtest.free_port()
    gwc = gwtest.start_imgated(procs, dns_port, conf_extra=(
        gwtest.xmpp_conf(pros, receipt_wait_ms=3000) +
        spool_conf(spool_c, """
  { name = "uk"; prefix = "+44"; action = "static";
    target = "sip:127.0.0.1:%d"; mode = "store-and-forward"; }""" %
                   down6)))
    tap.ok(gwc.wait_log(r"component %s connected" % COMP, 10)
           is not None, "XMPP: component connected")
    alice = xmppclient.Client("alice@localhost", "pw",
                              ("127.0.0.1", pros.c2s)).start()
    alice.send("+442079460003@" + COMP, "saf-xmpp", receipt=True,
               id="s1")
    tap.ok(wait_for(lambda: spool_c.rows() == 1, 5),
           "XMPP sender: the message is in the spool", diag=spool_c.rows())
    time.sleep(1.0)
    tap.ok(not any(m["received"] == "s1" or m["error"]
                   for m in alice.messages),
           "XMPP sender: no receipt and no error while it waits",
           diag=alice.messages)
    up6 = gwtest.start_uas(procs, "uas_message.xml", port=down6)
    tap.ok(wait_for(lambda: messages(up6, "saf-xmpp"), 10),
           "XMPP sender: delivered once the destination is up")
    tap.ok(alice.wait(lambda m: m["received"] == "s1", 10) is not None,
           "XMPP sender: the XEP-0184 receipt comes on delivery",
           diag=alice.messages)
    tap.ok(wait_for(lambda: spool_c.rows() == 0, 5),
           "XMPP sender: the row left the spool", diag=spool_c.rows())
    alice.stop()
    procs.stop(gwc.proc, timeout=20)
    pros.stop()
    tap.is_(gwc.proc.returncode, 0, "imgated exits 0")




def main():
    for backend in pgfixture.backends():
        with Procs("spool-" + backend) as procs:
            t = pgfixture.Prefixed(tap, "[%s] " % backend)
            if backend == "sqlite":
                d = procs.tmpdir("spool")
                run(procs, t, lambda n: pgfixture.SqliteSpool(
                    os.path.join(d, n + ".sqlite")))
                continue
            why = pgfixture.available()
            if why is not None:
                t.skip("the whole suite", why)
                continue
            pg = pgfixture.PgCluster(procs)
            run(procs, t, lambda n: pgfixture.PgSpool(pg, n))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
