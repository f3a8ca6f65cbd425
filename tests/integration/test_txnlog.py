#!/usr/bin/python3
"""test_txnlog.py - the transaction log line (imgate.conf(5) log.*).

Against the real imgated:
- log.format = "json": every finished transaction logs one JSON object
  that json.loads() accepts, with the documented fields (inbound Call-ID,
  from, to, route, target, next hop, protocol, status, reason, outcome,
  attempts, duration), also for a sender whose URI is not ASCII;
- log.bodies = false (default): the body is nowhere in the log; true:
  the body is in the line, and a body of invalid UTF-8 with control
  characters still gives valid JSON, so does one of 8000 bytes (cut,
  body_cut: true);
- refusals are rate-limited per source: with log.refusal_burst = 2,
  six ACL refusals log two lines, and the first refusal after
  log.refusal_interval_s logs "4 more refusals from 127.0.0.1
  suppressed" before its own line; every sender still got its 403;
- text format (default): key=value with the same fields;
- sofia-sip's own log (TPORT_DEBUG raised) arrives as imgate log lines
  ("sofia tport: ..."), with imgate's dated timestamps, not raw.
"""

import json
import re
import sys
import time

from imgtest import Procs, tap
import gwtest
import sipuac

FIELDS = ("txn", "origin", "source", "in_id", "from", "to", "route",
          "target", "next_hop", "protocol", "status", "reason", "outcome",
          "attempts", "ms", "fallback")


def json_lines(gw):
    out, bad = [], []
    for ln in gw.log_text().split("\n"):
        m = re.search(r" imgated: (?:info|warning): (\{.*)$", ln)
        if not m:
            continue
        try:
            out.append(json.loads(m.group(1)))
        except ValueError:
            bad.append(ln)
    return out, bad


def wait_lines(gw, n, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        lines, bad = json_lines(gw)
        if len(lines) + len(bad) >= n:
            break
        time.sleep(0.1)
    return json_lines(gw)


def main():
    with Procs("txnlog") as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        route = gwtest.static_route(uas.port)
        gw = gwtest.start_imgated(procs, 9, conf_extra=route,
                                  log_extra='format = "json";')
        uac = sipuac.UAC()
        cid = uac.send(gw.addr, "sip:+12025550100@gw.test",
                       body="secret-body-1",
                       from_uri="sip:j\u00f6rg@127.0.0.1:5999")
        uac.poll(10)
        code = uac.result(cid)[0]
        lines, bad = wait_lines(gw, 1)
        tap.is_(code, 200, "a message through a static route: 200")
        tap.ok(len(lines) == 1 and not bad, "json: one line per "
               "transaction, and it parses", diag=(lines, bad))
        j = lines[0] if lines else {}
        tap.ok(all(k in j for k in FIELDS), "json: every field is there",
               diag=sorted(set(FIELDS) - set(j)))
        tap.is_(j.get("in_id"), cid, "json: in_id is the inbound Call-ID")
        tap.is_(j.get("from"), "sip:j\u00f6rg@127.0.0.1:5999",
                "json: a non-ASCII sender comes back intact")
        tap.ok(j.get("origin") == "sip" and j.get("source") == "127.0.0.1"
               and j.get("route") == "all" and j.get("protocol") == "sip"
               and j.get("status") == 200 and j.get("outcome") == "ok" and
               j.get("attempts") == 1 and j.get("next_hop") ==
               "127.0.0.1:%d" % uas.port and isinstance(j.get("ms"), int),
               "json: origin, source, route, protocol, status, attempts, "
               "next hop, ms", diag=j)
        tap.ok("secret-body-1" not in gw.log_text() and "body" not in j,
               "log.bodies = false: the body is nowhere in the log")
        procs.stop(gw.proc)

        # Refusals, with bodies logged.
        gw2 = gwtest.start_imgated(
            procs, 9, conf_extra=route +
            'acl = { sip_networks = [ "10.0.0.0/8" ]; };\n',
            log_extra='format = "json"; bodies = true; refusal_burst = 2; '
            'refusal_interval_s = 1;')
        body = b"bad \xff\xfe utf-8 \x01\x02 \"quoted\"\n2nd line"
        cids = [uac.send(gw2.addr, "sip:+12025550100@gw.test", body=body)
                for _ in range(6)]
        uac.poll(10)
        codes = [uac.result(c)[0] for c in cids]
        tap.is_(codes, [403] * 6, "six messages from outside the ACL: 403")
        lines, bad = wait_lines(gw2, 2)
        time.sleep(0.5)             # room for lines that should not come
        lines, bad = json_lines(gw2)
        tap.ok(len(lines) == 2 and not bad, "log.refusal_burst = 2: two "
               "lines of six refusals, valid JSON", diag=(len(lines), bad))
        tap.ok(lines and all(x.get("status") == 403 and x.get("reason") ==
                             "source not allowed" for x in lines),
               "... each a 403 'source not allowed'", diag=lines)
        tap.ok(lines and "\\xff\\xfe" in lines[0].get("body", "") and
               "\\x01" in lines[0].get("body", ""),
               "log.bodies = true: a body of invalid UTF-8 and control "
               "characters is in the line, escaped",
               diag=lines and lines[0].get("body"))
        time.sleep(1.2)
        code = uac.message(gw2.addr, "sip:+12025550100@gw.test",
                           body="later")[0]
        m = gw2.wait_log(r"4 more refusals from 127\.0\.0\.1 suppressed", 5)
        tap.ok(code == 403 and m is not None, "after the interval: \"4 more "
               "refusals from 127.0.0.1 suppressed\", then its own line",
               diag=gw2.log_text()[-1500:])
        lines, bad = json_lines(gw2)
        tap.is_(len(lines), 3, "... which is logged again")
        procs.stop(gw2.proc)

        # A body as large as sip.max_body allows still gives one line of
        # JSON (cut, and saying so), not a line cut by the log.
        gw4 = gwtest.start_imgated(procs, 9, conf_extra=route,
                                   log_extra='format = "json"; '
                                   'bodies = true;')
        code = uac.message(gw4.addr, "sip:+12025550100@gw.test",
                           body=b"\xe9" * 8000)[0]
        lines, bad = wait_lines(gw4, 1)
        # (Over UDP the sipp UAS cannot take it: the status is not the
        # point, the line is.)
        tap.ok(code is not None and len(lines) == 1 and not bad and
               lines[0].get("body_cut") is True and
               lines[0].get("status") == code and
               lines[0].get("body", "").startswith("\\xe9\\xe9"),
               "an 8000-byte body of invalid UTF-8: one JSON line, the "
               "body cut and escaped, body_cut", diag=(code, bad[:1],
                                                      str(lines)[:300]))
        procs.stop(gw4.proc)

        # Text format, and sofia-sip's own log redirected.
        gw3 = gwtest.start_imgated(procs, 9, conf_extra=route,
                                   env={"TPORT_DEBUG": "7"})
        cid = uac.send(gw3.addr, "sip:+12025550100@gw.test", body="x")
        uac.poll(10)
        m = gw3.wait_log(r"txn \d+: origin=sip source=127\.0\.0\.1 "
                         r"in_id=(\S+) from=\S+ to=\S+ route=all target=\S+ "
                         r"next_hop=127\.0\.0\.1:\d+ protocol=sip status=200 "
                         r"reason=\"delivered\" outcome=ok attempts=1 "
                         r"ms=\d+", 10)
        tap.ok(m is not None and m.group(1) == cid, "text: key=value line "
               "with the inbound Call-ID", diag=gw3.log_text()[-1200:])
        text = gw3.log_text()
        tap.ok(re.search(r"^\d{4}-\d\d-\d\dT[\d:.]+Z imgated: warning: "
                         r"sofia tport: ", text, re.M),
               "sofia-sip's tport log comes through imgate's log",
               diag=text[:1500])
        raw = [ln for ln in text.split("\n") if ln and not re.match(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ", ln)]
        tap.ok(not raw, "every line of -d output is imgate's, dated",
               diag=raw[:5])
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
