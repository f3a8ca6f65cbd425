#!/usr/bin/python3
"""check_scenarios.py - self-test of the sipp scenarios in tests/sip (TAP).

Runs every UAC scenario against the UAS scenarios directly (sipp to sipp on
loopback, no imgate) and checks the outcome and what the UAS recorded.
--slow adds the timeout cases (uas_slow.xml, a late 408: about 35 s).
"""

import os
import sys
import time
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
import imgtest  # noqa: E402

SIP_DIR = os.path.dirname(os.path.abspath(__file__))


def tmp_scenario(procs, src, replace, name):
    """A variant of a scenario (for answers no shipped UAS gives)."""
    with open(os.path.join(SIP_DIR, src)) as f:
        text = f.read()
    for a, b in replace:          # every occurrence; "<send>": the first only
        assert a in text, (src, a)
        text = text.replace(a, b, 1 if a.strip() == "<send>" else -1)
    path = os.path.join(procs.tmpdir("scen"), name)
    with open(path, "w") as f:
        f.write(text)
    return path


def pair(procs, uas, uac, want_rc, desc, service="+12025550100", uac_extra=(),
         timeout=10, transport="u1"):
    port, p = imgtest.start_sipp_uas(uas, procs=procs, transport=transport)
    t0 = time.monotonic()
    r = imgtest.run_sipp_uac(uac, port, service, procs=procs, timeout=timeout,
                             extra=uac_extra, transport=transport)
    dt = time.monotonic() - t0
    imgtest.ok(r.returncode == want_rc, "%s: exit %d (%.2f s)" % (desc, want_rc, dt),
               "exit %s\n%s" % (r.returncode, imgtest._tail(r.error_file, 600)))
    return p, r, dt


def main():
    slow = "--slow" in sys.argv
    with imgtest.Procs("sipcheck") as procs:
        # 200 + what the UAS recorded
        p, r, _ = pair(procs, "uas_message", "uac_message", 0, "uac_message -> uas_message (200)")
        reqs = imgtest.sipp_requests(p.message_file, "MESSAGE")
        ok = len(reqs) == 1
        imgtest.ok(ok, "uas_message -trace_msg holds the MESSAGE", "requests: %d" % len(reqs))
        if ok:
            m = reqs[0]
            imgtest.is_(m["request_uri"], "sip:+12025550100@127.0.0.1:%d" % p.port,
                        "trace_msg: Request-URI")
            imgtest.is_(imgtest.sip_header(m, "Content-Type"), "text/plain",
                        "trace_msg: Content-Type")
            cid = imgtest.sip_header(m, "Call-ID")
            imgtest.ok(("imgate-marker %s" % cid) in m["body"], "trace_msg: body has the marker",
                       repr(m["body"]))
            # sipp writes its trace file buffered: the UAS's 200 may reach
            # the file a little after the UAC has its answer.
            deadline = time.monotonic() + 3.0
            while True:
                sent = [x for x in imgtest.sipp_messages(p.message_file)
                        if x["direction"] == "sent"]
                if sent or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            imgtest.ok(sent and sent[0]["first_line"] == "SIP/2.0 200 OK",
                       "trace_msg: UAS sent 200 OK", sent and sent[0]["first_line"])
        log = imgtest.sipp_uas_log(p.log_file)
        imgtest.ok(len(log) == 1 and log[0]["request_uri"].startswith("sip:+12025550100@")
                   and log[0]["content_type"] == "text/plain"
                   and "imgate-marker " + log[0]["call_id"] in log[0]["body_first_line"],
                   "uas_message <log> line: ruri, content type, marker", log)
        procs.stop(p)

        # several calls, one UAS, TCP too
        port, p = imgtest.start_sipp_uas("uas_message", procs=procs)
        rcs = [imgtest.run_sipp_uac("uac_message", port, "+1202555010%d" % i,
                                    procs=procs).returncode for i in range(3)]
        imgtest.is_(rcs, [0, 0, 0], "three UAC runs against one UAS")
        imgtest.is_([x["request_uri"].split("@")[0] for x in imgtest.sipp_uas_log(p.log_file)],
                    ["sip:+12025550100", "sip:+12025550101", "sip:+12025550102"],
                    "UAS log lists the three Request-URIs in order")
        procs.stop(p)
        pair(procs, "uas_message", "uac_message", 0, "uac_message -> uas_message over TCP (t1)",
             transport="t1")

        # expected failure codes
        pair(procs, "uas_404", "uac_expect_404", 0, "uac_expect_404 -> uas_404")
        pair(procs, "uas_404", "uac_message", 1, "uac_message -> uas_404 fails")
        pair(procs, "uas_message", "uac_expect_404", 1, "uac_expect_404 -> 200 fails")
        pair(procs, "uas_486", "uac_message", 1, "uac_message -> uas_486 fails")
        p, r, _ = pair(procs, "uas_486", "uac_expect_404", 1, "uac_expect_404 -> 486 fails")
        got = [m["first_line"] for m in imgtest.sipp_messages(r.message_file)
               if m["direction"] == "received"]
        imgtest.is_(got, ["SIP/2.0 486 Busy Here"], "uas_486 answers 486 Busy Here")
        u484 = tmp_scenario(procs, "uas_404.xml", [("404 Not Found", "484 Address Incomplete")],
                            "uas_484.xml")
        pair(procs, u484, "uac_expect_484", 0, "uac_expect_484 -> 484")
        pair(procs, "uas_404", "uac_expect_484", 1, "uac_expect_484 -> 404 fails")
        u408 = tmp_scenario(procs, "uas_404.xml", [("404 Not Found", "408 Request Timeout")],
                            "uas_408.xml")
        pair(procs, u408, "uac_expect_408", 0, "uac_expect_408 -> 408")
        p, r, _ = pair(procs, "uas_503", "uac_expect_503", 0,
                       "uac_expect_503 -> uas_503 (Retry-After: 120)")
        imgtest.ok("Retry-After 120 " in imgtest._tail(r.log_file),
                   "uac_expect_503 logs the Retry-After value", imgtest._tail(r.log_file))
        u503 = tmp_scenario(procs, "uas_503.xml", [("      Retry-After: 120\n", "")],
                            "uas_503_no_ra.xml")
        pair(procs, u503, "uac_expect_503", 1, "uac_expect_503 -> 503 without Retry-After fails")
        pair(procs, "uas_404", "uac_expect_503", 1, "uac_expect_503 -> 404 fails")

        # slow downstream
        p, r, dt = pair(procs, "uas_delay", "uac_message", 0, "uac_message -> uas_delay")
        imgtest.ok(1.9 <= dt <= 4, "uas_delay answers after about 2 s", "%.2f s" % dt)
        got = [m["first_line"] for m in imgtest.sipp_messages(r.message_file)
               if m["direction"] == "received"]
        imgtest.is_(got, ["SIP/2.0 100 Trying", "SIP/2.0 200 OK"], "uas_delay: 100 then 200")

        if not slow:
            imgtest.skip("uas_slow never answers within 32 s", "needs --slow")
            imgtest.skip("uac_expect_408 waits for a 408 sent after 25 s", "needs --slow")
        else:
            res = {}

            def late408():
                u = tmp_scenario(procs, "uas_404.xml",
                                 [("404 Not Found", "408 Request Timeout"),
                                  ("  <send>", '  <pause milliseconds="25000"/>\n  <send>')],
                                 "uas_408_late.xml")
                port, _p = imgtest.start_sipp_uas(u, procs=procs)
                res["late"] = imgtest.run_sipp_uac("uac_expect_408", port, "+12025550100",
                                                   procs=procs, timeout=60)
            th = threading.Thread(target=late408)
            th.start()
            port, p = imgtest.start_sipp_uas("uas_slow", procs=procs)
            t0 = time.monotonic()
            r = imgtest.run_sipp_uac("uac_message", port, "+12025550100", procs=procs,
                                     timeout=60)
            dt = time.monotonic() - t0
            imgtest.ok(r.returncode != 0 and 30 <= dt <= 40,
                       "uas_slow: the UAC gives up at Timer F (%.1f s)" % dt,
                       "exit %s after %.1f s\n%s" % (r.returncode, dt, imgtest._tail(r.error_file)))
            imgtest.ok(len(imgtest.sipp_uas_log(p.log_file)) == 1
                       and not imgtest._tail(p.error_file),
                       "uas_slow absorbed the retransmissions", imgtest._tail(p.error_file))
            th.join()
            imgtest.ok(res["late"].returncode == 0, "uac_expect_408 accepts a 408 after 25 s",
                       imgtest._tail(res["late"].error_file))
    return imgtest.done()


if __name__ == "__main__":
    sys.exit(main())
