"""The row cap of a user's SELECT, kept by the engine rather than by counting rows in Python.

pyoxigraph writes every results format natively but cannot stop after N rows, so the query
itself is given a top-level ``LIMIT`` of one more than the cap (``limited``): at most cap + 1
rows are evaluated and written, the written answer is counted (``rows``, only when it is large
enough to hold more than the cap) and, when it holds more, cut back to the cap (``cut``), which
is what the response reports as truncated.

The top level is found with the project's SPARQL tokeniser (strings, IRIs and comments are
tokens, so a ``LIMIT`` inside them, or inside a sub-select, a ``FILTER EXISTS`` or an expression,
is never taken for the query's own): after the query's outermost group come its solution
modifiers, then perhaps a ``VALUES`` trailer, before which the new ``LIMIT`` goes. A text
without backslashes is read by one regular expression that knows only strings, IRIs,
comments, brackets and those two keywords; the tokeniser reads the others. A text neither can
read is left to the caller (``None``), which counts rows itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import NamedTuple

from ..federation import ServiceRefused, tokens

# the query form, from the first keyword after the prologue (no parsing: the engine parses)
_PROLOGUE = re.compile(
    r"(?:\s+|\#[^\n]*|(?i:PREFIX)\s*[^\s:]*:\s*<[^>]*>|(?i:BASE)\s*<[^>]*>)*")
_FORM = re.compile(r"(?i:(SELECT|ASK|CONSTRUCT|DESCRIBE))\b")
_OPEN, _CLOSE = {"{", "(", "["}, {"}", ")", "]"}


_UPDATE = re.compile(r"(?i:INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b")


def is_update(text: str) -> bool:
    """Whether the text starts, after its prologue, as a SPARQL Update operation does (sent as
    a query, it would otherwise get the parser's "expected SELECT" at its first keyword)."""
    return bool(_UPDATE.match(text, _PROLOGUE.match(text).end()))  # type: ignore[union-attr]


def query_form(text: str) -> str:
    """"select", "ask" or "graph" (CONSTRUCT, DESCRIBE) from the query's first keyword; a text
    that does not start like a query is taken for a SELECT."""
    match = _FORM.match(text, _PROLOGUE.match(text).end())  # type: ignore[union-attr]
    word = match.group(1).lower() if match else "select"
    return "graph" if word in ("construct", "describe") else word


def limited(text: str, cap: int) -> str | None:
    """The SELECT query to run for a cap of ``cap`` rows: a query whose own top-level LIMIT is
    within the cap runs as it is; otherwise its LIMIT becomes (or a LIMIT is added as)
    cap + 1, before a VALUES trailer or at the end. None when the text cannot be read here.

    The LIMIT only spares the engine the rows past the cap; the answer is still counted when
    it is large enough to hold more (``may_exceed``), so that a text read wrongly here can
    never lift the cap."""
    wanted = cap + 1
    lower = text.lower()
    tail = _TAIL.search(text, max(0, len(text) - 100))
    if tail and "#" in text[text.rfind("\n", 0, tail.start()) + 1:tail.start()]:
        tail = None  # perhaps in a comment: read the whole text
    found: tuple[tuple[int, int, int] | None, int] | None
    if "limit" not in lower and "values" not in lower:  # no LIMIT to change, no trailer
        found = (None, len(text))
    elif tail:  # a LIMIT that ends the text, on a line without comment: the query's own
        number = tail.group("a") or tail.group("b")
        start = tail.start("a") if tail.group("a") else tail.start("b")
        found = ((start, start + len(number), int(number)), 0)
    elif "\\" in text:  # escapes (in strings and names) are for the tokeniser to read
        try:
            found = _top_level(_tokens(text), text)
        except ServiceRefused:  # it cannot read the text: the engine will say why
            return None
    else:
        found = _top_level(_scanned(text), text)
    if found is None:
        return None
    limit, insert_at = found
    if limit is None:
        return f"{text[:insert_at]}\nLIMIT {wanted}\n{text[insert_at:]}"
    start, end, value = limit
    return text if value <= cap else f"{text[:start]}{wanted}{text[end:]}"


# what the structure of a query's top level needs, in a text without backslashes: strings in
# their four forms, IRIs, comments, brackets, and the LIMIT and VALUES keywords (not inside a
# variable, a prefixed or blank node name, or a language tag); everything else is skipped
_TAIL = re.compile(r"(?<![\w?$:.@\-])(?:(?i:LIMIT)\s+(?P<a>\d+)(?:\s+(?i:OFFSET)\s+\d+)?"
                   r"|(?i:OFFSET)\s+\d+\s+(?i:LIMIT)\s+(?P<b>\d+))\s*\Z")
_Q1, _Q3 = "'", '"'
_SCAN = re.compile(
    rf"(?P<string>{_Q1 * 3}(?:(?:{_Q1}|{_Q1 * 2})?[^{_Q1}])*{_Q1 * 3}"
    rf"|{_Q3 * 3}(?:(?:{_Q3}|{_Q3 * 2})?[^{_Q3}])*{_Q3 * 3}"
    rf"|{_Q1}[^{_Q1}\r\n]*{_Q1}|{_Q3}[^{_Q3}\r\n]*{_Q3})"
    r"|(?P<iri><[^<>\"{}|^`\\\x00-\x20]*>)"
    r"|(?P<comment>#[^\r\n]*)"
    r"|(?P<punct>[{}()\[\]])"
    r"|(?<![\w?$:.@\-])(?P<word>(?i:limit|values))(?![\w:.\-])"
    r"|(?<=\s)(?P<number>\d+)(?![\w.:])")


class _Token(NamedTuple):
    kind: str
    text: str
    start: int


def _scanned(text: str) -> Iterator[_Token] | None:
    out = []
    for m in _SCAN.finditer(text):
        kind = m.lastgroup or ""
        if kind == "iri" and "'" in m.group():
            return None  # after a variable, "<" may be less-than: leave it to the tokeniser
        if kind != "comment" and kind != "string":
            out.append(_Token(kind, m.group(), m.start()))
    return iter(out)


def _tokens(text: str) -> Iterator[_Token] | None:
    out = []
    for tok in tokens(text):
        if tok.kind == "iri" and "'" in tok.text:
            return None
        out.append(_Token(tok.kind, tok.text, tok.start))
    return iter(out)


def _top_level(stream: Iterator[_Token] | None, text: str
               ) -> tuple[tuple[int, int, int] | None, int] | None:
    """The span and value of the number of the query's own LIMIT (None when it has none), and
    where a LIMIT goes when it has none: before the VALUES trailer, else at the end."""
    if stream is None:
        return None
    depth = 0
    group_seen = False  # the outermost group (WHERE) has been closed
    for tok in stream:
        if tok.kind == "punct" and tok.text in _OPEN:
            depth += 1
        elif tok.kind == "punct" and tok.text in _CLOSE:
            depth -= 1
            if depth == 0 and tok.text == "}":
                group_seen = True
        elif depth == 0 and group_seen and tok.kind == "word":
            word = tok.text.upper()
            if word == "VALUES":
                return None, tok.start
            if word == "LIMIT":
                number = next(stream, None)
                if (number is None or number.kind != "number" or not number.text.isdigit()
                        or text[tok.start + len(tok.text):number.start].strip()):
                    return None
                return (number.start, number.start + len(number.text), int(number.text)), 0
    return (None, len(text)) if group_seen else None


# ---------------------------------------------------------------- the written answer

# the fewest bytes a row takes in each format (an empty row: "{}," "<result></result>" "\r\n"
# "\n"), so that an answer shorter than cap + 1 of them is known to be within the cap uncounted
SMALLEST_ROW = {"json": 3, "xml": 17, "csv": 2, "tsv": 1}
_CSV_FIELD = re.compile(rb'"(?:[^"]|"")*"|\r\n')


def may_exceed(body: bytes, fmt: str, cap: int) -> bool:
    return len(body) >= SMALLEST_ROW[fmt] * (cap + 1)


def rows(body: bytes, fmt: str) -> int:
    """How many rows pyoxigraph's answer in ``fmt`` holds."""
    if fmt == "json":
        return len(json.loads(body)["results"]["bindings"])
    if fmt == "xml":  # text and attributes escape "<", so the tag is only ever a row
        return body.count(b"<result>")
    if fmt == "tsv":  # one line per row after the header; terms escape their line breaks
        return body.count(b"\n") - 1
    if fmt == "csv":  # one CRLF per row after the header, outside quoted fields
        return sum(1 for m in _CSV_FIELD.finditer(body) if m.group() == b"\r\n") - 1
    raise ValueError(fmt)


def cut(body: bytes, fmt: str, cap: int) -> bytes:
    """pyoxigraph's answer in ``fmt`` with its rows after the first ``cap`` left out."""
    if fmt == "json":
        data = json.loads(body)
        del data["results"]["bindings"][cap:]
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    if fmt == "xml":
        at = 0
        for _ in range(cap + 1):
            at = body.find(b"<result>", at) + 1
            if at == 0:
                return body
        return body[:at - 1] + b"</results></sparql>"
    if fmt == "tsv":
        at = -1
        for _ in range(cap + 1):
            at = body.find(b"\n", at + 1)
            if at < 0:
                return body
        return body[:at + 1]
    if fmt == "csv":
        ends = (m.end() for m in _CSV_FIELD.finditer(body) if m.group() == b"\r\n")
        for n, end in enumerate(ends):
            if n == cap:
                return body[:end]
        return body
    raise ValueError(fmt)
