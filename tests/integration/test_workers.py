#!/usr/bin/python3
"""test_workers.py - imgated with gateway.workers = 2 (imgate.conf(5),
imgated(8) PROCESSES), against real unbound, sipp and Prosody.

Many senders (one UDP port each, so that the kernel's reuseport hash
spreads them over both workers) and, asserted: (1) a supervisor and two
workers run; (2) SIP->SIP over UDP, every message answered 200 and
delivered, sent from both workers' own ports; (3) SIP->SIP over TCP;
(4) SIP->XMPP: every message reaches the XMPP client, those of worker 1
handed to worker 0, which owns the component; (5) XMPP->SIP; (6)
store-and-forward: 202 and delivered, through worker 0's spool; (7)
SIGHUP reaches every worker: a deny route added by the reload refuses
every sender; (8) SIGKILL of worker 1: it is started again, the senders
that hash to it are answered through their retransmissions, and no
message accepted (202) before the kill is lost; (9) RFC 7339: a sender
whose Via asks for overload feedback gets oc, oc-validity, oc-seq and
oc-algo="loss" in the answer's Via, one that does not gets none.
"""

import os
import random
import re
import signal
import socket
import time

import imgtest
from imgtest import Procs, tap
import gwtest
from gwtest import enum_naptr as naptr
from gwtest import wait_for, send_all
import sipuac
import xmppclient

COMP = "gw.localhost"
SENDERS = 16


def bodies(uas, prefix):
    return [r["body"] for r in uas.requests() if r["method"] == "MESSAGE"
            and r["body"].startswith(prefix)]


def oc_answer(gw, algo, oc=True):
    """Send one MESSAGE whose Via asks for overload feedback (RFC 7339);
    @return the Via of the final answer, or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(10)
    branch = "z9hG4bKoc%d" % random.getrandbits(32)
    params = (";oc" + (";oc-algo=%s" % algo if algo else "")) if oc else ""
    req = ("MESSAGE sip:+12025550101@gw.test SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport%s\r\n"
           "Max-Forwards: 70\r\nFrom: <sip:oc@127.0.0.1>;tag=1\r\n"
           "To: <sip:+12025550101@gw.test>\r\nCall-ID: %s@oc\r\n"
           "CSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n"
           "Content-Length: 2\r\n\r\nhi" % (
               s.getsockname()[1], branch, params, branch))
    s.sendto(req.encode(), gw.addr)
    try:
        while True:
            d = s.recv(65536).decode("utf-8", "replace")
            if not d.startswith("SIP/2.0 1"):
                break
    except OSError:
        return None
    finally:
        s.close()
    m = re.search(r"^Via: (.*)$", d, re.M)
    return m.group(1).strip() if m else None


def routes(extra=""):
    return """
routes = (
%s
  { name = "saf"; prefix = "+46"; action = "enum";
    mode = "store-and-forward"; },
  { name = "all"; prefix = "+"; action = "enum"; }
);
""" % extra


def main():
    with Procs("workers") as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        dns = [naptr("+12025550100", "im:carol@sip.test"),
               naptr("+12025550101", "im:bob@localhost"),
               naptr("+46701234567", "im:carol@sip.test"),
               naptr("+46701234568", "im:carol@sip.test"),
               gwtest.xmpp_domain("localhost"),
               *gwtest.sip_domain("sip.test", uas.port)]
        dns_port, _ = imgtest.start_unbound(dns, procs=procs)
        pros = gwtest.Prosody(procs, [("alice", "pw"), ("bob", "pw")],
                              COMP, "s3cret").start()
        spool = os.path.join(procs.tmpdir("spool"), "spool.sqlite")
        extra = gwtest.xmpp_conf(pros) + """
spool = { path = "%s"; retry_initial_ms = 400; retry_max_ms = 800;
  commit_ms = 5; };
""" % spool
        gw = gwtest.start_imgated(procs, dns_port, workers=2,
                                  conf_extra=extra + routes())
        log = gw.log_text
        tap.ok(gw.wait_log(r"imgated ready: 2 workers serving", 20),
               "(1) a supervisor starts 2 workers", diag=log()[-1500:])
        pids = dict((int(k), int(p)) for k, p in
                    re.findall(r"worker (\d) ready \(pid (\d+)\)", log()))
        tap.ok(sorted(pids) == [0, 1] and all(
            os.path.exists("/proc/%d" % p) for p in pids.values()),
            "(1) both workers run", diag=str(pids))
        tap.ok(gw.wait_log(r"component %s connected" % COMP, 15),
               "worker 0 connects the XMPP component", diag=log()[-1500:])

        uacs = [sipuac.UAC() for _ in range(SENDERS)]
        # (2) SIP -> SIP, UDP
        codes = send_all(uacs, gw, "sip:+12025550100@gw.test", "udp")
        tap.ok(codes == [200] * SENDERS,
               "(2) UDP: %d senders, every message 200" % SENDERS,
               diag="%s\n%s" % (codes, log()[-2000:]))
        got = wait_for(lambda: len(bodies(uas, "udp-")) >= SENDERS, 5)
        tap.is_(len(bodies(uas, "udp-")), SENDERS,
                "(2) UDP: every message delivered once")
        vias = set(re.findall(r"^Via: SIP/2\.0/UDP 127\.0\.0\.1:(\d+)",
                              uas.messages(), re.M))
        tap.ok(len(vias) >= 2, "(2) both workers forwarded, each from a "
               "port of its own (%s)" % sorted(vias), diag=str(got))

        # (3) SIP -> SIP, TCP
        rc, trace = gwtest.run_uac(procs, "uac_message.xml", gw.port,
                                   calls=6, rate=20, transport="t1",
                                   extra_args=["-s", "+12025550100"])
        tap.ok(rc == 0 and 200 in gwtest.response_codes(trace),
               "(3) TCP: every message 200", diag="rc=%s %s" % (
                   rc, log()[-1500:]))

        # (4) SIP -> XMPP
        addr = ("127.0.0.1", pros.c2s)
        alice = xmppclient.Client("alice@localhost", "pw", addr).start()
        bob = xmppclient.Client("bob@localhost", "pw", addr).start()
        time.sleep(0.3)
        codes = send_all(uacs, gw, "sip:+12025550101@gw.test", "toxmpp")
        seen = set()

        def all_seen():
            for i in range(SENDERS):
                if bob.wait(lambda m, i=i: m["body"] == "toxmpp-%d" % i,
                            0.01):
                    seen.add(i)
            return len(seen) == SENDERS
        wait_for(all_seen, 10)
        tap.ok(codes == [200] * SENDERS and len(seen) == SENDERS,
               "(4) SIP->XMPP: every message 200 and at bob",
               diag="%s seen %d\n%s" % (codes, len(seen), log()[-2000:]))
        tap.ok(re.search(r"handed to worker 0", log()),
               "(4) worker 1 handed XMPP-bound messages to worker 0")

        # (5) XMPP -> SIP
        alice.send("+12025550100@" + COMP, "fromxmpp-1", receipt=True,
                   id="w1")
        tap.ok(wait_for(lambda: bodies(uas, "fromxmpp-1"), 10),
               "(5) XMPP->SIP delivered", diag=log()[-1500:])

        # (6) store-and-forward through worker 0's spool
        codes = send_all(uacs, gw, "sip:+46701234567@gw.test", "saf")
        tap.ok(codes == [202] * SENDERS, "(6) store-and-forward: every "
               "message 202", diag="%s\n%s" % (codes, log()[-2000:]))
        wait_for(lambda: len(bodies(uas, "saf-")) >= SENDERS, 15)
        tap.is_(len(set(bodies(uas, "saf-"))), SENDERS,
                "(6) store-and-forward: every message delivered")
        tap.ok(len(re.findall(r"spooled as", log())) == SENDERS,
               "(6) each stored once, by worker 0")

        # (7) SIGHUP reaches every worker
        with open(gw.conf) as f:
            text = f.read()
        with open(gw.conf, "w") as f:
            f.write(text.replace(routes(), routes(
                '  { name = "no"; prefix = "+12025550100"; action = "deny"; '
                'status = 403; },')))
        gw.proc.send_signal(signal.SIGHUP)
        tap.ok(wait_for(lambda: len(re.findall(r"reload: .* is in force",
                                               log())) >= 2, 10),
               "(7) both workers reload", diag=log()[-2000:])
        codes = send_all(uacs, gw, "sip:+12025550100@gw.test", "denied")
        tap.ok(codes == [403] * SENDERS,
               "(7) the new deny route refuses every sender",
               diag="%s\n%s" % (codes, log()[-1500:]))

        # (8) SIGKILL worker 1
        saved = send_all(uacs, gw, "sip:+46701234568@gw.test", "kill")
        os.kill(pids[1], signal.SIGKILL)
        tap.ok(saved == [202] * SENDERS, "(8) messages accepted before the "
               "kill", diag=str(saved))
        codes = send_all(uacs, gw, "sip:+12025550101@gw.test", "after",
                         timeout=30)
        tap.ok(gw.wait_log(r"worker 1 restarted", 10),
               "(8) the supervisor restarts worker 1", diag=log()[-1500:])
        tap.ok(codes == [200] * SENDERS, "(8) every sender answered "
               "(retransmissions reach the new worker 1)",
               diag="%s\n%s" % (codes, log()[-2000:]))
        wait_for(lambda: len(set(bodies(uas, "kill-"))) >= SENDERS, 15)
        tap.is_(len(set(bodies(uas, "kill-"))), SENDERS,
                "(8) no accepted message lost")

        # (9) RFC 7339: a peer that asks gets oc feedback in the Via
        tap.ok(oc_answer(gw, '"loss,rate"') is not None and re.search(
            r';oc=0;.*oc-algo="loss".*|;oc=0;', oc_answer(gw, '"loss"') or
            ""), "(9) oc in the request's Via: oc=0, oc-algo=\"loss\" in "
            "the answer's", diag=oc_answer(gw, '"loss"'))
        via = oc_answer(gw, None, oc=False) or ""
        tap.ok(via and not re.search(r";oc(-[a-z]+)?(=|;|$)", via),
               "(9) no oc asked, none given", diag=via)

        rc = gw.term()
        tap.is_(rc, 0, "SIGTERM: supervisor and workers stop, exit 0")
        alive = [p for p in pids.values() if os.path.exists("/proc/%d" % p)]
        tap.ok(not alive, "no worker left behind", diag=str(alive))
        bad = re.findall(r"(AddressSanitizer|LeakSanitizer|runtime error:)"
                         r".*", log())
        tap.ok(not bad, "no sanitizer finding in imgated's output",
               diag="\n".join(bad[:5]))
        for u in uacs:
            u.close()
        alice.stop()
        bob.stop()
    tap.done()


if __name__ == "__main__":
    main()
