#!/usr/bin/python3
"""test_imgatectl.py - imgatectl(8) against a running imgated.

Real unbound (with its query log), sipp UASes, imgated with a control
socket and a store-and-forward route.  One test per command: status,
stats, reload (applied, and refused for a broken or empty file, with the
verdict), explain (agreeing with imgate-lookup on the same file, for a
routed number and a deny route), cache dump, cache flush (all, and one
name) forcing a new query that unbound logs, queue list/show/retry
(retry delivers the spooled message at once)/drop, component status;
the socket's mode; a malformed request; imgatectl with no daemon exits
3 with a clear message; and for input of any bytes (invalid UTF-8,
control characters) imgatectl and imgate-lookup --json print JSON.
"""

import json
import os
import random
import socket
import stat
import subprocess

import imgtest
from imgtest import Procs, tap
import gwtest
from gwtest import enum_owner as key, imgatectl as ctl, wait_for
import sipuac

CTL = gwtest.CTL
LOOKUP = gwtest.LOOKUP


def naptr_queries(ub, num):
    return sum(1 for n, t in imgtest.unbound_query_log(ub.query_log)
               if t == "NAPTR" and imgtest.norm_owner(n) ==
               imgtest.norm_owner(key(num)))


def main():
    with Procs("imgatectl") as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        down = imgtest.free_port()
        dns = [gwtest.enum_naptr("+12025550100", "im:carol@sip.test", ttl=300),
               *gwtest.sip_domain("sip.test", uas.port, ttl=300)]
        dns_port, ub = imgtest.start_unbound(dns, procs=procs)
        d = procs.tmpdir("ctl")
        sock = os.path.join(d, "imgated.sock")
        extra = """
control = { socket = "%s"; };
spool = { path = "%s"; retry_initial_ms = 3600000;
  retry_max_ms = 3600000; commit_ms = 5; };
routes = (
  { name = "premium"; prefix = "+1900"; action = "deny"; status = 403; },
  { name = "saf"; prefix = "+44"; action = "static";
    target = "sip:127.0.0.1:%d"; mode = "store-and-forward"; },
  { name = "world"; action = "enum"; }
);
""" % (sock, os.path.join(d, "spool", "spool.sqlite"), down)
        gw = gwtest.start_imgated(procs, dns_port, conf_extra=extra)

        st = os.stat(sock)
        tap.ok(stat.S_ISSOCK(st.st_mode) and
               stat.S_IMODE(st.st_mode) == 0o660,
               "control socket exists with mode 0660",
               diag=oct(st.st_mode))

        # status / stats / component
        rc, doc, out, err = ctl(sock, "status")
        tap.ok(rc == 0 and doc and doc["ok"] and
               doc["pid"] == gw.proc.pid and doc["transactions"] == 0 and
               doc["xmpp"] == "disabled", "status: pid, transactions, xmpp",
               diag=(rc, out, err))
        rc, doc, out, err = ctl(sock, "component", "status")
        tap.ok(rc == 0 and doc and doc["enabled"] is False,
               "component status: disabled here", diag=out)

        # explain agrees with imgate-lookup on the same configuration
        for num in ("+12025550100", "+19005550000"):
            rc, doc, out, err = ctl(sock, "explain", num)
            p = subprocess.run([LOOKUP, "-f", gw.conf, "--json", num],
                               capture_output=True, timeout=60)
            try:
                lk = json.loads(p.stdout)
            except ValueError:
                lk = {}
            res = (doc or {}).get("result") or {}
            fields = ("input", "aus", "uri", "protocol", "targets",
                      "request_uri", "route", "error", "selected_record",
                      "srv_owner", "naptr_queries")
            diff = [f for f in fields if res.get(f) != lk.get(f)]
            tap.ok(rc == 0 and res and not diff and set(res) == set(lk),
                   "explain %s agrees with imgate-lookup" % num,
                   diag=(diff, res, lk, err))
        tap.is_(((doc or {}).get("result") or {}).get("error"), "E_DENIED",
                "explain of a deny route: E_DENIED")
        rc, doc, out, err = ctl(sock, "explain", "+12025550100",
                                "--from-sip", "192.0.2.1")
        tap.ok(rc == 0 and doc["result"]["error"] is None and
               "SIP Request-URI" in doc["text"],
               "explain --from-sip: routed, readable text included",
               diag=out)
        rc, doc, out, err = ctl(sock, "explain", "+1202", "--from-sip",
                                "not-an-ip")
        tap.ok(rc == 1 and doc and doc["ok"] is False and
               "IP" in doc["error"], "explain with a bad option: refused",
               diag=out)

        # cache: the explains above cached the NAPTR
        n0 = naptr_queries(ub, "+12025550100")
        rc, doc, out, err = ctl(sock, "cache", "dump")
        names = [(e["name"], e["type"]) for e in (doc or {}).get(
            "entries", [])]
        tap.ok(rc == 0 and (key("+12025550100"), "NAPTR") in names,
               "cache dump lists the NAPTR", diag=names)
        ctl(sock, "explain", "+12025550100")
        tap.is_(naptr_queries(ub, "+12025550100"), n0,
                "explain again: answered from the cache (no query)")
        rc, doc, out, err = ctl(sock, "cache", "flush")
        # NAPTR, SRV, and the SRV target's A and AAAA: explain locates
        # the target as the relay does (RFC 3263, routing/siptarget)
        tap.ok(rc == 0 and doc["flushed"] == 4 and
               ctl(sock, "cache", "dump")[1]["entries"] == [],
               "cache flush: all entries", diag=out)
        ctl(sock, "explain", "+12025550100")
        tap.ok(wait_for(lambda: naptr_queries(ub, "+12025550100") == n0 + 1,
                        5), "after cache flush: a new NAPTR query",
               diag=(n0, naptr_queries(ub, "+12025550100")))
        rc, doc, out, err = ctl(sock, "cache", "flush",
                                key("+12025550100").rstrip("."))
        tap.ok(rc == 0 and doc["flushed"] == 1,
               "cache flush NAME: that name only", diag=out)
        ctl(sock, "explain", "+12025550100")
        tap.ok(wait_for(lambda: naptr_queries(ub, "+12025550100") == n0 + 2,
                        5), "after cache flush NAME: a new NAPTR query")

        # stats
        rc, doc, out, err = ctl(sock, "stats")
        tap.ok(rc == 0 and doc["dns"]["queries_sent"] >= 2 and
               doc["dns"]["cache_hits"] >= 1, "stats: DNS counters",
               diag=out)
        servers = (doc or {}).get("dns", {}).get("servers") or [{}]
        tap.ok(rc == 0 and len(servers) == 1 and servers[0].get("server")
               == "127.0.0.1:%d" % dns_port and servers[0].get("state") ==
               "in service" and servers[0].get("queries", 0) >= 2,
               "stats: each DNS server's health", diag=out)

        # queue: a message spooled for a destination that is down
        uac = sipuac.UAC()
        code, _, _ = uac.message(gw.addr, "sip:+442079460001@gw.test",
                                 body="ctl-retry", timeout=10)
        tap.is_(code, 202, "store-and-forward: 202")
        tap.ok(gw.wait_log(r"attempt 1 failed", 30) is not None,
               "first attempt failed (destination down)")
        rc, doc, out, err = ctl(sock, "queue", "list")
        msgs = (doc or {}).get("messages") or []
        tap.ok(rc == 0 and len(msgs) == 1 and msgs[0]["attempts"] >= 1 and
               msgs[0]["dest"].startswith("sip:+442079460001"),
               "queue list: the message, its attempts", diag=out)
        mid = msgs[0]["id"] if msgs else "none"
        rc, doc, out, err = ctl(sock, "queue", "show", mid)
        tap.ok(rc == 0 and doc["message"]["id"] == mid and
               doc["message"]["body_bytes"] == len("ctl-retry"),
               "queue show ID", diag=out)
        up = gwtest.start_uas(procs, "uas_message.xml", port=down)
        rc, doc, out, err = ctl(sock, "queue", "retry", mid)
        tap.is_(rc, 0, "queue retry: accepted")
        got = wait_for(lambda: "ctl-retry" in up.messages(), 15)
        tap.ok(got, "queue retry: delivered at once (retry was an hour "
               "away)", diag=gw.log_text()[-1500:])
        tap.ok(wait_for(lambda: ctl(sock, "queue", "list")[1]["messages"] ==
                        [], 10), "queue list: empty after delivery")
        procs.stop(up.proc)
        code, _, _ = uac.message(gw.addr, "sip:+442079460002@gw.test",
                                 body="ctl-drop", timeout=10)
        tap.is_(code, 202, "second message spooled")
        msgs = wait_for(lambda: [m for m in ctl(sock, "queue", "list")[1]
                                 ["messages"] if not m["in_flight"]], 30)
        mid = msgs[0]["id"] if msgs else "none"
        rc, doc, out, err = ctl(sock, "queue", "drop", mid)
        tap.is_(rc, 0, "queue drop: done")
        tap.is_(ctl(sock, "queue", "list")[1]["messages"], [],
                "queue list: empty after drop")
        rc, doc, out, err = ctl(sock, "queue", "drop", mid)
        tap.ok(rc == 1 and "no such message" in doc["error"],
               "queue drop of an unknown id: refused", diag=out)
        rc, doc, out, err = ctl(sock, "queue", "retry", "nope")
        tap.is_(rc, 1, "queue retry of an unknown id: refused")

        # reload: applied, then refused with the reason
        rc, doc, out, err = ctl(sock, "reload")
        tap.ok(rc == 0 and "is in force" in doc["verdict"],
               "reload: applied, verdict returned", diag=out)
        with open(gw.conf) as f:
            good = f.read()
        with open(gw.conf, "a") as f:
            f.write("\nbogus_group = { x = 1; };\n")
        rc, doc, out, err = ctl(sock, "reload")
        tap.ok(rc == 1 and "keeping the running configuration" in
               doc["error"], "reload of a broken file: refused, reason "
               "returned", diag=out)
        # an empty file (one being written in place, read between its
        # truncation and its new text) is refused, not all defaults
        gen = ctl(sock, "status")[1].get("generation")
        open(gw.conf, "w").close()
        rc, doc, out, err = ctl(sock, "reload")
        tap.ok(rc == 1 and "is empty" in doc["error"] and
               "keeping the running configuration" in doc["error"],
               "reload of an empty file: refused, reason returned",
               diag=out)
        with open(gw.conf, "w") as f:
            f.write(good)
        tap.ok(gen is not None and ctl(sock, "status")[1].get(
            "generation") == gen, "after the empty file: the running "
            "configuration's generation (%s) still in force" % gen)

        # malformed requests: an error line, the daemon keeps serving
        for req in (b"garbage\n", b'{"command": 5}\n',
                    b'{"command": "status", "args": [1]}\n',
                    b"x" * 5000):
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(10)
            s.connect(sock)
            s.sendall(req)
            data = b""
            try:
                while True:
                    b = s.recv(4096)
                    if not b:
                        break
                    data += b
            except OSError:
                pass
            s.close()
            try:
                ans = json.loads(data)
            except ValueError:
                ans = {}
            tap.ok(ans.get("ok") is False and ans.get("error"),
                   "malformed request %r...: error answer" % req[:12],
                   diag=data[:200])
        tap.ok(ctl(sock, "status")[0] == 0, "still serving")

        # any bytes in, JSON out
        rng = random.Random(14)
        inputs = [b"+1202\xff555", b"+1202\x01\x1f\x7f555", b"\xc0\xaf",
                  b"\xed\xa0\x80", b"+\"\\/\x08\x0c"]
        inputs += [bytes(rng.randrange(1, 256) for _ in range(rng.randrange(
            1, 40))) for _ in range(20)]
        bad_ctl, bad_lookup = [], []
        for inp in inputs:
            rc, doc, out, err = ctl(sock, "explain", inp)
            if doc is None or rc not in (0, 1):
                bad_ctl.append((inp, rc, out[:200], err))
            p = subprocess.run([LOOKUP.encode(), b"-f", gw.conf.encode(),
                                b"--json", inp], capture_output=True,
                               timeout=60)
            try:
                json.loads(p.stdout.decode("utf-8"))
            except ValueError:
                bad_lookup.append((inp, p.returncode, p.stdout[:200]))
        tap.ok(not bad_ctl, "imgatectl explain: JSON for any input bytes "
               "(%d inputs)" % len(inputs), diag=bad_ctl[:3])
        tap.ok(not bad_lookup, "imgate-lookup --json: valid UTF-8 JSON for "
               "any input bytes", diag=bad_lookup[:3])
        tap.ok(gw.alive(), "daemon alive after all that")

        # no daemon
        procs.stop(gw.proc)
        tap.ok(not os.path.exists(sock), "the socket is removed at exit")

        # serving as another user: the socket is made before the drop
        # and given to that user and group
        if os.geteuid() == 0:
            import pwd
            nob = pwd.getpwnam("nobody")
            sock2 = os.path.join(d, "nobody.sock")
            gw2 = gwtest.start_imgated(procs, dns_port, user="nobody",
                                       conf_extra='control = { socket = '
                                       '"%s"; };' % sock2)
            st = os.stat(sock2)
            tap.ok((st.st_uid, st.st_gid) == (nob.pw_uid, nob.pw_gid) and
                   stat.S_IMODE(st.st_mode) == 0o660,
                   "as nobody: socket owned by nobody's user and group, "
                   "0660", diag=(st.st_uid, st.st_gid, oct(st.st_mode)))
            rc, doc, out, err = ctl(sock2, "status")
            tap.ok(rc == 0 and doc["pid"] == gw2.proc.pid,
                   "as nobody: imgatectl status answers", diag=err)
            procs.stop(gw2.proc)
        else:
            tap.skip("socket owner after the privilege drop", "not root")
        rc, doc, out, err = ctl(sock, "status")
        tap.ok(rc == 3 and "is imgated running?" in err and out == b"",
               "no daemon: exit 3 and a clear message", diag=(rc, err))
        rc, doc, out, err = ctl(os.path.join(d, "nope", "x.sock"), "status")
        tap.ok(rc == 3 and "cannot connect" in err, "missing socket "
               "path: exit 3", diag=(rc, err))
        p = subprocess.run([CTL, "-f", os.path.join(d, "missing.conf"),
                            "status"], capture_output=True, timeout=30)
        tap.ok(p.returncode == 3 and b"missing.conf" in p.stderr,
               "unreadable configuration: exit 3 naming it",
               diag=p.stderr)
        p = subprocess.run([CTL], capture_output=True, timeout=30)
        tap.ok(p.returncode == 2 and b"usage" in p.stderr,
               "no command: usage, exit 2")
    tap.done()


if __name__ == "__main__":
    main()
