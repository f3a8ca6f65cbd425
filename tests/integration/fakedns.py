#!/usr/bin/python3
"""fakedns.py - the test suite's own small authoritative DNS responder.

Answers exactly what a test vector's `dns` list says, including the things
a real server cannot be told to do: SERVFAIL/REFUSED, truncation, delays,
silence, malformed rdata, the AD bit.  UDP and TCP on one loopback port,
stdlib only (sockets + selectors), one thread.

Answer format (the `dns` list of vectors-public.json plus extras):
  {"owner": "x.e164.arpa.", "type": "NAPTR", "rcode": "NOERROR",
   "ttl": 3600, "rrs": [ {...}, ... ],        # served in this order
   "soa": {"ttl": 300, "minimum": 3600},      # negative answers: SOA in authority
   "cname": "target.example.",                # owner is an alias
   # extras understood only by this server:
   "tc": true,          # UDP: TC=1 and no records; TCP: the full answer
   "delay_ms": 1500,    # hold the answer this long (UDP and TCP)
   "drop": true,        # never answer
   "malformed": true,   # garbage rdata in every RR (also per rr: {"malformed": true})
   "ad": true,          # set the AD bit
   "aa": false,         # clear the AA bit (default set)
   "forge": ["bad_id", "wrong_case", "other_question"],
                        # UDP, first query for this owner/type only: send
                        # these forged answers (records "forge_rrs") at
                        # once, before the genuine one: another ID; the
                        # question with the case of its letters swapped;
                        # another question name with the query's ID;
                        # "empty": a zero-length datagram
   "forge_rrs": [...]}  # the forged answers' records (default: rrs)
  rcode: NOERROR NXDOMAIN SERVFAIL REFUSED FORMERR NOTIMP (or a number);
  TIMEOUT means the same as "drop": true.
  rr fields: NAPTR {order, preference, flags, services, regexp, replacement}
  (strings are the wire values), SRV {priority, weight, port, target},
  A {address}, AAAA {address}, CNAME {target}, NS/PTR {target},
  TXT {strings: [...]} or {text}, SOA {mname, rname, serial, refresh, retry,
  expire, minimum}.  A per-rr "ttl" overrides the answer's ttl.
  soa may also carry owner, mname, rname, serial, refresh, retry, expire.
  Default SOA owner: the owner itself for NOERROR (NODATA), the parent of the
  owner for NXDOMAIN.
A query for an (owner, type) that is not listed gets NXDOMAIN without SOA,
unless the owner has an answer with "cname" (then the alias is followed for
every type).  Owners compare case-insensitively.

Script:  fakedns.py [--host 127.0.0.1] [--port 0] [--log FILE] FILE.json
  FILE.json holds a `dns` list, or an object with a "dns" key (a vector).
  Prints "fakedns ready 127.0.0.1 PORT" on stdout once both sockets listen.
  Stops on SIGTERM/SIGINT.
Module:  srv = fakedns.start(answers, port=0, host="127.0.0.1", log=None)
         srv.port, srv.queries() -> [(transport, name, type)], srv.stop()
         srv.query_details() -> [{transport, id, name (case as received),
         type, port (the client's source port)}]
         srv.echo_lower = True: answer with the question name lower-cased
         (a server that does not echo DNS 0x20 case)
         srv.query_flags() -> [(name, type, ad, do)]: the AD header bit
         and the EDNS DO bit of each query
Log:     one line per query "udp|tcp NAME TYPE" (name as received).
"""

import argparse
import heapq
import ipaddress
import json
import os
import random
import selectors
import signal
import socket
import struct
import sys
import threading
import time

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15,
         "TXT": 16, "AAAA": 28, "SRV": 33, "NAPTR": 35, "OPT": 41,
         "DS": 43, "RRSIG": 46, "NSEC": 47, "DNSKEY": 48, "ANY": 255}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
RCODES = {"NOERROR": 0, "FORMERR": 1, "SERVFAIL": 2, "NXDOMAIN": 3,
          "NOTIMP": 4, "REFUSED": 5}
RCODE_NAMES = {v: k for k, v in RCODES.items()}


def type_code(t):
    if isinstance(t, int):
        return t
    t = str(t).upper()
    if t in TYPES:
        return TYPES[t]
    if t.startswith("TYPE") and t[4:].isdigit():
        return int(t[4:])
    raise ValueError("unknown RR type %r" % t)


def type_name(code):
    return TYPE_NAMES.get(code, "TYPE%d" % code)


def rcode_code(r):
    if isinstance(r, int):
        return r
    return RCODES[str(r).upper()]


def rcode_name(code):
    return RCODE_NAMES.get(code, "RCODE%d" % code)


def norm(name):
    """Canonical owner: lower case, absolute, root is '.'."""
    name = str(name).strip().lower()
    if name in ("", "."):
        return "."
    return name.rstrip(".") + "."


def parent(name):
    name = norm(name)
    if name == ".":
        return "."
    rest = name.split(".", 1)[1]
    return rest if rest else "."


# ---------------------------------------------------------------- encoding

def encode_name(name):
    """Uncompressed wire name.  Labels are taken literally (no escapes)."""
    name = str(name)
    if name in ("", "."):
        return b"\x00"
    out = b""
    for label in name.rstrip(".").split("."):
        raw = label.encode("ascii")
        if not 0 < len(raw) < 64:
            raise ValueError("bad label in %r" % name)
        out += bytes([len(raw)]) + raw
    return out + b"\x00"


def encode_cstr(s):
    raw = s.encode("utf-8") if isinstance(s, str) else bytes(s)
    if len(raw) > 255:
        raise ValueError("character-string longer than 255 octets")
    return bytes([len(raw)]) + raw


def encode_rdata(rtype, rr):
    t = type_code(rtype)
    if "rdata_hex" in rr:
        return bytes.fromhex(rr["rdata_hex"])
    if t == TYPES["A"]:
        return ipaddress.IPv4Address(rr["address"]).packed
    if t == TYPES["AAAA"]:
        return ipaddress.IPv6Address(rr["address"]).packed
    if t in (TYPES["CNAME"], TYPES["NS"], TYPES["PTR"]):
        return encode_name(rr.get("target") or rr.get("cname") or rr["name"])
    if t == TYPES["MX"]:
        return struct.pack("!H", rr["preference"]) + encode_name(rr["exchange"])
    if t == TYPES["TXT"]:
        strings = rr.get("strings")
        if strings is None:
            strings = [rr.get("text", "")]
        return b"".join(encode_cstr(s) for s in strings)
    if t == TYPES["SRV"]:
        return struct.pack("!HHH", rr["priority"], rr["weight"], rr["port"]) \
            + encode_name(rr["target"])
    if t == TYPES["NAPTR"]:
        # RFC 3403 4.1: the replacement is never compressed.
        return struct.pack("!HH", rr["order"], rr["preference"]) \
            + encode_cstr(rr["flags"]) + encode_cstr(rr["services"]) \
            + encode_cstr(rr["regexp"]) + encode_name(rr["replacement"])
    if t == TYPES["SOA"]:
        return encode_name(rr["mname"]) + encode_name(rr["rname"]) \
            + struct.pack("!IIIII", rr.get("serial", 1), rr.get("refresh", 3600),
                          rr.get("retry", 600), rr.get("expire", 86400),
                          rr["minimum"])
    raise ValueError("cannot encode rdata of type %s" % type_name(t))


def garbage_rdata(rdata):
    """Rdata that no parser can take: a length octet pointing past the end."""
    return rdata[:4] + b"\xffgarbage"


def build_query(name, qtype, qid=None, rd=True, ad=False, cd=False,
                edns=None, do=False):
    """A query message.  edns=UDP payload size adds an OPT RR (do sets DO)."""
    if qid is None:
        qid = random.randrange(0x10000)
    flags = (0x0100 if rd else 0) | (0x0020 if ad else 0) | (0x0010 if cd else 0)
    ar = 1 if (edns or do) else 0
    msg = struct.pack("!HHHHHH", qid, flags, 1, 0, 0, ar)
    msg += encode_name(name) + struct.pack("!HH", type_code(qtype), 1)
    if ar:
        msg += b"\x00" + struct.pack("!HHIH", 41, edns or 1232,
                                     0x8000 if do else 0, 0)
    return msg


# ---------------------------------------------------------------- decoding

class ParseError(Exception):
    pass


def decode_name(msg, off):
    """(name, next offset).  Follows compression pointers."""
    labels = []
    jumped = False
    end = off
    hops = 0
    while True:
        if off >= len(msg):
            raise ParseError("name runs past the message")
        ln = msg[off]
        if ln & 0xC0 == 0xC0:
            if off + 1 >= len(msg):
                raise ParseError("truncated pointer")
            ptr = ((ln & 0x3F) << 8) | msg[off + 1]
            if not jumped:
                end = off + 2
            jumped = True
            hops += 1
            if hops > 64 or ptr >= len(msg):
                raise ParseError("bad compression pointer")
            off = ptr
            continue
        if ln & 0xC0:
            raise ParseError("bad label type")
        off += 1
        if ln == 0:
            if not jumped:
                end = off
            break
        if off + ln > len(msg):
            raise ParseError("label runs past the message")
        labels.append(msg[off:off + ln].decode("latin-1"))
        off += ln
    return (".".join(labels) + "." if labels else "."), end


def decode_cstr(msg, off, end):
    if off >= end:
        raise ParseError("character-string past rdata end")
    ln = msg[off]
    if off + 1 + ln > end:
        raise ParseError("character-string runs past rdata")
    return msg[off + 1:off + 1 + ln].decode("utf-8", "surrogateescape"), off + 1 + ln


def decode_rdata(t, msg, off, rdlen):
    end = off + rdlen
    if t == TYPES["A"]:
        if rdlen != 4:
            raise ParseError("A rdlength %d" % rdlen)
        return {"address": str(ipaddress.IPv4Address(msg[off:end]))}
    if t == TYPES["AAAA"]:
        if rdlen != 16:
            raise ParseError("AAAA rdlength %d" % rdlen)
        return {"address": str(ipaddress.IPv6Address(msg[off:end]))}
    if t in (TYPES["CNAME"], TYPES["NS"], TYPES["PTR"]):
        name, n = decode_name(msg, off)
        if n != end:
            raise ParseError("name rdata length mismatch")
        return {"target": name}
    if t == TYPES["SRV"]:
        if rdlen < 7:
            raise ParseError("short SRV")
        pri, w, port = struct.unpack("!HHH", msg[off:off + 6])
        name, n = decode_name(msg, off + 6)
        if n != end:
            raise ParseError("SRV rdata length mismatch")
        return {"priority": pri, "weight": w, "port": port, "target": name}
    if t == TYPES["NAPTR"]:
        if rdlen < 8:
            raise ParseError("short NAPTR")
        order, pref = struct.unpack("!HH", msg[off:off + 4])
        o = off + 4
        flags, o = decode_cstr(msg, o, end)
        services, o = decode_cstr(msg, o, end)
        regexp, o = decode_cstr(msg, o, end)
        if o < len(msg) and msg[o] & 0xC0:
            raise ParseError("compressed NAPTR replacement")
        repl, o = decode_name(msg, o)
        if o != end:
            raise ParseError("NAPTR rdata length mismatch")
        return {"order": order, "preference": pref, "flags": flags,
                "services": services, "regexp": regexp, "replacement": repl}
    if t == TYPES["SOA"]:
        mname, o = decode_name(msg, off)
        rname, o = decode_name(msg, o)
        if o + 20 != end:
            raise ParseError("SOA rdata length mismatch")
        serial, refresh, retry, expire, minimum = struct.unpack("!IIIII", msg[o:o + 20])
        return {"mname": mname, "rname": rname, "serial": serial,
                "refresh": refresh, "retry": retry, "expire": expire,
                "minimum": minimum}
    if t == TYPES["TXT"]:
        o, strings = off, []
        while o < end:
            s, o = decode_cstr(msg, o, end)
            strings.append(s)
        return {"strings": strings}
    return {"rdata_hex": msg[off:end].hex()}


def parse_message(msg):
    """Parse a DNS message into a dict.

    {"id", "qr", "opcode", "aa", "tc", "rd", "ra", "ad", "cd", "rcode"
     (name, e.g. "NOERROR"), "question": [(name, type, class)],
     "answer"/"authority"/"additional": [ {name, type (name), class, ttl,
     rdata (dict), raw (bytes), error (str, only if unparseable)} ],
     "edns": None or {"udp_size", "do", "ext_rcode"}}.
    Unparseable rdata does not raise: the RR gets an "error" key."""
    if len(msg) < 12:
        raise ParseError("short header")
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
    res = {"id": qid, "qr": bool(flags & 0x8000), "opcode": (flags >> 11) & 15,
           "aa": bool(flags & 0x0400), "tc": bool(flags & 0x0200),
           "rd": bool(flags & 0x0100), "ra": bool(flags & 0x0080),
           "ad": bool(flags & 0x0020), "cd": bool(flags & 0x0010),
           "rcode_num": flags & 15, "question": [], "answer": [],
           "authority": [], "additional": [], "edns": None}
    off = 12
    for _ in range(qd):
        name, off = decode_name(msg, off)
        if off + 4 > len(msg):
            raise ParseError("truncated question")
        qt, qc = struct.unpack("!HH", msg[off:off + 4])
        off += 4
        res["question"].append((name, type_name(qt), qc))
    for section, count in (("answer", an), ("authority", ns), ("additional", ar)):
        for _ in range(count):
            name, off = decode_name(msg, off)
            if off + 10 > len(msg):
                raise ParseError("truncated RR header")
            t, c, ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
            off += 10
            if off + rdlen > len(msg):
                raise ParseError("rdata runs past the message")
            rr = {"name": name, "type": type_name(t), "class": c, "ttl": ttl,
                  "raw": msg[off:off + rdlen]}
            if t == TYPES["OPT"]:
                res["edns"] = {"udp_size": c, "do": bool(ttl & 0x8000),
                               "ext_rcode": ttl >> 24}
            else:
                try:
                    rr["rdata"] = decode_rdata(t, msg, off, rdlen)
                except (ParseError, ValueError, UnicodeError) as e:
                    rr["error"] = str(e)
                    rr["rdata"] = {"rdata_hex": msg[off:off + rdlen].hex()}
            off += rdlen
            res[section].append(rr)
    rc = res["rcode_num"]
    if res["edns"]:
        rc |= res["edns"]["ext_rcode"] << 4
    res["rcode_num"] = rc
    res["rcode"] = rcode_name(rc)
    return res


# ---------------------------------------------------------------- answers

def load_answers(obj):
    """Accept a dns list, a vector (dict with 'dns'), or a JSON file path."""
    if isinstance(obj, (str, os.PathLike)):
        with open(obj, encoding="utf-8") as f:
            obj = json.load(f)
    if isinstance(obj, dict):
        obj = obj["dns"]
    return list(obj)


class Reply:
    __slots__ = ("data", "delay", "drop", "tc_data", "pre")

    def __init__(self, data=None, delay=0.0, drop=False, tc_data=None,
                 pre=None):
        self.data, self.delay, self.drop, self.tc_data = data, delay, drop, tc_data
        self.pre = pre or []    # UDP datagrams sent at once, before data


def swap_letter_case(question):
    """The question section (name + type + class) with the case of every
    letter of the name swapped."""
    out = bytearray(question)
    off = 0
    while off < len(out) - 4 and out[off]:
        n = out[off]
        for i in range(off + 1, min(off + 1 + n, len(out) - 4)):
            c = out[i]
            if 65 <= c <= 90 or 97 <= c <= 122:
                out[i] = c ^ 0x20
        off += n + 1
    return bytes(out)


def lower_name(question):
    """The question section with the letters of the name in lower case."""
    out = bytearray(question)
    for i in range(len(out) - 4):
        if 65 <= out[i] <= 90:
            out[i] |= 0x20
    return bytes(out)


class Responder:
    """Turns a query into a response, following the answer list."""

    def __init__(self, answers):
        self.answers = load_answers(answers)
        self.echo_lower = False
        self.forged = set()
        self.by_key = {}
        self.cname_of = {}
        for i, a in enumerate(self.answers):
            if str(a.get("rcode", "")).upper() == "TIMEOUT":
                a = self.answers[i] = dict(a, drop=True, rcode="NOERROR")
            # fail at load time, not inside the server thread
            rcode_code(a.get("rcode", "NOERROR"))
            for rr in a.get("rrs") or []:
                encode_rdata(rr.get("type", a["type"]), rr)
            key = (norm(a["owner"]), type_code(a["type"]))
            # the first entry for a key wins (a list should not repeat keys)
            self.by_key.setdefault(key, a)
            if a.get("cname"):
                self.cname_of.setdefault(norm(a["owner"]), a)

    def lookup(self, name, qtype):
        a = self.by_key.get((norm(name), qtype))
        if a is not None and not a.get("cname"):
            return a
        return self.cname_of.get(norm(name), a)

    @staticmethod
    def _rr(owner_wire, t, ttl, rdata):
        return owner_wire + struct.pack("!HHIH", t, 1, ttl, len(rdata)) + rdata

    def _soa_rr(self, a, qname_wire_is_owner, owner):
        soa = a["soa"]
        rc = rcode_code(a.get("rcode", "NOERROR"))
        sowner = soa.get("owner") or (owner if rc == 0 else parent(owner))
        zone = norm(sowner)
        zone_label = "" if zone == "." else zone
        rdata = encode_rdata("SOA", {
            "mname": soa.get("mname", "ns." + zone_label if zone_label else "ns."),
            "rname": soa.get("rname", "hostmaster." + zone_label if zone_label else "hostmaster."),
            "serial": soa.get("serial", 1), "refresh": soa.get("refresh", 3600),
            "retry": soa.get("retry", 600), "expire": soa.get("expire", 86400),
            "minimum": soa.get("minimum", soa.get("ttl", 3600))})
        return self._rr(encode_name(sowner), 6, soa.get("ttl", 3600), rdata)

    def respond(self, query, transport):
        """Return a Reply for raw query bytes (None data = no answer)."""
        try:
            q = parse_message(query)
        except ParseError:
            if len(query) >= 12:
                qid = struct.unpack("!H", query[:2])[0]
                return Reply(struct.pack("!HHHHHH", qid, 0x8001, 0, 0, 0, 0))
            return Reply(drop=True)
        if q["qr"] or len(q["question"]) != 1:
            if q["qr"]:
                return Reply(drop=True)
            return Reply(struct.pack("!HHHHHH", q["id"], 0x8001, 0, 0, 0, 0))
        qname, qtname, qclass = q["question"][0]
        qtype = type_code(qtname)
        # the question exactly as received (keeps the 0x20 case pattern)
        qend = 12
        _, qend = decode_name(query, 12)
        question = query[12:qend + 4]
        if self.echo_lower:
            question = lower_name(question)
        owner_ptr = b"\xc0\x0c"

        answer, authority = [], []
        aa, ad, tc, delay, drop = True, False, False, 0.0, False
        rcode = 3  # not listed: NXDOMAIN without SOA
        name, name_wire = qname, owner_ptr
        seen = set()
        for _hop in range(9):
            a = self.lookup(name, qtype)
            if a is None:
                rcode = 3
                break
            seen.add(norm(name))
            aa = aa and a.get("aa", True)
            ad = ad or bool(a.get("ad"))
            tc = tc or bool(a.get("tc"))
            delay = max(delay, float(a.get("delay_ms", 0)) / 1000.0)
            drop = drop or bool(a.get("drop"))
            rcode = rcode_code(a.get("rcode", "NOERROR"))
            ttl = int(a.get("ttl", 3600))
            target = a.get("cname")
            if target and qtype == TYPES["CNAME"] and rcode == 0:
                answer.append(self._rr(name_wire, 5, ttl, encode_name(target)))
                break
            if target and rcode == 0:
                answer.append(self._rr(name_wire, 5, ttl, encode_name(target)))
                if norm(target) in seen:
                    break
                if self.lookup(target, qtype) is None and a.get("rrs"):
                    # records of the alias target carried on the alias entry
                    for rr in a["rrs"]:
                        answer.append(self._one(encode_name(target), a, rr, ttl))
                    rcode = 0
                    break
                name, name_wire = target, encode_name(target)
                continue
            if rcode == 0:
                for rr in a.get("rrs") or []:
                    answer.append(self._one(name_wire, a, rr, ttl))
            if a.get("soa") and rcode in (0, 3) and not a.get("rrs"):
                authority.append(self._soa_rr(a, name_wire == owner_ptr, name))
            break

        if drop:
            return Reply(drop=True)
        edns = q["edns"]
        flags = 0x8000 | (0x0400 if aa else 0) | (0x0100 if q["rd"] else 0) \
            | 0x0080 | (0x0020 if ad else 0) | (rcode & 15)
        opt = b""
        if edns is not None:
            opt = b"\x00" + struct.pack("!HHIH", 41, 1232, ((rcode >> 4) << 24), 0)

        def build(flags, an, ns, with_opt=True):
            o = opt if with_opt else b""
            return struct.pack("!HHHHHH", q["id"], flags, 1, len(an), len(ns),
                               1 if o else 0) + question + b"".join(an) + b"".join(ns) + o

        full = build(flags, answer, authority)
        pre = []
        first = self.lookup(qname, qtype)
        key = (norm(qname), qtype)
        if transport == "udp" and first is not None and first.get("forge") \
                and key not in self.forged:
            self.forged.add(key)
            ttl = int(first.get("ttl", 3600))
            rrs = first.get("forge_rrs", first.get("rrs")) or []
            fan = [self._one(owner_ptr, first, rr, ttl) for rr in rrs]
            body = b"".join(fan) + opt
            counts = struct.pack("!HHH", len(fan), 0, 1 if opt else 0)
            for kind in first["forge"]:
                qid, qs = q["id"], question
                if kind == "empty":
                    pre.append(b"")
                    continue
                if kind == "bad_id":
                    qid = q["id"] ^ 0x5a5a
                elif kind == "wrong_case":
                    qs = swap_letter_case(question)
                elif kind == "other_question":
                    qs = encode_name("forged." + norm(qname)) + question[-4:]
                else:
                    raise ValueError("unknown forgery %r" % kind)
                pre.append(struct.pack("!HHH", qid, flags, 1) + counts + qs
                           + body)
        if transport == "udp":
            limit = max(512, min(edns["udp_size"], 4096)) if edns else 512
            if tc or len(full) > limit:
                return Reply(build(flags | 0x0200, [], []), delay, pre=pre)
        return Reply(full, delay, pre=pre)

    def _one(self, owner_wire, a, rr, ttl):
        t = type_code(a["type"]) if "type" not in rr else type_code(rr["type"])
        rdata = encode_rdata(t, rr)
        if a.get("malformed") or rr.get("malformed"):
            rdata = garbage_rdata(rdata)
        return self._rr(owner_wire, t, int(rr.get("ttl", ttl)), rdata)


# ---------------------------------------------------------------- server

class FakeDNS:
    """UDP+TCP responder on host:port, served by one background thread."""

    def __init__(self, answers, port=0, host="127.0.0.1", log=None):
        self.responder = Responder(answers)
        self.host = host
        self.query_list = []
        self.detail_list = []
        self.flag_list = []
        self._log_path = log
        self._log = open(log, "a", buffering=1, encoding="utf-8") if log else None
        self._sel = selectors.DefaultSelector()
        self._timers = []
        self._seq = 0
        self._stop_r, self._stop_w = os.pipe()
        self._thread = None
        self.udp, self.tcp = self._bind(host, port)
        self.port = self.udp.getsockname()[1]

    @staticmethod
    def _bind(host, port):
        for _ in range(50):
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                u.bind((host, port))
                t.bind((host, u.getsockname()[1]))
                t.listen(64)
                u.setblocking(False)
                t.setblocking(False)
                return u, t
            except OSError:
                u.close()
                t.close()
                if port:
                    raise
        raise OSError("no free UDP+TCP port pair")

    def queries(self):
        """[(transport, name, type)] received so far."""
        return list(self.query_list)

    def query_details(self):
        """[{transport, id, name, type, port}] received so far."""
        return list(self.detail_list)
    def query_flags(self):
        """[(name, type, ad, do)] of the queries received so far."""
        return list(self.flag_list)

    def set_answers(self, answers):
        self.responder = Responder(answers)

    @property
    def echo_lower(self):
        return self.responder.echo_lower

    @echo_lower.setter
    def echo_lower(self, on):
        self.responder.echo_lower = bool(on)

    def set_answers(self, answers):
        lower = self.responder.echo_lower
        self.responder = Responder(answers)
        self.responder.echo_lower = lower

    def _record(self, transport, query, peer=None):
        qid = struct.unpack("!H", query[:2])[0] if len(query) >= 2 else None
        try:
            q = parse_message(query)
            name, t, _ = q["question"][0]
            ad, do = q["ad"], bool(q["edns"] and q["edns"]["do"])
        except (ParseError, IndexError):
            name, t, ad, do = "?", "?", False, False
        self.query_list.append((transport, name, t))
        self.detail_list.append({"transport": transport, "id": qid,
                                 "name": name, "type": t,
                                 "port": peer[1] if peer else None})
        self.flag_list.append((name, t, ad, do))
        if self._log:
            self._log.write("%s %s %s\n" % (transport, name, t))

    def _later(self, delay, fn, *args):
        self._seq += 1
        heapq.heappush(self._timers, (time.monotonic() + delay, self._seq, fn, args))

    def _udp_ready(self):
        while True:
            try:
                data, peer = self.udp.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            self._record("udp", data, peer)
            r = self._respond(data, "udp")
            for forged in r.pre:
                self._udp_send(forged, peer)
            if r.drop or r.data is None:
                continue
            if r.delay > 0:
                self._later(r.delay, self._udp_send, r.data, peer)
            else:
                self._udp_send(r.data, peer)

    def _respond(self, query, transport):
        try:
            return self.responder.respond(query, transport)
        except Exception as e:  # never let one query stop the server
            sys.stderr.write("fakedns: cannot answer: %s: %s\n" % (type(e).__name__, e))
            return Reply(drop=True)

    def _udp_send(self, data, peer):
        try:
            self.udp.sendto(data, peer)
        except OSError:
            pass

    def _accept(self):
        try:
            c, _ = self.tcp.accept()
        except OSError:
            return
        c.setblocking(False)
        self._sel.register(c, selectors.EVENT_READ, ("conn", bytearray()))

    def _conn_ready(self, c, buf):
        try:
            data = c.recv(65535)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._close(c)
            return
        buf += data
        while len(buf) >= 2:
            ln = struct.unpack("!H", buf[:2])[0]
            if len(buf) < 2 + ln:
                break
            query = bytes(buf[2:2 + ln])
            del buf[:2 + ln]
            self._record("tcp", query)
            r = self._respond(query, "tcp")
            if r.drop or r.data is None:
                continue
            out = struct.pack("!H", len(r.data)) + r.data
            if r.delay > 0:
                self._later(r.delay, self._tcp_send, c, out)
            else:
                self._tcp_send(c, out)

    def _tcp_send(self, c, out):
        try:
            c.setblocking(True)
            c.settimeout(2)
            c.sendall(out)
            c.setblocking(False)
        except OSError:
            self._close(c)

    def _close(self, c):
        try:
            self._sel.unregister(c)
        except (KeyError, ValueError):
            pass
        c.close()

    def serve_forever(self):
        self._sel.register(self.udp, selectors.EVENT_READ, ("udp", None))
        self._sel.register(self.tcp, selectors.EVENT_READ, ("listen", None))
        self._sel.register(self._stop_r, selectors.EVENT_READ, ("stop", None))
        while True:
            timeout = None
            if self._timers:
                timeout = max(0.0, self._timers[0][0] - time.monotonic())
            for key, _ in self._sel.select(timeout):
                kind, buf = key.data
                if kind == "stop":
                    self._shutdown()
                    return
                if kind == "udp":
                    self._udp_ready()
                elif kind == "listen":
                    self._accept()
                elif kind == "conn":
                    self._conn_ready(key.fileobj, buf)
            now = time.monotonic()
            while self._timers and self._timers[0][0] <= now:
                _, _, fn, args = heapq.heappop(self._timers)
                fn(*args)

    def _shutdown(self):
        for key in list(self._sel.get_map().values()):
            if key.data[0] == "conn":
                key.fileobj.close()
        self._sel.close()
        self.udp.close()
        self.tcp.close()
        os.close(self._stop_r)
        if self._log:
            self._log.close()

    def start(self):
        self._thread = threading.Thread(target=self.serve_forever,
                                        name="fakedns", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._stop_w is None:
            return
        try:
            os.write(self._stop_w, b"x")
        except OSError:
            pass
        if self._thread is not None:
            self._thread.join(5)
        os.close(self._stop_w)
        self._stop_w = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def start(answers, port=0, host="127.0.0.1", log=None):
    """Start a responder in a background thread; returns the FakeDNS."""
    return FakeDNS(answers, port=port, host=host, log=log).start()


def main(argv=None):
    ap = argparse.ArgumentParser(description="fake authoritative DNS for tests")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--log", help="append one line per query: transport name type")
    ap.add_argument("answers", help="JSON file: a dns list or a vector object")
    args = ap.parse_args(argv)
    srv = FakeDNS(args.answers, port=args.port, host=args.host, log=args.log)

    def on_signal(signum, frame):
        os.write(srv._stop_w, b"x")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print("fakedns ready %s %d" % (args.host, srv.port), flush=True)
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
