#!/usr/bin/python3
"""test_routing.py - routing policy end to end (imgate.conf(5) ROUTING).

Real unbound, sipp UAS instances as the destinations (an ENUM-resolved
server, a static trunk, an SMS centre for fallbacks), imgated in the
middle.  Asserted: first-match prefix routes, static vs ENUM, deny with
its status, fallback on ENUM miss and on DNS failure, dial-plan
normalisation of a national number, ACL refusal, the per-source rate
limit (a burst beyond the bucket gets 503 with Retry-After), SIGHUP
reload under steady sipp load with zero failed transactions and the new
route visible afterwards, a bad reload keeping the old configuration,
and imgate-lookup explaining which route matched and why.
"""

import json
import os
import signal
import subprocess
import sys
import time

import imgtest
from imgtest import Procs, tap
import gwtest
from gwtest import enum_owner as key
import sipuac


def routes_conf(uas, trunk, smsc, trunk_target_port):
    return """
routes = (
  { name = "premium"; prefix = "+1900"; action = "deny"; status = 403; },
  { name = "blocked-uk-mobile"; prefix = "+447"; action = "deny";
    status = 488; },
  { name = "uk"; prefix = "+44"; action = "static";
    target = "sip:127.0.0.1:%d"; },
  { name = "default"; action = "enum";
    fallback = [ "sip:127.0.0.1:%d" ];
    fallback_on = [ "no-route", "tempfail" ]; }
);
dialplans = ( { name = "us-lab"; networks = [ "127.0.0.0/8" ];
  country_code = "1"; national_prefix = "1"; international_prefix = "011";
  min_length = 10; max_length = 10; } );
""" % (trunk_target_port, smsc)


def main():
    with Procs("routing") as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        trunk = gwtest.start_uas(procs, "uas_message.xml")
        trunk2 = gwtest.start_uas(procs, "uas_message.xml")
        smsc = gwtest.start_uas(procs, "uas_message.xml")
        dns = [
            gwtest.enum_naptr("+12025550100", "im:carol@sip.test", ttl=60),
            {"owner": key("+12025550106"), "type": "NAPTR",
             "rcode": "SERVFAIL"},
            *gwtest.sip_domain("sip.test", uas.port)]
        dns_port, _ = imgtest.start_unbound(dns, procs=procs)
        # Serving as nobody: the reloads below read the file as nobody.
        gw = gwtest.start_imgated(procs, dns_port, conf_extra=routes_conf(
            uas.port, trunk.port, smsc.port, trunk.port), user="nobody")
        uac = sipuac.UAC()
        msg = lambda ruri, **kw: uac.message(gw.addr, ruri, **kw)

        def got(u, pred):
            time.sleep(0.2)
            return [r for r in u.requests() if r["method"] == "MESSAGE"
                    and pred(r)]

        code, _, _ = msg("sip:+19005550100@gw.test")
        tap.is_(code, 403, "deny route: +1900 -> 403")
        code, _, _ = msg("sip:+447700900123@gw.test")
        tap.is_(code, 488, "deny route with its own status: +447 -> 488 "
                "(first match wins over the later +44 route)")
        code, _, _ = msg("sip:+442079460148@gw.test", body="to-uk")
        tap.is_(code, 200, "static route: +44 -> trunk answers 200")
        r = got(trunk, lambda r: r["body"] == "to-uk")
        tap.ok(len(r) == 1 and r[0]["ruri"] ==
               "sip:+442079460148@127.0.0.1:%d;user=phone" % trunk.port,
               "static route: the number is the trunk's user part",
               diag=[x["ruri"] for x in r])
        code, _, _ = msg("sip:+12025550100@gw.test", body="via-enum")
        tap.is_(code, 200, "enum route: ENUM-resolved number delivered")
        tap.ok(len(got(uas, lambda r: r["body"] == "via-enum")) == 1,
               "enum route: delivered to the SRV target")
        code, _, _ = msg("sip:+12025550199@gw.test", body="fb-miss")
        tap.is_(code, 200, "fallback on ENUM miss: delivered")
        tap.ok(len(got(smsc, lambda r: r["body"] == "fb-miss" and
                       r["ruri"].startswith("sip:+12025550199@"))) == 1,
               "fallback on ENUM miss: the SMS centre got it")
        code, _, _ = msg("sip:+12025550106@gw.test", body="fb-servfail")
        tap.is_(code, 200, "fallback on DNS failure (SERVFAIL): delivered")
        tap.ok(len(got(smsc, lambda r: r["body"] == "fb-servfail")) == 1,
               "fallback on DNS failure: the SMS centre got it")
        code, _, _ = msg("sip:2025550100@gw.test", body="national")
        tap.is_(code, 200, "dial plan: national 2025550100 from a US-lab "
                "source is delivered")
        tap.ok(len(got(uas, lambda r: r["body"] == "national")) == 1,
               "dial plan: normalised to +12025550100 and routed by ENUM")
        code, _, _ = msg("sip:5550100@gw.test")
        tap.is_(code, 484, "dial plan: too short a national number -> 484")

        out = subprocess.run(
            [os.path.join(gwtest.BUILDDIR, "imgate-lookup"), "-f",
             gw.conf, "--json", "--from-sip", "127.0.0.1", "12025550100"],
            stdout=subprocess.PIPE, universal_newlines=True, timeout=20)
        js = json.loads(out.stdout)
        tap.is_(js.get("dialplan"), "us-lab", "imgate-lookup: dial plan "
                "named")
        tap.is_(js.get("aus"), "+12025550100", "imgate-lookup: normalised "
                "AUS")
        tap.is_((js.get("route") or {}).get("name"), "default",
                "imgate-lookup: route that matched")
        tap.ok("line" in (js.get("route") or {}) and
               (js["route"].get("why") or "").startswith("route 'default'"),
               "imgate-lookup: says why", diag=js.get("route"))
        out = subprocess.run(
            [os.path.join(gwtest.BUILDDIR, "imgate-lookup"), "-f",
             gw.conf, "+19005550100"], stdout=subprocess.PIPE,
            universal_newlines=True, timeout=20)
        tap.ok(out.returncode == 2 and "premium" in out.stdout and
               "denied" in out.stdout, "imgate-lookup: deny route shown",
               diag=out.stdout)

        # -- reload under steady load
        with open(gw.conf) as f:
            original = f.read()
        new = original.replace('target = "sip:127.0.0.1:%d"' % trunk.port,
                               'target = "sip:127.0.0.1:%d"' % trunk2.port)
        tap.ok(new != original, "reload: new configuration prepared")
        load = procs.start(
            [gwtest.SIPP, "-sf", os.path.join(gwtest.SIPDIR,
                                              "uac_message.xml"),
             "-i", "127.0.0.1", "-p", str(imgtest.free_port()),
             "-s", "+442079460148", "-r", "40", "-m", "240",
             "-timeout", "30s", "-timeout_error", "-nostdin",
             "127.0.0.1:%d" % gw.port], name="sipp-load",
            log=os.path.join(procs.tmpdir("load"), "load.out"))
        time.sleep(2.0)
        with open(gw.conf, "w") as f:
            f.write(new)
        os.kill(gw.proc.pid, signal.SIGHUP)
        rc = load.wait(40)
        tap.is_(rc, 0, "reload under load: sipp saw zero failed "
                "transactions (240 at 40/s)")
        tap.ok(gw.wait_log(r"reload: .* is in force", 3) is not None,
               "reload: the new configuration is in force")
        before = len(got(trunk, lambda r: True))
        after = len(got(trunk2, lambda r: True))
        tap.ok(before > 1 and after > 1, "reload: traffic moved from the "
               "old trunk (%d) to the new one (%d)" % (before, after))
        code, _, _ = msg("sip:+442079460148@gw.test", body="after-reload")
        tap.ok(code == 200 and len(got(trunk2, lambda r: r["body"] ==
                                       "after-reload")) == 1,
               "reload: the new route is visible afterwards")

        with open(gw.conf, "w") as f:
            f.write(new + "\nroutes = oops;\n")
        os.kill(gw.proc.pid, signal.SIGHUP)
        tap.ok(gw.wait_log(r"reload: .*keeping the running configuration",
                           3) is not None,
               "bad reload: refused, the running configuration is kept")
        code, _, _ = msg("sip:+442079460148@gw.test", body="still")
        tap.ok(code == 200 and len(got(trunk2, lambda r: r["body"] ==
                                       "still")) == 1,
               "bad reload: traffic still follows the good configuration")
        tap.ok(gw.alive(), "daemon alive after reloads")

        # -- ACL and rate limit (a second daemon)
        gw2 = gwtest.start_imgated(procs, dns_port, conf_extra="""
acl = { sip_networks = [ "10.0.0.0/8" ]; };
""")
        code, _, _ = uac.message(gw2.addr, "sip:+12025550100@gw.test")
        tap.is_(code, 403, "ACL: a source outside sip_networks -> 403")
        tap.ok("source not allowed" in gw2.log_text() or "ACL" in
               gw2.log_text(), "ACL: the log says why")
        gw3 = gwtest.start_imgated(procs, dns_port, conf_extra="""
ratelimit = { rate = 1; burst = 5; };
""")
        cids = [uac.send(gw3.addr, "sip:+12025550100@gw.test",
                         body="burst %d" % i) for i in range(12)]
        uac.poll(6)
        res = [uac.result(c) for c in cids]
        ok200 = sum(1 for r in res if r[0] == 200)
        r503 = [r for r in res if r[0] == 503]
        tap.ok(5 <= ok200 <= 6, "rate limit: the bucket lets %d of 12 "
               "through (burst 5)" % ok200)
        tap.ok(len(r503) >= 6 and all("retry-after" in r[1] for r in r503),
               "rate limit: the rest get 503 with Retry-After",
               diag=[r[0] for r in res])
        uac.close()
        for d in (gw, gw2, gw3):
            procs.stop(d.proc, timeout=20)
            tap.is_(d.proc.returncode, 0, "imgated exits 0 (clean "
                    "under sanitizers / valgrind)")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
