#!/usr/bin/python3
"""test_spool_dedup.py - one spool row per sender transaction
(imgate.conf(5) "Store-and-forward", gateway/spool_key.h).

(1) A MESSAGE to a store-and-forward route whose destination is down gets
202 and one row; imgated is SIGKILLed and restarted on the same spool;
the same MESSAGE (same Call-ID, From tag, CSeq, even the same branch)
gets 202 again and no second row; the same after a SIGTERM restart.
(2) Copies inside one commit window (a retransmission and a resend with
a new branch while the first is not yet committed): no 202 before the
group commit, one row stored; the same for an XMPP resend with the same
origin-id, which no SIP stack absorbs first: the spool itself finds the
copy in the batch not yet committed; an XMPP message during the
shutdown grace period is refused with <service-unavailable/>.  (3)
Another CSeq in the same Call-ID is another message: a row of its own;
with the spool full, a copy of a stored message still gets 202, a new
message 503.  (4) A
spool written by the imgated before this layout (version 0, no txn_key)
is migrated in place when opened, and its row is still delivered under
its old message id.  (5) A spool with a newer layout is refused: imgated
exits non-zero and says why.

(1)-(3) run once per spool backend (pgfixture.backends(): SQLite, and
PostgreSQL in a throwaway cluster, where a copy that reaches the spool
while it is full is found in the database); (4) and (5) are about the
SQLite file's layout and run on SQLite only.
"""

import os
import re
import socket
import sqlite3
import sys
import time

import xml.etree.ElementTree as ET

import gwtest
from gwtest import wait_for
import imgtest
import pgfixture
from imgtest import Procs, tap
import saftraffic
import sipuac
import xmppclient

V0_SCHEMA = """
CREATE TABLE spool (
 id INTEGER PRIMARY KEY, msgid TEXT NOT NULL UNIQUE,
 created INTEGER NOT NULL, next_attempt INTEGER NOT NULL,
 attempts INTEGER NOT NULL DEFAULT 0, kind INTEGER NOT NULL,
 origin INTEGER NOT NULL, src_proto INTEGER NOT NULL,
 src_family INTEGER NOT NULL, src_addr BLOB, from_uri TEXT,
 xmpp_from TEXT, xmpp_id TEXT, want_receipt INTEGER NOT NULL DEFAULT 0,
 dest TEXT NOT NULL, call_id TEXT, content_type TEXT NOT NULL,
 body BLOB NOT NULL, subject TEXT, lang TEXT, last_error TEXT);
CREATE INDEX spool_due ON spool(next_attempt);
"""
OLD_ID = "0123456789abcdef0123456789abcdef"
COMP = "gw.localhost"


def query(path, sql):
    try:
        db = sqlite3.connect(path)
        try:
            return db.execute(sql).fetchall()
        finally:
            db.close()
    except sqlite3.Error as e:
        return str(e)


def msgids(spool):
    """The message ids in @spool, or an error string."""
    if spool.backend == "sqlite":
        r = query(spool.path, "SELECT msgid FROM spool")
        return [m for (m,) in r] if isinstance(r, list) else r
    try:
        return spool.cluster.sql(spool.db, "SELECT msgid FROM imgate_spool")
    except RuntimeError as e:
        return str(e)


def resend(uac, cid, server, timeout=15.0):
    """The very same request again (a retransmission to a new daemon)."""
    p = uac.pending[cid]
    now = time.monotonic()
    p.update(final=None, server=server, sent=now, next=now + 0.5,
             interval=0.5, answered_at=None)
    uac.sock.sendto(p["raw"], server)
    uac.poll(timeout)
    return uac.result(cid)[0]


def copies_in_one_window(server, ruri, branches, cseq=1, timeout=2.0):
    """One MESSAGE sent once per Via branch in @branches, all at once, from
    one socket (a repeated branch is a retransmission, another branch a
    resend); returns every final answer as (branch, code, seconds)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    host, port = s.getsockname()
    head = ("MESSAGE %s SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %s:%d;branch=%%s;rport\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:tester@%s:%d>;tag=window\r\n"
            "To: <%s>\r\n"
            "Call-ID: window@test\r\n"
            "CSeq: %d MESSAGE\r\n"
            "Content-Type: text/plain\r\n"
            "Content-Length: 8\r\n\r\ndedup-w2" % (
                ruri, host, port, host, port, ruri, cseq))
    sent = time.monotonic()
    for b in branches:
        s.sendto((head % b).encode(), server)
    out = []
    end = sent + timeout
    while time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            data, _ = s.recvfrom(65535)
        except socket.timeout:
            break
        code, h = sipuac.UAC.parse(data)
        m = re.search(r"branch=([^;\s]+)", h.get("via", ""))
        # (a late answer meant for whoever had this port before is
        # not ours: only our Call-ID and branches count)
        if code >= 200 and m and m.group(1) in branches and \
                h.get("call-id") == "window@test":
            out.append((m.group(1), code, time.monotonic() - sent))
    s.close()
    return out


ROUTES = """
%%s
spool = { %%s retry_initial_ms = 60000; retry_max_ms = 60000;
  max_age_s = 600; commit_ms = 300; max_messages = 3; };
routes = (
  { name = "down"; prefix = "+44"; action = "static";
    target = "sip:127.0.0.1:%d"; mode = "store-and-forward"; },
  { name = "live"; prefix = "+33"; action = "static";
    target = "sip:127.0.0.1:%d"; mode = "store-and-forward"; } );
"""


def both(procs, tap, routes, mk):
    """(1)-(3): the same on every backend; mk(name) -> a spool."""
    spool = mk("spool")
    gw = saftraffic.Gateway(procs, imgtest.free_port(), routes % (
        getattr(spool, "LIMITS", ""), spool.conf()))
    if not gw.start():
        tap.bail_out("imgated did not start: " + gw.log_text()[-1500:])
    uac = sipuac.UAC()

    # (1) the same request after a crash and after a clean restart
    cid = uac.send(gw.addr, "sip:+442079460001@gw.test", body="dedup-1")
    uac.poll(10)
    tap.is_(uac.result(cid)[0], 202, "store-and-forward: 202")
    tap.is_(spool.rows(), 1, "one row stored")
    gw.kill()
    tap.ok(gw.start(), "restarted after SIGKILL on the same spool")
    tap.is_(resend(uac, cid, gw.addr), 202, "the same MESSAGE again "
            "after the crash: 202")
    msgid = msgids(spool)
    msgid = msgid[0] if isinstance(msgid, list) and msgid else "?"
    tap.ok(spool.rows() == 1 and ("a copy of spooled message %s" %
                                 msgid) in gw.log_text(),
           "... not stored again; the log names the stored message",
           diag=(spool.rows(), msgid))
    status, _ = gw.term()
    tap.ok(status == 0 and gw.start(), "stopped with SIGTERM and "
           "started again")
    tap.ok(resend(uac, cid, gw.addr) == 202 and spool.rows() == 1,
           "the same MESSAGE after a clean restart: 202, still one row",
           diag=spool.rows())

    # (2) copies inside one commit window, before the COMMIT: the
    # retransmission (same branch) is absorbed by the SIP stack's
    # server transaction, a resend with a new branch is a merged
    # request (482, RFC 3261 8.2.2.2); neither gets a 202 early.
    got = copies_in_one_window(gw.addr, "sip:+442079460002@gw.test",
                               ["z9hG4bKfirst", "z9hG4bKfirst",
                                "z9hG4bKresend"])
    first = [c for b, c, _ in got if b == "z9hG4bKfirst"]
    tap.ok(first[:1] == [202] and all(
        c == 482 for b, c, _ in got if b == "z9hG4bKresend"),
           "copies inside one commit window: 202 for the request, 482 "
           "for a resend merged into it", diag=got)
    tap.ok(all(t >= 0.2 for _, c, t in got if c == 202),
           "... no 202 before the group commit (spool.commit_ms 300)",
           diag=got)
    tap.is_(spool.rows(), 2, "... and one row stored for them")

    # (3) another CSeq of the same Call-ID is another message
    got = copies_in_one_window(gw.addr, "sip:+442079460002@gw.test",
                               ["z9hG4bKcseq2"], cseq=2)
    tap.ok([c for _, c, _ in got] == [202] and spool.rows() == 3,
           "another CSeq: 202 and a row of its own",
           diag=(got, spool.rows()))
    # (3b) the spool is full (spool.max_messages 3): a copy of a
    # stored message is still 202, a new message 503
    tap.ok(resend(uac, cid, gw.addr) == 202 and spool.rows() == 3,
           "spool full: a copy of a stored message still gets 202",
           diag=spool.rows())
    code, _, _ = uac.message(gw.addr, "sip:+442079460009@gw.test",
                             body="dedup-full")
    tap.is_(code, 503, "spool full: a new message gets 503")
    gw.term()

    # (2b) XMPP: a resend with the same origin-id while the first is
    # still waiting for the commit (no SIP stack in between): one row
    pros = gwtest.Prosody(procs, [("alice", "pw")], COMP,
                          "s3cret").start()
    xspool = mk("x")
    slow = saftraffic.PyUAS(lambda body, seen: (200, 4.0))
    slow.start()
    procs.add_cleanup(slow.stop)
    gwx = saftraffic.Gateway(procs, imgtest.free_port(),
                             gwtest.xmpp_conf(pros) + (routes % (
                                 getattr(xspool, "LIMITS", ""),
                                 xspool.conf()))
                             .replace("routes = (", "routes = (\n"
                                      "  { name = \"slow\"; prefix = "
                                      "\"+49\"; action = \"static\"; "
                                      "target = \"sip:127.0.0.1:%d\"; },"
                                      % slow.port))
    tap.ok(gwx.start() and wait_for(lambda: re.search(
        r"component %s connected" % COMP, gwx.log_text()), 10),
        "XMPP: imgated connected as a component",
        diag=gwx.log_text()[-600:])
    alice = xmppclient.Client("alice@localhost", "pw",
                              ("127.0.0.1", pros.c2s)).start()
    oid = ET.Element("{urn:xmpp:sid:0}origin-id", id="oid-1")
    for sid in ("x1", "x2"):
        alice.send("+442079460004@" + COMP, "dedup-x", receipt=True,
                   id=sid, raw_extra=[oid])
    wait_for(lambda: "a copy of spooled message" in gwx.log_text() and
             re.search(r"txn 2: .*status=202", gwx.log_text()), 10)
    time.sleep(0.5)         # room for a second row, were there one
    tap.ok("a copy of spooled message" in gwx.log_text() and
           xspool.rows() == 1,
           "the same origin-id twice in one commit window: one row, "
           "the second recognised as a copy", diag=(xspool.rows(),
                                                    gwx.log_text()[-600:]))
    # (2c) XMPP during the shutdown grace period: a message held by
    # a slow relay keeps the grace open; a new one is refused at once
    alice.send("+4930123450001@" + COMP, "held", receipt=True, id="h1")
    wait_for(lambda: slow.got, 10)
    gwx.proc.send_signal(15)
    wait_for(lambda: "shutting down" in gwx.log_text(), 10)
    alice.send("+442079460005@" + COMP, "late", receipt=True, id="l1")
    late = alice.wait(lambda m: m["id"] == "l1" and m["error"], 10)
    tap.ok(slow.got and late and late["error"] == "service-unavailable"
           and xspool.rows() == 1, "XMPP message during the grace "
           "period: <service-unavailable/> at once, not stored",
           diag=(late, xspool.rows()))
    alice.stop()
    status, _ = gwx.term()
    tap.is_(status, 0, "... and imgated exits 0")
    pros.stop()
    uac.close()



def sqlite_only(procs, d, routes, live):
    """(4) and (5): the SQLite file's layout."""
    # (4) a spool of layout version 0 is migrated and still delivers
    old = os.path.join(d, "old.sqlite")
    db = sqlite3.connect(old)
    db.executescript(V0_SCHEMA)
    now = int(time.time() * 1000)
    db.execute("INSERT INTO spool (msgid, created, next_attempt, kind, "
               "origin, src_proto, src_family, from_uri, dest, "
               "content_type, body) VALUES (?, ?, ?, 0, 0, 1, 0, ?, ?, "
               "'text/plain', ?)", (OLD_ID, now, now, "sip:old@gw.test",
                                    "sip:+33123456789@gw.test",
                                    b"old row"))
    db.commit()
    db.close()
    gw2 = saftraffic.Gateway(procs, imgtest.free_port(),
                             routes % ("", 'path = "%s";' % old))
    tap.ok(gw2.start() and re.search(r"layout version 0 -> 2",
                                     gw2.log_text()),
           "a version 0 spool is migrated when opened",
           diag=gw2.log_text()[-800:])
    end = time.monotonic() + 10
    while time.monotonic() < end and not any(
            b == "old row" for _, _, b, _ in live.got):
        time.sleep(0.05)
    cids = [c for _, c, b, _ in live.got if b == "old row"]
    tap.ok(cids and cids[0] == OLD_ID + "@gw.test", "its row is "
           "delivered under its old message id", diag=cids)
    gw2.term()
    tap.ok(query(old, "PRAGMA user_version") == [(2,)] and
           query(old, "SELECT name FROM pragma_index_list('spool') "
                 "WHERE \"unique\" = 1 AND name = 'spool_key'") ==
           [("spool_key",)], "layout 2: user_version 2, unique index "
           "on txn_key", diag=(query(old, "PRAGMA user_version"),
                               query(old, "PRAGMA index_list('spool')")))
    tap.ok(query(old, "SELECT dflt_value FROM pragma_table_info('spool') "
                 "WHERE name = 'max_forwards'") == [("70",)],
           "layout 2: max_forwards, 70 for older rows",
           diag=query(old, "PRAGMA table_info('spool')"))

    # (5) a newer layout is refused
    newer = os.path.join(d, "newer.sqlite")
    db = sqlite3.connect(newer)
    db.executescript(V0_SCHEMA + "PRAGMA user_version = 7;")
    db.close()
    gw3 = saftraffic.Gateway(procs, imgtest.free_port(),
                             routes % ("", 'path = "%s";' % newer))
    started = gw3.start(timeout=15)
    try:
        gw3.proc.wait(15)
    except Exception:
        pass
    tap.ok(not started and gw3.proc.returncode not in (0, None),
           "a spool with a newer layout: imgated exits non-zero",
           diag=gw3.proc.returncode)
    tap.ok(re.search(r"layout version 7; this imgated knows up to 2",
                     gw3.log_text()), "... and says why",
           diag=gw3.log_text()[-600:])


def main():
    tap.plan(17 * len(pgfixture.backends()) + 6)
    with Procs("spooldedup") as procs:
        d = procs.tmpdir("spooldedup")
        live = saftraffic.PyUAS(lambda body, seen: (200, 0.0))
        live.start()
        procs.add_cleanup(live.stop)
        down = imgtest.free_port()
        routes = ROUTES % (down, live.port)
        for backend in pgfixture.backends():
            t = pgfixture.Prefixed(tap, "[%s] " % backend)
            if backend == "sqlite":
                both(procs, t, routes, lambda n: pgfixture.SqliteSpool(
                    os.path.join(d, n + ".sqlite")))
                continue
            why = pgfixture.available()
            if why is not None:
                for i in range(17):
                    t.skip("dedup %d" % i, why)
                continue
            pg = pgfixture.PgCluster(procs)
            both(procs, t, routes, lambda n: pgfixture.PgSpool(pg, n))
        sqlite_only(procs, d, routes, live)
    tap.done()


if __name__ == "__main__":
    main()
    sys.exit(imgtest.exit_status())
