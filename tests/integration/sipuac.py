#!/usr/bin/python3
"""sipuac.py - a minimal SIP MESSAGE client over UDP for the test suite.

Used in addition to sipp where a test needs many distinct destinations at
once or exact timing (coalescing, non-blocking proofs).  It sends RFC 3428
MESSAGE requests, retransmits per RFC 3261 Timer E (T1 = 500 ms) until a
final response, and returns the status code and headers.  Loopback only.
"""

import random
import socket
import time


class UAC:
    def __init__(self, host="127.0.0.1"):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.host, self.port = self.sock.getsockname()
        self.pending = {}       # call-id -> dict
        self.deferred = []      # call-ids prepared, not sent yet
        self.n = 0

    def close(self):
        self.sock.close()

    def send(self, server, ruri, body="hello", ctype="text/plain",
             extra=None, from_uri=None, method="MESSAGE",
             max_forwards="70", defer=False):
        """Send one request (MESSAGE unless @method says otherwise);
        returns its Call-ID (answer via poll()).  @max_forwards None
        leaves the header out.  @defer: only prepare it; burst() sends
        every deferred request of every UAC given at once."""
        self.n += 1
        cid = "%08x-%d@test" % (random.getrandbits(32), self.n)
        branch = "z9hG4bK%08x%d" % (random.getrandbits(32), self.n)
        body_b = body.encode() if isinstance(body, str) else body
        hdrs = [
            "%s %s SIP/2.0" % (method, ruri),
            "Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (self.host, self.port,
                                                     branch),
        ] + ([] if max_forwards is None else
             ["Max-Forwards: %s" % max_forwards]) + [
            "From: <%s>;tag=t%d" % (from_uri or "sip:tester@%s:%d" % (
                self.host, self.port), self.n),
            "To: <%s>" % ruri,
            "Call-ID: %s" % cid,
            "CSeq: 1 %s" % method,
            "Content-Type: %s" % ctype,
        ]
        hdrs += list(extra or [])
        hdrs.append("Content-Length: %d" % len(body_b))
        raw = ("\r\n".join(hdrs) + "\r\n\r\n").encode() + body_b
        self.pending[cid] = {"raw": raw, "server": server, "sent": time.monotonic(),
                             "next": time.monotonic() + 0.5, "interval": 0.5,
                             "final": None, "provisional": [],
                             "answered_at": None}
        if defer:
            self.deferred.append(cid)
        else:
            self.sock.sendto(raw, server)
        return cid

    @staticmethod
    def burst(uacs):
        """Send the deferred requests of @uacs, round robin, as fast as
        the loop goes (a flood); their timers start now."""
        now = time.monotonic()
        for i in range(max(len(u.deferred) for u in uacs)):
            for u in uacs:
                if i < len(u.deferred):
                    p = u.pending[u.deferred[i]]
                    u.sock.sendto(p["raw"], p["server"])
        for u in uacs:
            for cid in u.deferred:
                u.pending[cid]["sent"] = now
                u.pending[cid]["next"] = time.monotonic() + 0.5
            u.deferred = []

    @staticmethod
    def parse(data):
        head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
        lines = head.split("\r\n")
        parts = lines[0].split(" ", 2)
        code = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        h = {}
        for ln in lines[1:]:
            if ":" in ln:
                k, v = ln.split(":", 1)
                h.setdefault(k.strip().lower(), v.strip())
        return code, h

    def poll(self, timeout):
        """Receive for up to `timeout` s, retransmitting; returns when all
        pending calls have final answers or time is up."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if all(p["final"] is not None for p in self.pending.values()):
                return True
            now = time.monotonic()
            for p in self.pending.values():
                if p["final"] is None and now >= p["next"]:
                    self.sock.sendto(p["raw"], p["server"])
                    p["interval"] = min(p["interval"] * 2, 4.0)
                    p["next"] = now + p["interval"]
            self.sock.settimeout(max(0.01, min(0.1, end - now)))
            try:
                data, _ = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            code, h = self.parse(data)
            cid = h.get("call-id")
            p = self.pending.get(cid)
            if p is None or code == 0:
                continue
            if code < 200:
                p["provisional"].append(code)
            elif p["final"] is None:
                p["final"] = (code, h)
                p["answered_at"] = time.monotonic()
        return all(p["final"] is not None for p in self.pending.values())

    def result(self, cid):
        """(code, headers, seconds to answer) or (None, {}, None)."""
        p = self.pending[cid]
        if p["final"] is None:
            return None, {}, None
        return p["final"][0], p["final"][1], p["answered_at"] - p["sent"]

    def message(self, server, ruri, timeout=10.0, **kw):
        cid = self.send(server, ruri, **kw)
        self.poll(timeout)
        return self.result(cid)
