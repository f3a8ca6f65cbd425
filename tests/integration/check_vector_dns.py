#!/usr/bin/python3
"""check_vector_dns.py - fixture self-test (TAP): is every vector's DNS
served exactly as the vector says?

For each vector with a `dns` list, start the fixture that test_vectors.py
uses (imgtest.start_vector_dns: unbound local-data, plus the suite's fake
server behind forward-zones for SERVFAIL owners, or the fake server alone
when unbound cannot give an answer), then query every listed (owner, type)
and check rcode, record order, rdata round-trip (NAPTR strings byte for
byte), TTL, and the SOA of negative answers; finally check that an unlisted
name gets NXDOMAIN without SOA.  Built-in SELFTEST vectors exercise the
fake server's extras (tc, delay_ms, drop, malformed, ad, cname, REFUSED).

usage: check_vector_dns.py [--backend auto|fakedns|unbound] [--also-fakedns]
                           [--no-selftest] [--only ID[,ID...]] [VECTORS.json]
VECTORS.json defaults to $IMGATE_VECTORS, else shared/docs beside the
tree, else the copy in the tree, tests/integration/vectors-public.json.
"""

import argparse
import ipaddress
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imgtest  # noqa: E402
from imgtest import norm_owner  # noqa: E402

NAPTR = {"order": 100, "preference": 10, "flags": "u", "services": "E2U+im",
         "replacement": "."}

SELFTEST = [
    {"id": "SELFTEST-escapes", "dns": [
        {"owner": "0.0.1.0.5.5.5.2.0.2.1.e164.arpa.", "type": "NAPTR",
         "rcode": "NOERROR", "ttl": 120, "rrs": [
             dict(NAPTR, regexp="!^\\+(.*)$!sip:\\1@example.com!"),
             dict(NAPTR, regexp="@^.*$@im:alice\\@example.com@"),
             dict(NAPTR, regexp='!^.*$!im:"quoted"\\\\x@example.com!'),
             dict(NAPTR, regexp="!^(.{1,3})$!im:a@b!"),
             dict(NAPTR, regexp="!^.*$!im:o'neil@example.com!"),
             dict(NAPTR, regexp="!^.*$!im:j\u00fcrgen@example.com!"),
             dict(NAPTR, flags="", services="", regexp="", replacement="Next.Example.NET."),
         ]},
        {"owner": "_im._sip.example.com.", "type": "SRV", "rcode": "NOERROR", "ttl": 60,
         "rrs": [{"priority": 0, "weight": 0, "port": 0, "target": "."},
                 {"priority": 10, "weight": 5, "port": 5060, "target": "sip.example.com."}]},
        {"owner": "sip.example.com.", "type": "AAAA", "rcode": "NOERROR", "ttl": 60,
         "rrs": [{"address": "2001:db8::1"}]},
        {"owner": "nx.example.com.", "type": "NAPTR", "rcode": "NXDOMAIN",
         "soa": {"ttl": 3600, "minimum": 120}},
        {"owner": "nodata.example.org.", "type": "NAPTR", "rcode": "NOERROR", "rrs": [],
         "soa": {"ttl": 60, "minimum": 600}},
    ]},
    {"id": "SELFTEST-servfail-forward", "dns": [
        {"owner": "sf.example.", "type": "NAPTR", "rcode": "SERVFAIL"},
        {"owner": "sf.example.", "type": "A", "rcode": "NOERROR", "ttl": 30,
         "rrs": [{"address": "192.0.2.4"}]},
        {"owner": "ok.example.", "type": "NAPTR", "rcode": "NOERROR", "ttl": 30,
         "rrs": [dict(NAPTR, regexp="!^.*$!im:ok@example.com!")]},
    ]},
    {"id": "SELFTEST-extras", "dns": [
        {"owner": "tc.example.", "type": "NAPTR", "rcode": "NOERROR", "ttl": 30, "tc": True,
         "rrs": [dict(NAPTR, regexp="!^.*$!im:tc@example.com!")]},
        {"owner": "slow.example.", "type": "NAPTR", "rcode": "NOERROR", "ttl": 30,
         "delay_ms": 300, "rrs": [dict(NAPTR, regexp="!^.*$!im:slow@example.com!")]},
        {"owner": "drop.example.", "type": "NAPTR", "drop": True},
        {"owner": "bad.example.", "type": "NAPTR", "rcode": "NOERROR", "ttl": 30,
         "malformed": True, "rrs": [dict(NAPTR, regexp="!^.*$!im:bad@example.com!")]},
        {"owner": "ad.example.", "type": "NAPTR", "rcode": "NOERROR", "ttl": 30, "ad": True,
         "rrs": [dict(NAPTR, regexp="!^.*$!im:ad@example.com!")]},
        {"owner": "refused.example.", "type": "NAPTR", "rcode": "REFUSED"},
        {"owner": "alias.example.", "type": "NAPTR", "rcode": "NOERROR", "ttl": 40,
         "cname": "target.example."},
        {"owner": "target.example.", "type": "NAPTR", "rcode": "NOERROR", "ttl": 50,
         "rrs": [dict(NAPTR, regexp="!^.*$!im:target@example.com!")]},
        {"owner": "dup.example.", "type": "NAPTR", "rcode": "NOERROR", "ttl": 30,
         "rrs": [dict(NAPTR, regexp="!^.*$!im:d@example.com!"),
                 dict(NAPTR, regexp="!^.*$!im:d@example.com!")]},
        {"owner": "nodata-nosoa.example.", "type": "NAPTR", "rcode": "NOERROR", "rrs": []},
    ]},
]


def norm_rdata(t, rr):
    """Comparable form of one RR's rdata (vector side or parsed side)."""
    t = t.upper()
    if t == "NAPTR":
        return (rr["order"], rr["preference"], rr["flags"], rr["services"],
                rr["regexp"], norm_owner(rr["replacement"]))
    if t == "SRV":
        return (rr["priority"], rr["weight"], rr["port"], norm_owner(rr["target"]))
    if t in ("A", "AAAA"):
        return str(ipaddress.ip_address(rr["address"]))
    if t in ("CNAME", "NS", "PTR"):
        return norm_owner(rr.get("target") or rr.get("cname"))
    if t == "TXT":
        return tuple(rr.get("strings") or [rr.get("text", "")])
    return repr(sorted(rr.items()))


def check_answer(vid, fx, a):
    """One TAP point for one listed answer."""
    owner, t = a["owner"], a["type"].upper()
    rc = str(a.get("rcode", "NOERROR")).upper()
    desc = "%s [%s] %s %s -> %s" % (vid, fx.backend, owner, t, rc)
    errs = []
    if a.get("drop"):
        try:
            r = imgtest.dns_query("127.0.0.1", fx.port, owner, t, timeout=0.5)
            errs.append("answered although drop: %s" % r["rcode"])
        except socket.timeout:
            pass
        return imgtest.ok(not errs, desc + " (dropped)", "\n".join(errs))
    try:
        r = imgtest.dns_query("127.0.0.1", fx.port, owner, t, timeout=3)
    except socket.timeout:
        return imgtest.ok(False, desc, "timeout")
    delay = a.get("delay_ms", 0) / 1000.0
    if delay and r["elapsed"] < delay * 0.9:
        errs.append("answered after %.3f s, want >= %.3f" % (r["elapsed"], delay))
    if a.get("tc"):
        if not r["tc"]:
            errs.append("UDP answer without TC")
        r = imgtest.dns_query("127.0.0.1", fx.port, owner, t, tcp=True, timeout=3)
        if r["tc"]:
            errs.append("TCP answer has TC")
    if bool(a.get("ad")) != r["ad"] and (a.get("ad") or fx.backend == "fakedns"):
        errs.append("AD bit %s" % r["ad"])
    chain = [x for x in r["answer"] if x["type"] == "CNAME"]
    rrs = [x for x in r["answer"] if x["type"] == t]
    if a.get("cname"):
        if not chain or norm_owner(chain[0]["rdata"]["target"]) != norm_owner(a["cname"]):
            errs.append("no CNAME to %s first in the answer" % a["cname"])
        elif chain[0]["ttl"] != a.get("ttl", chain[0]["ttl"]):
            errs.append("CNAME ttl %d want %s" % (chain[0]["ttl"], a.get("ttl")))
        if not rrs and rc == "NOERROR":
            errs.append("CNAME chain not followed to %s records" % t)
    elif r["rcode"] != rc:
        errs.append("rcode %s want %s" % (r["rcode"], rc))
    if rc == "NOERROR" and not a.get("cname"):
        want = [norm_rdata(t, x) for x in a.get("rrs") or []]
        if a.get("malformed"):
            if not all(x.get("error") for x in rrs) or len(rrs) != len(want):
                errs.append("rdata not malformed: %s" % [x.get("error") for x in rrs])
        else:
            bad = [x for x in rrs if x.get("error")]
            if bad:
                errs.append("unparseable rdata: %s" % bad[0]["error"])
            got = [norm_rdata(t, x["rdata"]) for x in rrs]
            if got != want:
                errs.append("records differ (order matters)\n got:  %r\n want: %r" % (got, want))
            if any(norm_owner(x["name"]) != norm_owner(owner) for x in rrs):
                errs.append("owner name differs: %s" % [x["name"] for x in rrs])
            ttls = sorted({x["ttl"] for x in rrs})
            if want and ttls != [a.get("ttl", ttls[0] if ttls else 0)]:
                errs.append("ttl %s want %s" % (ttls, a.get("ttl")))
        if r["answer"] and len(r["answer"]) != len(rrs):
            errs.append("extra records in the answer section: %d" % (len(r["answer"]) - len(rrs)))
    soas = [x for x in r["authority"] if x["type"] == "SOA"]
    negative = rc in ("NXDOMAIN",) or (rc == "NOERROR" and not a.get("rrs") and not a.get("cname"))
    if negative and a.get("soa"):
        if len(soas) != 1:
            errs.append("want one SOA in authority, got %d" % len(soas))
        else:
            s, w = soas[0], a["soa"]
            neg = min(s["ttl"], s["rdata"]["minimum"])
            want_neg = min(w.get("ttl", 3600), w.get("minimum", 3600))
            if neg != want_neg or s["rdata"]["minimum"] != w.get("minimum", s["rdata"]["minimum"]):
                errs.append("SOA ttl %d minimum %d (negative ttl %d), want ttl %s minimum %s "
                            "(negative ttl %d)" % (s["ttl"], s["rdata"]["minimum"], neg,
                                                   w.get("ttl"), w.get("minimum"), want_neg))
            elif s["ttl"] != w.get("ttl"):
                imgtest.diag("%s: SOA served with ttl %d (vector %s): unbound clamps the "
                             "negative SOA ttl to MINIMUM; min() unchanged"
                             % (owner, s["ttl"], w.get("ttl")))
    elif negative and soas:
        errs.append("SOA in authority although the vector has none")
    return imgtest.ok(not errs, desc, "\n".join(errs))


def check_vector(v, backend, procs):
    dns = v.get("dns") or []
    t0 = time.monotonic()
    try:
        fx = imgtest.start_vector_dns(dns, procs=procs, backend=backend)
    except Exception as e:
        imgtest.ok(False, "%s: start DNS fixture" % v["id"], str(e))
        return
    if fx.backend == "fakedns" and backend == "auto" and fx.reasons:
        imgtest.diag("%s served by fakedns alone: %s" % (v["id"], "; ".join(fx.reasons)))
    for a in dns:
        check_answer(v["id"], fx, a)
    # an unlisted name: NXDOMAIN without SOA
    r = imgtest.dns_query("127.0.0.1", fx.port, "not-listed.imgate-test.", "NAPTR")
    imgtest.ok(r["rcode"] == "NXDOMAIN" and not r["authority"],
               "%s [%s] unlisted name -> NXDOMAIN without SOA" % (v["id"], fx.backend),
               "rcode %s authority %d" % (r["rcode"], len(r["authority"])))
    # every query reached the server's log
    q = fx.queries()
    n_expect = sum(1 + (1 if a.get("tc") else 0) for a in dns) + 1
    imgtest.ok(len(q) >= n_expect,
               "%s [%s] query log records the queries" % (v["id"], fx.backend),
               "logged %d, sent %d: %r" % (len(q), n_expect, q[:5]))
    fx.stop()
    imgtest.diag("%s: %.0f ms" % (v["id"], (time.monotonic() - t0) * 1000))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("vectors", nargs="*")
    ap.add_argument("--backend", default="auto", choices=("auto", "fakedns", "unbound"))
    ap.add_argument("--also-fakedns", action="store_true",
                    help="check every vector against fakedns alone as well")
    ap.add_argument("--no-selftest", action="store_true")
    ap.add_argument("--only", help="comma-separated vector ids")
    args = ap.parse_args()
    files = args.vectors or [None] + ([] if os.environ.get("IMGATE_VECTORS")
                                      else [os.path.join(os.path.dirname(
                                          os.path.abspath(__file__)),
                                          "vectors-rfc3263.json")])
    vectors = []
    for f in files:
        data, path = imgtest.load_vectors(f)
        imgtest.diag("vectors: %s" % path)
        vectors += [v for v in data["vectors"] if "dns" in v]
    if not args.no_selftest:
        vectors += SELFTEST
    if args.only:
        ids = set(args.only.split(","))
        vectors = [v for v in vectors if v["id"] in ids]
    t0 = time.monotonic()
    with imgtest.Procs("check-dns") as procs:
        for v in vectors:
            backend = args.backend
            if backend == "unbound" and imgtest.unbound_plan(v["dns"])[0] == "fakedns":
                imgtest.skip("%s [unbound]" % v["id"], "unbound cannot serve: %s"
                             % "; ".join(imgtest.unbound_plan(v["dns"])[1]))
                continue
            check_vector(v, backend, procs)
            if args.also_fakedns and backend != "fakedns":
                check_vector(v, "fakedns", procs)
    imgtest.diag("total %.2f s" % (time.monotonic() - t0))
    return imgtest.done()


if __name__ == "__main__":
    sys.exit(main())
