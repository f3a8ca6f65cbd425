#!/usr/bin/python3
"""fakecomp.py - a scripted XEP-0114 server for imgated's component edge.

    srv = FakeComponent(secret="s3cret", domain="gw.localhost").start()
    srv.port
    c = srv.accept(timeout=10)      # next connection from imgated
    c.handshake()                   # stream header, check, <handshake/>
    c.send("<message .../>")        # raw bytes to imgated
    c.read_until(regexp, timeout)   # text imgated sent, or None
    c.close()
    srv.stop()

Speaks the component protocol (XEP-0114 section 3) only as far as a test
needs; everything after the handshake is whatever the test writes, so
that it can send what a real server never would.  Loopback only.
"""

import hashlib
import re
import socket
import threading
import time


class Conn:
    def __init__(self, sock, srv):
        self.sock, self.srv = sock, srv
        self.buf = b""
        self.sid = "fake%d" % int(time.monotonic() * 1000)
        self.closed = False

    def _recv(self, timeout):
        self.sock.settimeout(max(timeout, 0.01))
        try:
            d = self.sock.recv(65536)
        except socket.timeout:
            return True
        except OSError:
            d = b""
        if not d:
            self.closed = True
            return False
        self.buf += d
        return True

    def read_until(self, pattern, timeout=5.0):
        """The first match of @pattern (bytes or str regexp) in what
        imgated sent since the last call that matched; None if none
        within @timeout.  What precedes the match is consumed."""
        rx = re.compile(pattern.encode() if isinstance(pattern, str)
                        else pattern, re.S)
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m.group(0).decode("utf-8", "replace")
            left = end - time.monotonic()
            if left <= 0 or self.closed:
                return None
            if not self._recv(min(left, 0.2)) and not rx.search(self.buf):
                return None

    def drain(self, wait=0.3):
        """Everything imgated sends in the next @wait seconds."""
        end = time.monotonic() + wait
        while time.monotonic() < end and not self.closed:
            self._recv(end - time.monotonic())
        out, self.buf = self.buf, b""
        return out.decode("utf-8", "replace")

    def handshake(self, accept=True, timeout=10.0):
        if self.read_until(r"<stream:stream[^>]*>", timeout) is None:
            raise RuntimeError("no stream header from imgated")
        self.send("<?xml version='1.0'?><stream:stream "
                  "xmlns:stream='http://etherx.jabber.org/streams' "
                  "xmlns='jabber:component:accept' from='%s' id='%s'>"
                  % (self.srv.domain, self.sid))
        h = self.read_until(r"<handshake[^>]*>([0-9a-fA-F]+)</handshake>",
                            timeout)
        if h is None:
            raise RuntimeError("no handshake from imgated: %r" % self.buf)
        want = hashlib.sha1((self.sid + self.srv.secret).encode()) \
            .hexdigest()
        got = re.search(r">([0-9a-fA-F]+)<", h).group(1).lower()
        if got != want:
            raise RuntimeError("wrong handshake digest %s" % got)
        if accept:
            self.send("<handshake/>")
        return self

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        self.closed = True


class FakeComponent:
    def __init__(self, secret="s3cret", domain="gw.localhost",
                 host="127.0.0.1"):
        self.secret, self.domain = secret, domain
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((host, 0))
        self.port = self.lsock.getsockname()[1]
        self.accepted = []      # monotonic time of every connection

    def start(self):
        self.lsock.listen(16)
        return self

    def accept(self, timeout=10.0):
        self.lsock.settimeout(timeout)
        try:
            s, _ = self.lsock.accept()
        except socket.timeout:
            return None
        self.accepted.append(time.monotonic())
        return Conn(s, self)

    def stop(self):
        self.lsock.close()
