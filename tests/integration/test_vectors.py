#!/usr/bin/python3
"""test_vectors.py - run imgate-lookup against every ENUM / RFC 3861 /
end-to-end vector of tests/integration/vectors-public.json (TAP).

For each vector of kind enum, im_srv or e2e: serve its `dns` list on a free
loopback port (imgtest.start_vector_dns: unbound local-data, with the
suite's fake server for what unbound cannot give), run

    imgate-lookup --json --server 127.0.0.1:PORT [client options] INPUT

and assert every key of the vector's `expect`, one TAP test point per key
("ok 12 - ENUM-031 naptr_queries").  Extra points per vector: a client key
without an imgate-lookup option, the exit status (0 routed, 2 no route,
3 temporary failure), and the NAPTR / SRV names the DNS server really
received (first-occurrence order) against expect.naptr_queries /
expect.srv_queries.

usage: test_vectors.py [--only ID,...] [--jobs N] [--backend auto|fakedns]
                       [--samples N] [VECTORS.json ...]
Without a file (and without IMGATE_VECTORS), vectors-rfc3263.json next to
this script runs after the public vectors.
environment:
  IMGATE_VECTORS     vectors file (default: shared/docs/vectors-public.json
                     beside the tree, else the copy in the tree,
                     tests/integration/vectors-public.json)
  IMGATE_LOOKUP      imgate-lookup binary (default $IMGATE_BUILDDIR/imgate-lookup,
                     IMGATE_BUILDDIR defaults to the current directory)
  IMGATE_LOOKUP_ARGS extra arguments put before the client options (shell words)
  IMGATE_KEEP_TMP=1  keep the DNS fixtures' folders
"""

import argparse
import collections
import concurrent.futures
import json
import os
import shlex
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imgtest  # noqa: E402
from imgtest import norm_owner  # noqa: E402

KINDS = ("enum", "im_srv", "e2e", "rfc3263")
# Run after the public vectors when no file is named: the RFC 3263 chains
# (NAPTR -> SRV -> A/AAAA, failover order) in the same format.
EXTRA_VECTORS = [os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              "vectors-rfc3263.json")]
LOOKUP_TIMEOUT = 30.0

# imgate-lookup's built-in policy (= `defaults` of vectors-public.json v1;
# docs/resolution-policy.md).
# A vector's effective policy (file defaults + vector client) is compared
# with this; every difference becomes an option, or a failure when
# imgate-lookup has no option for it.
BUILTIN = {
    "accept_enumservices": ["im"],
    "im_protocols": ["sip", "xmpp"],
    "accept_legacy_2916_syntax": True,
    "max_nonterminal_chain": 5,
    "strict_delimiter_count": True,
    "require_scheme_match": True,
    "implicit_srv_fallback": None,
    "allow_private_enumservices": False,
    "max_e164_digits": 15,
    "accept_input_forms": ["e164", "tel", "sip-user-phone"],
}


def _csv(v):
    return ",".join(str(x) for x in v)


def _implicit(v):
    if v is None:
        return ["--implicit-srv", "off"]
    if v in ("sip", "xmpp"):
        return ["--implicit-srv", v]
    return None


def _bool_flag(flag, when):
    return lambda v: [flag] if v == when else None


OPTIONS = {
    "accept_enumservices": lambda v: ["--enumservices", _csv(v)],
    "im_protocols": lambda v: ["--protocols", _csv(v)],
    "max_nonterminal_chain": lambda v: ["--max-chain", str(int(v))],
    "implicit_srv_fallback": _implicit,
    "allow_private_enumservices": _bool_flag("--allow-private", True),
    "accept_legacy_2916_syntax": _bool_flag("--no-legacy", False),
    "strict_delimiter_count": _bool_flag("--lax-delimiters", False),
    "require_scheme_match": _bool_flag("--no-scheme-check", False),
    "max_e164_digits": lambda v: ["--max-digits", str(int(v))],
    "accept_input_forms": lambda v: ["--input-forms", _csv(v)],
}


def client_options(defaults, client):
    """(argv, problems) for a vector's client overrides."""
    argv, problems = [], []
    eff = dict(defaults)
    eff.update(client or {})
    for key in sorted(eff):
        val = eff[key]
        if key not in OPTIONS:
            problems.append((key, "unknown client key %r = %s" % (key, json.dumps(val))))
            continue
        explicit = key in (client or {})
        if key in BUILTIN and val == BUILTIN[key] and not explicit:
            continue
        opt = OPTIONS[key](val)
        if opt is None:
            if key in BUILTIN and val == BUILTIN[key]:
                continue  # explicit, but the built-in default already
            problems.append((key, "no imgate-lookup option for %s = %s"
                             % (key, json.dumps(val))))
            continue
        argv += opt
    return argv, problems


class Points:
    """TAP points of one vector, printed in order once it is done."""

    def __init__(self, vid):
        self.vid = vid
        self.items = []

    def ok(self, cond, name, diag=None):
        self.items.append(("ok", bool(cond), "%s %s" % (self.vid, name), diag))
        return cond

    def is_(self, got, want, name):
        return self.ok(got == want, name,
                       "got:  %s\nwant: %s" % (json.dumps(got), json.dumps(want)))

    def skip(self, name, reason):
        self.items.append(("skip", True, "%s %s" % (self.vid, name), reason))

    def diag(self, msg):
        self.items.append(("diag", True, msg, None))

    def emit(self):
        for kind, cond, desc, extra in self.items:
            if kind == "ok":
                imgtest.ok(cond, desc, extra)
            elif kind == "skip":
                imgtest.skip(desc, extra)
            else:
                imgtest.diag(desc)


_MISSING = object()


def get(js, key):
    return js.get(key, _MISSING) if isinstance(js, dict) else _MISSING


def owners(lst):
    if not isinstance(lst, list):
        return lst
    return [norm_owner(x) if isinstance(x, str) else x for x in lst]


def first_occurrences(names):
    seen, out = set(), []
    for n in names:
        n = norm_owner(n)
        if n not in seen:
            seen.add(n)
            out.append(n)
    return out


# ------------------------------------------------------------ expect keys

def check_owner(pt, js, key, want):
    got = get(js, key)
    if got is _MISSING:
        return pt.ok(False, key, "imgate-lookup JSON has no %r" % key)
    g = norm_owner(got) if isinstance(got, str) else got
    w = norm_owner(want) if isinstance(want, str) else want
    return pt.ok(g == w, key, "got:  %s\nwant: %s" % (json.dumps(got), json.dumps(want)))


def check_owner_list(pt, js, key, want):
    got = get(js, key)
    if got is _MISSING:
        return pt.ok(False, key, "imgate-lookup JSON has no %r" % key)
    return pt.ok(owners(got) == owners(want), key,
                 "got:  %s\nwant: %s" % (json.dumps(got), json.dumps(want)))


def check_selected(pt, js, key, want):
    got = get(js, "selected_record")
    if not isinstance(got, dict):
        return pt.ok(False, key, "selected_record is %s" %
                     ("missing" if got is _MISSING else json.dumps(got)))
    errs = []
    for k, w in want.items():
        g = got.get(k, _MISSING)
        if k in ("owner", "replacement"):
            same = isinstance(g, str) and norm_owner(g) == norm_owner(w)
        else:
            same = g == w
        if not same:
            errs.append("%s: got %s want %s" % (k, "missing" if g is _MISSING
                                                else json.dumps(g), json.dumps(w)))
    return pt.ok(not errs, key, "\n".join(errs))


def check_discards(pt, js, key, want):
    got = get(js, "discards")
    if got is _MISSING or got is None:
        pt.skip(key, "imgate-lookup reports no discards")
        return
    have = set()
    for d in got if isinstance(got, list) else []:
        if isinstance(d, dict):
            have.add((norm_owner(str(d.get("owner"))), d.get("index"), d.get("reason")))
        elif isinstance(d, list) and len(d) == 3:
            have.add((norm_owner(str(d[0])), d[1], d[2]))
    missing = [w for w in want if (norm_owner(w[0]), w[1], w[2]) not in have]
    return pt.ok(not missing, key, "missing: %s\nreported: %s" %
                 (json.dumps(missing), json.dumps(got)))


def check_max_failure_cache(pt, js, key, want):
    got = get(js, "failure_cache_seconds")
    good = isinstance(got, (int, float)) and not isinstance(got, bool) and got <= want
    return pt.ok(good, key, "failure_cache_seconds %s, want <= %s" %
                 ("missing" if got is _MISSING else json.dumps(got), want))


def check_target_order(pt, js, key, want):
    got = get(js, "targets")
    if not isinstance(got, list):
        return pt.ok(False, key, "targets is %s" %
                     ("missing" if got is _MISSING else json.dumps(got)))
    hosts = [norm_owner(t.get("host", "")) if isinstance(t, dict) else t for t in got]
    return pt.ok(hosts == owners(want), key,
                 "got:  %s\nwant: %s" % (json.dumps(hosts), json.dumps(want)))


def check_priority_groups(pt, js, key, groups):
    errs = []
    layout = []  # (start, names Counter, group)
    pos = 0
    for g in groups:
        names = collections.Counter(norm_owner(m["target"]) for m in g["members"])
        layout.append((pos, names, g))
        pos += len(g["members"])
    total = pos

    def order_errors(seq):
        seq = [norm_owner(x) for x in seq]
        if len(seq) != total:
            return "length %d, want %d" % (len(seq), total)
        for start, names, g in layout:
            part = collections.Counter(seq[start:start + len(g["members"])])
            if part != names:
                return "positions %d..%d hold %s, want priority %s group %s" % (
                    start, start + len(g["members"]) - 1, sorted(part),
                    g.get("priority"), sorted(names))
        return None

    # the try order imgate reports in `targets`
    targets = get(js, "targets")
    if not isinstance(targets, list):
        errs.append("targets is %s" % ("missing" if targets is _MISSING else json.dumps(targets)))
    else:
        e = order_errors([t.get("host", "") for t in targets if isinstance(t, dict)])
        if e:
            errs.append("targets: " + e)
        members = {norm_owner(m["target"]): m for g in groups for m in g["members"]}
        for t in targets:
            m = members.get(norm_owner(t.get("host", "")))
            if m and any(t.get(k) != m[k] for k in ("port", "priority", "weight")):
                errs.append("targets: %s has port/priority/weight %s/%s/%s, want %s/%s/%s"
                            % (t.get("host"), t.get("port"), t.get("priority"),
                               t.get("weight"), m["port"], m["priority"], m["weight"]))
    samples = get(js, "srv_order_samples")
    if not isinstance(samples, list) or len(samples) < 100:
        errs.append("srv_order_samples missing or too short (%s)" %
                    (len(samples) if isinstance(samples, list) else "none"))
        return pt.ok(False, key, "\n".join(errs))
    bad = [(i, s) for i, s in enumerate(samples) if order_errors(s)]
    if bad:
        i, s = bad[0]
        errs.append("%d of %d samples break the priority groups; sample %d %s: %s"
                    % (len(bad), len(samples), i, json.dumps(s), order_errors(s)))
    n = len(samples)
    for start, names, g in layout:
        if len(g["members"]) < 2:
            continue
        firsts = collections.Counter(norm_owner(s[start]) for s in samples
                                     if len(s) > start)
        wsum = sum(m["weight"] for m in g["members"])
        shares = g.get("approx_first_pick_share") or {}
        for name, approx in shares.items():
            m = next((m for m in g["members"] if norm_owner(m["target"]) == norm_owner(name)), None)
            got = firsts[norm_owner(name)] / n
            # the vectors accept both readings of RFC 2782: the inclusive draw
            # (approx_first_pick_share) and the continuous one (w / sum)
            cont = (m["weight"] / wsum) if (m and wsum) else approx
            lo, hi = min(approx, cont) - 0.05, max(approx, cont) + 0.05
            if not lo <= got <= hi:
                errs.append("priority %s: %s first in %.3f of samples, want %.2f..%.2f"
                            % (g.get("priority"), name, got, lo, hi))
        if "weight0_first_pick_max" in g:
            mx = g["weight0_first_pick_max"]
            for m in g["members"]:
                if m["weight"] == 0:
                    got = firsts[norm_owner(m["target"])] / n
                    if got > mx + 0.03:
                        errs.append("priority %s: weight-0 %s first in %.3f of samples, "
                                    "want <= %.3f" % (g.get("priority"), m["target"], got,
                                                      mx + 0.03))
    return pt.ok(not errs, key, "\n".join(errs))


def check_rfc3263(pt, js, key, want):
    """expect.rfc3263: step, error, queries as "TYPE name" and hops as
    "transport address port", against imgate-lookup's rfc3263 object."""
    got = js.get("rfc3263")
    if want is None:
        # the daemon refuses before RFC 3263 (a sips: URI without TLS)
        return pt.ok(got is None, key, "rfc3263 %s, want null" %
                     json.dumps(got))
    if not isinstance(got, dict):
        return pt.ok(False, key, "imgate-lookup JSON has no rfc3263 object")
    flat = {
        "step": got.get("step"),
        "error": got.get("error"),
        "queries": ["%s %s" % (q.get("type"), norm_owner(q.get("name", "")))
                    for q in got.get("queries", [])],
        "hops": ["%s %s %s" % (h.get("transport"), h.get("address"),
                               h.get("port")) for h in got.get("hops", [])],
    }
    return pt.is_({k: flat.get(k) for k in want}, want, key)


def check_plain(pt, js, key, want):
    got = get(js, key)
    if got is _MISSING:
        return pt.ok(False, key, "imgate-lookup JSON has no %r" % key)
    return pt.is_(got, want, key)


CHECKS = {
    "first_key": check_owner,
    "srv_owner": check_owner,
    "naptr_queries": check_owner_list,
    "srv_queries": check_owner_list,
    "selected_record": check_selected,
    "expected_discards": check_discards,
    "max_failure_cache_seconds": check_max_failure_cache,
    "priority_groups": check_priority_groups,
    "target_order": check_target_order,
    "rfc3263": check_rfc3263,
}


def expected_exit(v):
    """0 routed, 2 no route, 3 temporary failure; None when the vector does
    not say (an enum vector without `error` only covers the ENUM step: what
    the routing after it gives is not specified)."""
    expect = v.get("expect", {})
    if "error" in expect and expect["error"] is not None:
        return 3 if expect["error"] == "E_DNS_TEMPFAIL" else 2
    if "error" in expect or v.get("kind") in ("im_srv", "e2e", "rfc3263"):
        return 0
    return None


# ------------------------------------------------------------ one vector

def run_vector(v, defaults, lookup, extra_args, backend, samples, procs):
    pt = Points(v["id"])
    expect = v.get("expect", {})
    argv, problems = client_options(defaults, v.get("client"))
    for key, why in problems:
        pt.ok(False, "client %s" % key, why)
    t0 = time.monotonic()
    try:
        fx = imgtest.start_vector_dns(v.get("dns") or [], procs=procs, backend=backend)
    except Exception as e:
        for key in expect:
            pt.ok(False, key, "DNS fixture did not start: %s" % e)
        return pt
    cmd = [lookup, "--json", "--server", "127.0.0.1:%d" % fx.port] + extra_args + argv
    if "priority_groups" in expect:
        cmd += ["--srv-samples", str(samples), "--seed", "1"]
    inp = v["input"]
    cmd += (["--", inp] if inp.startswith("-") else [inp])
    js, why = None, None
    try:
        r = procs.run(cmd, timeout=LOOKUP_TIMEOUT)
        rc, out, err = r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = None, e.stdout or b"", e.stderr or b""
        why = "timed out after %.0f s" % LOOKUP_TIMEOUT
    except OSError as e:
        rc, out, err = None, b"", b""
        why = "cannot run %s: %s" % (lookup, e)
    elapsed = time.monotonic() - t0
    if why is None:
        try:
            js = json.loads(out.decode("utf-8"))
            if not isinstance(js, dict):
                why = "JSON output is not an object"
        except (ValueError, UnicodeError) as e:
            why = "output is not JSON (%s)" % e
    if why is not None:
        detail = "%s\ncommand: %s\nexit: %s\nstdout: %s\nstderr: %s" % (
            why, " ".join(shlex.quote(c) for c in cmd), rc,
            out[-800:].decode("utf-8", "replace"), err[-800:].decode("utf-8", "replace"))
        for key in expect:
            pt.ok(False, key, detail)
        pt.ok(False, "exit status", detail)
        fx.stop()
        return pt
    for key, want in expect.items():
        CHECKS.get(key, check_plain)(pt, js, key, want)
    want_rc = expected_exit(v)
    if want_rc is None:
        # ENUM succeeded; what RFC 3861 then finds in this vector's DNS
        # is unspecified, but it can only be a route (0) or no route (2)
        # with a post-ENUM error, never an ENUM or number error.
        post_enum = (None, "E_IM_NO_COMMON_PROTOCOL", "E_INVALID_IM_URI")
        pt.ok(rc in (0, 2) and js.get("error") in post_enum,
              "exit status", "exit %s, error %s" % (rc, js.get("error")))
    else:
        pt.ok(rc == want_rc, "exit status", "exit %s, want %d (error %s)\nstderr: %s" % (
            rc, want_rc, json.dumps(expect.get("error")), err[-500:].decode("utf-8", "replace")))
    # what the DNS server really received
    seen = fx.queries()
    # RFC 3263 asks NAPTR (and SRV) of a sip: URI's domain after ENUM:
    # imgate-lookup lists those under rfc3263, not in naptr_queries /
    # srv_queries, so the server log is compared without them.
    later = {(norm_owner(q.get("name", "")), q.get("type"))
             for q in (js.get("rfc3263") or {}).get("queries", [])}
    listed = {(norm_owner(n), t) for key, t in (("naptr_queries", "NAPTR"),
                                                 ("srv_queries", "SRV"))
              for n in (js.get(key) or [])}
    for key, qtype in (("naptr_queries", "NAPTR"), ("srv_queries", "SRV")):
        if key in expect:
            got = first_occurrences(
                n for n, t in seen if t == qtype and
                ((norm_owner(n), t) not in later or (norm_owner(n), t)
                 in listed))
            pt.ok(got == owners(expect[key]), "%s (DNS server log)" % key,
                  "server received: %s\nwant: %s" % (json.dumps(got), json.dumps(expect[key])))
    fx.stop()
    pt.diag("%s: %s backend, %.0f ms" % (v["id"], fx.backend, elapsed * 1000))
    return pt


def default_lookup():
    if os.environ.get("IMGATE_LOOKUP"):
        return os.environ["IMGATE_LOOKUP"]
    return os.path.join(os.environ.get("IMGATE_BUILDDIR") or os.getcwd(), "imgate-lookup")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("vectors", nargs="*")
    ap.add_argument("--only", help="comma-separated vector ids")
    ap.add_argument("--jobs", "-j", type=int, default=4)
    ap.add_argument("--backend", default="auto", choices=("auto", "fakedns"))
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--lookup", default=default_lookup())
    args = ap.parse_args()
    files = args.vectors or [None] + (
        [] if os.environ.get("IMGATE_VECTORS") else EXTRA_VECTORS)
    vectors, data = [], None
    for f in files:
        d, path = imgtest.load_vectors(f)
        imgtest.diag("vectors: %s" % path)
        vectors += [v for v in d["vectors"] if v.get("kind") in KINDS]
        data = data or d
    imgtest.diag("imgate-lookup: %s" % args.lookup)
    if args.only:
        ids = set(args.only.split(","))
        vectors = [v for v in vectors if v["id"] in ids]
    defaults = data.get("defaults", {})
    for key in sorted(set(defaults) - set(BUILTIN)):
        imgtest.ok(False, "defaults %s" % key, "vectors file default %r unknown to this runner"
                   % key)
    if not os.access(args.lookup, os.X_OK):
        imgtest.bail_out("imgate-lookup not found or not executable: %s" % args.lookup)
    extra = shlex.split(os.environ.get("IMGATE_LOOKUP_ARGS", ""))
    t0 = time.monotonic()
    with imgtest.Procs("vectors") as procs:
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as ex:
            futs = [ex.submit(run_vector, v, defaults, args.lookup, extra,
                              args.backend, args.samples, procs) for v in vectors]
            for v, f in zip(vectors, futs):
                try:
                    f.result().emit()
                except Exception as e:
                    imgtest.ok(False, "%s runner" % v["id"], "%s: %s" % (type(e).__name__, e))
    imgtest.diag("%d vectors in %.2f s" % (len(vectors), time.monotonic() - t0))
    return imgtest.done()


if __name__ == "__main__":
    sys.exit(main())
