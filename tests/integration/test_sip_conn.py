#!/usr/bin/python3
"""test_sip_conn.py - hostile TCP connections to imgated's SIP listener.

Real unbound, a sipp UAS and imgated on loopback; the attacker is raw
sockets.  Before gateway/sipgw_accept.c and sofia's receive timeout
(gateway/sipgw.c SIPGW_TCP_RECV_TIMEOUT_MS), a connection holding half
a request stayed open for ever, and a flood of such connections took
every descriptor: the loop spun on accept() failing with EMFILE (a core
at 100 %), logged that failure on every turn (megabytes a second), and
c-ares could open no socket, so that every number not in the cache got
503.  Asserted:
- half a request, then nothing: imgated closes the connection within
  64*T1 (32 s) and a little; a connection that sends whole requests
  meanwhile is served (pipelined requests each answered);
- with RLIMIT_NOFILE lowered to 128 (prlimit) and 150 connections each
  holding half a request: the daemon holds at most 64 descriptors (the
  last 64 kept), does not spin (under 0.5 s of CPU in 3 s), logs the
  refusals with the reason and few lines, and a UDP MESSAGE to a number
  it has not resolved yet is delivered (200); once the attackers close,
  a request over TCP is served again;
- a connection that sends nothing at all (sofia arms no timer for it)
  is kept while younger than 2 min, and shut down (logged) when another
  connection comes after that;
- sip.max_connections_per_source = 3: a fourth connection from
  127.0.0.1 is closed at once and the refusal logged, while the three
  are served, and so is a connection from 127.0.0.2; once one of the
  three closed, 127.0.0.1 may connect again;
- the daemon exits cleanly, without sanitizer findings.
"""

import os
import re
import socket
import subprocess
import time

import imgtest
from imgtest import Procs, tap
import gwtest
import sipuac

RURI = "sip:+12025550100@gw.test"
HALF = ("MESSAGE %s SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1" % RURI).encode()


def request(port, n):
    """A whole MESSAGE over TCP from local port @port, number @n."""
    body = b"hi"
    return ("MESSAGE %s SIP/2.0\r\n"
            "Via: SIP/2.0/TCP 127.0.0.1:%d;branch=z9hG4bK-c%d-%d\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:tcp@127.0.0.1>;tag=%d\r\n"
            "To: <%s>\r\n"
            "Call-ID: conn-%d-%d@test\r\n"
            "CSeq: %d MESSAGE\r\n"
            "Content-Type: text/plain\r\n"
            "Content-Length: %d\r\n\r\n"
            % (RURI, port, port, n, port, RURI, port, n, n + 1,
               len(body))).encode() + body


def finals(data):
    return [int(c) for c in re.findall(rb"(?m)^SIP/2\.0 ([2-6]\d\d)", data)]


def read_for(s, seconds, want=None):
    """Read from @s for up to @seconds (until @want final answers when
    given); (bytes, closed by the peer?, seconds taken)."""
    data, closed = b"", False
    t0 = time.monotonic()
    end = t0 + seconds
    while time.monotonic() < end:
        s.settimeout(max(0.05, end - time.monotonic()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        data += chunk
        if want is not None and len(finals(data)) >= want:
            break
    return data, closed, time.monotonic() - t0


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        f = f.read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def nfds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def main():
    with Procs("sip-conn") as procs:
        uas = gwtest.start_uas(procs, "uas_message.xml")
        dns = [gwtest.enum_sip("+1202555%04d" % i,
                               "sip:\\1@127.0.0.1:%d" % uas.port)
               for i in (100, 101, 102)]
        dns_port, _ = imgtest.start_unbound(dns, procs=procs)
        gw = gwtest.start_imgated(procs, dns_port, sip_timeout_ms=3000)
        srv = ("127.0.0.1", gw.port)
        uac = sipuac.UAC()

        # -- a connection that sends nothing at all (looked at last)
        silent = socket.create_connection(srv, timeout=5)
        t_silent = time.monotonic()

        # -- half a request, then nothing
        half = socket.create_connection(srv, timeout=5)
        half.sendall(HALF)
        t0 = time.monotonic()
        s = socket.create_connection(srv, timeout=5)
        lp = s.getsockname()[1]
        s.sendall(b"".join(request(lp, i) for i in range(3)))
        data, _, _ = read_for(s, 10, want=3)
        tap.is_(finals(data), [200, 200, 200],
                "three pipelined requests on one connection: 200 each")
        s.close()
        _, closed, _ = read_for(half, 50 - (time.monotonic() - t0))
        dt = time.monotonic() - t0
        tap.ok(closed, "half a request, then nothing: imgated closes the "
               "connection (after %.1f s)" % dt,
               diag=gw.log_text()[-1500:])
        tap.ok(dt >= 25, "... not before the receive timeout (%.1f s)" % dt)
        half.close()
        code, _, _ = uac.message(srv, RURI)
        tap.is_(code, 200, "the daemon serves on after the stalled "
                "connection")

        # -- a flood of connections against a low descriptor limit
        subprocess.run(["prlimit", "--pid", str(gw.proc.pid),
                        "--nofile=128:128"], check=True)
        loglen = len(gw.log_text())
        flood = []
        for _ in range(150):
            c = socket.create_connection(srv, timeout=5)
            try:
                c.sendall(HALF)
            except OSError:
                pass
            flood.append(c)
        time.sleep(1.0)
        c0 = cpu_s(gw.proc.pid)
        time.sleep(3.0)
        busy = cpu_s(gw.proc.pid) - c0
        tap.ok(busy < 0.5, "150 connections at a limit of 128: no busy "
               "loop (%.2f s of CPU in 3 s)" % busy)
        n = nfds(gw.proc.pid)
        tap.ok(n <= 64, "the daemon holds %d descriptors: the last 64 "
               "below the limit are kept" % n)
        tap.ok(gw.wait_log(r"sip: connection from 127\.0\.0\.1 refused: "
                           r"too many connections", 2) is not None,
               "the refusals are logged with their reason")
        new = gw.log_text()[loglen:]
        lines = len(re.findall(r"refused|Too many open files", new))
        tap.ok(lines <= 10, "... in few lines (%d, %d bytes of log)"
               % (lines, len(new)))
        code, _, _ = uac.message(srv, "sip:+12025550101@gw.test")
        tap.is_(code, 200, "a number not resolved before is delivered "
                "(DNS still has descriptors)")
        for c in flood:
            c.close()
        time.sleep(1.0)
        s = socket.create_connection(srv, timeout=5)
        lp = s.getsockname()[1]
        s.sendall(request(lp, 9))
        data, _, _ = read_for(s, 10, want=1)
        s.close()
        tap.is_(finals(data), [200], "once the flood is gone, a request "
                "over TCP is served")
        code, _, _ = uac.message(srv, "sip:+12025550102@gw.test")
        tap.is_(code, 200, "and one over UDP")

        # -- one address holds at most sip.max_connections_per_source
        # (a second daemon, limit 3)
        gw3 = gwtest.start_imgated(procs, dns_port, sip_timeout_ms=3000,
                                   sip_extra="max_connections_per_source = 3;")
        srv3 = ("127.0.0.1", gw3.port)
        held = [socket.create_connection(srv3, timeout=5) for _ in range(3)]
        extra = socket.create_connection(srv3, timeout=5)
        _, closed, _ = read_for(extra, 3)
        tap.ok(closed, "limit 3 per address: a fourth connection from "
               "127.0.0.1 is closed at once")
        extra.close()
        tap.ok(gw3.wait_log(r"sip: connection from 127\.0\.0\.1 refused: "
                            r"too many connections from this address", 2)
               is not None, "... and the refusal logged with its reason")
        lp = held[0].getsockname()[1]
        held[0].sendall(request(lp, 11))
        data, _, _ = read_for(held[0], 10, want=1)
        tap.is_(finals(data), [200], "the three held are served")
        other = socket.create_connection(srv3, timeout=5,
                                         source_address=("127.0.0.2", 0))
        other.sendall(request(other.getsockname()[1], 12))
        data, _, _ = read_for(other, 10, want=1)
        other.close()
        tap.is_(finals(data), [200], "a connection from 127.0.0.2 is "
                "served meanwhile")
        held.pop(1).close()
        time.sleep(0.5)
        s = socket.create_connection(srv3, timeout=5)
        s.sendall(request(s.getsockname()[1], 13))
        data, _, _ = read_for(s, 10, want=1)
        s.close()
        tap.is_(finals(data), [200], "once one of the three closed, "
                "127.0.0.1 connects again and is served")
        for c in held:
            c.close()
        tap.is_(gw3.term(), 0, "that daemon exits cleanly")
        gwtest.sanitizer_clean(gw3, "connections per address")

        # -- the silent connection: sofia arms no timer for a connection
        # it has read nothing from; shut down once it is 2 min old and
        # another connection comes
        _, closed, _ = read_for(silent, 0.1)
        tap.ok(not closed, "a connection that sent nothing is kept "
               "while younger than 2 min")
        time.sleep(max(0.0, 122 - (time.monotonic() - t_silent)))
        s = socket.create_connection(srv, timeout=5)
        lp = s.getsockname()[1]
        s.sendall(request(lp, 10))
        data, _, _ = read_for(s, 10, want=1)
        s.close()
        tap.is_(finals(data), [200], "the next connection is served")
        _, closed, _ = read_for(silent, 5)
        tap.ok(closed, "the connection that sent nothing for 2 min is "
               "closed then", diag=gw.log_text()[-1000:])
        tap.ok(gw.wait_log(r"sip: 1 connection\(s\) shut down: nothing "
                           r"received for 120 s", 2) is not None,
               "... and logged")
        silent.close()
        uac.close()
        tap.ok(gw.alive(), "imgated still runs")
        tap.is_(gw.term(), 0, "imgated exits cleanly")
        gwtest.sanitizer_clean(gw, "hostile connections")
    return tap.done()


if __name__ == "__main__":
    raise SystemExit(main())
