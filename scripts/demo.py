#!/usr/bin/python3
"""demo.py - imgate between SIP and XMPP, both ways, on one screen.

Started by scripts/demo.sh after the build.  Runs unbound (the ENUM
zone), Prosody 0.12 (imgate is its component, configured with the
snippet of docs/deploy-xmpp-server.md), imgated and a sipp UAS, all on
127.0.0.1 on free ports, then shows:

  1. a SIP MESSAGE to +12025550101 arriving at the XMPP user juliet
     (imgate-lookup's explanation first, then the stanza juliet got);
  2. juliet's reply arriving at the SIP side (the sipp UAS);
  3. juliet's message to +12025550100 arriving at the SIP UAS;
  4. a number without an ENUM record refused, from SIP and from XMPP,
     with its error;
  5. imgated's transaction log lines.

Then it stops everything and exits 0 when all of that happened, 1
otherwise.  --keep leaves the lab running (until Ctrl-C) and prints how
to point a real SIP client and XMPP client at it.
"""

import argparse
import os
import re
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.join(HERE, "..")
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))

import imgtest  # noqa: E402
from imgtest import Procs  # noqa: E402
import gwtest  # noqa: E402
import sipuac  # noqa: E402
import xmppclient  # noqa: E402

COMP = "gw.localhost"
SECRET = "demo-secret"
TO_XMPP = "+12025550101"        # ENUM: im:juliet@localhost
TO_SIP = "+12025550100"         # ENUM: im:carol@sip.test -> sipp UAS
NO_ROUTE = "+12025550199"       # no ENUM record


def say(title, text=""):
    print("\n== %s" % title)
    if text:
        for line in text.rstrip("\n").split("\n"):
            print("   " + line)
    sys.stdout.flush()


def key(num):
    return ".".join(reversed(num.lstrip("+"))) + ".e164.arpa."


def naptr(num, uri):
    return {"owner": key(num), "type": "NAPTR", "rcode": "NOERROR",
            "ttl": 120, "rrs": [{"order": 10, "preference": 100,
                                 "flags": "u", "services": "E2U+im",
                                 "regexp": "!^.*$!%s!" % uri,
                                 "replacement": "."}]}


def rr_text(a, r):
    """One record in zone-file form."""
    if a["type"] == "NAPTR":
        data = '%d %d "%s" "%s" "%s" %s' % (
            r["order"], r["preference"], r["flags"], r["services"],
            r["regexp"], r["replacement"])
    elif a["type"] == "SRV":
        data = "%d %d %d %s" % (r["priority"], r["weight"], r["port"],
                                r["target"])
    else:
        data = r["address"]
    return "%s %d IN %s %s" % (a["owner"], a["ttl"], a["type"], data)


def prosody_snippet():
    """The Prosody lines of docs/deploy-xmpp-server.md: (global, component)."""
    doc = open(os.path.join(TOP, "docs", "deploy-xmpp-server.md")).read()
    m = re.search(r"```lua\n(.*?)```", doc, re.S)
    if m is None:
        raise RuntimeError("no lua snippet in docs/deploy-xmpp-server.md")
    text = m.group(1)
    i = text.index('Component "')
    return text[:i], text[i:]


def use_doc_snippet(pros):
    """Rewrite the fixture's component lines with the documented ones."""
    glob, comp = prosody_snippet()
    subst = [("5347", str(pros.comp)), ("imgate.example.org", COMP),
             ("change-me", SECRET)]
    for a, b in subst:
        glob, comp = glob.replace(a, b), comp.replace(a, b)
    conf = open(pros.conf).read()
    conf = re.sub(r"^component_(ports|interface) = .*\n", "", conf,
                  flags=re.M)
    conf = conf[:conf.index('Component "')]
    conf = conf.replace('VirtualHost "localhost"',
                        glob + 'VirtualHost "localhost"')
    with open(pros.conf, "w") as f:
        f.write(conf + comp)


def txn_lines(gw):
    return [ln.split(" ", 1)[-1] for ln in gw.log_text().split("\n")
            if re.search(r": txn \d+: origin=", ln)]


def keep_running(gw, pros, uas, dns_port):
    say("the lab stays up (--keep); Ctrl-C stops it", """\
SIP: imgated listens on sip:127.0.0.1:%(sip)d (UDP and TCP).
  baresip:  /uanew <sip:demo@127.0.0.1;transport=udp>;regint=0
            then  /dial sip:%(num)s@127.0.0.1:%(sip)d  and type a message
            (or: /message sip:%(num)s@127.0.0.1:%(sip)d hello)
  Linphone: add a SIP account without registration, proxy
            sip:127.0.0.1:%(sip)d, and chat with sip:%(num)s@127.0.0.1
  Replies from juliet come back to the From address of your client:
  it must listen on 127.0.0.1.
XMPP: Prosody c2s on 127.0.0.1:%(c2s)d, no TLS, plain authentication.
  Gajim / Dino: account juliet@localhost, password "pw" (romeo@localhost
  too), server 127.0.0.1 port %(c2s)d; allow unencrypted connections.
  Write to %(num2)s@%(comp)s (the sipp UAS answers) or to a SIP user as
  user\\40host@%(comp)s.
DNS: unbound on 127.0.0.1:%(dns)d serves the ENUM zone above:
  dig @127.0.0.1 -p %(dns)d NAPTR %(key)s
imgated's configuration: %(conf)s, its log: %(log)s
""" % {"sip": gw.port, "num": TO_XMPP, "c2s": pros.c2s, "num2": TO_SIP,
       "comp": COMP, "dns": dns_port, "key": key(TO_XMPP), "conf": gw.conf,
       "log": gw.log})
    stop = []
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    while not stop and gw.alive():
        time.sleep(0.5)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keep", action="store_true",
                    help="leave the lab running until Ctrl-C")
    args = ap.parse_args()
    ok = {}
    with Procs("demo") as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        zone = [naptr(TO_XMPP, "im:juliet@localhost"),
                naptr(TO_SIP, "im:carol@sip.test"),
                {"owner": "_im._xmpp.localhost.", "type": "SRV",
                 "rcode": "NOERROR", "ttl": 60,
                 "rrs": [{"priority": 10, "weight": 0, "port": 5269,
                          "target": "localhost."}]},
                {"owner": "_im._sip.sip.test.", "type": "SRV",
                 "rcode": "NOERROR", "ttl": 60,
                 "rrs": [{"priority": 10, "weight": 0, "port": uas.port,
                          "target": "uas.sip.test."}]},
                {"owner": "uas.sip.test.", "type": "A", "rcode": "NOERROR",
                 "ttl": 60, "rrs": [{"address": "127.0.0.1"}]}]
        dns_port, _ = imgtest.start_unbound(zone, procs=procs)
        say("DNS: unbound on 127.0.0.1:%d serving the ENUM zone" % dns_port,
            "\n".join(rr_text(a, r) for a in zone for r in a["rrs"]))
        pros = gwtest.Prosody(procs, [("juliet", "pw"), ("romeo", "pw")],
                              COMP, SECRET)
        use_doc_snippet(pros)
        pros.start()
        gw = gwtest.start_imgated(
            procs, dns_port, conf_extra=gwtest.xmpp_conf(pros),
            enumservices=("im", "sip"))
        connected = gw.wait_log(r"component %s connected" % COMP, 15)
        say("Prosody c2s on 127.0.0.1:%d, imgated its component %s (%s);"
            " imgated on sip:127.0.0.1:%d; sipp UAS (carol) on :%d"
            % (pros.c2s, COMP, "connected" if connected else
               "NOT connected", gw.port, uas.port))
        juliet = xmppclient.Client("juliet@localhost", "pw",
                                   ("127.0.0.1", pros.c2s)).start()

        # 1. SIP -> XMPP
        out = procs.run([os.path.join(gwtest.BUILDDIR, "imgate-lookup"),
                         "-f", gw.conf, TO_XMPP], timeout=30)
        say("1. imgate-lookup %s: what the daemon will decide" % TO_XMPP,
            (out.stdout + out.stderr).decode(errors="replace"))
        uac = sipuac.UAC()
        sender = "sip:carol@127.0.0.1:%d" % uas.port
        code, _, _ = uac.message(gw.addr, "sip:%s@gw.test" % TO_XMPP,
                                 body="Hello Juliet, from SIP",
                                 from_uri=sender, timeout=15)
        m = juliet.wait(lambda m: m["body"] == "Hello Juliet, from SIP", 10)
        say("SIP MESSAGE from %s to %s: the SIP sender got %s" % (
            sender, TO_XMPP, code), "juliet@localhost received: from=%s "
            "body=%r" % (m["from"], m["body"]) if m else
            "juliet received NOTHING")
        ok["sip->xmpp"] = code == 200 and m is not None

        # 2. juliet's reply -> SIP
        if m is not None:
            juliet.send(m["from"], "Hi Carol, Juliet here", receipt=True,
                        id="reply-1")
        got = []
        end = time.monotonic() + 10
        while time.monotonic() < end and not got:
            got = [r for r in uas.requests() if r["method"] == "MESSAGE"
                   and r["body"] == "Hi Carol, Juliet here"]
            time.sleep(0.1)
        rcpt = juliet.wait(lambda x: x["received"] == "reply-1", 10)
        say("2. juliet replies to %s" % (m["from"] if m else "-"),
            "the SIP UAS received: MESSAGE %s\nFrom: %s\nbody: %r\n"
            "juliet got the delivery receipt: %s" % (
                got[0]["ruri"], got[0]["headers"].get("from"),
                got[0]["body"], "yes" if rcpt else "no")
            if got else "the SIP UAS received NOTHING")
        ok["reply xmpp->sip"] = bool(got) and rcpt is not None

        # 3. XMPP -> SIP by number
        juliet.send("%s@%s" % (TO_SIP, COMP), "Hello Carol, from XMPP",
                    receipt=True, id="to-number")
        got = []
        end = time.monotonic() + 10
        while time.monotonic() < end and not got:
            got = [r for r in uas.requests() if r["method"] == "MESSAGE"
                   and r["body"] == "Hello Carol, from XMPP"]
            time.sleep(0.1)
        rcpt = juliet.wait(lambda x: x["received"] == "to-number", 10)
        say("3. juliet writes to %s@%s" % (TO_SIP, COMP),
            "the SIP UAS received: MESSAGE %s\nFrom: %s\nbody: %r\n"
            "juliet got the delivery receipt: %s" % (
                got[0]["ruri"], got[0]["headers"].get("from"),
                got[0]["body"], "yes" if rcpt else "no")
            if got else "the SIP UAS received NOTHING")
        ok["xmpp->sip"] = bool(got) and rcpt is not None

        # 4. a number without a route
        code, _, _ = uac.message(gw.addr, "sip:%s@gw.test" % NO_ROUTE,
                                 body="anyone?", timeout=15)
        juliet.send("%s@%s" % (NO_ROUTE, COMP), "anyone?", id="nr")
        err = juliet.wait(lambda x: x["id"] == "nr" and x["error"], 10)
        say("4. %s has no ENUM record" % NO_ROUTE,
            "SIP sender got: %s\nXMPP sender got: %s" % (
                code, "<%s/> (type %s)" % (err["error"], err["error_type"])
                if err else "no error stanza"))
        ok["refused"] = code is not None and code >= 400 and err is not None

        say("5. imgated's transaction log", "\n".join(txn_lines(gw)))
        good = all(ok.values())
        say("result", "\n".join("%-16s %s" % (k, "ok" if v else "FAILED")
                                for k, v in ok.items()))
        if args.keep:
            keep_running(gw, pros, uas, dns_port)
        juliet.stop()
        print("\ndemo %s" % ("succeeded" if good else "FAILED"))
        sys.stdout.flush()
        return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
