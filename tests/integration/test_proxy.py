#!/usr/bin/python3
"""test_proxy.py - acl.trusted_proxies: policy keys on the original sender.

A sipp UAC plays a proxy in front of imgated (127.0.0.1): it forwards
MESSAGEs with its own Via on top and the UA's Via below, carrying
received= as Kamailio/OpenSIPS add it (docs/deploy-sip-proxy.md).
Asserted, against the real daemon:
- with the proxy trusted, the ACL admits a UA whose second-Via address is
  in acl.sip_networks (delivered to the UAS) and refuses one outside
  (403), although both come from the same proxy address;
- the Via's host is used when there is no received=; a host name there,
  or a single Via, leaves the proxy's own address (refused);
- without trusted_proxies the same forwarded request is judged by the
  proxy's address (403): no Via is believed from an untrusted source;
- the rate limit counts the original senders apart (two UAs through one
  proxy, burst 1: the second message of UA A is 503, UA B's first is
  delivered), and the transaction log names the original sender.
"""

import os
import re
import sys

from imgtest import Procs, tap
import gwtest

A, B, OUT = "203.0.113.9", "203.0.113.10", "198.51.100.9"


def via_run(procs, gw, rows, calls=None, rate=None):
    """sipp as a proxy, one call per (host, params) row."""
    d = procs.tmpdir("inf")
    inf = os.path.join(d, "vias.csv")
    with open(inf, "w") as f:
        f.write("SEQUENTIAL\n")
        for host, params in rows:
            f.write("%s;%s;\n" % (host, params))
    rc, trace = gwtest.run_uac(procs, "uac_via_proxy.xml", gw.port,
                               calls=calls or len(rows), rate=rate,
                               extra_args=["-s", "+12025550100",
                                           "-inf", inf])
    return [c for c in gwtest.response_codes(trace) if c >= 200]


def txn_line(gw, source, status):
    return re.search(r"txn \d+: origin=sip source=%s .* status=%d " %
                     (re.escape(source), status), gw.log_text())


def main():
    with Procs("proxy") as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        route = gwtest.static_route(uas.port)
        acl = 'acl = { sip_networks = [ "203.0.113.0/24" ];\n' \
              '        trusted_proxies = [ "127.0.0.1" ]; };\n'
        gw = gwtest.start_imgated(procs, 9, conf_extra=route + acl)

        tap.is_(via_run(procs, gw, [("10.9.9.9", "received=" + A)]),
                [200], "trusted proxy, second Via received=%s (inside the "
                "ACL) -> 200" % A)
        got = [r for r in uas.requests() if r["method"] == "MESSAGE"]
        tap.is_(len(got), 1, "... and delivered to the UAS")
        tap.ok(txn_line(gw, A, 200), "... the log names the original "
               "sender %s" % A, diag=gw.log_text()[-1200:])
        tap.is_(via_run(procs, gw, [("10.9.9.9", "received=" + OUT)]),
                [403], "same proxy, second Via received=%s (outside) -> 403"
                % OUT)
        tap.is_(via_run(procs, gw, [(B, "x=1")]), [200],
                "no received=: the second Via's host %s is the sender" % B)
        tap.is_(via_run(procs, gw, [("ua.example.org", "x=1")]), [403],
                "a host name in the second Via: the proxy's own address "
                "(outside the ACL) -> 403")
        rc, trace = gwtest.run_uac(procs, "uac_message.xml", gw.port,
                                   extra_args=["-s", "+12025550100"])
        tap.ok(403 in gwtest.response_codes(trace), "one Via from the "
               "proxy: its own address -> 403",
               diag=gwtest.response_codes(trace))
        procs.stop(gw.proc)

        # Nothing is believed from an address not listed.
        gw2 = gwtest.start_imgated(
            procs, 9, conf_extra=route +
            'acl = { sip_networks = [ "203.0.113.0/24" ]; };\n')
        tap.is_(via_run(procs, gw2, [("10.9.9.9", "received=" + A)]),
                [403], "without trusted_proxies the same request is judged "
                "by the proxy's address -> 403")
        procs.stop(gw2.proc)

        # The rate limit keys on the original senders.
        gw3 = gwtest.start_imgated(
            procs, 9, conf_extra=route +
            'acl = { trusted_proxies = [ "127.0.0.0/8" ]; };\n'
            'ratelimit = { rate = 1; burst = 1; };\n')
        codes = via_run(procs, gw3, [("10.9.9.9", "received=" + A),
                                     ("10.9.9.9", "received=" + A),
                                     ("10.9.9.9", "received=" + B)],
                        rate=50)
        tap.is_(sorted(codes), [200, 200, 503], "rate limit burst 1, three "
                "messages through one proxy: two senders' first ones pass")
        tap.ok(txn_line(gw3, A, 200) and txn_line(gw3, A, 503),
               "... %s: the first 200, the second 503" % A,
               diag=gw3.log_text()[-1500:])
        tap.ok(txn_line(gw3, B, 200), "... %s has a bucket of its own: 200"
               % B, diag=gw3.log_text()[-1500:])
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
