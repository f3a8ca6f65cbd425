#!/usr/bin/python3
"""test_dns_spoof.py - DNS answer authenticity (issue 10 item 2).

Against the suite's own responder (fakedns.py), which logs each query's ID,
source port and name exactly as received, and can forge answers:
- IDs: 200 MESSAGEs to distinct numbers make imgated send 200 NAPTR
  queries; their IDs must be nonzero, nearly all distinct, not sequential
  and spread over the ID space.  imgate-lookup's too.
- DNS 0x20: with dns.case_randomization on, the query names carry random
  letter case (many different patterns); after a reload with it off, they
  are all lower case.
- Forgery: for the NAPTR and the SRV query the responder first sends
  forged answers (an empty datagram; another ID; the question in swapped
  case; another question name with the right ID) pointing at a forged
  target, then the genuine one.  imgate-lookup reports the genuine URI and target, and a
  MESSAGE through imgated reaches the UAS of the genuine target while the
  UAS of the forged target receives nothing.  Before this change c-ares
  took the swapped-case answer (it compares questions ignoring case).
- A resolver that does not echo case: every lookup still succeeds (each
  query is resent once in lower case), and after three such answers the
  server is put on lower-case names, logged once.
"""

import os
import re
import signal
import sys
import time
from collections import Counter

import imgtest
from imgtest import Procs, tap
import gwtest
from gwtest import enum_owner as key, lookup_json as lookup
import sipuac


def daemon(procs, dns_port, case_rand, name, udp_max=100):
    d = procs.tmpdir(name)
    conf = os.path.join(d, "imgate.conf")

    def write(on):
        with open(conf, "w") as f:
            f.write("""%s
log = { level = "debug"; };
sip = { listen = "sip:127.0.0.1:%d"; timeout_ms = 4000; };
dns = { servers = [ "127.0.0.1:%d" ]; timeout_ms = 1500; tries = 2;
        case_randomization = %s; udp_max_queries = %d; };
enum = { enumservices = [ "im", "sip" ]; };
""" % (gwtest.gateway_group(workers=1), port, dns_port,
       "true" if on else "false", udp_max))
    for _ in range(5):
        port = imgtest.free_port()
        write(case_rand)
        log = conf + ".log"
        p = procs.start([gwtest.IMGATED, "-d", "-v", "-f", conf],
                        name="imgated", log=log)
        dm = gwtest.Daemon(p, port, log, conf)
        dm.rewrite = write
        if dm.wait_log("imgated ready", 30):
            return dm
        procs.stop(p)
    raise RuntimeError("imgated did not start")


def send_many(daemon_, numbers, timeout=60):
    uac = sipuac.UAC()
    cids = [uac.send(daemon_.addr, "sip:%s@gw.test" % n) for n in numbers]
    end = time.monotonic() + timeout
    while time.monotonic() < end and \
            any(uac.result(c)[0] is None for c in cids):
        uac.poll(0.5)
    codes = [uac.result(c)[0] for c in cids]
    uac.close()
    return codes


def naptr_queries(fake, numbers, since=0):
    keys = {key(n) for n in numbers}
    return [q for q in fake.query_details()[since:]
            if q["type"] == "NAPTR" and imgtest.norm_owner(q["name"]) in keys]


def has_upper(name):
    return any("A" <= c <= "Z" for c in name)


def check_ids(ids, who):
    n = len(ids)
    distinct = len(set(ids))
    # 200 draws from 65536: about 0.3 repeated pairs expected.
    tap.ok(n >= 20 and distinct >= n - 3,
           "%s: %d query IDs, %d distinct" % (who, n, distinct),
           diag=Counter(ids).most_common(3))
    tap.ok(ids.count(0) <= 1, "%s: IDs are not all zero (%d zeros)"
           % (who, ids.count(0)))
    steps = Counter((b - a) % 65536 for a, b in zip(ids, ids[1:]))
    step, times = steps.most_common(1)[0]
    tap.ok(times <= 3, "%s: no fixed step between consecutive IDs "
           "(most common step %d seen %d times)" % (who, step, times))
    if n >= 100:
        quarters = Counter(i >> 14 for i in ids)
        tap.ok(all(n * 0.12 <= quarters[k] <= n * 0.38 for k in range(4)),
               "%s: IDs spread over the ID space" % who,
               diag=dict(quarters))


def main():
    with Procs("dns-spoof") as procs:
        # ---- IDs and 0x20 from the daemon (fakedns answers NXDOMAIN).
        fake = imgtest.start_fakedns([], procs=procs)
        dm = daemon(procs, fake.port, True, "ids", udp_max=10)
        nums = ["+1202556%04d" % i for i in range(200)]
        codes = send_many(dm, nums)
        tap.ok(all(c is not None and c >= 400 for c in codes),
               "200 MESSAGEs to unlisted numbers all answered",
               diag=Counter(codes))
        qs = naptr_queries(fake, nums)
        first = {}
        for q in qs:
            first.setdefault(imgtest.norm_owner(q["name"]), q)
        tap.is_(len(first), 200, "one NAPTR query per number reached the "
                "server")
        ids = [q["id"] for q in first.values()]
        check_ids(ids, "imgated")
        # dns.udp_max_queries = 10: a new source port every 10 queries,
        # and the answers to queries from a retired port still arrive
        # (no query had to be sent twice).
        ports = Counter(q["port"] for q in qs)
        tap.ok(len(ports) >= 15 and max(ports.values()) <= 10,
               "udp_max_queries = 10: %d source ports, at most %d queries "
               "from one" % (len(ports), max(ports.values())))
        tap.is_(len(qs), 200, "answers reached imgated through retired "
                "ports too: no query sent twice")
        names = [q["name"] for q in first.values()]
        upper = sum(1 for nm in names if has_upper(nm))
        # The letters of "e164.arpa." (5): all lower by chance once in 32
        # (mean 6 of 200, sd 2.5).
        tap.ok(upper >= 175, "0x20 on: %d of 200 query names carry "
               "upper-case letters" % upper, diag=names[:5])
        masks = [tuple(c.isupper() for c in nm if c.isalpha())
                 for nm in names]
        tap.ok(len(set(masks)) >= 24, "0x20 on: %d of the 32 possible "
               "case patterns seen" % len(set(masks)))
        per_letter = [sum(m[i] for m in masks) for i in range(5)]
        tap.ok(all(60 <= k <= 140 for k in per_letter),
               "0x20 on: each letter upper case about half the time",
               diag=per_letter)
        tap.ok(all(imgtest.norm_owner(nm) == nm.lower() for nm in names),
               "only the case differs from the name asked for")

        # Reload with dns.case_randomization = false.
        dm.rewrite(False)
        os.kill(dm.proc.pid, signal.SIGHUP)
        tap.ok(dm.wait_log(r"reload: .* is in force", 15) is not None,
               "reload with case_randomization = false accepted")
        mark = len(fake.query_details())
        nums2 = ["+1202557%04d" % i for i in range(30)]
        send_many(dm, nums2)
        qs2 = naptr_queries(fake, nums2, mark)
        tap.ok(len(qs2) >= 30 and not any(has_upper(q["name"]) for q in qs2),
               "0x20 off (after reload): %d query names, all lower case"
               % len(qs2), diag=[q["name"] for q in qs2[:3]])
        check_ids([q["id"] for q in qs2], "imgated, 0x20 off")
        tap.ok(dm.alive(), "imgated alive")

        lk_ids = []
        for i in range(6):
            lookup(fake.port, "+1202558%04d" % i)
        lk = naptr_queries(fake, ["+1202558%04d" % i for i in range(6)])
        lk_ids = [q["id"] for q in lk]
        tap.ok(len(lk_ids) >= 6 and len(set(lk_ids)) == len(lk_ids) and
               0 not in lk_ids, "imgate-lookup: random IDs too",
               diag=lk_ids)
        tap.ok(any(has_upper(q["name"]) for q in lk),
               "imgate-lookup: 0x20 names (config default on)")

        # ---- forged answers before the genuine one.
        good_uas = gwtest.start_uas(procs, "uas_message.xml")
        bad_uas = gwtest.start_uas(procs, "uas_message.xml")
        forgeries = ["empty", "bad_id", "wrong_case", "other_question"]
        num = "+12025550142"
        answers = [
            {"owner": key(num), "type": "NAPTR", "ttl": 60,
             "forge": forgeries,
             "rrs": [gwtest.naptr_rr("im:carol@genuine.test")],
             "forge_rrs": [gwtest.naptr_rr("im:mallory@forged.test")]},
            {"owner": "_im._sip.genuine.test.", "type": "SRV", "ttl": 60,
             "forge": forgeries,
             "rrs": [gwtest.srv_rr(good_uas.port, "uas.genuine.test.")],
             "forge_rrs": [gwtest.srv_rr(bad_uas.port, "uas.forged.test.")]},
            {"owner": "_im._sip.forged.test.", "type": "SRV", "ttl": 60,
             "rrs": [gwtest.srv_rr(bad_uas.port, "uas.forged.test.")]},
            {"owner": "uas.genuine.test.", "type": "A", "ttl": 60,
             "forge": forgeries, "rrs": [{"address": "127.0.0.1"}],
             "forge_rrs": [{"address": "127.0.0.2"}]},
            {"owner": "uas.forged.test.", "type": "A", "ttl": 60,
             "rrs": [{"address": "127.0.0.1"}]},
        ]
        spoof = imgtest.start_fakedns(answers, procs=procs)
        rc, js = lookup(spoof.port, num)
        tgt = (js.get("targets") or [{}])[0]
        tap.ok(rc == 0 and js.get("uri") == "im:carol@genuine.test",
               "imgate-lookup: forged NAPTR answers ignored, genuine URI "
               "taken", diag=js)
        tap.ok(tgt.get("host") == "uas.genuine.test." and
               tgt.get("port") == good_uas.port,
               "imgate-lookup: forged SRV answers ignored", diag=tgt)
        tap.is_(js.get("naptr_queries"), [key(num)],
                "imgate-lookup reports the name in lower case as before")

        spoof.set_answers(answers)     # forge again for the daemon
        dm2 = daemon(procs, spoof.port, True, "spoof")
        uac = sipuac.UAC()
        code = uac.message(dm2.addr, "sip:%s@gw.test" % num, timeout=20)[0]
        uac.close()
        tap.is_(code, 200, "imgated: MESSAGE delivered despite the forged "
                "answers")
        end = time.monotonic() + 10
        while time.monotonic() < end and not good_uas.requests():
            time.sleep(0.05)
        got = [r for r in good_uas.requests() if r["method"] == "MESSAGE"]
        tap.ok(len(got) == 1 and "carol@genuine.test" in got[0]["ruri"],
               "the genuine target's UAS got it",
               diag=[r["ruri"] for r in got])
        tap.is_(len(bad_uas.requests()), 0,
                "the forged target's UAS received nothing")
        log = dm2.log_text()
        for why in ("unknown id", "wrong case", "wrong question",
                    "malformed"):
            tap.ok(re.search(r"dns: answer from .* dropped \(id \d+, \d+ "
                             r"bytes\): %s" % why, log),
                   "imgated logged a dropped answer: %s" % why)
        tap.ok("answers dropped as forged or stray" in log,
               "imgated warned about the dropped answers")
        tap.ok(dm2.alive(), "imgated alive")

        # ---- a resolver that lower-cases the echoed name.
        plain_answers = [gwtest.enum_naptr("+1202559%04d" % i,
                                           "im:u%d@genuine.test" % i, ttl=60)
                         for i in range(4)] + answers[1:]
        for a in plain_answers:
            a.pop("forge", None)
        lower = imgtest.start_fakedns(plain_answers, procs=procs)
        lower.echo_lower = True
        dm3 = daemon(procs, lower.port, True, "lower")
        uac = sipuac.UAC()
        codes = [uac.message(dm3.addr, "sip:+1202559%04d@gw.test" % i,
                             timeout=20)[0] for i in range(4)]
        uac.close()
        tap.is_(codes, [200] * 4, "server without 0x20 echo: every "
                "message still delivered")
        log = dm3.log_text()
        tap.is_(len(re.findall(r"answered 3 queries in the wrong letter "
                               r"case", log)), 1,
                "the server put on lower-case names, logged once")
        last = naptr_queries(lower, ["+12025590003"])
        tap.ok(len(last) == 1 and not has_upper(last[0]["name"]),
               "afterwards its queries go out lower case, once",
               diag=last)
        tap.ok(dm3.alive(), "imgated alive")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
