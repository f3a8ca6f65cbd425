"""promparse.py - a strict reader of the Prometheus text exposition
format 0.0.4, for the metrics tests.

parse(text) -> {(name, ((label, value), ...)): float}; raises ValueError
naming the line for anything the format does not allow: a sample before
its family's TYPE, a second TYPE, an unknown type, a bad metric or label
name, an unknown escape, an unparsable value, a duplicate series, a
negative counter, or a histogram whose buckets are not cumulative or
whose +Inf bucket differs from _count.
"""

import math
import re

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


def _value(s, where):
    if s in ("+Inf", "Inf"):
        return math.inf
    if s == "-Inf":
        return -math.inf
    if s == "NaN":
        return math.nan
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", s):
        raise ValueError("%s: bad value %r" % (where, s))
    return float(s)


def _labels(s, where):
    out, i = [], 0
    while i < len(s):
        m = re.match(r"([^=]*)=\"", s[i:])
        if not m or not LABEL.match(m.group(1)):
            raise ValueError("%s: bad label at %r" % (where, s[i:]))
        i += m.end()
        val = []
        while True:
            if i >= len(s):
                raise ValueError("%s: unterminated label value" % where)
            c = s[i]
            if c == "\\":
                nxt = s[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise ValueError("%s: bad escape \\%s" % (where, nxt))
                val.append("\n" if nxt == "n" else nxt)
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise ValueError("%s: newline in a label value" % where)
            else:
                val.append(c)
                i += 1
        out.append((m.group(1), "".join(val)))
        if i < len(s):
            if s[i] != ",":
                raise ValueError("%s: expected ',' at %r" % (where, s[i:]))
            i += 1
    names = [k for k, _ in out]
    if len(set(names)) != len(names):
        raise ValueError("%s: repeated label" % where)
    return tuple(out)


def _split_sample(line, where):
    m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? ([^ ]+)( -?\d+)?\Z",
                 line)
    if not m:
        raise ValueError("%s: not a sample: %r" % (where, line))
    labels = _labels(m.group(3), where) if m.group(3) else ()
    return m.group(1), labels, _value(m.group(4), where)


def parse(text):
    if text and not text.endswith("\n"):
        raise ValueError("the last line has no newline")
    families = {}          # name -> type
    current = None
    samples = {}
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = "line %d" % n
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            parts = line.split(" ", 3)
            if len(parts) < 4 or not NAME.match(parts[2]):
                raise ValueError("%s: bad comment %r" % (where, line))
            if parts[1] == "TYPE":
                if parts[3] not in TYPES:
                    raise ValueError("%s: unknown type %r" % (where,
                                                              parts[3]))
                if parts[2] in families:
                    raise ValueError("%s: second TYPE for %s" % (where,
                                                                 parts[2]))
                families[parts[2]] = parts[3]
                current = parts[2]
            continue
        if line.startswith("#") or line == "":
            continue
        name, labels, value = _split_sample(line, where)
        fam = name
        if current and families.get(current) == "histogram":
            for suf in ("_bucket", "_sum", "_count"):
                if name == current + suf:
                    fam = current
        if fam != current:
            raise ValueError("%s: %s outside its family (TYPE %s)" %
                             (where, name, current))
        if families[fam] == "histogram" and name == fam:
            raise ValueError("%s: histogram sample without suffix" % where)
        if name.endswith("_bucket") and not any(k == "le" for k, _ in labels):
            raise ValueError("%s: bucket without le" % where)
        if families[fam] == "counter" and not value >= 0:
            raise ValueError("%s: negative counter" % where)
        key = (name, labels)
        if key in samples:
            raise ValueError("%s: duplicate series %r" % (where, key))
        samples[key] = value
    _check_histograms(families, samples)
    return samples


def _check_histograms(families, samples):
    for fam, typ in families.items():
        if typ != "histogram":
            continue
        series = {}
        for (name, labels), v in samples.items():
            if name == fam + "_bucket":
                rest = tuple(kv for kv in labels if kv[0] != "le")
                le = dict(labels)["le"]
                series.setdefault(rest, []).append((_value(le, fam), v))
        for rest, buckets in series.items():
            buckets.sort()
            if buckets[-1][0] != math.inf:
                raise ValueError("%s%r: no +Inf bucket" % (fam, rest))
            counts = [v for _, v in buckets]
            if counts != sorted(counts):
                raise ValueError("%s%r: buckets not cumulative" % (fam,
                                                                   rest))
            if samples.get((fam + "_count", rest)) != counts[-1]:
                raise ValueError("%s%r: +Inf bucket != _count" % (fam, rest))
            if (fam + "_sum", rest) not in samples:
                raise ValueError("%s%r: no _sum" % (fam, rest))


def value(samples, name, **labels):
    """The sample @name{labels} (exactly those labels; 0 when absent)."""
    for (n, ls), v in samples.items():
        if n == name and dict(ls) == labels:
            return v
    return 0
