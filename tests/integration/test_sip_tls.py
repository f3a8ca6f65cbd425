#!/usr/bin/python3
"""test_sip_tls.py - SIP over TLS at both edges, against real TLS peers.

The test makes its own throwaway CAs and certificates with the openssl
CLI.  unbound serves the ENUM data (E2U+sip NAPTRs whose URIs are
sips:), the suite's TLS UAC and UAS (siptls.py, Python's ssl module:
Debian's sipp has no TLS) play the peers, a sipp UAS the plain one.
Asserted:
  - inbound TLS from a client that verifies imgated's certificate (CA and
    host name): routed, 200 back;
  - outbound TLS to a UAS whose certificate imgated verifies: an ENUM
    sips: URI, a static route with transport=tls, and a sip: URI whose
    domain offers TLS only by NAPTR (RFC 3263: SIPS+D2T, _sips._tcp);
  - a UAS with a self-signed certificate, one from another CA and one
    for another name: refused, nothing delivered, a log line says why;
  - a sips: request over UDP and over TCP: 416, nothing relayed; a sips:
    request over TLS whose target is plain sip:: 480, nothing relayed;
  - plain text on the TLS port: the connection fails, the daemon keeps
    serving (a normal message routes afterwards);
  - sip.tls.verify_client: a client without a certificate is refused,
    one with a certificate from the CA is served;
  - XMPP->SIP toward a sips: target goes over TLS, verified as well;
  - sip.listen = "sips:...": a TLS-only listener;
  - bad TLS files at start: a clear message and a non-zero exit;
  - no sanitizer report in imgated's log.
"""

import os
import re
import socket
import ssl
import sys
import time

import imgtest
from imgtest import Procs, tap
import gwtest
from gwtest import tls_group, tls_env as imgated_env, sanitizer_clean
import siptls
import sipuac
import xmppclient


def zone(plain, good, selfsigned, otherca, wrongname):
    rows = [
        ("+12025550100", "sip:\\1@127.0.0.1:%d" % plain),
        ("+12025550200", "sips:\\1@uas.tls.test:%d" % good),
        ("+12025550201", "sips:\\1@self.tls.test:%d" % selfsigned),
        ("+12025550202", "sips:\\1@uas.tls.test:%d" % otherca),
        ("+12025550203", "sips:\\1@wrong.tls.test:%d" % wrongname),
    ]
    rows.append(("+12025550204", "sip:\\1@naptr.tls.test"))
    # RFC 3263: a sip: domain that offers TLS only (NAPTR SIPS+D2T)
    rfc3263 = [
        gwtest.naptr("naptr.tls.test.", [gwtest.naptr_rr(
            services="SIPS+D2T", flags="s",
            replacement="_sips._tcp.naptr.tls.test.")], ttl=60),
        gwtest.srv("_sips._tcp.naptr.tls.test.",
                   [gwtest.srv_rr(good, "uas.tls.test.")]),
    ]
    return [gwtest.enum_sip(n, uri) for n, uri in rows] + [
        gwtest.addr("uas.tls.test."), gwtest.addr("self.tls.test."),
        gwtest.addr("wrong.tls.test.")] + rfc3263


def start_fails(procs, d, dns_port, tls, want, what):
    """imgated with this tls group must exit non-zero, saying `want`."""
    rc, out = gwtest.start_fails(procs, d, dns_port, tls)
    tap.ok(rc != 0 and want in out,
           "bad TLS files: %s -> exit %s with a clear message"
           % (what, rc), diag=out[-1500:])


def main():
    with Procs("sip-tls") as procs:
        d = procs.tmpdir("pki")
        ca = siptls.make_ca(d, "main")
        other = siptls.make_ca(d, "other")
        gw_cert, gw_key = ca.issue("gw.test", dns=["gw.test"],
                                   ips=["127.0.0.1"])
        good_cert, good_key = ca.issue("uas.tls.test", dns=["uas.tls.test"])
        ss_cert, ss_key = siptls.self_signed(d, "self.tls.test",
                                             dns=["self.tls.test"])
        oc_cert, oc_key = other.issue("uas-other", dns=["uas.tls.test"])
        wn_cert, wn_key = ca.issue("someone-else.test",
                                   dns=["someone-else.test"])
        cl_cert, cl_key = ca.issue("client.test", dns=["client.test"])

        good = siptls.TLSUAS(good_cert, good_key)
        selfsigned = siptls.TLSUAS(ss_cert, ss_key)
        otherca = siptls.TLSUAS(oc_cert, oc_key)
        wrongname = siptls.TLSUAS(wn_cert, wn_key)
        plain = gwtest.start_uas(procs, "uas_message.xml")
        dns_port, _ = imgtest.start_unbound(
            zone(plain.port, good.port, selfsigned.port, otherca.port,
                 wrongname.port), procs=procs)
        tls_port = imgtest.free_port()
        static = """routes = (
  { name = "tls-static"; prefix = "+1202555030"; action = "static";
    target = "sip:uas.tls.test:%d;transport=tls"; },
  { name = "default"; action = "enum"; }
);""" % good.port
        tmp = os.environ.get("TMPDIR", "/tmp")
        tlsdirs = lambda: set(n for n in os.listdir(tmp)
                              if n.startswith("imgate-tls."))
        dirs_before = tlsdirs()
        gw = gwtest.start_imgated(
            procs, dns_port, sip_timeout_ms=4000, conf_extra=static,
            sip_extra=tls_group(tls_port, gw_cert, gw_key, ca.cert),
            env=imgated_env())
        tap.diag("unbound :%d, imgated :%d (TLS :%d), plain UAS :%d, TLS "
                 "UAS good :%d self :%d other-CA :%d wrong-name :%d"
                 % (dns_port, gw.port, tls_port, plain.port, good.port,
                    selfsigned.port, otherca.port, wrongname.port))

        tap.ok(gw.wait_log(r"listening on .* and on TLS sips:127\.0\.0\.1:%d"
                           % tls_port, 5) is not None,
               "imgated says it listens on TLS")
        # (another test's imgated may be starting meanwhile: only a
        # directory this one left behind for good would stay)
        left = tlsdirs() - dirs_before
        deadline = time.monotonic() + 5
        while left and time.monotonic() < deadline:
            time.sleep(0.1)
            left = tlsdirs() - dirs_before
        tap.ok(not left, "the key copy handed to sofia is removed once "
               "it is read", diag=left)

        # -- inbound TLS: the client verifies imgated's certificate
        vctx = siptls.client_context(ca.cert)
        uac = siptls.StreamUAC(tls_port, vctx, server_hostname="gw.test")
        code, h = uac.message("sip:+12025550100@gw.test", body="tls-in-1")
        tap.is_(code, 200, "inbound TLS (certificate and name verified by "
                "the client) -> routed, 200")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(
                r["body"].startswith("tls-in-1") for r in plain.requests()):
            time.sleep(0.05)
        tap.ok(any(r["body"].startswith("tls-in-1")
                   for r in plain.requests()),
               "inbound TLS: the plain UAS got the message",
               diag=plain.messages()[-1500:])
        wrong = siptls.StreamUAC(tls_port, vctx,
                                 server_hostname="not-the-gw.test")
        code, _ = wrong.message("sip:+12025550100@gw.test")
        tap.ok(code is None and isinstance(wrong.error,
                                           ssl.SSLCertVerificationError),
               "a client checking for another name refuses imgated",
               diag=repr(wrong.error))

        # -- protocol versions: what OpenSSL's policy leaves (no TLS 1.1)
        for ver, want in (("-tls1_1", False), ("-tls1_2", True)):
            r = procs.run(["openssl", "s_client", ver, "-cipher",
                           "ALL:@SECLEVEL=0", "-connect",
                           "127.0.0.1:%d" % tls_port, "-CAfile", ca.cert,
                           "-verify_return_error"], input=b"", timeout=30)
            out = (r.stdout or b"").decode("utf-8", "replace")
            tap.is_(r.returncode == 0 and "Verify return code: 0" in out,
                    want, "a %s client (willing, at SECLEVEL 0): handshake "
                    "%s" % (ver[1:], "completes" if want else "fails"))

        # -- outbound TLS: ENUM sips: URI, verified UAS
        code, h = uac.message("sips:+12025550200@gw.test", body="tls-e2e")
        tap.is_(code, 200, "sips: over TLS -> ENUM sips: target over TLS "
                "-> 200")
        got = [r for r in good.requests() if r["body"] == "tls-e2e"]
        tap.ok(len(got) == 1, "the verified TLS UAS got the message once",
               diag=good.requests())
        if got:
            tap.is_(got[0]["ruri"], "sips:12025550200@uas.tls.test:%d"
                    % good.port, "Request-URI is the NAPTR's sips: URI")
            tap.ok("SIP/2.0/TLS" in got[0]["headers"].get("via", ""),
                   "imgated's Via says TLS", diag=got[0]["headers"])
        n0 = len(good.requests())
        code, h = uac.message("sip:+12025550200@gw.test", body="tls-out-sip")
        tap.is_(code, 200, "sip: request over TLS to an ENUM sips: target "
                "-> over TLS, 200")
        c2 = sipuac.UAC()
        try:
            code, h, _ = c2.message(gw.addr, "sip:+12025550200@gw.test",
                                    body="udp-to-tls")
        finally:
            c2.close()
        tap.is_(code, 200, "UDP in, ENUM sips: target -> out over TLS, "
                "200")
        tap.is_(len(good.requests()) - n0, 2,
                "the TLS UAS got both", )

        # -- static route with transport=tls
        n0 = len(good.requests())
        code, h = uac.message("sip:+12025550300@gw.test", body="static-tls")
        tap.is_(code, 200, "static route target ;transport=tls -> 200")
        got = [r for r in good.requests()[n0:] if r["body"] ==
               "static-tls"]
        tap.ok(len(got) == 1 and "transport=tls" in got[0]["ruri"],
               "static transport=tls route: delivered over TLS",
               diag=good.requests()[n0:])

        # -- RFC 3263: sip: URI, NAPTR SIPS+D2T -> _sips._tcp -> TLS hop,
        # certificate checked against the SRV target's name
        n0 = len(good.requests())
        code, h = uac.message("sip:+12025550204@gw.test", body="naptr-tls")
        tap.is_(code, 200, "sip: ENUM URI whose domain's NAPTR offers "
                "SIPS+D2T only -> _sips._tcp SRV -> TLS, 200")
        got = [r for r in good.requests()[n0:] if r["body"] == "naptr-tls"]
        tap.ok(len(got) == 1 and "SIP/2.0/TLS" in
               got[0]["headers"].get("via", ""),
               "RFC 3263 TLS hop: delivered over TLS to the verified UAS",
               diag=good.requests()[n0:])

        # -- wrong certificates: refused, nothing delivered
        for num, uas, what, why in [
                ("+12025550201", selfsigned, "self-signed certificate",
                 r"self.signed|unable to get local issuer|err \d+"),
                ("+12025550202", otherca, "certificate from another CA",
                 r"unable to get local issuer|err \d+"),
                ("+12025550203", wrongname, "certificate for another name",
                 r"Subject Mismatch")]:
            before = gw.log_text()
            t0 = time.monotonic()
            code, h = uac.message("sip:%s@gw.test" % num, body="no-" + num,
                                  timeout=15)
            tap.ok(code is not None and code >= 400,
                   "UAS with a %s: the sender gets an error (%s)"
                   % (what, code), diag=gw.log_text()[len(before):][-2000:])
            tap.is_(len(uas.requests()), 0,
                    "UAS with a %s: nothing delivered to it" % what)
            tap.ok(re.search(why, gw.log_text()[len(before):]),
                   "UAS with a %s: a log line says why" % what,
                   diag=gw.log_text()[len(before):][-2000:])
            tap.diag("%s refused in %.1f s" % (what, time.monotonic() - t0))

        # -- sips: over a clear transport: 416, never relayed
        before_plain = len(plain.requests())
        before_good = len(good.requests())
        c2 = sipuac.UAC()
        try:
            code, h, _ = c2.message(gw.addr, "sips:+12025550200@gw.test",
                                    body="sips-over-udp")
        finally:
            c2.close()
        tap.is_(code, 416, "sips: request over UDP -> 416")
        tcp = siptls.StreamUAC(gw.port)
        code, h = tcp.message("sips:+12025550200@gw.test",
                              body="sips-over-tcp")
        tap.is_(code, 416, "sips: request over TCP -> 416")
        code, h = uac.message("sips:+12025550100@gw.test",
                              body="sips-to-plain")
        tap.is_(code, 480, "sips: over TLS whose target is plain sip: -> "
                "480")
        time.sleep(0.5)
        tap.is_(len(good.requests()) - before_good, 0,
                "the sips: requests refused were not relayed over TLS")
        tap.ok(not [r for r in plain.requests()[before_plain:]
                    if r["body"].startswith("sips-")],
               "...nor in clear", diag=plain.requests()[before_plain:])
        log = gw.log_text()
        tap.ok("over a clear transport -> 416" in log and
               "not sent in clear" in log,
               "log lines say why (416, 480)", diag=log[-2000:])

        # -- plain text on the TLS port: clean failure, still serving
        s = socket.create_connection(("127.0.0.1", tls_port), timeout=10)
        s.sendall(b"MESSAGE sip:+12025550100@gw.test SIP/2.0\r\n"
                  b"Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKplain\r\n"
                  b"Content-Length: 0\r\n\r\n")
        s.settimeout(10)
        data = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except (socket.timeout, OSError) as e:
            data += b"<%s>" % type(e).__name__.encode()
        s.close()
        tap.ok(b"SIP/2.0 " not in data and b"<timeout>" not in data,
               "plain text on the TLS port: connection closed, no SIP "
               "answer", diag=repr(data[:200]))
        tap.ok(gw.alive(), "daemon alive after plain text on the TLS port")

        # -- connections give their memory back (sofia-sip 1.12.11 leaked
        # 25 KiB per TLS connection: imgated replaces its tls_free)
        def churn(n):
            for i in range(n):
                s = socket.create_connection(("127.0.0.1", tls_port),
                                             timeout=10)
                if i % 2:
                    s.sendall(b"OPTIONS sip:gw.test SIP/2.0\r\n\r\n")
                else:
                    try:
                        s = vctx.wrap_socket(s, server_hostname="gw.test")
                    except (OSError, ssl.SSLError):
                        pass
                s.close()
        churn(50)
        time.sleep(1)
        r0 = rss_kib(gw.proc.pid)
        churn(400)
        time.sleep(2)
        r1 = rss_kib(gw.proc.pid)
        if uses_asan(gw.proc.pid):
            tap.skip("400 TLS connections leave imgated's RSS as it was",
                     "ASan's quarantine keeps freed memory; LSan checks "
                     "at exit instead")
        else:
            tap.ok(r1 - r0 < 2048, "400 TLS connections (half of them "
                   "handshakes, half plain text) leave imgated's RSS as it "
                   "was", diag="%d kB -> %d kB" % (r0, r1))
        tap.diag("RSS %d kB -> %d kB after 400 TLS connections" % (r0, r1))
        code, h = uac.message("sip:+12025550100@gw.test", body="after-plain")
        tap.is_(code, 200, "after that, a TLS message still routes")
        code, h = siptls.StreamUAC(gw.port).message(
            "sip:+12025550100@gw.test", body="after-plain-tcp")
        tap.is_(code, 200, "...and a TCP one")

        # -- verify_client: clients must present a certificate
        tls2 = imgtest.free_port()
        # (serving as nobody: the key was read before the privilege drop)
        gw2 = gwtest.start_imgated(
            procs, dns_port, sip_extra=tls_group(
                tls2, gw_cert, gw_key, ca.cert,
                "verify_client = true;"), env=imgated_env(), user="nobody")
        anon = siptls.StreamUAC(tls2, vctx, server_hostname="gw.test")
        code, _ = anon.message("sip:+12025550100@gw.test", body="anon")
        tap.ok(code is None, "verify_client: a client without a "
               "certificate gets no answer", diag=(code, anon.error))
        cctx = siptls.client_context(ca.cert, cl_cert, cl_key)
        code, _ = siptls.StreamUAC(tls2, cctx, server_hostname="gw.test") \
            .message("sip:+12025550100@gw.test", body="with-cert")
        tap.is_(code, 200, "verify_client: a client with a certificate "
                "from ca_file -> 200")
        octx = siptls.client_context(ca.cert, *other.issue(
            "client-other", dns=["client-other"]))
        code, _ = siptls.StreamUAC(tls2, octx, server_hostname="gw.test") \
            .message("sip:+12025550100@gw.test", body="other-cert")
        tap.ok(code is None, "verify_client: a client certificate from "
               "another CA is refused", diag=code)
        tap.ok(gw2.alive(), "verify_client daemon still alive")

        # -- XMPP -> SIP toward sips: targets: over TLS, verified too
        comp = "gw.localhost"
        pros = gwtest.Prosody(procs, [("alice", "pw")], comp,
                              "s3cret").start()
        gw3 = gwtest.start_imgated(
            procs, dns_port, conf_extra=gwtest.xmpp_conf(pros),
            sip_extra=tls_group(imgtest.free_port(), gw_cert, gw_key,
                                ca.cert), env=imgated_env())
        tap.ok(gw3.wait_log(r"component %s connected" % comp, 15)
               is not None, "XMPP: imgated joins Prosody",
               diag=gw3.log_text()[-1500:])
        alice = xmppclient.Client("alice@localhost", "pw",
                                  ("127.0.0.1", pros.c2s)).start()
        try:
            n0 = len(good.requests())
            alice.send("+12025550200@" + comp, "xmpp-over-tls", id="x1")
            rcpt = alice.wait(lambda m: m["received"] == "x1", 10)
            tap.ok(rcpt is not None, "XMPP->SIP, ENUM sips: target: the "
                   "sender gets the receipt", diag=gw3.log_text()[-1500:])
            got = [r for r in good.requests()[n0:]
                   if r["body"] == "xmpp-over-tls"]
            tap.ok(len(got) == 1 and "SIP/2.0/TLS" in
                   got[0]["headers"].get("via", ""),
                   "XMPP->SIP: delivered over TLS to the verified UAS",
                   diag=good.requests()[n0:])
            alice.send("+12025550203@" + comp, "xmpp-wrong-name", id="x2")
            e = alice.wait(lambda m: m["id"] == "x2" and
                           m["type"] == "error", 15)
            tap.ok(e is not None and e["error"] is not None,
                   "XMPP->SIP, UAS with a certificate for another name: "
                   "an error stanza (%s)" % (e and e["error"]),
                   diag=gw3.log_text()[-1500:])
            tap.is_(len(wrongname.requests()), 0,
                    "XMPP->SIP: nothing delivered to that UAS")
        finally:
            alice.stop()

        # -- sip.listen itself a sips: URI: TLS only
        port4 = imgtest.free_port()
        conf4 = os.path.join(d, "sips-listen.conf")
        with open(conf4, "w") as f:
            f.write(gwtest.gateway_group() + '\n'
                    'log = { level = "debug"; };\n'
                    'sip = { listen = "sips:127.0.0.1:%d"; tls = { '
                    'certificate = "%s"; key = "%s"; ca_file = "%s"; }; };\n'
                    'dns = { servers = [ "127.0.0.1:%d" ]; };\n'
                    'enum = { enumservices = [ "im", "sip" ]; };\n'
                    % (port4, gw_cert, gw_key, ca.cert, dns_port))
        log4 = os.path.join(d, "sips-listen.log")
        p4 = procs.start([gwtest.IMGATED, "-d", "-f", conf4], log=log4,
                         env=imgated_env())
        gw4 = gwtest.Daemon(p4, port4, log4, conf4)
        tap.ok(gw4.wait_log(r"listening on sips:127\.0\.0\.1:%d \(TLS\)"
                            % port4, 30) is not None,
               "sip.listen = sips:...: a TLS listener", diag=gw4.log_text())
        uac4 = siptls.StreamUAC(port4, vctx, server_hostname="gw.test")
        code, _ = uac4.message("sips:+12025550200@gw.test",
                               body="sips-listen")
        tap.is_(code, 200, "sip.listen = sips:...: a TLS message routes "
                "to a sips: target")
        n0 = len(plain.requests())
        code, _ = uac4.message("sip:+12025550100@gw.test",
                               body="sips-listen-plain")
        tap.is_(code, 503, "sip.listen = sips:...: no clear transport, a "
                "plain sip: target gets 503")
        tap.is_(len(plain.requests()), n0, "...and receives nothing")

        # -- bad files at start
        mism_cert, _ = ca.issue("mismatch", dns=["mismatch"])
        garbage = os.path.join(d, "garbage.pem")
        with open(garbage, "w") as f:
            f.write("not a certificate\n")
        enc_key = os.path.join(d, "encrypted.key")
        siptls._openssl("pkey", "-in", gw_key, "-aes256", "-passout",
                        "pass:secret", "-out", enc_key)
        bad = lambda c, k_, a: tls_group(imgtest.free_port(), c, k_, a)
        start_fails(procs, d, dns_port, bad(mism_cert, gw_key, ca.cert),
                    "does not belong to the certificate",
                    "key of another certificate")
        start_fails(procs, d, dns_port, bad(garbage, gw_key, ca.cert),
                    "no PEM certificate", "certificate file not PEM")
        start_fails(procs, d, dns_port,
                    bad(gw_cert, os.path.join(d, "missing.key"), ca.cert),
                    "cannot open", "missing key file")
        start_fails(procs, d, dns_port, bad(gw_cert, enc_key, ca.cert),
                    "encrypted key", "encrypted key")
        start_fails(procs, d, dns_port, bad(gw_cert, gw_key, garbage),
                    "sip.tls.ca_file", "CA file without certificates")
        start_fails(procs, d, dns_port, 'tls = { listen = "sips:127.0.0.1:'
                    '%d"; };' % imgtest.free_port(),
                    "needs sip.tls.certificate", "no certificate configured")

        for g in (gw, gw2, gw3, gw4):
            procs.stop(g.proc)
            tap.is_(g.proc.returncode, 0, "imgated exits 0 on SIGTERM")
            sanitizer_clean(g, "after the run")
        for u in (good, selfsigned, otherca, wrongname):
            u.stop()
    return tap.done()


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
    return 0


def uses_asan(pid):
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


if __name__ == "__main__":
    sys.exit(main())
