#!/usr/bin/python3
"""demo.py - one message, number -> NAPTR -> URI -> SRV -> delivered.

Started by scripts/demo.sh after the build.  Everything listens on
127.0.0.1 on free ports and is stopped at the end.
"""

import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

import imgtest  # noqa: E402
from imgtest import Procs  # noqa: E402
import gwtest  # noqa: E402

NUMBER = "+12025550100"


def say(title, text=""):
    print("\n== %s" % title)
    if text:
        for line in text.rstrip("\n").split("\n"):
            print("   " + line)
    sys.stdout.flush()


def rr_text(a, r):
    """One record in zone-file form (wire values, quoted)."""
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


def main():
    with Procs("demo") as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        zone = [
            {"owner": "0.0.1.0.5.5.5.2.0.2.1.e164.arpa.", "type": "NAPTR",
             "rcode": "NOERROR", "ttl": 120, "rrs": [
                 {"order": 10, "preference": 100, "flags": "u",
                  "services": "E2U+im",
                  "regexp": "!^\\+1(.*)$!im:carol\\1@sip.test!",
                  "replacement": "."},
                 {"order": 20, "preference": 100, "flags": "u",
                  "services": "E2U+sip",
                  "regexp": "!^\\+(.*)$!sip:\\1@legacy.sip.test!",
                  "replacement": "."}]},
            {"owner": "_im._sip.sip.test.", "type": "SRV",
             "rcode": "NOERROR", "ttl": 60, "rrs": [
                 {"priority": 10, "weight": 0, "port": uas.port,
                  "target": "uas.sip.test."}]},
            {"owner": "uas.sip.test.", "type": "A", "rcode": "NOERROR",
             "ttl": 60, "rrs": [{"address": "127.0.0.1"}]},
        ]
        dns_port, _ = imgtest.start_unbound(zone, procs=procs)
        say("DNS fixture: unbound on 127.0.0.1:%d serving" % dns_port,
            "\n".join(rr_text(a, r) for a in zone for r in a["rrs"]))
        gw = gwtest.start_imgated(procs, dns_port, verbose=False)
        say("imgated listening on sip:127.0.0.1:%d; sipp UAS on :%d"
            % (gw.port, uas.port))

        out = subprocess.run(
            [os.path.join(gwtest.BUILDDIR, "imgate-lookup"), "-f", gw.conf,
             NUMBER], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            universal_newlines=True, timeout=20)
        say("imgate-lookup %s (what the daemon will decide)" % NUMBER,
            out.stdout)

        rc, trace = gwtest.run_uac(procs, "uac_message.xml", gw.port,
                                   extra_args=["-s", NUMBER])
        codes = gwtest.response_codes(trace)
        say("sipp UAC sent MESSAGE sip:%s@127.0.0.1:%d" % (NUMBER, gw.port))
        time.sleep(0.3)
        got = [r for r in uas.requests() if r["method"] == "MESSAGE"]
        if got:
            r = got[0]
            say("delivered: the UAS at the SRV target received",
                "MESSAGE %s\nRoute: %s\nFrom: %s\nContent-Type: %s\n\n%s"
                % (r["ruri"], r["headers"].get("route"),
                   r["headers"].get("from"),
                   r["headers"].get("content-type"), r["body"]))
        say("imgated log", "\n".join(
            ln.split(": ", 2)[-1] for ln in gw.log_text().split("\n")
            if "txn " in ln))
        final = [c for c in codes if c >= 200]
        say("status at the sender: %s" % (final[-1] if final else "none"))
        ok = rc == 0 and bool(got) and final and final[-1] == 200
        print("\ndemo %s" % ("succeeded" if ok else "FAILED"))
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
