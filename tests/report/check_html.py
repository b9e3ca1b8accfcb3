#!/usr/bin/env python3
"""tests/report/check_html.py JSON HTML — the visit report's HTML page is
well-formed (every element closed in order, nothing outside <html>, each id
once), has no
script and no outside resource, and every number it shows equals the JSON
report's: each text holding a digit sits in an element whose data-k is a
JSON path and data-u the unit the text is written in.  Exit 0 when all
holds, else 1 with what failed."""
import json
import re
import sys
from datetime import datetime, timezone
from html.parser import HTMLParser

VOID = {"meta", "br", "img", "hr", "link", "input"}
SVG_VOID_OK = True   # <rect .../> and the like: self-closing, handled below

UNIT = {  # the units_fmt_* units, in the pump's base units
    "ng": {"g": 10**9, "mg": 10**6, "mcg": 10**3, "ug": 10**3, "ng": 1},
    "nl": {"L": 10**9, "mL": 10**6, "uL": 10**3, "nL": 1},
}


def dec(num, mult):
    whole, _, frac = num.partition(".")
    v = int(whole) * mult
    if frac:
        scale = 10 ** len(frac)
        if (int(frac) * mult) % scale:
            raise ValueError("inexact " + num)
        v += int(frac) * mult // scale
    return v


def parse(text, unit):
    t = text.strip()
    if unit == "str":
        return t
    if unit == "int":
        return int(t)
    if unit == "pct":  # "12.5%": the JSON's number
        if not re.fullmatch(r"[0-9]+(\.[0-9])?%", t):
            raise ValueError("not a percentage: %r" % t)
        return float(t[:-1])
    if unit == "time":
        if not t:
            return None
        fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if "." in t else "%Y-%m-%dT%H:%M:%SZ"
        d = datetime.strptime(t, fmt).replace(tzinfo=timezone.utc)
        return t  # compared with the JSON's ISO text (and its _ms below)
    if unit in ("ng", "nl", "ng_day", "ng_ml"):
        if t == "0":
            return 0
        m = re.fullmatch(r"([0-9.]+) ?([A-Za-z]+)(/day|/mL)?", t)
        if not m:
            raise ValueError("not a quantity: %r" % t)
        base = "ng" if unit != "nl" else "nl"
        suffix = {"ng_day": "/day", "ng_ml": "/mL"}.get(unit)
        if (m.group(3) or None) != suffix:
            raise ValueError("wrong unit in %r for %s" % (t, unit))
        return dec(m.group(1), UNIT[base][m.group(2)])
    if unit == "ms":
        if t == "0":
            return 0
        total = 0
        for num, u in re.findall(r"([0-9.]+)(ms|d|h|m|s)", t):
            total += dec(num, {"ms": 1, "s": 1000, "m": 60000, "h": 3600000,
                               "d": 86400000}[u])
        if not re.fullmatch(r"(?:[0-9.]+(?:ms|d|h|m|s))+", t):
            raise ValueError("not a duration: %r" % t)
        return total
    raise ValueError("unknown unit " + unit)


def lookup(doc, path):
    v = doc
    for part in path.split("."):
        v = v[int(part)] if isinstance(v, list) else v[part]
    return v


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []      # (tag, data-k, data-u, text parts)
        self.errors = []
        self.checked = 0
        self.closed_html = False
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:  # an id names one element of the document
            if a["id"] in self.ids:
                self.errors.append("id %r twice" % a["id"])
            self.ids.add(a["id"])
        if tag == "script" or any(k.startswith("on") for k in a):
            self.errors.append("script or event handler: <%s>" % tag)
        for k in ("src", "href", "xlink:href"):
            if k in a and not (a[k] or "").startswith("#"):
                self.errors.append("outside resource: %s=%s" % (k, a[k]))
        if tag == "link":
            self.errors.append("<link> to an outside file")
        if self.closed_html or (not self.stack and tag != "html"):
            self.errors.append("<%s> outside <html>" % tag)
        if tag in VOID:
            return
        self.stack.append((tag, a.get("data-k"), a.get("data-u"), []))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append("</%s> does not close <%s>" %
                               (tag, self.stack[-1][0] if self.stack else "nothing"))
            return
        t, k, u, parts = self.stack.pop()
        if k is not None:
            self.values.append((k, u, "".join(parts)))
        if tag == "html":
            self.closed_html = True

    def handle_data(self, data):
        if not self.stack:
            if data.strip():
                self.errors.append("text outside <html>: %r" % data)
            return
        tag, k, u, parts = self.stack[-1]
        if k is not None:
            parts.append(data)
        elif re.search(r"[0-9]", data) and tag not in ("style",):
            self.errors.append("a number outside a data-k element: %r in <%s>"
                               % (data.strip()[:60], tag))


def main():
    doc = json.load(open(sys.argv[1]))
    html = open(sys.argv[2]).read()
    p = Page()
    p.values = []
    if not html.startswith("<!DOCTYPE html>"):
        p.errors.append("no doctype")
    p.feed(html)
    p.close()
    if p.stack:
        p.errors.append("unclosed: " + ", ".join(s[0] for s in p.stack))
    if not p.closed_html:
        p.errors.append("no </html>")
    for k, u, text in p.values:
        try:
            want = lookup(doc, k)
        except (KeyError, IndexError, ValueError, TypeError):
            p.errors.append("data-k %s: not in the JSON report" % k)
            continue
        try:
            got = parse(text, u)
        except ValueError as e:
            p.errors.append("data-k %s: %s" % (k, e))
            continue
        if u == "time" and got is not None:
            # the ISO text must also be the _ms integer beside it
            ms = lookup(doc, k + "_ms")
            d = datetime.strptime(got, "%Y-%m-%dT%H:%M:%S.%fZ" if "." in got
                                  else "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
            if round(d.timestamp() * 1000) != ms:
                p.errors.append("data-k %s: %s is not %s ms" % (k, got, ms))
        if got != want and not (u == "time" and got is None and want is None):
            p.errors.append("data-k %s: the page says %r (%r), the JSON %r" %
                            (k, text, got, want))
        p.checked += 1
    for e in p.errors:
        print("check_html: " + e)
    print("check_html: %d values checked, %d errors" % (p.checked, len(p.errors)))
    return 1 if p.errors or p.checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
