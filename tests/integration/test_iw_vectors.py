#!/usr/bin/python3
"""test_iw_vectors.py - every "interworking_vectors" case, through imgate's
translation code (gateway/xlate, gateway/status) via tests/iw/iw_tool.

One TAP point per expect key.  The vector file is found like the ENUM
vectors (IMGATE_VECTORS, else shared/docs beside the tree, else the copy
in the tree, tests/integration/vectors-public.json), so a file with more cases in the
same format runs the same way; so does every tests/iw/*.json (IDNA, IMDN <->
XEP-0184/0333, isComposing <-> XEP-0085: tests/iw/vectors-notify.json).  A
kind or an input shape this runner does not know is a failure, never a
silent pass.
"""

import glob
import json
import os
import subprocess
import sys

import imgtest
from imgtest import tap

TOOL = os.path.join(os.environ.get("IMGATE_BUILDDIR", os.getcwd()),
                    "tests", "iw", "iw_tool")


def run(kind, **kv):
    args = [TOOL, kind] + ["%s=%s" % (k, (v if isinstance(v, str)
                                          else str(v)).encode().hex())
                           for k, v in kv.items() if v is not None]
    p = subprocess.run(args, stdout=subprocess.PIPE, timeout=10)
    out = {}
    for line in p.stdout.decode().split("\n"):
        if "=" in line:
            k, v = line.split("=", 1)
            out[k] = bytes.fromhex(v).decode("utf-8", "replace")
    out["_rc"] = p.returncode
    return out


def sip_header_map(d):
    kv = {}
    for k, v in d.items():
        kv[k] = v
    return kv


def evaluate(v):
    kind, inp, exp = v["kind"], v["input"], v.get("expect", {})
    if kind == "sip_to_xmpp_address":
        return run("sip2jid", **{"in": inp})
    if kind == "xmpp_to_sip_address":
        got = run("jid2sip", **{"in": inp})
        got.update(run("jid2sipfrom", **{"in": inp}))
        return got
    if kind == "xmpp_to_cpim_address":
        got = run("jid2im", **{"in": inp})
        got["cpim"] = got.get("im")
        got["uri"] = got.get("im")
        return got
    if kind == "xmpp_error_to_sip":
        got = run("xerr2sip", condition=inp["condition"])
        if "sip_status" in got:
            got["sip_status"] = int(got["sip_status"])
        return got
    if kind == "sip_response_to_xmpp":
        return run("sip2xerr", code=inp["sip_status"])
    if kind == "uri_idna":
        return run("uri2ascii", **{"in": inp})
    if kind == "sip_notification_to_xmpp":
        sip = inp["sip"]
        got = run("sipnote2xmpp", **{"Content-Type": sip["Content-Type"],
                                     "body": sip.get("body", "")})
        got["sip_status"] = int(got.get("sip_status", 0))
        if got["sip_status"] == 200:
            x = {k: got.get(k) for k in ("kind", "notification", "ns",
                                          "id", "chatstate", "body",
                                          "imdn_message_id")}
            for b in ("request", "markable"):
                if b in got:
                    x[b] = got[b] == "true"
            if x["kind"] != "text":
                x["body"] = None
            got["xmpp"] = x
        return got
    if kind == "xmpp_chatstate_to_sip":
        got = run("chatstate2sip", chatstate=inp["xmpp"]["chatstate"])
        if "error" not in got:
            got["sip"] = {k: got.get(k) for k in ("Content-Type", "state")}
        return got
    if kind == "xmpp_notification_to_sip":
        x, c = inp["xmpp"], inp["correlation"]
        got = run("xmppnote2imdn", notification=x["notification"],
                  ns=x["ns"], orig_id=c["orig_id"], **{
                      "from": c["from"], "to": c["to"],
                      "message_id": c.get("message_id", "imgate-n-1"),
                      "datetime": c.get("datetime",
                                        "2026-12-06T18:00:00Z")})
        if "error" not in got:
            got["sip"] = {k: got.get(k) for k in (
                "Content-Type", "inner_content_type", "imdn_kind",
                "imdn_status", "message_id", "cpim_from", "cpim_to")}
        return got
    if kind in ("message_mapping", "size_limit"):
        if "sip" in inp:
            got = run("sip2xmpp", **sip_header_map(inp["sip"]))
            if "error" not in got:
                got.setdefault("type", None)
                return {"xmpp": {k: (v if v != "" else None)
                                 for k, v in got.items()
                                 if not k.startswith("_")}, **got}
            return got
        if "xmpp" in inp:
            x = dict(inp["xmpp"])
            limit = inp.get("limit") or inp.get("sip_limit")
            got = run("xmpp2sip", limit=limit, **x)
            sip = {k: v for k, v in got.items() if not k.startswith("_")
                   and k not in ("condition", "error_type", "error")}
            got["sip"] = sip
            if "condition" in got:
                got["xmpp_error"] = got["condition"]
            return got
    return None


def compare(got, want):
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return False
        for k, w in want.items():
            if w is None and got.get(k) in (None, "", "normal"):
                continue
            if not compare(got.get(k), w):
                return False
        return True
    if isinstance(want, str) and isinstance(got, str) and \
            want.lower().replace(" ", "").startswith("text/plain"):
        return got.lower().replace(" ", "") == want.lower().replace(" ", "")
    return got == want


def vector_files():
    """The public file, then every tests/iw/*.json, in name order."""
    data, path = imgtest.load_vectors()
    out = [(data, path)]
    src = os.environ.get("IMGATE_SRCDIR") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..")
    for p in sorted(glob.glob(os.path.join(src, "tests", "iw", "*.json"))):
        with open(p, encoding="utf-8") as f:
            out.append((json.load(f), p))
    return out


def main():
    if not os.access(TOOL, os.X_OK):
        print("Bail out! %s not built" % TOOL)
        return 1
    vecs = []
    for data, path in vector_files():
        more = data.get("interworking_vectors", []) \
            if isinstance(data, dict) else []
        tap.diag("%d interworking vectors from %s" % (len(more), path))
        vecs += more
    for v in vecs:
        try:
            got = evaluate(v)
        except (KeyError, TypeError, ValueError) as e:
            got = None
            tap.diag("%s: %s" % (v.get("id"), e))
        if got is None:
            tap.ok(False, "%s %s: kind or input shape not handled"
                   % (v.get("id"), v.get("kind")))
            continue
        for k, want in v.get("expect", {}).items():
            tap.ok(compare(got.get(k), want), "%s %s" % (v["id"], k),
                   diag="got %r want %r (all: %r)" % (got.get(k), want,
                                                       got))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
