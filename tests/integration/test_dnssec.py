#!/usr/bin/python3
"""test_dnssec.py - imgate-lookup against a real validating resolver.

At test time this script
  * makes throwaway ECDSAP256SHA256 KSK+ZSK pairs (ldns-keygen) for
    e164.arpa. and example.com., writes both zones and signs them
    (ldns-signzone -i 20200101000000 -e 20371231000000);
  * breaks the RRSIG of +12025550101's NAPTR by editing the NAPTR rdata in
    the *signed* e164.arpa zone file (no re-signing);
  * starts unbound as a validating resolver ("validator iterator") that
    loads both signed zones as auth-zones (for-upstream: yes,
    for-downstream: no) and trusts the two DS lines from ldns-key2ds;
  * starts a second, plain unbound local-data fixture (no signatures);
  * runs imgate-lookup with --dnssec off|prefer|require and checks the
    "error", "uri", "protocol" and "dnssec" fields and the exit status;
  * (TODO points) asks a UDP socket that never answers: a timed-out lookup
    must not be reported as dnssec "secure".

example.com is signed too (with its own keys and its own trust anchor):
with only an e164.arpa anchor the SRV answer for _im._sip.example.com
would be insecure (AD=0) and --dnssec require would refuse the SRV step.

Environment: IMGATE_BUILDDIR (default: cwd) holds imgate-lookup;
IMGATE_UNBOUND (used by imgtest) names the unbound binary;
IMGATE_KEEP_TMP=1 keeps the temporary folders.  Output: TAP.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import imgtest  # noqa: E402
from imgtest import tap  # noqa: E402

BUILDDIR = os.environ.get("IMGATE_BUILDDIR") or os.getcwd()
LOOKUP = os.path.join(BUILDDIR, "imgate-lookup")

GOOD_NUM = "+12025550100"
BAD_NUM = "+12025550101"
GOOD_OWNER = "0.0.1.0.5.5.5.2.0.2.1.e164.arpa."
BAD_OWNER = "1.0.1.0.5.5.5.2.0.2.1.e164.arpa."
GOOD_URI = "im:alice@example.com"
BAD_URI = "im:bob@example.com"          # what was signed
FORGED_URI = "im:mallory@example.com"   # what the tampered zone serves

SIGN_INCEPTION = "20200101000000"
SIGN_EXPIRATION = "20371231000000"      # not later: ldns wraps after 2038

CMD_TIMEOUT = 10.0                       # any single helper command
LOOKUP_TIMEOUT = 10.0                    # one imgate-lookup run

E164_ZONE = """\
$ORIGIN e164.arpa.
$TTL 300
@       IN SOA ns.e164.arpa. hostmaster.e164.arpa. 1 3600 600 86400 60
@       IN NS  ns.e164.arpa.
ns      IN A   127.0.0.1
; +12025550100 -> im:alice@example.com (validates)
0.0.1.0.5.5.5.2.0.2.1 120 IN NAPTR 10 100 "u" "E2U+im" "!^.*$!%s!" .
; +12025550101 -> its rdata is tampered with after signing (bogus)
1.0.1.0.5.5.5.2.0.2.1 120 IN NAPTR 10 100 "u" "E2U+im" "!^.*$!%s!" .
""" % (GOOD_URI, BAD_URI)

EXAMPLE_ZONE = """\
$ORIGIN example.com.
$TTL 300
@       IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 60
@       IN NS  ns
ns      IN A   127.0.0.1
sipgw   IN A   127.0.0.1
; RFC 3861 / RFC 5509 owner name: _im._sip.<domain>
_im._sip 60 IN SRV 10 0 15060 sipgw.example.com.
"""

# the same data, unsigned, for the plain local-data fixture
PLAIN_LINES = [
    'local-zone: "e164.arpa." static',
    "local-data: '%s 120 IN NAPTR 10 100 \"u\" \"E2U+im\" \"!^.*$!%s!\" .'"
    % (GOOD_OWNER, GOOD_URI),
    'local-zone: "example.com." static',
    'local-data: "_im._sip.example.com. 60 IN SRV 10 0 15060 sipgw.example.com."',
    'local-data: "sipgw.example.com. 300 IN A 127.0.0.1"',
]


# ------------------------------------------------------------------ helpers

def run(args, cwd=None, timeout=CMD_TIMEOUT):
    """subprocess.run with a timeout; returns CompletedProcess (text)."""
    return subprocess.run(args, cwd=cwd, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=timeout)


def must(args, cwd=None, what=None):
    """Run a fixture-building command; bail out (with its output) on failure."""
    try:
        r = run(args, cwd=cwd)
    except (OSError, subprocess.TimeoutExpired) as e:
        tap.bail_out("%s: %s" % (what or args[0], e))
    if r.returncode != 0:
        tap.diag("$ " + " ".join(args))
        tap.diag(r.stdout + r.stderr)
        tap.bail_out("%s failed (exit %d)" % (what or args[0], r.returncode))
    return r.stdout


def make_signed_zone(d, origin, text):
    """Write ORIGIN's zone, make a KSK and a ZSK, sign it.
    Returns (signed zone path, KSK DS line)."""
    zfile = os.path.join(d, origin + ".zone")
    with open(zfile, "w") as f:
        f.write(text)
    ksk = must(["ldns-keygen", "-a", "ECDSAP256SHA256", "-k", origin],
               cwd=d, what="ldns-keygen KSK " + origin).strip()
    zsk = must(["ldns-keygen", "-a", "ECDSAP256SHA256", origin],
               cwd=d, what="ldns-keygen ZSK " + origin).strip()
    must(["ldns-signzone", "-i", SIGN_INCEPTION, "-e", SIGN_EXPIRATION,
          zfile, zsk, ksk], cwd=d, what="ldns-signzone " + origin)
    signed = zfile + ".signed"
    ds = must(["ldns-key2ds", "-n", "-2", ksk + ".key"], cwd=d,
              what="ldns-key2ds " + origin).strip()
    if not re.search(r"\sDS\s", ds):
        tap.bail_out("ldns-key2ds %s gave no DS line: %r" % (origin, ds))
    return signed, ds


def verify_zone(path):
    """(verified?, output) from ldns-verify-zone."""
    try:
        r = run(["ldns-verify-zone", path])
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, str(e)
    out = (r.stdout + r.stderr).strip()
    return r.returncode == 0 and "verified" in out, out


def tamper(path, owner, old, new):
    """Replace `old` by `new` in the NAPTR rdata of `owner` (no re-signing).
    Returns how many lines changed."""
    with open(path) as f:
        lines = f.readlines()
    n = 0
    for i, ln in enumerate(lines):
        f_ = ln.split()
        if len(f_) > 4 and f_[0].lower() == owner and "NAPTR" in f_[1:4] \
                and old in ln:
            lines[i] = ln.replace(old, new)
            n += 1
    with open(path, "w") as f:
        f.writelines(lines)
    return n


def lookup(port, mode, number, extra=()):
    """Run imgate-lookup; returns (exit status or None, json dict or None,
    text for diagnostics)."""
    args = [LOOKUP] + list(extra) + ["--server", "127.0.0.1:%d" % port, "--dnssec", mode,
            "--json", number]
    t0 = time.monotonic()
    try:
        r = run(args, timeout=LOOKUP_TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, None, "$ %s\ntimed out after %.0f s" % (
            " ".join(args), LOOKUP_TIMEOUT)
    dt = time.monotonic() - t0
    text = "$ %s\nexit %d after %.2f s\nstdout: %s\nstderr: %s" % (
        " ".join(args), r.returncode, dt, r.stdout.strip(), r.stderr.strip())
    try:
        js = json.loads(r.stdout)
    except ValueError:
        js = None
    return r.returncode, js, text


def field(js, key, default="<missing>"):
    return js.get(key, default) if isinstance(js, dict) else default


def check_routed(port, mode, number, want_sec, desc):
    rc, js, text = lookup(port, mode, number)
    good = (rc == 0 and js is not None and field(js, "error") is None
            and field(js, "uri") == GOOD_URI
            and field(js, "protocol") == "sip"
            and field(js, "dnssec") == want_sec)
    tap.ok(good, "%s: --dnssec %s %s -> routed (%s, sip), dnssec %s"
           % (desc, mode, number, GOOD_URI, want_sec), diag=text)
    return rc, js


def check_tempfail(port, mode, number, want_sec, desc, why):
    """exit 3, E_DNS_TEMPFAIL, not routed; want_sec: required dnssec value,
    or a callable predicate."""
    rc, js, text = lookup(port, mode, number)
    sec = field(js, "dnssec")
    sec_ok = want_sec(sec) if callable(want_sec) else sec == want_sec
    good = (rc == 3 and js is not None
            and field(js, "error") == "E_DNS_TEMPFAIL"
            and field(js, "uri") is None and field(js, "protocol") is None
            and sec_ok)
    tap.ok(good, "%s: --dnssec %s %s -> exit 3 E_DNS_TEMPFAIL, not routed, "
           "dnssec %s (%s)" % (desc, mode, number,
                               "not secure" if callable(want_sec) else want_sec,
                               why), diag=text)
    return rc, js


def flags_of(text):
    """Header flags from dig/kdig text output (";; flags: qr rd ra ad;")."""
    m = re.search(r"flags:\s*([a-z ]*);", text, re.I)
    return m.group(1).split() if m else None


def status_of(text):
    m = re.search(r"status:\s*([A-Z]+)", text)
    return m.group(1) if m else None


def dig_cmd():
    for tool in ("kdig", "dig"):
        p = shutil.which(tool)
        if p:
            return tool, p
    return None, None


def probe_ad(port, name, qtype, extra):
    """Ask with kdig/dig (extra: list of +options); fall back to imgtest's
    own stub client.  Returns (tool, status, flags, answer_count, text)."""
    tool, path = dig_cmd()
    if path:
        # kdig and dig spell the timeout/retry options differently
        limits = (["+timeout=2", "+retry=0"] if tool == "kdig"
                  else ["+time=2", "+tries=1"])
        args = [path, "-p", str(port), "@127.0.0.1"] + limits + \
            [name, qtype] + extra
        try:
            r = run(args)
        except subprocess.TimeoutExpired:
            return tool, None, None, 0, "$ %s\ntimed out" % " ".join(args)
        text = "$ %s\n%s%s" % (" ".join(args), r.stdout, r.stderr[-1500:])
        n = len([ln for ln in r.stdout.splitlines()
                 if ln and not ln.startswith(";") and
                 re.search(r"\sIN\s+%s\s" % qtype, ln)])
        return tool, status_of(r.stdout), flags_of(r.stdout), n, text
    # stdlib fallback: the harness's DNS client
    ad = "+adflag" in extra
    cd = "+cdflag" in extra
    try:
        res = imgtest.dns_query("127.0.0.1", port, name, qtype, ad=ad, cd=cd,
                                timeout=2.0)
    except Exception as e:  # noqa: BLE001 - diagnostic only
        return "imgtest.dns_query", None, None, 0, str(e)
    flags = [f for f in ("qr", "aa", "tc", "rd", "ra", "ad", "cd")
             if res.get(f) or (isinstance(res.get("flags"), (list, set, str))
                               and f in res.get("flags"))]
    return ("imgtest.dns_query", res.get("rcode"), flags,
            len(res.get("answer") or []), json.dumps(
                {k: v for k, v in res.items() if k != "raw"}, default=str))


def tail(path, n=3000):
    try:
        with open(path, "rb") as f:
            return f.read()[-n:].decode("utf-8", "replace")
    except (OSError, TypeError):
        return ""


# ------------------------------------------------------------------ main

def main():
    t_start = time.monotonic()
    missing = [t for t in ("ldns-keygen", "ldns-signzone", "ldns-key2ds")
               if not shutil.which(t)]
    if not shutil.which(imgtest.UNBOUND):
        missing.append(imgtest.UNBOUND)
    if missing:
        tap.plan(0, "missing tools: %s" % ", ".join(missing))
        return 0
    if not os.access(LOOKUP, os.X_OK):
        tap.bail_out("%s not found (set IMGATE_BUILDDIR)" % LOOKUP)

    with imgtest.Procs("imgate-dnssec") as procs:
        d = procs.tmpdir("dnssec")

        # --- DNSSEC material and signed zones (throwaway keys)
        e164_signed, e164_ds = make_signed_zone(d, "e164.arpa", E164_ZONE)
        ex_signed, ex_ds = make_signed_zone(d, "example.com", EXAMPLE_ZONE)
        ta = os.path.join(d, "ta.ds")
        with open(ta, "w") as f:
            f.write(e164_ds + "\n" + ex_ds + "\n")
        tap.diag("trust anchors:\n" + e164_ds + "\n" + ex_ds)

        v1, o1 = verify_zone(e164_signed)
        v2, o2 = verify_zone(ex_signed)
        tap.ok(v1 and v2, "fixture: both signed zones verify before tampering",
               diag=o1 + "\n" + o2)

        # --- break the RRSIG of +12025550101's NAPTR: edit the signed rdata
        n = tamper(e164_signed, BAD_OWNER, BAD_URI, FORGED_URI)
        if n != 1:
            tap.bail_out("tampering %s changed %d lines (want 1)" % (BAD_OWNER, n))
        v3, o3 = verify_zone(e164_signed)
        tap.ok(not v3, "fixture: tampered e164.arpa zone no longer verifies",
               diag=o3)

        # --- validating unbound: signed auth-zones + test trust anchors.
        # imgtest.start_unbound puts module-config "iterator" first; the later
        # line wins in unbound's config parser.
        lines = [
            'module-config: "validator iterator"',
            'trust-anchor-file: "%s"' % ta,
            "val-log-level: 2",
            "auth-zone:",
            'name: "e164.arpa."',
            'zonefile: "%s"' % e164_signed,
            "for-downstream: no",
            "for-upstream: yes",
            "fallback-enabled: no",
            "auth-zone:",
            'name: "example.com."',
            'zonefile: "%s"' % ex_signed,
            "for-downstream: no",
            "for-upstream: yes",
            "fallback-enabled: no",
        ]
        try:
            sport, sproc = imgtest.start_unbound(
                lines, procs=procs, verbosity=1, timeout=5.0,
                probe=(GOOD_OWNER, "NAPTR"), name="unbound-val")
        except RuntimeError as e:
            tap.bail_out("validating unbound: %s" % e)
        tap.diag("validating unbound on 127.0.0.1:%d (%s)" % (sport, sproc.conf))

        # (6) the fixture really sets AD for the good name (and not for the bad)
        tool, st, fl, na, text = probe_ad(sport, GOOD_OWNER, "NAPTR", ["+adflag"])
        tap.ok(st == "NOERROR" and fl is not None and "ad" in fl and na >= 1,
               "fixture (%s +adflag): %s NAPTR -> NOERROR with AD set"
               % (tool, GOOD_OWNER), diag=text)
        tool, st, fl, na, text = probe_ad(sport, GOOD_OWNER, "NAPTR",
                                          ["+noadflag", "+nodnssec"])
        tap.diag("(%s +noadflag +nodnssec: %s, flags %s -- unbound sets AD only "
                 "when the query has AD or DO)" % (tool, st, fl))
        tool, st, fl, na, text = probe_ad(sport, BAD_OWNER, "NAPTR", ["+adflag"])
        tap.ok(st == "SERVFAIL",
               "fixture (%s +adflag): tampered %s NAPTR -> SERVFAIL (bogus)"
               % (tool, BAD_OWNER),
               diag=text + "\nunbound log:\n" + tail(sproc.query_log))
        tool, st, fl, na, text = probe_ad(sport, "_im._sip.example.com.", "SRV",
                                          ["+adflag"])
        tap.ok(st == "NOERROR" and fl is not None and "ad" in fl and na >= 1,
               "fixture (%s +adflag): _im._sip.example.com SRV -> NOERROR with AD"
               % tool, diag=text)

        # (1) prefer: secure, routed
        check_routed(sport, "prefer", GOOD_NUM, "secure", "(1) signed zone")
        # (2) require: secure, routed
        check_routed(sport, "require", GOOD_NUM, "secure", "(2) signed zone")
        # (3) require on the broken signature: SERVFAIL from the validator
        check_tempfail(sport, "require", BAD_NUM, "bogus", "(3) broken RRSIG",
                       "validator SERVFAIL")
        # (3b) prefer must not route bogus data either
        check_tempfail(sport, "prefer", BAD_NUM, "bogus", "(3b) broken RRSIG",
                       "validator SERVFAIL")
        # (4) off: no AD asked for, nothing judged
        check_routed(sport, "off", GOOD_NUM, "indeterminate", "(4) signed zone")

        procs.stop(sproc)

        # --- (5) plain unsigned local-data fixture: answers carry no AD
        try:
            pport, pproc = imgtest.start_unbound(
                PLAIN_LINES, procs=procs, timeout=5.0,
                probe=(GOOD_OWNER, "NAPTR"), name="unbound-plain")
        except RuntimeError as e:
            tap.bail_out("plain unbound: %s" % e)
        tap.diag("plain unbound on 127.0.0.1:%d" % pport)
        tool, st, fl, na, text = probe_ad(pport, GOOD_OWNER, "NAPTR", ["+adflag"])
        tap.ok(st == "NOERROR" and fl is not None and "ad" not in fl and na >= 1,
               "fixture (%s +adflag): unsigned %s NAPTR -> NOERROR without AD"
               % (tool, GOOD_OWNER), diag=text)
        check_tempfail(pport, "require", GOOD_NUM,
                       lambda s: s not in ("secure", "<missing>"),
                       "(5a) unsigned", "refused: no AD")
        check_routed(pport, "prefer", GOOD_NUM, "insecure", "(5b) unsigned")
        procs.stop(pproc)

        # --- (7) a server that never answers: nothing was validated, so the
        # result must not claim "secure" (expected: indeterminate).  TODO until
        # routing/lookup.c run() stops mapping "no answer at all" to secure.
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        procs.add_cleanup(silent.close)
        silent.bind(("127.0.0.1", 0))
        conf = os.path.join(d, "short-timeout.conf")
        with open(conf, "w") as f:      # keep the c-ares timeout short
            f.write("dns = {\n\ttimeout_ms = 300;\n\ttries = 1;\n};\n")
        for mode in ("prefer", "require"):
            rc, js, text = lookup(silent.getsockname()[1], mode, GOOD_NUM,
                                  extra=["-f", conf])
            tap.ok(rc == 3 and field(js, "error") == "E_DNS_TEMPFAIL"
                   and field(js, "dnssec") == "indeterminate",
                   "(7) silent server: --dnssec %s -> E_DNS_TEMPFAIL, dnssec "
                   "indeterminate (not secure)" % mode, diag=text)

    tap.diag("elapsed %.2f s" % (time.monotonic() - t_start))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
