#!/usr/bin/python3
"""test_dns_cache.py - imgated's DNS cache and its one non-blocking loop.

Cache and negative caching are observed at a real unbound (log-queries):
a second message for a number within the TTL sends no query, one after
expiry does; an NXDOMAIN is cached for min(SOA TTL, SOA MINIMUM) (RFC
2308).  Coalescing and non-blocking need answers a real server will not
give (held back, never sent): the suite's own fakedns provides them.
Five concurrent messages for one number send one NAPTR query; a number
whose DNS never answers does not hold up twenty others, and still gets
its 503 in the end.
"""

import sys
import time

import imgtest
from imgtest import Procs, tap
import gwtest
from gwtest import enum_owner as key, enum_naptr as naptr, sip_domain
import sipuac


def count(log, name, qtype):
    return sum(1 for n, t in log if imgtest.norm_owner(n) == name.lower()
               and t == qtype)


def main():
    with Procs("dns-cache") as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        n1, n2 = "+12025550110", "+12025550111"
        data = [naptr(n1, "im:c@cache.test", ttl=3),
                {"owner": key(n2), "type": "NAPTR", "rcode": "NXDOMAIN",
                 "soa": {"ttl": 2, "minimum": 100}}]
        data += sip_domain("cache.test", uas.port, ttl=3)
        dns_port, unbound = imgtest.start_unbound(data, procs=procs)
        gw = gwtest.start_imgated(procs, dns_port)
        qlog = lambda: imgtest.unbound_query_log(unbound.query_log)
        uac = sipuac.UAC()
        ruri = lambda n: "sip:%s@gw.test" % n

        code, _, _ = uac.message(gw.addr, ruri(n1))
        tap.is_(code, 200, "cache: first message delivered")
        tap.is_(count(qlog(), key(n1), "NAPTR"), 1,
                "cache: first message queried NAPTR once")
        code, _, _ = uac.message(gw.addr, ruri(n1))
        tap.is_(code, 200, "cache: second message delivered")
        log = qlog()
        tap.is_(count(log, key(n1), "NAPTR"), 1,
                "cache: no NAPTR query for the second message within TTL")
        tap.is_(count(log, "_im._sip.cache.test.", "SRV"), 1,
                "cache: no SRV query either")
        tap.is_(count(log, "uas.cache.test.", "A"), 1,
                "cache: no address query either")
        time.sleep(3.3)
        code, _, _ = uac.message(gw.addr, ruri(n1))
        tap.is_(code, 200, "cache: message after TTL expiry delivered")
        tap.is_(count(qlog(), key(n1), "NAPTR"), 2,
                "cache: after the 3 s TTL the NAPTR is asked again")

        code, _, _ = uac.message(gw.addr, ruri(n2))
        tap.is_(code, 404, "negative: no NAPTR -> 404")
        code, _, _ = uac.message(gw.addr, ruri(n2))
        tap.is_(code, 404, "negative: again 404")
        tap.is_(count(qlog(), key(n2), "NAPTR"), 1,
                "negative: NXDOMAIN cached (no second query)")
        time.sleep(2.3)
        uac.message(gw.addr, ruri(n2))
        tap.is_(count(qlog(), key(n2), "NAPTR"), 2,
                "negative: cached min(SOA TTL 2, MINIMUM 100) = 2 s only")

        # -- coalescing and non-blocking, with the suite's own responder
        n3, n4, n5 = "+12025550120", "+12025550121", "+12025550122"
        answers = [naptr(n3, "im:c@co.test", delay_ms=400),
                   naptr(n4, "im:c@co.test", drop=True),
                   naptr(n5, "im:c@co.test")]
        answers += sip_domain("co.test", uas.port, ttl=120)
        fake = imgtest.start_fakedns(answers, procs=procs)
        gw2 = gwtest.start_imgated(procs, fake.port, dns_timeout_ms=2000)
        cids = [uac.send(gw2.addr, ruri(n3)) for _ in range(5)]
        uac.poll(5)
        codes = [uac.result(c)[0] for c in cids]
        tap.is_(codes, [200] * 5, "coalescing: five concurrent messages "
                "for one number all delivered")
        q = [x for x in fake.queries() if imgtest.norm_owner(x[1]) ==
             key(n3) and x[2] == "NAPTR"]
        tap.is_(len(q), 1, "coalescing: one NAPTR query for five "
                "concurrent messages")

        stuck = uac.send(gw2.addr, ruri(n4))
        time.sleep(0.05)
        quick = [uac.send(gw2.addr, ruri(n5)) for _ in range(20)]
        t0 = time.monotonic()
        uac.poll(1.5)
        res = [uac.result(c) for c in quick]
        tap.ok(all(r[0] == 200 for r in res),
               "non-blocking: 20 messages delivered while another "
               "number's DNS answer is outstanding",
               diag=[r[0] for r in res])
        tap.ok(all(r[2] is not None and r[2] < 1.0 for r in res),
               "non-blocking: each answered within 1 s",
               diag=[r[2] for r in res])
        tap.ok(uac.result(stuck)[0] is None,
               "non-blocking: the stuck message was still waiting then")
        uac.poll(5)
        code, hdrs, took = uac.result(stuck)
        tap.is_(code, 503, "non-blocking: the stuck message ends in 503")
        tap.ok("retry-after" in hdrs, "non-blocking: with Retry-After")
        tap.ok(gw2.alive() and gw.alive(), "both daemons still running")
        uac.close()
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
