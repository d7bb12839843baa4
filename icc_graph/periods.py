"""The one parser for the period texts of the ICC pages ("2019 - ongoing", "Depuis 2014", ...).

It gives a start year, an end year and an ongoing flag, or nothing when the text names no year.
It prefers saying nothing to saying a wrong year: an ambiguous text keeps only what is certain.
"""

from __future__ import annotations

import re

from .records import Period

_YEAR = r"(1[89]\d\d|20\d\d)"
_YEAR_RE = re.compile(rf"(?<!\d){_YEAR}(?!\d)")
# "2011-14", "2021-25": a year, a dash, and the last two digits of a later year.
_SHORT_RANGE = re.compile(rf"(?<!\d){_YEAR}\s*[-–—]\s*(\d\d)(?!\d)")
_ONGOING = re.compile(
    r"ongoing|on-going|en cours|present|permanent|onwards|still|running|to date|"
    r"every|each year|chaque année|today|aujourd", re.IGNORECASE)
_OPEN_START = re.compile(
    r"\b(since|depuis|from|as from|à partir|a partir|starting|started)\b", re.IGNORECASE)
_UNTIL = re.compile(r"\b(until|till|jusqu)", re.IGNORECASE)
_TO = re.compile(r"\b(to|until|till|au|jusqu)\b|\bà\b(?! partir)|[-–—]", re.IGNORECASE)


def _years(text: str) -> list[int]:
    expanded = _SHORT_RANGE.sub(
        lambda m: f"{m.group(1)}-{m.group(1)[:2]}{m.group(2)}"
        if int(m.group(1)[:2] + m.group(2)) > int(m.group(1)) else m.group(0),
        text,
    )
    return [int(y) for y in _YEAR_RE.findall(expanded)]


def as_record(period: Period) -> dict[str, object]:
    """The ``period:`` mapping of a source record: the text as written and what was parsed."""
    out: dict[str, object] = {"text": period.text}
    if period.start is not None:
        out["start"] = period.start
    if period.end is not None:
        out["end"] = period.end
    out["ongoing"] = period.ongoing
    return out


def parse_period(text: str | None) -> Period:
    """Parse a period text. The raw text is always kept in the result."""
    if text is None or not text.strip():
        return Period(text=text or None)
    parts = [p for p in re.split(r"\s+/\s+", text.strip()) if p]
    if len(parts) > 1:
        # "2015-2020 / 2021-25": known bounds only when every part knows them
        each = [_parse_one(p) for p in parts]
        starts = [p.start for p in each]
        ends = [p.end for p in each]
        ongoing = any(p.ongoing for p in each)
        return Period(
            text=text,
            start=min(starts) if None not in starts else None,  # type: ignore[type-var]
            end=max(ends) if None not in ends and not ongoing else None,  # type: ignore[type-var]
            ongoing=ongoing,
        )
    return _parse_one(text)


def _parse_one(text: str) -> Period:
    raw = text
    text = text.strip()
    years = _years(text)
    ongoing = bool(_ONGOING.search(text))
    # "2013-", "2016 on": an open range is still running
    if re.search(rf"{_YEAR}\s*[-–—]\s*$", text) or re.search(rf"{_YEAR}\s+on\b", text):
        ongoing = True
    if not years:
        return Period(text=raw, ongoing=ongoing)
    first, last = min(years), max(years)
    if len(years) == 1:
        year = years[0]
        if _UNTIL.search(text) and not _OPEN_START.search(text):
            return Period(text=raw, end=year, ongoing=False)
        if ongoing:
            return Period(text=raw, start=year, ongoing=True)
        if _OPEN_START.search(text) and not _TO.search(text):
            return Period(text=raw, start=year, ongoing=True)
        if "+" in text:  # "6 months (July-December 2017) + 8 months": the end is not said
            return Period(text=raw, start=year)
        return Period(text=raw, start=year, end=year)
    # Several years: in the order written, an inverted range is a data error the caller reports.
    if years[0] > years[-1] and re.fullmatch(rf"\s*{_YEAR}\s*[-–—]\s*{_YEAR}\s*", text):
        return Period(text=raw, start=years[0], end=years[-1])
    if ongoing and re.search(r"ongoing since|on-going since|en cours depuis", text, re.I):
        # "2021 (ongoing since 2017)": the year it was written up, and when it began
        return Period(text=raw, start=first, ongoing=True)
    return Period(text=raw, start=first, end=last, ongoing=ongoing)
