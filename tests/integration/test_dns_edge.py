#!/usr/bin/python3
"""test_dns_edge.py - answers a real server will not give, from fakedns.

Truncation (TC=1 over UDP, full answer over TCP: c-ares must retry over
TCP), a malformed NAPTR rdata (a temporary failure, no crash), an RRset
bigger than imgate's per-answer cap, SERVFAIL caching for
dns.servfail_ttl, and serve-stale (RFC 8767): with it a refresh that
fails hands out the expired answer, without it the sender gets 503.
"""

import os
import sys
import time

import imgtest
from imgtest import Procs, tap
import gwtest
from gwtest import enum_owner as key, enum_naptr as naptr
import sipuac


def main():
    with Procs("dns-edge") as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        sip = gwtest.sip_domain("e.test", uas.port)
        many = naptr("+12025550103", "im:x@e.test", ttl=60)
        # The im record comes first as served but sorts last: the walk
        # must get through the 63 unusable ones kept by the 64-record cap.
        many["rrs"] = [{"order": 10, "preference": 200, "flags": "u",
                        "services": "E2U+im",
                        "regexp": "!^.*$!im:big@e.test!",
                        "replacement": "."}] + \
            [{"order": 10, "preference": i, "flags": "u",
              "services": "E2U+h323", "regexp": "!^.*$!h323:%d!" % i,
              "replacement": "."} for i in range(90)]
        answers = [naptr("+12025550100", "im:tc@e.test", ttl=60, tc=True),
                   naptr("+12025550101", "im:bad@e.test", ttl=60,
                         malformed=True),
                   many,
                   {"owner": key("+12025550102"), "type": "NAPTR",
                    "rcode": "SERVFAIL"}] + sip
        fake = imgtest.start_fakedns(answers, procs=procs)

        rc, js = gwtest.lookup_json(fake.port, "+12025550100")
        tap.ok(rc == 0 and js.get("uri") == "im:tc@e.test",
               "truncated UDP answer: the lookup succeeds", diag=js)
        tcp = [q for q in fake.queries() if q[0] == "tcp" and
               imgtest.norm_owner(q[1]) == key("+12025550100")]
        tap.ok(len(tcp) >= 1, "truncated UDP answer: retried over TCP",
               diag=fake.queries())
        rc, js = gwtest.lookup_json(fake.port, "+12025550101")
        tap.ok(rc == 3 and js.get("error") == "E_DNS_TEMPFAIL",
               "malformed NAPTR rdata: temporary failure, no crash",
               diag=js)
        rc, js = gwtest.lookup_json(fake.port, "+12025550103")
        tap.ok(rc == 0 and js.get("uri") == "im:big@e.test",
               "91-record RRset (over TCP): capped at 64, walked in order",
               diag=(rc, js.get("error"), js.get("uri")))

        d = procs.tmpdir("edge")

        def daemon(stale):
            port = imgtest.free_port()
            conf = os.path.join(d, "gw-%s.conf" % stale)
            with open(conf, "w") as f:
                f.write("""%s
log = { level = "debug"; };
sip = { listen = "sip:127.0.0.1:%d"; timeout_ms = 3000; };
dns = { servers = [ "127.0.0.1:%d" ]; timeout_ms = 1000; tries = 1;
        servfail_ttl = 2; serve_stale = %s; };
spool = { path = "%s"; };
""" % (gwtest.gateway_group(), port, fake.port,
       "true" if stale else "false", conf + ".spool"))
            p = procs.start([gwtest.IMGATED, "-d", "-f", conf],
                            name="imgated", log=conf + ".log")
            dm = gwtest.Daemon(p, port, conf + ".log", conf)
            if not dm.wait_log("imgated ready", 10):
                raise RuntimeError(dm.log_text())
            return dm

        stale, fresh = daemon(True), daemon(False)
        uac = sipuac.UAC()
        nsf = lambda: len([q for q in fake.queries() if
                           imgtest.norm_owner(q[1]) == key("+12025550102")])
        before = nsf()
        c1 = uac.message(stale.addr, "sip:+12025550102@gw.test")[0]
        c2 = uac.message(stale.addr, "sip:+12025550102@gw.test")[0]
        tap.ok(c1 == 503 and c2 == 503, "SERVFAIL -> 503 (twice)")
        tap.is_(nsf() - before, 1, "SERVFAIL remembered: the second "
                "message asks nothing")
        time.sleep(2.2)
        uac.message(stale.addr, "sip:+12025550102@gw.test")
        tap.is_(nsf() - before, 2, "after servfail_ttl (2 s) it asks again")

        ok_answers = [naptr("+12025550104", "im:stale@e.test", ttl=1)] + \
            answers
        fake.set_answers(ok_answers)
        for dm in (stale, fresh):
            code = uac.message(dm.addr, "sip:+12025550104@gw.test")[0]
            tap.is_(code, 200, "serve-stale setup: delivered while fresh")
        fake.set_answers([{"owner": key("+12025550104"), "type": "NAPTR",
                           "rcode": "SERVFAIL"}] + answers)
        time.sleep(1.3)
        code = uac.message(stale.addr, "sip:+12025550104@gw.test")[0]
        tap.is_(code, 200, "serve-stale on: expired answer used when the "
                "refresh fails (RFC 8767)")
        code, h, _ = uac.message(fresh.addr, "sip:+12025550104@gw.test")
        tap.is_(code, 503, "serve-stale off: the same failure gives 503")
        tap.ok(stale.alive() and fresh.alive(), "daemons alive")
        uac.close()
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
