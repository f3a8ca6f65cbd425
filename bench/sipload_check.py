#!/usr/bin/python3
"""bench/sipload_check.py - does bench/sipload.c do what its counters
say?  A few seconds, loopback only, TAP on stdout; exit status 1 when a
check fails.  --san builds it with -fsanitize=address,undefined.

UAS: compact and lower-case header names, rport (RFC 3581) and sent-by
answers (RFC 3261 18.2.2), the same answer to a retransmission, a folded
line, 405 to OPTIONS, no answer to ACK, garbage counted and ignored.
UAC: against a scripted peer that answers 200, 503 with Retry-After,
404, nothing (Timer E retransmissions, then Timer F), or only the
retransmission (late), besides garbage and answers to branches it never
sent: every counter checked against what the peer did.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
N = 0
FAILED = 0


def check(ok, what):
    global N, FAILED
    N += 1
    if not ok:
        FAILED += 1
    print("%sok %d - %s" % ("" if ok else "not ", N, what), flush=True)


def build(d, san):
    exe = os.path.join(d, "sipload")
    cmd = ["cc", "-O1" if san else "-O2", "-g", "-std=c11", "-Wall",
           "-Wextra", "-Werror", "-o", exe, os.path.join(HERE, "sipload.c")]
    if san:
        cmd[1:1] = ["-fsanitize=address,undefined",
                    "-fno-sanitize-recover=all"]
    subprocess.run(cmd, check=True)
    return exe


def free_udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def req(method, port, call, branch, via_extra=";rport", compact=False,
        via_host="127.0.0.1", fold=False):
    v, f, t, i, l = ("v", "f", "t", "i", "l") if compact else \
        ("via", "FROM", "to", "call-id", "Content-length")
    body = "hi"
    return ("%s sip:+4930000001@gw.test SIP/2.0\r\n"
            "%s: SIP/2.0/UDP %s:%d;branch=%s%s\r\n"
            "%s: <sip:a@b>;tag=x1\r\n"
            "%s: <sip:+4930000001@gw.test>\r\n"
            "%s"
            "%s: %s\r\n"
            "CSeq: 1 %s\r\n"
            "%s: %d\r\n\r\n%s" % (
                method, v, via_host, port, branch, via_extra, f, t,
                "Subject: a\r\n folded\r\n" if fold else "", i, call,
                method, l, len(body), body)).encode()


def check_uas(exe):
    port = free_udp()
    p = subprocess.Popen([exe, "uas", "127.0.0.1:%d" % port],
                         stdout=subprocess.PIPE)
    time.sleep(0.3)
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.bind(("127.0.0.1", 0))
    c.settimeout(2)
    me = c.getsockname()[1]

    def ask(data):
        c.sendto(data, ("127.0.0.1", port))
        try:
            return c.recvfrom(4096)
        except socket.timeout:
            return None, None

    a, src = ask(req("MESSAGE", me, "c1@x", "z9hG4bK1", compact=True))
    check(a is not None and a.startswith(b"SIP/2.0 200 OK\r\n"),
          "uas: a MESSAGE with compact headers gets 200")
    a = a or b""
    check(b";rport=%d;received=127.0.0.1" % me in a,
          "uas: rport filled in with the source port, received added")
    check(b"Call-ID: c1@x\r\n" in a and b"CSeq: 1 MESSAGE\r\n" in a
          and b"From: <sip:a@b>;tag=x1\r\n" in a,
          "uas: Call-ID, CSeq and From copied")
    check(b"To: <sip:+4930000001@gw.test>;tag=" in a
          and a.endswith(b"Content-Length: 0\r\n\r\n"),
          "uas: To gets a tag, Content-Length 0")
    b, _ = ask(req("MESSAGE", me, "c1@x", "z9hG4bK1", compact=True))
    check(b == a, "uas: a retransmission gets the same answer")
    # no rport, sent-by elsewhere: to the source address, sent-by port
    a, src = ask(req("MESSAGE", me, "c2@x", "z9hG4bK2", via_extra="",
                     via_host="192.0.2.7"))
    check(a is not None and b";received=127.0.0.1\r\n" in a
          and b"rport" not in a,
          "uas: without rport, to the sent-by port, received added")
    a, _ = ask(req("MESSAGE", me, "c3@x", "z9hG4bK3", fold=True))
    check(a is not None and a.startswith(b"SIP/2.0 200"),
          "uas: a folded header line is skipped, the request answered")
    a, _ = ask(req("OPTIONS", me, "c4@x", "z9hG4bK4"))
    check(a is not None and a.startswith(b"SIP/2.0 405")
          and b"Allow: MESSAGE" in a, "uas: OPTIONS gets 405")
    garbage = [b"", b"x", b"\x00" * 100, b"MESSAGE sip:a SIP/2.0\r\n",
               b"SIP/2.0 2xx OK\r\n\r\n", b"GARBAGE\r\n\r\n",
               req("MESSAGE", me, "c5@x", "z9hG4bK5")[:60],
               b"MESSAGE sip:a SIP/2.0\r\nVia SIP/2.0/UDP x\r\n\r\n",
               bytes(range(256)) * 8]
    c.settimeout(0.3)
    answered = 0
    for g in garbage:
        a, _ = ask(g)
        answered += a is not None
    a, _ = ask(req("ACK", me, "c6@x", "z9hG4bK6"))
    answered += a is not None
    check(answered == 0, "uas: no answer to garbage or ACK")
    a, _ = ask(req("MESSAGE", me, "c7@x", "z9hG4bK7"))
    check(a is not None, "uas: still serving after the garbage")
    p.send_signal(signal.SIGTERM)
    out = p.communicate(timeout=5)[0].decode()
    check(p.returncode == 0, "uas: exits 0 at SIGTERM")
    try:
        j = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        j = {}
    # c1 twice, c2, c3, OPTIONS, ACK, c7; all but the ACK answered
    check(j.get("requests") == 7 and j.get("retrans") == 1
          and j.get("distinct") == 6 and j.get("answered") == 6
          and j.get("acks") == 1 and j.get("other_methods") == 1,
          "uas: counters (7 requests, 1 retransmission, 6 answers, 1 ACK, "
          "1 OPTIONS): %s" % out.strip())
    check(j.get("malformed") == len(garbage),
          "uas: the garbage counted as malformed")


class Peer(threading.Thread):
    """A UAS scripted by the body's sequence number % 5: 0 -> 100, 200,
    1 -> 503 with Retry-After, 2 -> 404, 3 -> nothing, 4 -> 200 to the
    second copy only.  Each request also draws garbage and an answer to
    a branch never sent, to the request's source."""

    def __init__(self):
        super().__init__(daemon=True)
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))
        self.s.settimeout(0.2)
        self.port = self.s.getsockname()[1]
        self.copies = {}
        self.done = False

    def answer(self, data, code, extra=""):
        head, _, _ = data.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")[1:]
        keep = [ln for ln in lines if ln.split(":")[0].lower() in
                ("via", "from", "to", "call-id", "cseq")]
        return ("SIP/2.0 %s\r\n%s\r\n%sContent-Length: 0\r\n\r\n" % (
            code, "\r\n".join(keep), extra)).encode()

    def run(self):
        while not self.done:
            try:
                data, src = self.s.recvfrom(4096)
            except socket.timeout:
                continue
            body = data.partition(b"\r\n\r\n")[2]
            seq = int(body.split()[-1])
            branch = data.split(b"branch=")[1].split(b";")[0]
            self.copies[branch] = self.copies.get(branch, 0) + 1
            k = seq % 5
            out = None
            if k == 0:
                self.s.sendto(self.answer(data, "100 Trying"), src)
                out = self.answer(data, "200 OK")
            elif k == 1:
                out = self.answer(data, "503 Service Unavailable",
                                  "Retry-After: 5\r\n")
            elif k == 2:
                out = self.answer(data, "404 Not Found")
            elif k == 4 and self.copies[branch] == 2:
                out = self.answer(data, "200 OK")
            self.s.sendto(b"\x01garbage\r\n", src)
            self.s.sendto(self.answer(data, "200 OK").replace(
                branch, b"z9hG4bK-someoneelse"), src)
            if out:
                self.s.sendto(out, src)


def check_uac(exe):
    peer = Peer()
    peer.start()
    t0 = time.monotonic()
    r = subprocess.run([exe, "uac", "127.0.0.1:%d" % peer.port, "20", "1",
                        "--timeout", "2000", "--sockets", "4"],
                       capture_output=True, timeout=30)
    wall = time.monotonic() - t0
    peer.done = True
    check(r.returncode == 0, "uac: exits 0")
    try:
        j = json.loads(r.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        j = {}
    print("# %s" % r.stdout.decode().strip())
    check(j.get("sent") == 20 and j.get("final") == 16
          and j.get("outstanding") == 0, "uac: 20 sent, 16 answered")
    check(j.get("ok2xx") == 8 and j.get("r503") == 4
          and j.get("r503_retry_after") == 4 and j.get("other") == 4
          and j.get("codes") == {"200": 8, "503": 4, "404": 4},
          "uac: 200, 503 (with Retry-After) and 404 counted")
    check(j.get("provisional") == 4, "uac: the 100s counted")
    check(j.get("timeouts") == 4, "uac: the unanswered end at Timer F")
    # Timer E: the silent ones at 500 and 1500 ms (F at 2000), the
    # late ones once
    check(j.get("retrans") == 4 * 2 + 4, "uac: Timer E retransmissions")
    check(j.get("late") == 4 and j.get("max_ms", 0) >= 500,
          "uac: answers after 500 ms counted late")
    check(j.get("stray", 0) >= 20 and j.get("malformed", 0) >= 20,
          "uac: answers to other branches and garbage counted, ignored")
    check(all(v in (1, 2, 3) for v in peer.copies.values())
          and len(peer.copies) == 20,
          "uac: a branch of its own per request")
    check(2.0 <= wall < 6.0, "uac: ends once all ended (%.1f s)" % wall)
    # a table of 4 against a silent peer: the 5th request finds it full
    silent = free_udp()
    r = subprocess.run([exe, "uac", "127.0.0.1:%d" % silent, "20", "0.5",
                        "--timeout", "300", "--max-inflight", "4"],
                       capture_output=True, timeout=30)
    try:
        j = json.loads(r.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        j = {}
    check(r.returncode == 0 and j.get("cap_hit", 0) > 0
          and j.get("sent", 0) + j["cap_hit"] == 10
          and j.get("timeouts") == j.get("sent"),
          "uac: a full transaction table is counted (cap_hit), never "
          "overwritten: %s" % r.stdout.decode().strip()[:160])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--san", action="store_true")
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="sipload-check-")
    exe = build(d, a.san)
    check_uas(exe)
    check_uac(exe)
    print("1..%d" % N)
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
