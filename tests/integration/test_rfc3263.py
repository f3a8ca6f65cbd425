#!/usr/bin/python3
"""test_rfc3263.py - sip: destinations located by RFC 3263, over IPv6.

unbound serves ENUM and the SIP domains (NAPTR, SRV, AAAA, A); sipp UAS
instances play the far ends (TCP on ::1, UDP on 127.0.0.1 and on another
loopback address at port 5060); a sipp UAC sends MESSAGEs to imgated.
Asserted, for each ENUM answer sip:+1...@DOMAIN:
- NAPTR (SIP+D2T before SIP+D2U by order) -> _sip._tcp SRV -> AAAA: the
  UAS listening on ::1 over TCP gets it, with ;transport=tcp in the Route;
- the first SRV target dead (connection refused on ::1): the second one
  gets it, and the daemon says it failed over;
- a domain with only an A record: port 5060, UDP;
- an explicit port: no NAPTR or SRV asked (unbound's query log), A/AAAA;
- a numeric IPv6 literal host: sent there without DNS;
- imgated listening on [::1] takes a MESSAGE from a UAC over IPv6, and an
  ACL on an IPv6 network admits it (and another one refuses it: 403);
- silent hops: the next one is tried after sip.timeout_ms, and the
  sender is answered within limits.txn_deadline_ms;
- the rate limit counts an IPv6 source (burst 1: the next ones get 503);
- imgate-lookup --json shows the RFC 3263 queries and the hops.
"""

import json
import random
import re
import socket
import subprocess
import time

import imgtest
from imgtest import Procs, tap
import gwtest
from gwtest import addr

LOOKUP = gwtest.LOOKUP


def enum_sip(num, uri):
    return gwtest.enum_sip(num, uri, ttl=60)


def naptr(owner, rrs):
    """RFC 3263 NAPTRs: (order, service, replacement) each."""
    return gwtest.naptr(owner, [gwtest.naptr_rr(
        order=o, services=s, flags="s", replacement=r) for o, s, r in rrs],
        ttl=60)


def srv(owner, rrs):
    """SRV records: (priority, port, target) each."""
    return gwtest.srv(owner, [gwtest.srv_rr(port, t, priority=p)
                              for p, port, t in rrs])


def zone(p6, dead, p4, a_ip, silent=()):
    return [
        enum_sip("+12025550205", "sip:\\1@silent.test;transport=udp"),
        srv("_sip._udp.silent.test.", [(10 * (i + 1), port, "s.silent.test.")
                                       for i, port in enumerate(silent)]),
        addr("s.silent.test.", "::1"),
        enum_sip("+12025550200", "sip:\\1@naptr.test"),
        enum_sip("+12025550201", "sip:\\1@failover.test"),
        enum_sip("+12025550202", "sip:\\1@aonly.test"),
        enum_sip("+12025550203", "sip:\\1@port.test:%d" % p4),
        enum_sip("+12025550204", "sip:\\1@[::1]:%d;transport=tcp" % p6),
        # TCP first by order; the UDP SRV points at a port nobody serves.
        naptr("naptr.test.", [(20, "SIP+D2U", "_sip._udp.naptr.test."),
                              (10, "SIP+D2T", "_sip._tcp.naptr.test.")]),
        srv("_sip._tcp.naptr.test.", [(10, p6, "uas6.naptr.test.")]),
        srv("_sip._udp.naptr.test.", [(10, dead, "uas6.naptr.test.")]),
        addr("uas6.naptr.test.", "::1"),
        naptr("failover.test.", [(10, "SIP+D2T", "_sip._tcp.failover.test.")]),
        srv("_sip._tcp.failover.test.", [(10, dead, "dead.failover.test."),
                                         (20, p6, "uas6.naptr.test.")]),
        addr("dead.failover.test.", "::1"),
        addr("aonly.test.", a_ip),
        addr("port.test.", "127.0.0.1"),
    ]


def free_port6():
    for _ in range(100):
        p = imgtest.free_port()
        try:
            for st in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                s = socket.socket(socket.AF_INET6, st)
                try:
                    s.bind(("::1", p))
                finally:
                    s.close()
            return p
        except OSError:
            continue
    raise OSError("no free port on ::1")


def start_uas(procs, ip, port, transport):
    return gwtest.start_uas(procs, "uas_message.xml", port=port, ip=ip,
                            transport=transport)


def run_uac(procs, ip, gw_port, number, calls=1):
    rc, text = gwtest.run_uac(procs, "uac_message.xml", gw_port,
                              calls=calls, rate=20, timeout=20, ip=ip,
                              local_port=free_port6(),
                              extra_args=["-s", number])
    return rc, gwtest.response_codes(text)


def _drain(sock):
    """True when a datagram is waiting on sock (the hop was tried)."""
    sock.setblocking(False)
    try:
        sock.recv(65535)
        return True
    except OSError:
        return False


def wait_requests(uas, n, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        reqs = [r for r in uas.requests() if r["method"] == "MESSAGE"]
        if len(reqs) >= n:
            return reqs
        time.sleep(0.05)
    return [r for r in uas.requests() if r["method"] == "MESSAGE"]


def lookup(dns_port, number, conf=None):
    args = [LOOKUP, "--server", "127.0.0.1:%d" % dns_port, "--seed", "1",
            "--enumservices", "sip", "--json", number]
    if conf:
        args[1:1] = ["-f", conf]
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30, text=True)
    try:
        return json.loads(r.stdout)
    except ValueError:
        tap.diag("imgate-lookup said: %s %s" % (r.stdout, r.stderr))
        return {}


def main():
    with Procs("rfc3263") as procs:
        p6 = free_port6()
        dead = free_port6()
        p4 = imgtest.free_port()
        # Only-A domain: port 5060 on a loopback address of our own, so
        # that nothing else on the machine is in the way.
        a_ip = "127.%d.%d.%d" % (random.randint(64, 250),
                                 random.randint(1, 250),
                                 random.randint(2, 250))
        uas6 = start_uas(procs, "::1", p6, "t1")
        uas4 = start_uas(procs, "127.0.0.1", p4, "u1")
        uas_a = start_uas(procs, a_ip, 5060, "u1")
        # Hops that take a request and never answer (bound UDP sockets).
        holes = []
        for _ in range(4):
            h = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            h.bind(("::1", 0))
            holes.append(h)
        dns_port, unbound = imgtest.start_unbound(
            zone(p6, dead, p4, a_ip, [h.getsockname()[1] for h in holes]),
            procs=procs)
        acl6 = 'acl = { sip_networks = [ "::1/128" ]; };'
        gw6 = gwtest.start_imgated(procs, dns_port, sip_timeout_ms=4000,
                                   enumservices=("sip",),
                                   listen_host="[::1]", conf_extra=acl6)
        gw4 = gwtest.start_imgated(procs, dns_port, sip_timeout_ms=4000,
                                   enumservices=("sip",))
        tap.diag("unbound :%d, imgated [::1]:%d and :%d, UAS [::1]:%d/tcp "
                 "127.0.0.1:%d %s:5060, dead [::1]:%d"
                 % (dns_port, gw6.port, gw4.port, p6, p4, a_ip, dead))

        # 1. NAPTR -> SRV (TCP by order) -> AAAA, over IPv6 from the UAC.
        rc, codes = run_uac(procs, "::1", gw6.port, "+12025550200")
        tap.ok(rc == 0 and 200 in codes,
               "NAPTR->SRV(TCP)->AAAA: UAC over IPv6 gets 200",
               "rc %s codes %s\n%s" % (rc, codes, gw6.log_text()[-3000:]))
        reqs = wait_requests(uas6, 1)
        tap.ok(len(reqs) == 1, "the UAS on [::1] over TCP got the MESSAGE")
        if reqs:
            tap.is_(reqs[0]["ruri"], "sip:12025550200@naptr.test",
                    "Request-URI is the ENUM URI")
            route = reqs[0]["headers"].get("route", "")
            tap.ok("transport=tcp" in route and "[::1]:%d" % p6 in route,
                   "Route names the hop and ;transport=tcp: %s" % route)
        with open(uas6.msgfile, errors="replace") as f:
            tap.ok(re.search(r"TCP message received", f.read()),
                   "the UAS received it over TCP")

        # 2. First SRV target dead: the second one gets it.
        rc, codes = run_uac(procs, "::1", gw6.port, "+12025550201")
        tap.ok(rc == 0 and 200 in codes,
               "first SRV target dead -> second: UAC gets 200",
               "rc %s codes %s\n%s" % (rc, codes, gw6.log_text()[-3000:]))
        tap.ok(len(wait_requests(uas6, 2)) == 2,
               "the second SRV target received the MESSAGE")
        tap.ok(re.search(r"\[::1\]:%d \(tcp\) gave 503, trying the next hop"
                         % dead, gw6.log_text()),
               "imgated logged the failover from the dead target")

        # 3. Numeric IPv6 literal host with transport=tcp: no DNS.
        rc, codes = run_uac(procs, "::1", gw6.port, "+12025550204")
        tap.ok(rc == 0 and 200 in codes and len(wait_requests(uas6, 3)) == 3,
               "sip:N@[::1]:PORT;transport=tcp reaches the UAS",
               "rc %s codes %s" % (rc, codes))

        # 4. A domain with only an A record: 5060/UDP (through gw4).
        rc, codes = run_uac(procs, "127.0.0.1", gw4.port, "+12025550202")
        tap.ok(rc == 0 and 200 in codes and len(wait_requests(uas_a, 1)) == 1,
               "A-only domain: the UAS on %s:5060/udp gets it" % a_ip,
               "rc %s codes %s\n%s" % (rc, codes, gw4.log_text()[-3000:]))

        # 5. Explicit port: A/AAAA only, never NAPTR or SRV for port.test.
        rc, codes = run_uac(procs, "127.0.0.1", gw4.port, "+12025550203")
        tap.ok(rc == 0 and 200 in codes and len(wait_requests(uas4, 1)) == 1,
               "explicit port: the UAS on 127.0.0.1:%d gets it" % p4,
               "rc %s codes %s" % (rc, codes))
        log = imgtest.unbound_query_log(unbound.query_log)
        # (names are in 0x20 mixed case: compare lower-cased)
        asked = [(n.lower(), t) for n, t in log if "port.test" in n.lower()]
        tap.ok(asked and not any(("NAPTR" in str(q) or "SRV" in str(q))
                                 for q in asked),
               "explicit port: only address queries for port.test",
               repr(asked))

        # 6. An ACL on another IPv6 network refuses the IPv6 sender.
        gw6b = gwtest.start_imgated(
            procs, dns_port, enumservices=("sip",), listen_host="[::1]",
            conf_extra='acl = { sip_networks = [ "2001:db8::/32" ]; };')
        rc, codes = run_uac(procs, "::1", gw6b.port, "+12025550200")
        tap.ok(403 in codes, "ACL on 2001:db8::/32 refuses [::1]: 403",
               "codes %s" % codes)
        tap.ok(len(wait_requests(uas6, 3, timeout=1)) == 3,
               "nothing was forwarded for the refused sender")

        # 7. The rate limit keys an IPv6 source by its address.
        gw6c = gwtest.start_imgated(
            procs, dns_port, enumservices=("sip",), listen_host="[::1]",
            conf_extra="ratelimit = { rate = 1; burst = 1; };")
        rc, codes = run_uac(procs, "::1", gw6c.port, "+12025550204", calls=3)
        tap.ok(codes.count(200) >= 1 and 503 in codes,
               "rate limit 1/s burst 1 on [::1]: the first passes, then 503",
               "codes %s" % codes)
        tap.ok(gw6c.wait_log(r"rate limit exceeded"),
               "imgated logged the rate limit for the IPv6 source")

        # 8. Silent hops: each one gets sip.timeout_ms, but the whole
        # message no more than limits.txn_deadline_ms (4 x 2 s > 3 s).
        gw6d = gwtest.start_imgated(
            procs, dns_port, enumservices=("sip",), listen_host="[::1]",
            sip_timeout_ms=2000,
            conf_extra="limits = { txn_deadline_ms = 3000; };")
        t0 = time.monotonic()
        rc, codes = run_uac(procs, "::1", gw6d.port, "+12025550205")
        took = time.monotonic() - t0
        got = [h for h in holes if h.recv and _drain(h)]
        tap.ok(codes and codes[-1] >= 400,
               "silent hops: the sender gets a final error (%s)" % codes)
        tap.ok(took < 6.5, "silent hops: answered within the deadline "
               "(%.1f s, deadline 3 s, 4 hops x 2 s)" % took)
        # (the stack's 408 and imgate's own timer race: either moves on)
        tap.ok(len(got) >= 2 and re.search(r"(did not answer in time|"
                                           r"gave 408), trying the next hop",
                                           gw6d.log_text()),
               "silent hops: the first one timed out, the next was tried "
               "(%d of 4 got the request)" % len(got))

        # 9. imgate-lookup shows every RFC 3263 step.
        j = lookup(dns_port, "+12025550201")
        r = j.get("rfc3263") or {}
        qs = ["%s %s" % (q.get("type"), q.get("name"))
              for q in r.get("queries", [])]
        tap.is_(qs[:3], ["NAPTR failover.test.",
                         "SRV _sip._tcp.failover.test.",
                         "A dead.failover.test."],
                "imgate-lookup: NAPTR, SRV, then addresses")
        hops = ["%s %s %s" % (h.get("transport"), h.get("address"),
                              h.get("port")) for h in r.get("hops", [])]
        tap.is_(hops, ["tcp ::1 %d" % dead, "tcp ::1 %d" % p6],
                "imgate-lookup: hops in failover order")
        j = lookup(dns_port, "+12025550203")
        r = j.get("rfc3263") or {}
        tap.is_(r.get("step"), "addresses",
                "imgate-lookup: explicit port -> addresses only")

        for name, gw in (("[::1]", gw6), ("127.0.0.1", gw4),
                         ("acl", gw6b), ("rate limit", gw6c),
                         ("deadline", gw6d)):
            tap.ok(gw.alive(), "imgated (%s) still running" % name)
    tap.done()


if __name__ == "__main__":
    main()
