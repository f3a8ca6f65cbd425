#!/usr/bin/env python3
"""One SIP <-> XMPP mapping: the edges call gateway/xlate's mappers and
do not map again themselves (issue 12, "the daemon runs the mapping the
vectors test").  TAP.

What is checked, in every C file under gateway/ outside gateway/xlate/
(folders included, so files that move stay covered):

1. The XMPP edge calls both RFC 7572 message mappers,
   xlate_sip_to_xmpp_msg() and xlate_xmpp_to_sip_msg().
2. The pieces those mappers are built from are not called from outside
   gateway/xlate/: content-type classification, the CPIM parser and
   unescaper, UTF-8 checks, XEP-0106 escaping and the per-sender address
   functions (routing/imaddr's primitives likewise).  An edge that calls
   them is mapping a message itself.  The address functions an edge may
   call to decide where a reply goes (xlate_gw_jid_to_sip(),
   xlate_gw_sip_to_xmpp()) and the notification functions of
   gateway/xlate/xlate_imdn.h are not in this list.
3. In the XMPP edge the header values the transaction carries (subject,
   language, Call-ID) are read only into the mapper's input
   ("in.subject = t->subject") and written only from its output
   ("t->subject = txn_strndup(xout.subject ...") or freed: a <subject/>,
   xml:lang or <thread/> written from them directly is a second mapping.
4. No RFC 3261 word character set (a strspn() over "-.!%*_+...") outside
   gateway/xlate/: a Call-ID is judged by the mapper.
5. routing/ never assembles an XMPP recipient from parts with a format
   string ("%s@%s"): an im: destination becomes a JID through
   routing/imaddr.
"""
import glob
import os
import re
import sys

SRC = os.environ.get("IMGATE_SRCDIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..")

PIECES = [
    "xlate_content_type_ok", "xlate_content_type_okn", "xlate_cpim_parse",
    "xlate_cpim_unescape", "xlate_utf8_check", "xlate_jid_escape",
    "xlate_jid_unescape", "xlate_sip_to_jid", "xlate_jid_to_sip",
    "xlate_jid_to_sip_from", "xlate_sip_sender_to_gw_jid",
    "xlate_xmpp_sender_to_gw_sip", "xlate_xmpp_sender_to_gw_jid",
    "xlate_im_to_jid", "xlate_jid_to_im", "imaddr_im_to_jid",
    "imaddr_jid_escape", "imaddr_escape_to", "imaddr_text_check",
]

tests = []


def ok(cond, name, diag=None):
    tests.append((bool(cond), name, diag))


def strip_comments(text):
    """The code without its /* */ comments, line numbers kept."""
    return re.sub(r"/\*.*?\*/",
                  lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)


def statements(code):
    """(line, statement) pairs: the code split at ';', '{' and '}'."""
    out, start, line = [], 0, 1
    for i, c in enumerate(code):
        if c in ";{}":
            out.append((line, code[start:i + 1]))
            start = i + 1
        if c == "\n":
            line += 1
    return out


def edge_files():
    files = []
    for p in sorted(glob.glob(os.path.join(SRC, "gateway", "**", "*.c"),
                              recursive=True)):
        rel = os.path.relpath(p, SRC)
        if rel.startswith(os.path.join("gateway", "xlate") + os.sep):
            continue
        files.append(rel)
    return files


def main():
    files = edge_files()
    code = {f: strip_comments(open(os.path.join(SRC, f),
                                   encoding="utf-8").read()) for f in files}
    xmpp = [f for f in files if os.path.basename(f).startswith("xmppgw")]

    # 1
    for fn in ("xlate_sip_to_xmpp_msg", "xlate_xmpp_to_sip_msg"):
        ok(any(re.search(r"\b%s\s*\(" % fn, code[f]) for f in xmpp),
           "the XMPP edge calls %s()" % fn)

    # 2
    for fn in PIECES:
        hits = ["%s:%d" % (f, code[f][:m.start()].count("\n") + 1)
                for f in files
                for m in re.finditer(r"\b%s\s*\(" % fn, code[f])]
        ok(not hits, "%s() only inside gateway/xlate/" % fn,
           "called from " + ", ".join(hits) if hits else None)

    # 3
    field = re.compile(r"\bt->(subject|lang|call_id)\b")
    allowed = [
        re.compile(r"^\s*in\.\w+\s*=\s*t->\w+\s*;$"),
        re.compile(r"^\s*t->\w+\s*=\s*txn_strndup\s*\(\s*xout\.\w+"),
        re.compile(r"^\s*free\s*\(\s*t->\w+\s*\)\s*;$"),
    ]
    bad = []
    for f in xmpp:
        for line, st in statements(code[f]):
            if not field.search(st):
                continue
            s = " ".join(st.split())
            s = re.sub(r"^(if|else|while|for)\b.*?\)\s*", "", s)
            if not any(a.search(s) for a in allowed):
                bad.append("%s:%d: %s" % (f, line, s[:70]))
    ok(not bad, "the XMPP edge takes subject, xml:lang and thread from "
       "the mappers", "; ".join(bad) if bad else None)

    # 4
    hits = ["%s:%d" % (f, code[f][:m.start()].count("\n") + 1)
            for f in files
            for m in re.finditer(r"strspn\s*\([^;]*-\.!%\*_\+", code[f])]
    ok(not hits, "no Call-ID character set outside gateway/xlate/",
       ", ".join(hits) if hits else None)

    # 5
    hits = []
    for p in sorted(glob.glob(os.path.join(SRC, "routing", "*.c"))):
        c = strip_comments(open(p, encoding="utf-8").read())
        for line, st in statements(c):
            if re.search(r"printf\s*\(\s*[^,]*xmpp_to\b[^;]*\"[^\"]*@",
                         st):
                hits.append("%s:%d" % (os.path.relpath(p, SRC), line))
    ok(not hits, "routing/ assembles no JID with a format string",
       ", ".join(hits) if hits else None)

    for i, (good, name, diag) in enumerate(tests, 1):
        print("%s %d - %s" % ("ok" if good else "not ok", i, name))
        if not good and diag:
            print("# " + diag)
    print("1..%d" % len(tests))
    return 0 if all(t[0] for t in tests) else 1


if __name__ == "__main__":
    sys.exit(main())
