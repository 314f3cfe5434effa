"""Tick-label text -> number, the way charts print them (and OCR reads them).

    parse_number("−1,5")        # -1.5   (Unicode minus, comma decimal)
    parse_number("12,000")      # 12000.0 (thousands separator)
    parse_number("1×10⁻³")      # 0.001
    parse_number("25%")         # 25.0   (unit "%", see parse_label)
    parse_label("3.5 kg")       # Label(value=3.5, unit="kg", power=False)
    parse_label("10-3", superscript=True)   # 10⁻³ read by OCR without its superscript -> 0.001
    parse_multiplier("×10⁻³")   # 0.001: an axis offset/multiplier text (matplotlib's "1e-3")

Covered: negatives with '-', the Unicode minus and dashes; decimals with a point or a
comma; thousands separators (',', '.', ' ', thin spaces, apostrophes) when the grouping
is unambiguous; scientific notation (1e-3, 1.5E+04, 1×10⁻³, 1x10^-3, 10⁻³, 10^3);
percentages and units stuck to the number ("5kg", "$20", "30 °C"); the SI-like
multipliers k, M, G and B (billion) when they are the whole suffix. Dates, times,
ranges, category names and anything else return None: such an axis is not calibrated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# characters OCR and fonts use for a minus sign
MINUS = "-\u2212\u2012\u2013\u2014\ufe63\uff0d"
# superscript digits and signs -> plain
SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
# characters that stand for a superscript exponent after "10" (º, ª: how OCR reads ⁰)
SUPERSCRIPT_CHARS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺ºª"
# spaces that may group thousands ("1 000", narrow no-break space) or split a label
SPACES = " \u00a0\u2009\u202f"
# currency and other prefixes allowed before a number
PREFIX = "$€£¥₹"
# suffixes that multiply the number (only when they are the whole suffix)
MULTIPLIERS = {"k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "B": 1e9, "bn": 1e9}
# longest unit suffix accepted ("kg", "°C", "km/h", "%")
MAX_UNIT = 5
# words that make a label a date or a category, not a number with a unit
MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}

_NUM = r"(?P<sign>[-+])?(?P<body>\d[\d.,'%s]*\d|\d)" % SPACES
_UNIT = r"[ \u00a0\u2009\u202f]*(?P<unit>[^\d\s][^\d]{0,%d})?" % (MAX_UNIT - 1)
_SCI_E = re.compile(r"^(?P<m>[-+]?\d+(?:[.,]\d+)?)[eE](?P<e>[-+]?\d{1,3})$")
_SCI_X = re.compile(r"^(?P<m>[-+]?\d+(?:[.,]\d+)?)?[x×*·]?10\^?\(?(?P<e>[-+]?\d{1,3})\)?$")
_PLAIN = re.compile(r"^(?P<pre>[%s])?%s%s$" % (re.escape(PREFIX), _NUM, _UNIT))
_MULT = re.compile(r"^(?:[x×*·]10\^?(?P<e1>[-+]?\d{1,3})|1?[eE](?P<e2>[-+]?\d{1,3})|1[x×*·]10\^?(?P<e3>[-+]?\d{1,3}))$")


@dataclass(frozen=True)
class Label:
    value: float
    unit: str = ""  # what stood after the number ("%", "kg"); "" if nothing
    power: bool = False  # written as a power of ten (10⁻³, 1e-3): hints a log axis


def _normalise(text: str) -> str:
    """Unify minus signs and superscripts ("10²" -> "10^2"), drop surrounding spaces and
    spaces after a sign."""
    t = re.sub(r"[%s|+]+$" % MINUS, "", text.strip()).strip()  # a tick mark read after the label
    m = re.match(r"^(.*10)([%s]+)$" % SUPERSCRIPT_CHARS, t)
    if m:  # an exponent written as superscript (OCR reads 10⁰ as "10º" or "10ª")
        t = m[1] + "^" + m[2].replace("º", "⁰").replace("ª", "⁰")
    t = t.translate(SUPERSCRIPT)
    for m in MINUS[1:]:
        t = t.replace(m, "-")
    t = re.sub(r"^([-+])[%s]+" % SPACES, r"\1", t)
    t = re.sub(r"[%s]+(?=[eE×x*·^])|(?<=[eE×x*·^])[%s]+" % (SPACES, SPACES), "", t)
    return t


def _body_value(body: str) -> float | None:
    """Digits with separators -> float, or None when the separators are inconsistent."""
    body = re.sub(r"[%s']" % SPACES, " ", body)
    if " " in body:  # space- or apostrophe-grouped thousands: every group after the first has 3 digits
        parts = body.split(" ")
        if not all(len(p) == 3 for p in parts[1:]):
            return None
        body = "".join(parts)
    dots, commas = body.count("."), body.count(",")
    if dots and commas:  # the later one is the decimal mark: 1,234.5 or 1.234,5
        dec, thou = (".", ",") if body.rfind(".") > body.rfind(",") else (",", ".")
        if body.count(dec) > 1:
            return None
        whole, frac = body.split(dec)
        groups = whole.split(thou)
        if not all(len(g) == 3 for g in groups[1:]) or not 1 <= len(groups[0]) <= 3:
            return None
        return float("".join(groups) + "." + frac)
    for sep in ".,":
        n = body.count(sep)
        if n > 1:  # only thousands: 1,000,000 or 1.000.000
            groups = body.split(sep)
            if not all(len(g) == 3 for g in groups[1:]) or not 1 <= len(groups[0]) <= 3:
                return None
            return float("".join(groups))
        if n == 1:
            whole, frac = body.split(sep)
            if sep == "," and len(frac) == 3 and whole not in ("0", ""):
                return float(whole + frac)  # 12,000: thousands (a comma decimal rarely has 3 places)
            return float(whole + "." + frac)
    return float(body)


def _scientific(t: str, superscript: bool) -> Label | None:
    m = _SCI_E.match(t)
    if m:
        return Label(float(m["m"].replace(",", ".")) * 10.0 ** int(m["e"]), "", True)
    m = _SCI_X.match(t)
    if m and (m["m"] is not None or "^" in t or superscript or t.startswith(("10-", "10+"))):
        # "10-3" is 10⁻³ read without its superscript; plain "103" only when the caller saw one
        if m["m"] is not None and not re.search(r"[x×*·]", t):
            return None  # "2103": not a power of ten
        mant = float(m["m"].replace(",", ".")) if m["m"] is not None else 1.0
        return Label(mant * 10.0 ** int(m["e"]), "", True)
    return None


def parse_label(text: str, superscript: bool = False) -> Label | None:
    """One tick label -> Label, or None when it is not a number (date, word, range).
    superscript: the label's image shows raised small glyphs after '10' (so "103" is 10³)."""
    t = _normalise(text)
    if not t or len(t) > 24:
        return None
    sci = _scientific(t.replace(" ", ""), superscript)
    if sci is not None:
        return sci
    m = _PLAIN.match(t)
    if not m:
        return None
    value = _body_value(m["body"].strip())
    if value is None:
        return None
    unit = (m["unit"] or "").strip() or (m["pre"] or "")
    if unit.lower().strip(".") in MONTHS or any(c in unit for c in "/:-+") and unit not in ("km/h", "m/s"):
        return None
    value *= MULTIPLIERS.get(unit, 1.0)
    return Label(-value if m["sign"] == "-" else value, unit, False)


def parse_number(text: str, superscript: bool = False) -> float | None:
    """The value of a tick label, or None (see parse_label)."""
    lab = parse_label(text, superscript)
    return None if lab is None else lab.value


def parse_multiplier(text: str) -> float | None:
    """An axis-wide factor printed once near the axis end ("1e-3", "×10⁻³", "x10^6"), or None."""
    m = _MULT.match(_normalise(text).replace(" ", ""))
    if not m:
        return None
    return 10.0 ** int(m["e1"] or m["e2"] or m["e3"])
