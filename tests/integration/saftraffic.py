#!/usr/bin/python3
"""saftraffic.py - steady SIP MESSAGE traffic for the store-and-forward
crash and shutdown tests (test_spool_crash.py, test_shutdown.py).

    RateUAC(server, ruri_of, rate, seconds, lossy=None, base=0)
        A thread that sends one MESSAGE every 1/rate s for `seconds`, each
        with its own Call-ID, From tag and a body "ID <base + n>" (base:
        two UACs of one test apart at one UAS), and retransmits
        each one (RFC 3261 Timer E: T1 = 500 ms doubling to T2 = 4 s) until
        a final answer or Timer F (32 s).  .msgs[n] holds what happened:
        final code, Retry-After, times.  `lossy(n)` true makes the UAC
        ignore 202s for message n until .epoch has moved on since it was
        sent: a 202 lost in a crash, as the sender sees it.
    PyUAS(decide)
        A thread answering MESSAGEs on a free UDP port of 127.0.0.1:
        decide(body, seen) -> (code, delay_s), `seen` counting the copies
        of that body received before (retransmissions of one request are
        answered as the first was).  .got lists (time, Call-ID, body,
        code) of every request answered.
    body_id(body) -> n, or None.
Loopback only.  Both threads stop with .stop().
"""

import heapq
import random
import re
import select
import socket
import threading
import time

T1, T2, TIMER_F = 0.5, 4.0, 32.0
_BODY = re.compile(r"ID (\d+)")


def body_id(body):
    m = _BODY.search(body)
    return int(m.group(1)) if m else None


def _headers(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("utf-8", "replace").split("\r\n")
    return lines[0], lines[1:], body.decode("utf-8", "replace")


def _hval(lines, name):
    for ln in lines:
        k, _, v = ln.partition(":")
        if k.strip().lower() == name:
            return v.strip()
    return None


class RateUAC(threading.Thread):
    def __init__(self, server, ruri_of, rate, seconds, lossy=None,
                 base=0):
        super().__init__(daemon=True)
        self.base = base
        self.servers = server if isinstance(server, list) else [server]
        self.server, self.ruri_of = self.servers[0], ruri_of
        self.dead = set()       # gateways (host, port) known down
        self.rate, self.seconds = rate, seconds
        self.lossy = lossy or (lambda n: False)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.host, self.port = self.sock.getsockname()
        self.msgs = {}
        self.by_cid = {}
        self.epoch = 0          # the test moves it on at every crash
        self.lost_202 = 0
        self.sending = True
        self._halt = threading.Event()
        self._tag = "%08x" % random.getrandbits(32)

    def stop(self):
        self._halt.set()

    def _request(self, n):
        cid = "%s-%d@uac.test" % (self._tag, n)
        ruri = self.ruri_of(n)
        body = ("ID %d" % (self.base + n)).encode()
        raw = ("MESSAGE %s SIP/2.0\r\n"
               "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s%d;rport\r\n"
               "Max-Forwards: 70\r\n"
               "From: <sip:tester@%s:%d>;tag=f%d\r\n"
               "To: <%s>\r\n"
               "Call-ID: %s\r\n"
               "CSeq: 1 MESSAGE\r\n"
               "Content-Type: text/plain\r\n"
               "Content-Length: %d\r\n\r\n" % (
                   ruri, self.host, self.port, self._tag, n, self.host,
                   self.port, n, ruri, cid, len(body))).encode() + body
        return cid, raw

    def run(self):
        start = time.monotonic()
        n = 0
        heap = []               # (next retransmission, n)
        while not self._halt.is_set():
            now = time.monotonic()
            if self.sending and now - start >= self.seconds:
                self.sending = False
            while self.sending and n < (now - start) * self.rate:
                cid, raw = self._request(n)
                self.msgs[n] = {"cid": cid, "raw": raw, "first": now,
                                "srv": n % len(self.servers),
                                "interval": T1, "final": None,
                                "retry_after": None, "answered": None,
                                "epoch": self.epoch, "sends": 1}
                self.by_cid[cid] = n
                self._send(raw, self.msgs[n])
                heapq.heappush(heap, (now + T1, n))
                n += 1
            while heap and heap[0][0] <= now:
                _, k = heapq.heappop(heap)
                m = self.msgs[k]
                if m["final"] is not None:
                    continue
                if now - m["first"] > TIMER_F:
                    m["final"] = 0      # gave up: no answer at all
                    continue
                self._send(m["raw"], m)
                m["sends"] += 1
                m["interval"] = min(m["interval"] * 2, T2)
                heapq.heappush(heap, (now + m["interval"], k))
            if not self.sending and all(m["final"] is not None
                                        for m in self.msgs.values()):
                break
            wait = 0.02
            if heap:
                wait = min(wait, max(0.0, heap[0][0] - now))
            r, _, _ = select.select([self.sock], [], [], wait)
            if r:
                self._receive()

    def _send(self, raw, m):
        for _ in self.servers:
            if self.servers[m["srv"]] not in self.dead:
                break
            m["srv"] = (m["srv"] + 1) % len(self.servers)
        try:
            self.sock.sendto(raw, self.servers[m["srv"]])
        except OSError:
            pass

    def _receive(self):
        try:
            data, _ = self.sock.recvfrom(65535)
        except OSError:
            return
        first, lines, _ = _headers(data)
        parts = first.split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            return
        code = int(parts[1])
        k = self.by_cid.get(_hval(lines, "call-id"))
        if k is None or code < 200:
            return
        m = self.msgs[k]
        if m["final"] is not None:
            return
        if code == 202 and self.lossy(k) and self.epoch == m["epoch"]:
            self.lost_202 += 1
            return
        m["final"] = code
        m["retry_after"] = _hval(lines, "retry-after")
        m["answered"] = time.monotonic()


class PyUAS(threading.Thread):
    def __init__(self, decide, port=0):
        super().__init__(daemon=True)
        self.decide = decide
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.port = self.sock.getsockname()[1]
        self.got = []           # (time, Call-ID, body, code)
        self.seen = {}          # body -> copies received (requests)
        self.answers = {}       # (Call-ID, CSeq, Via) -> response or None
        self.lock = threading.Lock()
        self._halt = threading.Event()

    def stop(self):
        self._halt.set()

    def delivered(self):
        """Body ids answered 200, and Call-IDs seen per body id."""
        with self.lock:
            ok = set(body_id(b) for _, _, b, c in self.got if c == 200)
            cids = {}
            for _, cid, b, _ in self.got:
                cids.setdefault(body_id(b), set()).add(cid)
        return ok, cids

    def run(self):
        heap = []               # (when, seq, response, addr, key)
        seq = 0
        while not self._halt.is_set():
            now = time.monotonic()
            while heap and heap[0][0] <= now:
                _, _, resp, addr, key = heapq.heappop(heap)
                self.answers[key] = resp
                self.sock.sendto(resp, addr)
            wait = 0.02 if not heap else max(0.0, min(0.02,
                                                      heap[0][0] - now))
            r, _, _ = select.select([self.sock], [], [], wait)
            if not r:
                continue
            try:
                data, addr = self.sock.recvfrom(65535)
            except OSError:
                continue
            first, lines, body = _headers(data)
            if not first.startswith("MESSAGE "):
                continue
            cid = _hval(lines, "call-id")
            key = (cid, _hval(lines, "cseq"), _hval(lines, "via"))
            if key in self.answers:
                # A retransmission: the same answer once there is one.
                if self.answers[key] is not None:
                    self.sock.sendto(self.answers[key], addr)
                continue
            with self.lock:
                n = self.seen.get(body, 0)
                self.seen[body] = n + 1
            code, delay = self.decide(body, n)
            self.answers[key] = None
            resp = self._response(lines, code)
            with self.lock:
                self.got.append((time.monotonic(), cid, body, code))
            seq += 1
            heapq.heappush(heap, (time.monotonic() + delay, seq, resp,
                                  addr, key))

    @staticmethod
    def _response(lines, code):
        reason = {200: "OK", 500: "Server Internal Error",
                  503: "Service Unavailable"}.get(code, "Error")
        out = ["SIP/2.0 %d %s" % (code, reason)]
        for ln in lines:
            k = ln.partition(":")[0].strip().lower()
            if k in ("via", "v", "from", "f", "call-id", "i", "cseq"):
                out.append(ln)
            elif k in ("to", "t"):
                out.append(ln if ";tag=" in ln else ln + ";tag=uas1")
        out.append("Content-Length: 0")
        return ("\r\n".join(out) + "\r\n\r\n").encode()


class Gateway:
    """imgated on one fixed port and one log file across restarts (the
    UAC keeps retransmitting to the same address): start() again after
    kill() or term() runs a new incarnation on the same spool.
    workers: gateway.workers (one process unless asked)."""

    def __init__(self, procs, dns_port, conf_extra, env=None,
                 gateway_extra="", workers=1):
        import gwtest
        import imgtest
        self.procs, self.env = procs, env
        self.imgated = gwtest.IMGATED
        d = procs.tmpdir("gw")
        self.dir = d
        self.port = imgtest.free_port()
        self.addr = ("127.0.0.1", self.port)
        self.conf = d + "/imgate.conf"
        self.log = d + "/imgated.log"
        with open(self.conf, "w") as f:
            f.write("""%s
log = { level = "info"; };
sip = { listen = "sip:127.0.0.1:%d"; timeout_ms = 4000; };
dns = { servers = [ "127.0.0.1:%d" ]; timeout_ms = 1000; tries = 1; };
%s
""" % (gwtest.gateway_group(workers=workers, extra=gateway_extra),
       self.port, dns_port, conf_extra))
        self.proc = None
        self.starts = 0

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def start(self, timeout=30.0):
        self.starts += 1
        with open(self.log, "a") as f:
            f.write("=== start %d\n" % self.starts)
        self.proc = self.procs.start([self.imgated, "-d", "-f", self.conf],
                                     name="imgated", log=self.log,
                                     env=self.env)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.log_text().count("imgated ready") >= self.starts:
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.02)
        return False

    def kill(self):
        return self.procs.stop(self.proc, sig=9)

    def term(self, timeout=15.0):
        """SIGTERM; returns (exit status, seconds until it exited)."""
        t0 = time.monotonic()
        self.proc.send_signal(15)
        try:
            self.proc.wait(timeout)
        except Exception:
            pass
        took = time.monotonic() - t0
        return self.procs.stop(self.proc), took
