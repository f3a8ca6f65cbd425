#!/usr/bin/python3
"""test_reload.py - every reloadable option, changed by SIGHUP on one daemon.

One imgated (XMPP component enabled, Prosody at first not running: the
link is down), the suite's fakedns as its resolver, a sipp UAS as the SIP
far end.  The configuration file is rewritten and SIGHUP sent, many times;
after each reload the test observes what the option does on the running
daemon:

  - behaviour: what a message gets (a status code, how soon), what reaches
    the DNS server (queries counted per name, the AD and DO bits), what the
    daemon logs about a message (held, refused, debug lines);
  - report: options that only decide how a message is handled are taken
    from the runtime a message starts with, which a reload builds from the
    file; for those the reload's own report line
    "reload: OPTION: OLD -> NEW" is the observation.

reload_table.RELOADABLE lists every option that conf/conf_schema.c marks
reloadable (and the groups of its conf_keys[]), RESTART_ONLY every other
one; tests/check_reload_table.py fails when the schema has a row that
neither table names, so a new option cannot be forgotten.  At the end every
RELOADABLE entry must have been observed in this run.

Then reload under load: sipp sends at a steady rate towards XMPP (link
down) and SIP while SIGHUPs flip queue and transaction caps, the AD bit and
the DNS cache caps; the daemon must answer everything, keep running, and
(in the sanitizer build) print no sanitizer finding.
"""

import os
import re
import signal
import sys
import threading
import time

import imgtest
from imgtest import Procs, tap
import gwtest
from gwtest import enum_owner as key
import sipuac
import xmppclient
from reload_table import RELOADABLE, REPORT_VALUES, RESTART_ONLY

COMP = "gw.localhost"

def calls(trace):
    """Call-IDs of the MESSAGEs in a sipp trace, and {Call-ID: final
    status} of those answered."""
    sent, answered = set(), {}
    for blk in gwtest._blocks(trace):
        cid = re.search(r"^(?:Call-ID|i):\s*(\S+)", blk, re.M | re.I)
        if not cid or not re.search(r"^CSeq:\s*\d+ MESSAGE", blk,
                                    re.M | re.I):
            continue
        m = re.match(r"SIP/2\.0 (\d{3})", blk)
        if m is None:
            sent.add(cid.group(1))
        elif int(m.group(1)) >= 200:
            answered[cid.group(1)] = int(m.group(1))
    return sent, answered


def naptr(num, uri):
    return gwtest.enum_naptr(num, uri, ttl=3600)


def sip_domain(domain, port):
    return gwtest.sip_domain(domain, port, ttl=3600)


class Gw:
    """imgated with a configuration the test rewrites and reloads."""

    def __init__(self, procs, settings, extra=""):
        self.procs = procs
        self.dir = procs.tmpdir("reload-imgated")
        self.conf = os.path.join(self.dir, "imgate.conf")
        self.log = os.path.join(self.dir, "imgated.log")
        self.settings = dict(settings)
        self.extra = extra
        self.reloads = 0
        self.write()
        # No -v: log.level must be the file's, so that it can reload.
        self.proc = procs.start([gwtest.IMGATED, "-d", "-f", self.conf],
                                name="imgated", log=self.log)
        if not self.wait(0, r"imgated ready", 30):
            raise RuntimeError("imgated did not start:\n" +
                               self.text()[-2000:])
        self.addr = ("127.0.0.1", self.port)

    @property
    def port(self):
        return int(re.search(r":(\d+)\"$", self.settings["sip.listen"])
                   .group(1))

    def write(self, settings=None, extra=None):
        settings = self.settings if settings is None else settings
        extra = self.extra if extra is None else extra
        # "sip.tls.listen" is the setting listen of the group tls of
        # the group sip: nested groups, written in one piece each.
        tree = {}
        for path, v in settings.items():
            node, parts = tree, path.split(".")
            for p in parts[:-1]:
                node = node.setdefault(p, {})
            node[parts[-1]] = v

        def body(node):
            return " ".join("%s = { %s };" % (k, body(v))
                            if isinstance(v, dict) else "%s = %s;" % (k, v)
                            for k, v in node.items())
        text = "".join("%s = { %s };\n" % (g, body(n))
                       for g, n in tree.items())
        with open(self.conf + ".tmp", "w") as f:
            f.write(text + extra)
        os.rename(self.conf + ".tmp", self.conf)

    def text(self):
        return gwtest.read_text(self.log)

    def mark(self):
        return len(self.text())

    def wait(self, pos, pattern, timeout=10.0):
        """The first match of @pattern in the log after offset @pos."""
        end = time.monotonic() + timeout
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.text(), pos)
            if m or time.monotonic() > end or self.proc.poll() is not None:
                return m
            time.sleep(0.02)

    def reload(self, changes=None, extra=None, raw=None):
        """Apply @changes (path -> value text), SIGHUP, wait until it is in
        force; returns the log text the reload wrote."""
        if changes:
            self.settings.update(changes)
        if extra is not None:
            self.extra = extra
        if raw is not None:
            self.write(settings=raw[0], extra=raw[1])
        else:
            self.write()
        pos = self.mark()
        if not self.alive():
            tail = self.text()[-3000:]
            for line in tail.splitlines():
                tap.diag(line)
            tap.bail_out("imgated is gone (exit status %s)" %
                         self.proc.returncode)
        os.kill(self.proc.pid, signal.SIGHUP)
        self.reloads += 1
        m = self.wait(pos, r"reload: .*(is in force|keeping the running)"
                      r".*\n", 15)
        return self.text()[pos:m.end()] if m else ""

    def alive(self):
        return self.proc.poll() is None


def main():
    observed = {}

    def seen(path, cond, desc, diag=None):
        tap.ok(cond, "%s: %s" % (path, desc), diag=diag)
        if cond:
            observed.setdefault(path, desc)

    with Procs("reload") as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        n_sip = "+12025550100"          # im:carol@sip.test
        n_bob = "+12025550101"          # im:bob@localhost (acks)
        n_carl = "+12025550103"         # im:carl@localhost (no receipts)
        n_fail = "+12025550150"         # SERVFAIL
        n_nx = "+12025550151"           # NXDOMAIN with SOA 3600
        n_ttl = "+12025550152"          # cache_max_ttl
        n_ent = "+12025550153"          # cache_entries
        n_ad = ["+1202555016%d" % i for i in range(4)]
        n_stale = ["+1202555017%d" % i for i in range(2)]
        n_case = ["+1202555018%d" % i for i in range(5)]
        n_port = ["+120255502%02d" % i for i in range(16)]
        n_sf = ["+120255502%02d" % i for i in range(20, 23)]   # SERVFAIL
        n_back = "+12025550230"
        answers = [naptr(n_sip, "im:carol@sip.test"),
                   naptr(n_bob, "im:bob@localhost"),
                   naptr(n_carl, "im:carl@localhost"),
                   {"owner": key(n_fail), "type": "NAPTR",
                    "rcode": "SERVFAIL"},
                   {"owner": key(n_nx), "type": "NAPTR", "rcode": "NXDOMAIN",
                    "soa": {"ttl": 3600, "minimum": 3600}},
                   naptr(n_ttl, "im:carol@sip.test"),
                   naptr(n_ent, "im:carol@sip.test"),
                   gwtest.xmpp_domain("localhost", ttl=3600)]
        answers += [naptr(n, "im:carol@sip.test") for n in n_ad[:3]]
        answers.append(dict(naptr(n_ad[3], "im:carol@sip.test"),
                            delay_ms=1500))
        answers += [naptr(n, "im:st@stale.test") for n in n_stale]
        answers += [naptr(n, "im:carol@sip.test") for n in n_case]
        # (held 300 ms, so that the eight of a burst share c-ares' UDP
        # socket: it closes it when no query is in flight)
        answers += [dict(naptr(n, "im:carol@sip.test"), delay_ms=300)
                    for n in n_port]
        answers += [{"owner": key(n), "type": "NAPTR", "rcode": "SERVFAIL"}
                    for n in n_sf]
        answers.append(naptr(n_back, "im:carol@sip.test"))
        answers += sip_domain("sip.test", uas.port)
        answers += sip_domain("stale.test", uas.port)
        fake = imgtest.start_fakedns(answers, procs=procs)
        pros = gwtest.Prosody(procs, [("bob", "pw"), ("carl", "pw")], COMP,
                              "s3cret")
        tmp = procs.tmpdir("spool")
        base = {
            "gateway.domain": '"gw.test"',
            "gateway.allow_root": "true",
            "gateway.workers": "1",
            "log.level": '"info"',
            "sip.listen": '"sip:127.0.0.1:%d"' % imgtest.free_port(),
            "sip.timeout_ms": "4000",
            "dns.servers": '[ "127.0.0.1:%d" ]' % fake.port,
            "dns.timeout_ms": "3000",
            "dns.tries": "1",
            "dns.servfail_ttl": "300",
            "enum.enumservices": '[ "im", "sip" ]',
            "xmpp.enable": "true",
            "xmpp.server": '"127.0.0.1"',
            "xmpp.port": str(pros.comp),
            "xmpp.domain": '"%s"' % COMP,
            "xmpp.secret": '"s3cret"',
            "xmpp.receipt_wait_ms": "1000",
            "xmpp.queue_max": "1",
            "xmpp.queue_wait_ms": "30000",
            "xmpp.reconnect_max_ms": "500",
            "spool.path": '"%s/spool.sqlite"' % tmp,
        }
        gw = Gw(procs, base)
        uac = sipuac.UAC()
        ruri = lambda n: "sip:%s@gw.test" % n

        def msg(n, timeout=10.0, **kw):
            """One message; waits for its own answer only (others may be
            held meanwhile).  (code, headers, seconds) or (None, {}, None)."""
            cid = uac.send(gw.addr, ruri(n), **kw)
            end = time.monotonic() + timeout
            while time.monotonic() < end and uac.result(cid)[0] is None:
                uac.poll(0.05)
            return uac.result(cid)

        def naptr_count(n):
            return sum(1 for _, name, t in fake.queries()
                       if imgtest.norm_owner(name) == key(n) and
                       t == "NAPTR")

        # -------------------------------------------- the link is down
        # xmpp.reconnect_max_ms: up to 2000, then at once back to 500.
        t = gw.reload({"xmpp.reconnect_max_ms": "2000"})
        pos = gw.mark()
        up = gw.wait(pos, r"reconnecting in 2000 ms", 15)
        gw.reload({"xmpp.reconnect_max_ms": "500"})
        # From the line that says it is in force on: the next backoff.
        m = gw.wait(gw.mark(), r"reconnecting in (\d+) ms", 15)
        seen("xmpp.reconnect_max_ms", up is not None and m is not None and
             m.group(1) == "500", "backoff grew to 2000 ms after raising, "
             "next one 500 ms after lowering",
             diag=m.group(0) if m else None)

        # xmpp.queue_max 1 -> 5 -> 2 with the link down (the held array
        # used to overflow here).
        pos = gw.mark()
        held = [uac.send(gw.addr, ruri(n_bob), body="held-0")]
        ok1 = gw.wait(pos, r"message held \(1 held, xmpp.queue_max 1\)", 10)
        code, _, _ = msg(n_bob, body="over-1")
        seen("xmpp.queue_max", ok1 is not None and code == 503,
             "at 1: one held, the next refused with 503 (got %s)" % code)
        t = gw.reload({"xmpp.queue_max": "5"})
        tap.ok("reload: xmpp.queue_max: 1 -> 5" in t,
               "xmpp.queue_max: the reload reports 1 -> 5", diag=t[-500:])
        pos = gw.mark()
        held += [uac.send(gw.addr, ruri(n_bob), body="held-%d" % i)
                 for i in range(1, 5)]
        ok5 = gw.wait(pos, r"message held \(5 held, xmpp.queue_max 5\)", 10)
        code, _, _ = msg(n_bob, body="over-5")
        seen("xmpp.queue_max", ok5 is not None and code == 503,
             "raised to 5 with the link down: five held, the sixth "
             "refused (got %s)" % code)
        gw.reload({"xmpp.queue_max": "2"})
        pos = gw.mark()
        code, _, _ = msg(n_bob, body="over-2")
        seen("xmpp.queue_max", code == 503 and gw.wait(
             pos, r"5 messages held \(xmpp.queue_max 2\): refused", 5),
             "lowered to 2: a new message refused, the five still held")
        uac.poll(0.2)
        tap.ok(all(uac.result(c)[0] is None for c in held),
               "xmpp.queue_max: lowering the cap answers none of the held")

        # limits.max_transactions 1 -> 100 -> 1 (five are in flight).
        gw.reload({"limits.max_transactions": "1"})
        pos = gw.mark()
        code1, _, _ = msg(n_sip)
        full1 = gw.wait(pos, r"transaction table full", 5)
        gw.reload({"limits.max_transactions": "100"})
        code100, _, _ = msg(n_sip)
        gw.reload({"limits.max_transactions": "1"})
        pos = gw.mark()
        code1b, _, _ = msg(n_sip)
        full1b = gw.wait(pos, r"transaction table full", 5)
        seen("limits.max_transactions", code1 == 503 and full1 and
             code100 == 200 and code1b == 503 and full1b,
             "1: 503 table full, 100: 200, 1: 503 (got %s %s %s)" %
             (code1, code100, code1b))
        gw.reload({"limits.max_transactions": "1000"})

        # xmpp.queue_wait_ms: 1000 -> a held message fails after ~1 s,
        # while those held under 30000 stay; 0 -> none is held.
        gw.reload({"xmpp.queue_max": "10", "xmpp.queue_wait_ms": "1000"})
        pos = gw.mark()
        code, _, took = msg(n_bob, body="short-wait")
        seen("xmpp.queue_wait_ms", code == 503 and took is not None and
             0.8 <= took < 8 and gw.wait(pos, r"message held", 1),
             "at 1000: held, then 503 after %s s" % (
                 "%.2f" % took if took else None))
        uac.poll(0.1)
        seen("xmpp.queue_wait_ms", all(uac.result(c)[0] is None
                                       for c in held),
             "messages held before keep the wait they started with")
        gw.reload({"xmpp.queue_wait_ms": "0"})
        pos = gw.mark()
        code, _, _ = msg(n_bob, body="no-wait")
        seen("xmpp.queue_wait_ms", code == 503 and gw.wait(
             pos, r"messages held \(xmpp.queue_max 10\): refused", 2)
             is not None, "at 0: refused at once, not held")
        gw.reload({"xmpp.queue_wait_ms": "30000"})

        # ------------------------------------------------ link comes up
        pros.start()
        addr = ("127.0.0.1", pros.c2s)
        bob = xmppclient.Client("bob@localhost", "pw", addr).start()
        carl = xmppclient.Client("carl@localhost", "pw", addr,
                                 ack=False).start()
        tap.ok(gw.wait(0, r"component %s connected" % COMP, 20),
               "the component link comes up")
        uac.poll(15)
        codes = [uac.result(c)[0] for c in held]
        got = {m["body"] for m in bob.messages if (m["body"] or "")
               .startswith("held-")}
        seen("xmpp.queue_max", codes == [200] * 5 and
             got == {"held-%d" % i for i in range(5)},
             "the five held across both reloads are delivered once the "
             "link is up (%s)" % codes)
        gw.reload({"xmpp.queue_max": "0"})
        code, _, _ = msg(n_bob, body="up-0")
        seen("xmpp.queue_max", code == 200, "at 0 with the link up: sent "
             "directly (got %s)" % code)

        # xmpp.receipt_wait_ms: carl sends no receipts -> 202 after it.
        code_a, _, took_a = msg(n_carl, body="rw-1000")
        gw.reload({"xmpp.receipt_wait_ms": "3000"})
        code_b, _, took_b = msg(n_carl, body="rw-3000")
        seen("xmpp.receipt_wait_ms", code_a == 202 and code_b == 202 and
             took_a is not None and took_b is not None and
             took_a < 2.5 and took_b >= 2.7,
             "202 after %s s at 1000, after %s s at 3000" % (
                 took_a and "%.2f" % took_a, took_b and "%.2f" % took_b))
        gw.reload({"xmpp.receipt_wait_ms": "1000"})

        # ---------------------------------------------- link down again
        bob.stop()
        carl.stop()
        pos = gw.mark()
        pros.stop()
        gw.wait(pos, r"component %s disconnected" % COMP, 10)
        code, _, _ = msg(n_bob, body="down-0")
        seen("xmpp.queue_max", code == 503, "at 0 with the link down "
             "again: refused (got %s)" % code)
        gw.reload({"xmpp.queue_max": "3", "xmpp.queue_wait_ms": "1000"})
        pos = gw.mark()
        code, _, _ = msg(n_bob, body="down-3")
        seen("xmpp.queue_max", gw.wait(pos, r"message held \(1 held, "
             r"xmpp.queue_max 3\)", 2) is not None and code == 503,
             "raised to 3 with the link down: held again (then 503 "
             "after the wait)")

        # ------------------------------------------------------- DNS
        # dns.dnssec: AD (and DO) in queries only while it is on.
        def flags(n):
            return [(ad, do) for name, t, ad, do in fake.query_flags()
                    if imgtest.norm_owner(name) == key(n) and t == "NAPTR"]
        msg(n_ad[0])
        t = gw.reload({"dns.dnssec": '"prefer"'})
        msg(n_ad[1])
        gw.reload({"dns.dnssec": '"off"'})
        msg(n_ad[2])
        seen("dns.dnssec", flags(n_ad[0]) == [(False, False)] and
             flags(n_ad[1]) == [(True, True)] and
             flags(n_ad[2]) == [(False, False)],
             "queries without AD, with AD and DO after 'prefer', without "
             "after 'off'",
             diag=[flags(n) for n in n_ad[:3]])
        tap.ok("AD bit set in queries; cache emptied" in t,
               "dns.dnssec: the cache is emptied when the AD bit changes")
        # An answer in flight across the change reaches its message but
        # is not kept: the next message asks again, with AD.
        cid = uac.send(gw.addr, ruri(n_ad[3]))
        end = time.monotonic() + 5
        while time.monotonic() < end and not flags(n_ad[3]):
            uac.poll(0.05)
        gw.reload({"dns.dnssec": '"prefer"'})
        while time.monotonic() < end + 5 and uac.result(cid)[0] is None:
            uac.poll(0.05)
        c = [uac.result(cid)[0], msg(n_ad[3])[0]]
        gw.reload({"dns.dnssec": '"off"'})
        seen("dns.dnssec", c == [200, 200] and flags(n_ad[3]) ==
             [(False, False), (True, True)],
             "an answer asked without AD and arriving after the switch "
             "is not cached (%s, %s)" % (c, flags(n_ad[3])))

        # dns.servfail_ttl: 300 -> 0 -> 300.
        c = [msg(n_fail)[0], msg(n_fail)[0]]
        q0 = naptr_count(n_fail)
        gw.reload({"dns.servfail_ttl": "0"})
        c += [msg(n_fail)[0], msg(n_fail)[0]]
        q1 = naptr_count(n_fail)
        gw.reload({"dns.servfail_ttl": "300"})
        c += [msg(n_fail)[0], msg(n_fail)[0]]
        q2 = naptr_count(n_fail)
        seen("dns.servfail_ttl", (q0, q1, q2) == (1, 3, 4) and
             all(x == 503 for x in c),
             "SERVFAIL asked 1, 3, 4 times for 2+2+2 messages at 300, 0, "
             "300 (got %s, codes %s)" % ((q0, q1, q2), c))

        # dns.negative_max_ttl: 3600 -> 0 -> 3600.
        c = [msg(n_nx)[0], msg(n_nx)[0]]
        q0 = naptr_count(n_nx)
        gw.reload({"dns.negative_max_ttl": "0"})
        c += [msg(n_nx)[0], msg(n_nx)[0]]
        q1 = naptr_count(n_nx)
        gw.reload({"dns.negative_max_ttl": "3600"})
        c += [msg(n_nx)[0], msg(n_nx)[0]]
        q2 = naptr_count(n_nx)
        seen("dns.negative_max_ttl", (q0, q1, q2) == (1, 3, 4) and
             all(x == 404 for x in c),
             "NXDOMAIN asked 1, 3, 4 times at 3600, 0, 3600 (got %s, "
             "codes %s)" % ((q0, q1, q2), c))

        # dns.cache_max_ttl: 86400 -> 0 -> 86400.
        c = [msg(n_ttl)[0], msg(n_ttl)[0]]
        q0 = naptr_count(n_ttl)
        gw.reload({"dns.cache_max_ttl": "0"})
        c += [msg(n_ttl)[0], msg(n_ttl)[0]]
        q1 = naptr_count(n_ttl)
        gw.reload({"dns.cache_max_ttl": "86400"})
        c += [msg(n_ttl)[0], msg(n_ttl)[0]]
        q2 = naptr_count(n_ttl)
        seen("dns.cache_max_ttl", (q0, q1, q2) == (1, 3, 4) and
             all(x == 200 for x in c),
             "answer asked 1, 3, 4 times at 86400, 0, 86400 (got %s, "
             "codes %s)" % ((q0, q1, q2), c))

        # dns.cache_entries: 100000 -> 0 -> 100000.
        c = [msg(n_ent)[0], msg(n_ent)[0]]
        q0 = naptr_count(n_ent)
        gw.reload({"dns.cache_entries": "0"})
        c += [msg(n_ent)[0], msg(n_ent)[0]]
        q1 = naptr_count(n_ent)
        gw.reload({"dns.cache_entries": "100000"})
        c += [msg(n_ent)[0], msg(n_ent)[0]]
        q2 = naptr_count(n_ent)
        seen("dns.cache_entries", (q0, q1, q2) == (1, 3, 4) and
             all(x == 200 for x in c),
             "answer asked 1, 3, 4 times at 100000, 0, 100000 (got %s, "
             "codes %s)" % ((q0, q1, q2), c))

        # dns.serve_stale: answers of 1 s, then the server fails.
        gw.reload({"dns.cache_max_ttl": "1", "dns.servfail_ttl": "0"})
        c = [msg(n)[0] for n in n_stale]
        gw.reload({"dns.serve_stale": "true"})
        failing = [dict(a, rcode="SERVFAIL", rrs=[]) if a["owner"] in (
            key(n_stale[0]), key(n_stale[1]), "_im._sip.stale.test.",
            "uas.stale.test.") else a for a in answers]
        fake.set_answers(failing)
        time.sleep(1.5)
        c.append(msg(n_stale[0])[0])
        gw.reload({"dns.serve_stale": "false"})
        time.sleep(1.2)
        c.append(msg(n_stale[1])[0])
        fake.set_answers(answers)
        seen("dns.serve_stale", c == [200, 200, 200, 503],
             "expired answers serve while the server fails when true "
             "(200), not when false (503) (got %s)" % c)
        gw.reload({"dns.cache_max_ttl": "86400", "dns.servfail_ttl": "300"})

        # ------------------------------------------- message handling
        # log.level: debug lines about a message.
        def debug_lines(pos):
            return len(re.findall(r"txn \d+: new -> routing",
                                  gw.text()[pos:]))
        pos = gw.mark()
        msg(n_sip)
        d0 = debug_lines(pos)
        gw.reload({"log.level": '"debug"'})
        pos = gw.mark()
        msg(n_sip)
        d1 = debug_lines(pos)
        gw.reload({"log.level": '"info"'})
        pos = gw.mark()
        msg(n_sip)
        d2 = debug_lines(pos)
        seen("log.level", (d0, d1 > 0, d2) == (0, True, 0),
             "debug lines per message at info, debug, info: %s" %
             [d0, d1, d2])

        # sip.max_body
        body = "x" * 40
        gw.reload({"sip.max_body": "10"})
        c1 = msg(n_sip, body=body)[0]
        gw.reload({"sip.max_body": "8192"})
        c2 = msg(n_sip, body=body)[0]
        seen("sip.max_body", (c1, c2) == (413, 200),
             "40 bytes at 10: %s, at 8192: %s" % (c1, c2))

        # sip.max_header_line, sip.max_headers_size, sip.max_headers
        gw.reload({"sip.max_header_line": "256"})
        c1 = msg(n_sip, extra=["Subject: " + "s" * 300])[0]
        gw.reload({"sip.max_header_line": "4096"})
        c2 = msg(n_sip, extra=["Subject: " + "s" * 300])[0]
        seen("sip.max_header_line", (c1, c2) == (513, 200),
             "a 300-byte Subject at 256: %s, at 4096: %s" % (c1, c2))
        big = ["X-Big%d: %s" % (i, "b" * 400) for i in range(3)]
        gw.reload({"sip.max_headers_size": "1024"})
        c1 = msg(n_sip, extra=big)[0]
        gw.reload({"sip.max_headers_size": "16384"})
        c2 = msg(n_sip, extra=big)[0]
        seen("sip.max_headers_size", (c1, c2) == (513, 200),
             "three 400-byte headers at 1024: %s, at 16384: %s" % (c1, c2))
        many = ["X-H%d: v" % i for i in range(20)]
        gw.reload({"sip.max_headers": "16"})
        c1 = msg(n_sip, extra=many)[0]
        gw.reload({"sip.max_headers": "128"})
        c2 = msg(n_sip, extra=many)[0]
        seen("sip.max_headers", (c1, c2) == (513, 200),
             "20 extra headers at 16: %s, at 128: %s" % (c1, c2))

        # dns.udp_max_queries: a fresh source port after that many
        # queries in flight on one socket (the ports the server saw)
        def burst_of(ns):
            ids = [uac.send(gw.addr, ruri(n)) for n in ns]
            end = time.monotonic() + 15
            while time.monotonic() < end and any(
                    uac.result(i)[0] is None for i in ids):
                uac.poll(0.05)

        def ports(ns):
            keys = set(key(n) for n in ns)
            return set(q["port"] for q in fake.query_details()
                       if q["transport"] == "udp" and
                       imgtest.norm_owner(q["name"]) in keys)
        gw.reload({"dns.udp_max_queries": "2"})
        burst_of(n_port[:8])
        gw.reload({"dns.udp_max_queries": "100"})
        burst_of(n_port[8:])
        p_small, p_big = ports(n_port[:8]), ports(n_port[8:])
        seen("dns.udp_max_queries", len(p_small) >= 3 and len(p_big) <= 2,
             "8 NAPTR queries from %d ports at 2 per port, from %d at 100"
             % (len(p_small), len(p_big)), diag=(p_small, p_big))

        # dns.health.failures: one SERVFAIL takes the (only) server out
        # of service at 1, not at the running 3; a good answer brings it
        # back (no server in service: every server is asked)
        gw.reload({"dns.health.failures": "1"})
        pos = gw.mark()
        msg(n_sf[0])
        down1 = gw.wait(pos, r"out of service after 1 failures", 5)
        pos = gw.mark()
        msg(n_back)         # not cached: its answer brings the server back
        back = gw.wait(pos, r"back in service", 5)
        gw.reload({"dns.health.failures": "3"})
        pos = gw.mark()
        msg(n_sf[1])
        down3 = gw.wait(pos, r"out of service after", 2)
        seen("dns.health.failures", down1 is not None and back is not None
             and down3 is None, "one SERVFAIL takes the server out at 1, "
             "not at 3", diag=gw.text()[-1200:])
        # dns.health.interval_ms, probe_name, probe_type: the probe of a
        # server out of service, as the server receives it
        def probes(name, qtype):
            return [q for q in fake.query_details()
                    if imgtest.norm_owner(q["name"]) == name and
                    q["type"] == qtype]
        gw.reload({"dns.health.failures": "1", "dns.health.interval_ms":
                   "500", "dns.health.probe_name": '"probe.test"',
                   "dns.health.probe_type": '"A"'})
        t0, pos = time.monotonic(), gw.mark()
        msg(n_sf[2])
        end = t0 + 5
        while time.monotonic() < end and not probes("probe.test.", "A"):
            time.sleep(0.05)
        dt = time.monotonic() - t0
        got = probes("probe.test.", "A")
        back = gw.wait(pos, r"back in service", 5)
        for path in ("dns.health.interval_ms", "dns.health.probe_name",
                     "dns.health.probe_type"):
            seen(path, got and dt < 3 and back is not None,
                 "a server out of service is probed for probe.test/A "
                 "within %.1f s (interval 500 ms) and comes back" % dt,
                 diag=gw.text()[-1200:])
        gw.reload({"dns.health.failures": "3", "dns.health.interval_ms":
                   "30000", "dns.health.probe_name": '"e164.arpa"',
                   "dns.health.probe_type": '"SOA"'})

        # dns.case_randomization: the names as the server received them
        def asked(n):
            return [q["name"] for q in fake.query_details()
                    if imgtest.norm_owner(q["name"]) == key(n) and
                    q["type"] == "NAPTR"]
        for n in n_case[:3]:
            msg(n)
        gw.reload({"dns.case_randomization": "false"})
        for n in n_case[3:]:
            msg(n)
        gw.reload({"dns.case_randomization": "true"})
        on = [a for n in n_case[:3] for a in asked(n)]
        off = [a for n in n_case[3:] for a in asked(n)]
        seen("dns.case_randomization",
             on and off and any(a != a.lower() for a in on) and
             all(a == a.lower() for a in off),
             "mixed case while on, lower case after turning it off",
             diag=(on, off))

        # log.format, log.bodies: the one line per finished transaction
        def txn_line(body):
            pos = gw.mark()
            msg(n_sip, body=body)
            m = gw.wait(pos, r"imgated: info: (\{.*\"txn\".*|txn \d+: "
                        r"origin=.*)", 5)
            return m.group(1) if m else ""
        gw.reload({"log.format": '"json"', "log.bodies": "true"})
        j = txn_line("body-marker-1")
        gw.reload({"log.format": '"text"', "log.bodies": "false"})
        t = txn_line("body-marker-2")
        seen("log.format", j.startswith("{") and not t.startswith("{"),
             "a JSON object after 'json', text after 'text'", diag=(j, t))
        seen("log.bodies", "body-marker-1" in j and "body-marker-2" not in t,
             "the body in the line while on, not after", diag=(j, t))

        # routes and acl
        gw.reload(extra='routes = ( { name = "no"; prefix = "+1202555"; '
                  'action = "deny"; } );\n')
        c1 = msg(n_sip)[0]
        gw.reload(extra="")
        c2 = msg(n_sip)[0]
        seen("routes", (c1, c2) == (403, 200),
             "deny route added: %s, removed: %s" % (c1, c2))
        gw.reload(extra='acl = { sip_networks = [ "10.0.0.0/8" ]; };\n')
        c1 = msg(n_sip)[0]
        gw.reload(extra="")
        c2 = msg(n_sip)[0]
        seen("acl", (c1, c2) == (403, 200),
             "127.0.0.1 outside the acl: %s, acl removed: %s" % (c1, c2))

        # ratelimit.rate: a burst of 30 from one source.
        def burst(n=30):
            ids = [uac.send(gw.addr, ruri(n_sip)) for _ in range(n)]
            uac.poll(15)
            return [uac.result(i)[0] for i in ids]
        gw.reload({"ratelimit.rate": "1", "ratelimit.burst": "5"})
        b1 = burst()
        gw.reload({"ratelimit.rate": "0"})
        b2 = burst()
        seen("ratelimit.rate", b1.count(503) >= 20 and b1.count(200) >= 5
             and b2.count(200) == 30,
             "30 at once: %d refused at rate 1 burst 5, %d at rate 0" %
             (b1.count(503), b2.count(503)))
        del gw.settings["ratelimit.burst"]
        gw.reload()

        # "report" options: one reload changes them all.
        settings = dict(gw.settings)
        extra = ""
        for path, v in REPORT_VALUES.items():
            if "." in path:
                settings[path] = v
            else:
                extra += "%s = %s;\n" % (path, v)
        t = gw.reload(raw=(settings, extra))
        for path in sorted(p for p, how in RELOADABLE.items()
                           if how == "report"):
            seen(path, re.search(r"reload: %s: " % re.escape(path), t),
                 "the reload reports the change")
        tap.ok(re.search(r"%d changes applied, 0 wait for a restart" %
                         len(REPORT_VALUES), t),
               "the summary counts %d changes applied" % len(REPORT_VALUES),
               diag=t[-300:])
        t = gw.reload()
        tap.ok("is in force" in t, "and back")

        # ------------------------------------------ restart-only options
        settings = dict(gw.settings)
        for path, v in RESTART_ONLY.items():
            settings[path] = v.replace("@TMP@", tmp).replace(
                "@FREEPORT@", str(imgtest.free_port()))
        t = gw.reload(raw=(settings, ""))
        for path in RESTART_ONLY:
            tap.ok(re.search(r"reload: %s changed \(.*\) but is "
                             r"restart-only: it takes effect at restart" %
                             re.escape(path), t),
                   "%s: restart-only, the reload warns and names it" % path)
        tap.ok("s3cret" not in t and "\"other\"" not in t,
               "xmpp.secret: its values are not logged")
        tap.ok(re.search(r"0 changes applied, %d wait for a restart" %
                         len(RESTART_ONLY), t),
               "the summary counts %d waiting for a restart" %
               len(RESTART_ONLY), diag=t[-300:])
        tap.is_(msg(n_sip)[0], 200, "the daemon still serves on its old "
                "address with its old resolver")
        gw.reload()

        # ------------------------------------------ reload under load
        # Link down; sipp sends SIP->XMPP (held or refused) and SIP->SIP
        # while SIGHUPs flip caps, the AD bit and the cache caps.
        gw.reload({"xmpp.queue_wait_ms": "500", "xmpp.queue_max": "2"})
        flips = [{"xmpp.queue_max": "2", "limits.max_transactions": "5",
                  "dns.dnssec": '"off"', "dns.cache_max_ttl": "0",
                  "dns.servfail_ttl": "0"},
                 {"xmpp.queue_max": "50", "limits.max_transactions": "500",
                  "dns.dnssec": '"prefer"', "dns.cache_max_ttl": "86400",
                  "dns.servfail_ttl": "300"}]
        res = {}

        def load(number, out):
            out[number] = gwtest.run_uac(procs, "uac_any_final.xml",
                                         gw.port, calls=400, rate=80,
                                         timeout=30,
                                         extra_args=["-s", number])
        threads = [threading.Thread(target=load, args=(n, res))
                   for n in (n_bob, n_sip)]
        for th in threads:
            th.start()
        pos = gw.mark()
        n_hup = 0
        end = time.monotonic() + 5.0
        while time.monotonic() < end and gw.alive():
            gw.settings.update(flips[n_hup % 2])
            gw.write()
            os.kill(gw.proc.pid, signal.SIGHUP)
            n_hup += 1
            time.sleep(0.15)
        for th in threads:
            th.join(60)
        time.sleep(1.0)
        log = gw.text()[pos:]
        in_force = len(re.findall(r"reload: .* is in force", log))
        tap.ok(gw.alive(), "under load: imgated survived %d SIGHUPs" %
               n_hup)
        tap.ok(in_force >= n_hup // 3, "under load: %d of %d reloads "
               "were taken in (signals arriving together count once)" %
               (in_force, n_hup))
        held_n = len(re.findall(r"message held", log))
        refused_n = len(re.findall(r"messages held \(xmpp.queue_max \d+\)"
                                   r": refused", log))
        full_n = len(re.findall(r"transaction table full", log))
        tap.diag("under load: %d held, %d refused by the queue cap, %d by "
                 "the transaction cap" % (held_n, refused_n, full_n))
        tap.ok(held_n > 0 and (refused_n > 0 or full_n > 0),
               "under load: the caps were exercised both ways")
        for number in (n_bob, n_sip):
            rc, trace = res.get(number, (None, ""))
            sent, answered = calls(trace)
            tap.ok(rc == 0 and len(sent) == 400 and
                   answered.keys() == sent,
                   "under load: each of the %d MESSAGEs to %s got a final "
                   "answer (%d did: %s; sipp exit %s)" % (
                       len(sent), number, len(answered),
                       sorted(set(answered.values())), rc))

        # --------------------------------------------- the table, checked
        for path, how in sorted(RELOADABLE.items()):
            tap.ok(path in observed, "observed on the running daemon: %s "
                   "(%s)" % (path, how))

        uac.close()
        rc = procs.stop(gw.proc, timeout=15)
        text = gw.text()
        tap.ok(not re.search(r"Sanitizer|runtime error:", text),
               "no sanitizer finding in imgated's output",
               diag=re.findall(r".*(?:Sanitizer|runtime error:).*",
                               text)[:5])
        tap.is_(rc, 0, "imgated exits 0")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
