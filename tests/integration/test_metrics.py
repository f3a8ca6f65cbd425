#!/usr/bin/python3
"""test_metrics.py - the Prometheus endpoint (imgate.conf(5) metrics)
counts exactly what happened.

Real unbound, sipp UASes, Prosody with two c2s users, imgated with
metrics.enable.  A known traffic mix - SIP->SIP delivered three times,
SIP->XMPP, XMPP->SIP, a deny route, an ENUM SERVFAIL, a number without
NAPTR - and then the exact deltas of the counters between two scrapes:
messages in/out by protocol and class, routing decisions by route and
outcome, lookups by result, latency histogram counts per path, DNS
cache hits, refusal counters, the component gauge through a Prosody
restart; a second daemon with an ACL that refuses the sender counts
the refusal.  Every scrape must parse as the text exposition format
(promparse.py, strict), and the endpoint answers 404 elsewhere and 405
to POST.
"""

import time
import urllib.error
import urllib.request

import imgtest
from imgtest import Procs, tap
import gwtest
from gwtest import enum_owner as key, enum_naptr as naptr
from gwtest import scrape_text as scrape
import promparse
import sipuac
import xmppclient

COMP = "gw.localhost"
M = promparse.value


def http_code(port, path, method="GET"):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                 method=method, data=b"x" if method ==
                                 "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def parsed(port, what):
    status, ctype, text = scrape(port)
    try:
        s = promparse.parse(text)
        err = None
    except ValueError as e:
        s, err = {}, str(e)
    tap.ok(status == 200 and err is None, "%s: 200 and valid exposition "
           "format" % what, diag=err)
    return s, ctype


def wait_scrape(port, cond, timeout):
    """The first scrape for which @cond holds, or the last one."""
    end = time.monotonic() + timeout
    while True:
        s = promparse.parse(scrape(port)[2])
        if cond(s) or time.monotonic() > end:
            return s
        time.sleep(0.1)


def delta(a, b, name, **labels):
    return M(b, name, **labels) - M(a, name, **labels)


def main():
    with Procs("metrics") as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        dns = [naptr("+12025550100", "im:carol@sip.test"),
               naptr("+12025550101", "im:bob@localhost"),
               {"owner": key("+12025550106"), "type": "NAPTR",
                "rcode": "SERVFAIL"},
               *gwtest.sip_domain("sip.test", uas.port),
               gwtest.xmpp_domain("localhost")]
        dns_port, _ = imgtest.start_unbound(dns, procs=procs)
        pros = gwtest.Prosody(procs, [("alice", "pw"), ("bob", "pw")], COMP,
                              "s3cret").start()
        mport = imgtest.free_port()
        routes = """
routes = (
  { name = "premium"; prefix = "+1900"; action = "deny"; status = 403; },
  { name = "world"; action = "enum"; }
);
metrics = { enable = true; listen = "127.0.0.1:%d"; };
""" % mport
        gw = gwtest.start_imgated(procs, dns_port, conf_extra=gwtest.xmpp_conf(
            pros, receipt_wait_ms=3000) + routes, sip_timeout_ms=3000)
        tap.ok(gw.wait_log(r"component %s connected" % COMP, 15) is not None,
               "component connected", diag=gw.log_text()[-800:])
        addr = ("127.0.0.1", pros.c2s)
        alice = xmppclient.Client("alice@localhost", "pw", addr).start()
        bob = xmppclient.Client("bob@localhost", "pw", addr).start()

        before, ctype = parsed(mport, "first scrape")
        tap.ok(ctype and ctype.startswith("text/plain; version=0.0.4"),
               "Content-Type of the text format", diag=ctype)
        tap.is_(M(before, "imgate_component_connected"), 1,
                "component_connected gauge is 1")
        tap.ok(M(before, "imgate_component_connects_total") >= 1,
               "component connects counted")

        uac = sipuac.UAC()
        codes = {}
        for i, (num, body) in enumerate([
                ("+12025550100", "s2s-1"), ("+12025550100", "s2s-2"),
                ("+12025550100", "s2s-3"), ("+12025550101", "s2x"),
                ("+19005550000", "deny"), ("+12025550106", "servfail"),
                ("+12025550199", "nonaptr")]):
            code, _, _ = uac.message(gw.addr, "sip:%s@gw.test" % num,
                                     body=body, timeout=15)
            codes[body] = code
        tap.is_([codes["s2s-%d" % i] for i in (1, 2, 3)], [200] * 3,
                "SIP->SIP x3: 200")
        tap.is_(codes["s2x"], 200, "SIP->XMPP: 200")
        tap.is_(codes["deny"], 403, "deny route: 403")
        tap.ok(codes["servfail"] is not None and
               500 <= codes["servfail"] < 600, "ENUM SERVFAIL: 5xx",
               diag=codes["servfail"])
        tap.is_(codes["nonaptr"], 404, "no NAPTR: 404")
        alice.send("+12025550100@" + COMP, "x2s", receipt=True, id="m1")
        got = alice.wait(lambda m: m.get("received") == "m1" or
                         m.get("type") == "error", 15)
        tap.ok(got is not None and got.get("type") != "error",
               "XMPP->SIP: delivered (receipt)", diag=got)

        # Transactions end just after the answer: wait for none in flight.
        end = time.monotonic() + 15
        while True:
            after = promparse.parse(scrape(mport)[2])
            if M(after, "imgate_transactions_in_flight") == 0 or \
                    time.monotonic() > end:
                break
            time.sleep(0.1)
        after, _ = parsed(mport, "scrape after the mix")
        d = lambda name, **kw: delta(before, after, name, **kw)
        tap.is_(M(after, "imgate_transactions_in_flight"), 0,
                "nothing in flight at the end")
        tap.is_(d("imgate_messages_in_total", protocol="sip",
                  **{"class": "2xx"}), 4, "in: sip 2xx +4")
        tap.is_(d("imgate_messages_in_total", protocol="sip",
                  **{"class": "4xx"}), 2, "in: sip 4xx +2 (403, 404)")
        tap.is_(d("imgate_messages_in_total", protocol="sip",
                  **{"class": "5xx"}), 1, "in: sip 5xx +1 (SERVFAIL)")
        tap.is_(d("imgate_messages_in_total", protocol="xmpp",
                  **{"class": "2xx"}), 1, "in: xmpp 2xx +1")
        tap.is_(d("imgate_messages_out_total", protocol="sip",
                  **{"class": "2xx"}), 4, "out: sip 2xx +4 (3 + XMPP->SIP)")
        tap.is_(d("imgate_messages_out_total", protocol="xmpp",
                  **{"class": "2xx"}), 1, "out: xmpp 2xx +1")
        tap.is_(d("imgate_routing_decisions_total", route="premium",
                  outcome="permfail"), 1, "route premium: permfail +1")
        tap.is_(d("imgate_routing_decisions_total", route="world",
                  outcome="ok"), 5, "route world: ok +5")
        tap.is_(d("imgate_routing_decisions_total", route="world",
                  outcome="tempfail"), 1, "route world: tempfail +1")
        tap.is_(d("imgate_routing_decisions_total", route="world",
                  outcome="permfail"), 1, "route world: permfail +1")
        tap.is_(d("imgate_lookups_total", result="ok"), 5, "lookups ok +5")
        tap.is_(d("imgate_lookups_total", result="E_DNS_TEMPFAIL"), 1,
                "lookups E_DNS_TEMPFAIL +1")
        tap.is_(d("imgate_lookups_total", result="E_ENUM_NO_DATA"), 1,
                "lookups E_ENUM_NO_DATA +1")
        for path, n in (("sip_to_sip", 3), ("sip_to_xmpp", 1),
                        ("xmpp_to_sip", 1), ("xmpp_to_xmpp", 0)):
            tap.is_(d("imgate_latency_seconds_count", path=path), n,
                    "latency histogram %s: +%d" % (path, n))
        # (millisecond clock: a loopback SIP->SIP hop may take 0 ms; the
        # XMPP receipt round trip through Prosody does not)
        tap.ok(d("imgate_latency_seconds_sum", path="sip_to_xmpp") > 0,
               "latency sum grows")
        tap.ok(d("imgate_dns_cache_hits_total") >= 2,
               "DNS cache hits: the repeated number came from the cache",
               diag=d("imgate_dns_cache_hits_total"))
        # The queries of the mix: NAPTR for each of the five numbers
        # that reach ENUM (+12025550100 once, then cached), SRV
        # _im._sip.sip.test and the AAAA and A of its target (once,
        # cached), and for im:bob@localhost SRV _im._sip.localhost
        # (NXDOMAIN) before _im._xmpp.localhost: 9.
        tap.is_(d("imgate_dns_queries_total"), 9, "DNS queries: +9")
        srv = "127.0.0.1:%d" % dns_port
        tap.ok(M(after, "imgate_dns_server_up", server=srv) == 1 and
               d("imgate_dns_server_failures_total", server=srv) == 1,
               "DNS server health: the server is up, the SERVFAIL "
               "counted against it",
               diag=(M(after, "imgate_dns_server_up", server=srv),
                     d("imgate_dns_server_failures_total", server=srv)))
        tap.is_(d("imgate_dns_answers_total", outcome="tempfail"), 1,
                "DNS answers: tempfail +1 (the SERVFAIL)")
        tap.is_(d("imgate_dns_answers_total", outcome="nxdomain"), 2,
                "DNS answers: nxdomain +2 (the number without NAPTR, "
                "_im._sip.localhost)")
        tap.is_(d("imgate_dns_answers_total", outcome="ok"), 5,
                "DNS answers: ok +5")
        answered = sum(d("imgate_dns_answers_total", outcome=o)
                       for o in ("ok", "nodata", "nxdomain", "tempfail"))
        tap.ok(answered == d("imgate_dns_queries_total") and
               d("imgate_dns_query_duration_seconds_count") == answered,
               "DNS: every query sent is answered once and timed",
               diag=(answered, d("imgate_dns_queries_total"),
                     d("imgate_dns_query_duration_seconds_count")))
        tap.is_(M(after, "imgate_spool_messages"), 0, "spool: empty")
        tap.is_(M(after, "imgate_spool_oldest_age_seconds"), 0,
                "spool: no oldest age when empty")
        tap.is_(d("imgate_refusals_total", reason="acl"), 0,
                "no ACL refusal here")
        tap.ok(M(after, "process_resident_memory_bytes") > 1e6 and
               M(after, "process_open_fds") > 3 and
               M(after, "process_cpu_seconds_total") > 0,
               "process RSS, fds, CPU")
        tap.is_(http_code(mport, "/other"), 404, "other paths: 404")
        tap.is_(http_code(mport, "/metrics", "POST"), 405, "POST: 405")
        tap.ok(gw.alive(), "daemon alive")
        with open("/proc/%d/status" % gw.proc.pid) as f:
            threads = [l.split()[1] for l in f if l.startswith("Threads:")]
        tap.is_(threads, ["1"], "libmicrohttpd runs on the daemon's one "
                "thread (no thread of its own)")

        # A second daemon whose ACL refuses the sender.
        mport2 = imgtest.free_port()
        gw2 = gwtest.start_imgated(procs, dns_port, conf_extra="""
acl = { sip_networks = [ "10.0.0.0/8" ]; };
metrics = { enable = true; listen = "127.0.0.1:%d"; };
""" % mport2)
        b2, _ = parsed(mport2, "ACL daemon: first scrape")
        code, _, _ = uac.message(gw2.addr, "sip:+12025550100@gw.test",
                                 timeout=10)
        tap.is_(code, 403, "ACL: 403")
        a2, _ = parsed(mport2, "ACL daemon: second scrape")
        tap.is_(M(a2, "imgate_refusals_total", reason="acl") -
                M(b2, "imgate_refusals_total", reason="acl"), 1,
                "ACL refusal counted")
        tap.is_(M(a2, "imgate_lookups_total", result="ok") -
                M(b2, "imgate_lookups_total", result="ok"), 0,
                "a refused message is never looked up")
        alice.stop()
        bob.stop()

        # The component gauge follows the link (the XMPP edge pushes it):
        # 0 while Prosody is gone, 1 again once the component is back,
        # with one more connection counted.
        c0 = M(parsed(mport, "scrape before Prosody stops")[0],
               "imgate_component_connects_total")
        pros.stop()
        s = wait_scrape(mport, lambda s: M(s, "imgate_component_connected")
                        == 0, 20)
        tap.is_(M(s, "imgate_component_connected"), 0,
                "component_connected gauge is 0 while Prosody is down")
        pros.start()
        s = wait_scrape(mport, lambda s: M(s, "imgate_component_connected")
                        == 1, 30)
        tap.is_(M(s, "imgate_component_connected"), 1,
                "component_connected gauge is 1 after the reconnection")
        tap.is_(M(s, "imgate_component_connects_total") - c0, 1,
                "the reconnection counted once")
        tap.ok(gw.alive(), "daemon alive after the component's outage")
    tap.done()


if __name__ == "__main__":
    main()
