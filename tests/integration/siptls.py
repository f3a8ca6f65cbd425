#!/usr/bin/python3
"""siptls.py - SIP over TLS (and plain TCP) peers for the test suite.

Debian's sipp is built without TLS, so the TLS tests use these instead
(stdlib only: ssl, socket, threading).  Loopback only.

    make_ca(d, name)                      -> CA (.cert, .key, .issue())
    CA.issue(d, name, dns=(), ips=())     -> (cert_path, key_path)
    StreamUAC(port, tls_ctx=None, server_hostname=None)
        .message(ruri, body="hello", timeout=10) -> (code, headers)
        (a fresh connection per request; code None when the connection
        closed or nothing came in time)
    client_context(ca_file, cert=None, key=None) -> ssl.SSLContext that
        verifies the server against ca_file (and host name)
    TLSUAS(cert, key, code=200)           -> a TLS server on a free port:
        .port, .requests() (list of dicts: method, ruri, headers, body),
        .handshakes (accepted TLS handshakes), .stop()
"""

import os
import random
import socket
import ssl
import subprocess
import threading
import time


def _openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class CA:
    def __init__(self, d, name):
        self.d, self.name = d, name
        self.key = os.path.join(d, name + "-ca.key")
        self.cert = os.path.join(d, name + "-ca.pem")
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes",
                 "-keyout", self.key, "-out", self.cert, "-days", "2",
                 "-subj", "/CN=%s test CA" % name,
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def issue(self, name, dns=(), ips=(), days=2):
        """A certificate for `name` (CN) with these subjectAltNames."""
        key = os.path.join(self.d, name + ".key")
        csr = os.path.join(self.d, name + ".csr")
        crt = os.path.join(self.d, name + ".pem")
        ext = os.path.join(self.d, name + ".ext")
        san = ["DNS:%s" % n for n in dns] + ["IP:%s" % i for i in ips]
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\n")
            if san:
                f.write("subjectAltName=%s\n" % ",".join(san))
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                 "-out", csr, "-subj", "/CN=%s" % name)
        _openssl("x509", "-req", "-in", csr, "-CA", self.cert, "-CAkey",
                 self.key, "-CAcreateserial", "-out", crt, "-days",
                 str(days), "-extfile", ext)
        return crt, key


def make_ca(d, name):
    return CA(d, name)


def self_signed(d, name, dns=()):
    """A self-signed certificate for `name` (no CA at all)."""
    key = os.path.join(d, name + ".key")
    crt = os.path.join(d, name + ".pem")
    args = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
            "-out", crt, "-days", "2", "-subj", "/CN=%s" % name]
    if dns:
        args += ["-addext", "subjectAltName=" +
                 ",".join("DNS:%s" % n for n in dns)]
    _openssl(*args)
    return crt, key


def client_context(ca_file, cert=None, key=None):
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH,
                                     cafile=ca_file)
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


def read_message(sock, deadline):
    """One SIP message from a stream socket: (start line, headers dict of
    lists, body bytes), or None when the peer closed or time ran out."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, ssl.SSLError, OSError):
            return None
        if not chunk:
            return None
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("utf-8", "replace").split("\r\n")
    h = {}
    for ln in lines[1:]:
        if ":" in ln:
            k, v = ln.split(":", 1)
            h.setdefault(k.strip().lower(), []).append(v.strip())
    n = int(h.get("content-length", h.get("l", ["0"]))[0])
    while len(rest) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, ssl.SSLError, OSError):
            return None
        if not chunk:
            return None
        rest += chunk
    return lines[0], h, rest[:n]


class StreamUAC:
    """MESSAGE over TCP, or over TLS when tls_ctx is given."""

    def __init__(self, port, tls_ctx=None, server_hostname=None):
        self.port, self.ctx = port, tls_ctx
        self.hostname = server_hostname
        self.n = 0
        self.error = None

    def connect(self, timeout=10):
        s = socket.create_connection(("127.0.0.1", self.port),
                                     timeout=timeout)
        if self.ctx is not None:
            s = self.ctx.wrap_socket(s, server_hostname=self.hostname)
        return s

    def message(self, ruri, body="hello", timeout=10.0):
        self.n += 1
        self.error = None
        try:
            s = self.connect(timeout)
        except (OSError, ssl.SSLError) as e:
            self.error = e
            return None, {}
        try:
            lhost, lport = s.getsockname()[:2]
            cid = "%08x-%d@tls-test" % (random.getrandbits(32), self.n)
            body_b = body.encode()
            proto = "TLS" if self.ctx is not None else "TCP"
            raw = ("MESSAGE %s SIP/2.0\r\n"
                   "Via: SIP/2.0/%s %s:%d;branch=z9hG4bK%08x%d;rport\r\n"
                   "Max-Forwards: 70\r\n"
                   "From: <sip:tester@%s:%d>;tag=t%d\r\n"
                   "To: <%s>\r\n"
                   "Call-ID: %s\r\n"
                   "CSeq: 1 MESSAGE\r\n"
                   "Content-Type: text/plain\r\n"
                   "Content-Length: %d\r\n\r\n" % (
                       ruri, proto, lhost, lport, random.getrandbits(32),
                       self.n, lhost, lport, self.n, ruri, cid,
                       len(body_b))).encode() + body_b
            s.sendall(raw)
            end = time.monotonic() + timeout
            while True:
                m = read_message(s, end)
                if m is None:
                    return None, {}
                parts = m[0].split(" ", 2)
                if len(parts) > 1 and parts[1].isdigit() and \
                        int(parts[1]) >= 200:
                    return int(parts[1]), {k: v[0] for k, v in
                                           m[1].items()}
        except (OSError, ssl.SSLError) as e:
            self.error = e
            return None, {}
        finally:
            try:
                s.close()
            except OSError:
                pass


class TLSUAS:
    """A TLS SIP server answering every MESSAGE with `code`."""

    def __init__(self, cert, key, code=200, port=0):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.code = code
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", port))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        self.lock = threading.Lock()
        self._requests = []
        self.handshakes = 0
        self.connections = 0
        self.running = True
        self.t = threading.Thread(target=self._serve, daemon=True)
        self.t.start()

    def requests(self):
        with self.lock:
            return list(self._requests)

    def _serve(self):
        self.lsock.settimeout(0.2)
        while self.running:
            try:
                c, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._conn, args=(c,),
                             daemon=True).start()

    def _conn(self, c):
        try:
            c.settimeout(10)
            s = self.ctx.wrap_socket(c, server_side=True)
        except (OSError, ssl.SSLError):
            c.close()
            return
        with self.lock:
            self.handshakes += 1
        try:
            while self.running:
                m = read_message(s, time.monotonic() + 30)
                if m is None:
                    return
                start, h, body = m
                parts = start.split(" ")
                if len(parts) < 3 or parts[2] != "SIP/2.0":
                    continue        # a response: not expected here
                with self.lock:
                    self._requests.append({
                        "method": parts[0], "ruri": parts[1],
                        "headers": {k: v[0] for k, v in h.items()},
                        "body": body.decode("utf-8", "replace")})
                resp = ["SIP/2.0 %d %s" % (self.code, "OK" if self.code ==
                                           200 else "Error")]
                for v in h.get("via", []):
                    resp.append("Via: " + v)
                for k in ("from", "call-id", "cseq"):
                    resp.append("%s: %s" % (k.title(), h.get(k, [""])[0]))
                resp.append("To: %s;tag=uas%d" % (h.get("to", [""])[0],
                                                  random.getrandbits(16)))
                resp.append("Content-Length: 0")
                s.sendall(("\r\n".join(resp) + "\r\n\r\n").encode())
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                s.close()
            except OSError:
                pass

    def stop(self):
        self.running = False
        try:
            self.lsock.close()
        except OSError:
            pass
