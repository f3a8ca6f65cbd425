#!/usr/bin/python3
"""test_sip_tls_policy.py - sip.tls.ciphers, ciphersuites, min_version.

sofia-sip 1.12.11 sets its own cipher list on every TLS context; imgated
replaces it with the configured policy (gateway/sipgw_tls.c).  The test
checks that the policy is what the wire shows, in both directions,
against Python ssl peers (siptls.py) and the openssl CLI, with its own
throwaway CA.  Asserted:
  - imgated exports SSL_CTX_set_cipher_list (how the policy gets in);
  - default policy: a TLS 1.2 client offering only AES128-SHA (RSA key
    exchange, CBC: in sofia's list) is refused, ECDHE-RSA-AES128-GCM
    served;
  - min_version "1.3": a TLS 1.2-only client is refused, a TLS 1.3 one
    served; outbound, a TLS 1.2-only UAS gets nothing (the sender an
    error), a TLS 1.3 UAS the message;
  - ciphers limited to one TLS 1.2 suite: a TLS 1.2 client offering only
    another suite fails the handshake, one offering it is served;
    outbound, a TLS 1.2 UAS speaking only another suite gets nothing, one
    speaking it the message;
  - a bad cipher list, bad TLS 1.3 suites, min_version "1.3" with no
    suites, an unknown min_version: exit 1 with a clear message;
  - no sanitizer report in imgated's log.
"""

import re
import ssl
import subprocess
import sys

import imgtest
from imgtest import Procs, tap
import gwtest
from gwtest import tls_group, tls_env as imgated_env, sanitizer_clean
from gwtest import wait_for
import siptls

ONE = "ECDHE-RSA-AES128-GCM-SHA256"     # the one suite allowed
OTHER = "ECDHE-RSA-AES256-GCM-SHA384"   # another good one, not allowed



def zone(targets):
    """ENUM: number -> sips:...@uas.tls.test:port."""
    return [gwtest.enum_sip(n, "sips:\\1@uas.tls.test:%d" % port)
            for n, port in targets] + [gwtest.addr("uas.tls.test.")]


def client(ca, maxv=None, minv=None, ciphers=None):
    ctx = siptls.client_context(ca)
    if maxv:
        ctx.maximum_version = maxv
    if minv:
        ctx.minimum_version = minv
    if ciphers:
        ctx.set_ciphers(ciphers)
    return ctx


def uas(cert, key, maxv=None, ciphers=None):
    u = siptls.TLSUAS(cert, key)
    if maxv:
        u.ctx.maximum_version = maxv
    if ciphers:
        u.ctx.set_ciphers(ciphers)
    return u


def s_client(procs, port, ca, args):
    """openssl s_client with these protocol/cipher args: handshake ok?"""
    r = procs.run(["openssl", "s_client"] + args + [
        "-connect", "127.0.0.1:%d" % port, "-CAfile", ca,
        "-verify_return_error"], input=b"", timeout=30)
    out = (r.stdout or b"").decode("utf-8", "replace")
    return r.returncode == 0 and "Verify return code: 0" in out, out


def inbound(port, ctx, body):
    u = siptls.StreamUAC(port, ctx, server_hostname="gw.test")
    code, _ = u.message("sip:+12025550100@gw.test", body=body, timeout=15)
    return code, u.error


def outbound(port, ctx, num, body):
    """A message in over TLS (the client unrestricted) to ENUM `num`."""
    u = siptls.StreamUAC(port, ctx, server_hostname="gw.test")
    code, _ = u.message("sip:%s@gw.test" % num, body=body, timeout=20)
    return code


def start_fails(procs, d, dns_port, tls, want, what):
    rc, out = gwtest.start_fails(procs, d, dns_port, tls, env=imgated_env())
    tap.ok(rc == 1 and want in out,
           "%s -> exit 1 (%s) saying %r" % (what, rc, want),
           diag=out[-1500:])


def got(u, body):
    return [r for r in u.requests() if r["body"] == body]


def main():
    V12, V13 = ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3
    with Procs("sip-tls-policy") as procs:
        d = procs.tmpdir("pki")
        ca = siptls.make_ca(d, "pol")
        gw_cert, gw_key = ca.issue("gw.test", dns=["gw.test"],
                                   ips=["127.0.0.1"])
        u_cert, u_key = ca.issue("uas.tls.test", dns=["uas.tls.test"])

        # the interposition itself: the executable exports the symbol
        r = subprocess.run(["nm", "-D", "--defined-only", gwtest.IMGATED],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        tap.ok(re.search(rb" T SSL_CTX_set_cipher_list$", r.stdout,
                         re.M) is not None,
               "imgated exports SSL_CTX_set_cipher_list (libsofia-sip-ua "
               "calls it through its PLT)", diag=r.stderr[-500:])

        plain = gwtest.start_uas(procs, "uas_message.xml")
        u12 = uas(u_cert, u_key, maxv=V12)               # TLS 1.2 only
        u13 = uas(u_cert, u_key)                         # TLS 1.3 too
        u12_one = uas(u_cert, u_key, maxv=V12, ciphers=ONE)
        u12_other = uas(u_cert, u_key, maxv=V12, ciphers=OTHER)
        dns_port, _ = imgtest.start_unbound(zone([
            ("+12025550210", u12.port), ("+12025550211", u13.port),
            ("+12025550212", u12_one.port),
            ("+12025550213", u12_other.port)]) + [
            gwtest.enum_sip("+12025550100", "sip:\\1@127.0.0.1:%d"
                            % plain.port)], procs=procs)
        anyc = client(ca.cert)

        # -- default policy: sofia's "ALL:..." no longer decides
        p0 = imgtest.free_port()
        gw0 = gwtest.start_imgated(
            procs, dns_port, sip_extra=tls_group(p0, gw_cert, gw_key,
                                                 ca.cert),
            env=imgated_env())
        ok, out = s_client(procs, p0, ca.cert,
                           ["-tls1_2", "-cipher", "AES128-SHA"])
        tap.ok(not ok, "default policy: a TLS 1.2 client offering only "
               "AES128-SHA (RSA key exchange, CBC) is refused",
               diag=out[-800:])
        ok, out = s_client(procs, p0, ca.cert, ["-tls1_2", "-cipher", ONE])
        tap.ok(ok, "default policy: a TLS 1.2 client offering %s "
               "completes the handshake" % ONE, diag=out[-800:])
        code, err = inbound(p0, client(ca.cert, maxv=V12), "def-12")
        tap.is_(code, 200, "default policy: a TLS 1.2 client is served")

        # -- min_version 1.3
        p1 = imgtest.free_port()
        gw1 = gwtest.start_imgated(
            procs, dns_port, sip_timeout_ms=4000,
            sip_extra=tls_group(p1, gw_cert, gw_key, ca.cert,
                                'min_version = "1.3";'),
            env=imgated_env())
        code, err = inbound(p1, client(ca.cert, maxv=V12), "v12-in")
        tap.ok(code is None and isinstance(err, ssl.SSLError),
               "min_version 1.3: a TLS 1.2-only client fails the "
               "handshake", diag=(code, repr(err)))
        code, err = inbound(p1, client(ca.cert, minv=V13), "v13-in")
        tap.is_(code, 200, "min_version 1.3: a TLS 1.3 client is served")
        tap.ok(wait_for(lambda: any(r["body"] == "v13-in"
                                    for r in plain.requests()), 10),
               "min_version 1.3: ...and its message delivered")
        before = gw1.log_text()
        code = outbound(p1, anyc, "+12025550210", "v12-out")
        tap.ok(code is not None and code >= 400,
               "min_version 1.3: towards a TLS 1.2-only UAS the sender "
               "gets an error (%s)" % code,
               diag=gw1.log_text()[len(before):][-1500:])
        tap.is_(len(got(u12, "v12-out")), 0,
                "min_version 1.3: nothing delivered to the TLS 1.2-only "
                "UAS")
        tap.is_(u12.handshakes, 0, "min_version 1.3: no handshake with "
                "it completed")
        code = outbound(p1, anyc, "+12025550211", "v13-out")
        tap.is_(code, 200, "min_version 1.3: a TLS 1.3 UAS -> 200")
        tap.is_(len(got(u13, "v13-out")), 1, "min_version 1.3: the TLS "
                "1.3 UAS got the message")
        code = outbound(p0, anyc, "+12025550210", "v12-out-default")
        tap.is_(code, 200, "(default policy: the TLS 1.2-only UAS -> 200)")

        # -- ciphers: one TLS 1.2 suite
        p2 = imgtest.free_port()
        gw2 = gwtest.start_imgated(
            procs, dns_port, sip_timeout_ms=4000,
            sip_extra=tls_group(p2, gw_cert, gw_key, ca.cert,
                                'ciphers = "%s";' % ONE),
            env=imgated_env())
        code, err = inbound(p2, client(ca.cert, maxv=V12, ciphers=OTHER),
                            "other-in")
        tap.ok(code is None and isinstance(err, ssl.SSLError),
               "ciphers %s: a TLS 1.2 client offering only %s fails the "
               "handshake" % (ONE, OTHER), diag=(code, repr(err)))
        code, err = inbound(p2, client(ca.cert, maxv=V12, ciphers=ONE),
                            "one-in")
        tap.is_(code, 200, "ciphers %s: a TLS 1.2 client offering it is "
                "served" % ONE)
        ok, out = s_client(procs, p2, ca.cert, ["-tls1_3"])
        tap.ok(ok, "ciphers %s: TLS 1.3 (ciphersuites default) still "
               "completes" % ONE, diag=out[-800:])
        before = gw2.log_text()
        code = outbound(p2, anyc, "+12025550213", "other-out")
        tap.ok(code is not None and code >= 400,
               "ciphers %s: towards a TLS 1.2 UAS speaking only %s the "
               "sender gets an error (%s)" % (ONE, OTHER, code),
               diag=gw2.log_text()[len(before):][-1500:])
        tap.is_(len(got(u12_other, "other-out")), 0,
                "ciphers: nothing delivered to that UAS")
        tap.is_(u12_other.handshakes, 0, "ciphers: no handshake with it "
                "completed")
        code = outbound(p2, anyc, "+12025550212", "one-out")
        tap.is_(code, 200, "ciphers %s: a TLS 1.2 UAS speaking it -> 200"
                % ONE)
        tap.is_(len(got(u12_one, "one-out")), 1,
                "ciphers: that UAS got the message")
        code = outbound(p0, anyc, "+12025550213", "other-out-default")
        tap.is_(code, 200, "(default policy: the %s UAS -> 200)" % OTHER)

        # -- bad policies: exit 1 at start
        grp = lambda extra: tls_group(imgtest.free_port(), gw_cert, gw_key,
                                      ca.cert, extra)
        start_fails(procs, d, dns_port, grp('ciphers = "NO-SUCH-CIPHER";'),
                    "sip.tls.ciphers", "a cipher list matching nothing")
        start_fails(procs, d, dns_port,
                    grp('ciphersuites = "TLS_NO_SUCH_SUITE";'),
                    "sip.tls.ciphersuites", "unknown TLS 1.3 suites")
        start_fails(procs, d, dns_port,
                    grp('min_version = "1.3"; ciphersuites = "";'),
                    "leaves no TLS version", "min_version 1.3 without "
                    "TLS 1.3 suites")
        start_fails(procs, d, dns_port, grp('min_version = "1.1";'),
                    "min_version", "min_version 1.1")

        for g in (gw0, gw1, gw2):
            tap.ok(g.alive(), "imgated still serving")
            procs.stop(g.proc)
            tap.is_(g.proc.returncode, 0, "imgated exits 0 on SIGTERM")
            sanitizer_clean(g, "after the run")
        for u in (u12, u13, u12_one, u12_other):
            u.stop()
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
