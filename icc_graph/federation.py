"""Which ``SERVICE`` calls a query may make: only ``SERVICE [SILENT] <absolute IRI>`` whose IRI
is exactly one the deployment allows (setting ``ICC_SERVICE_ALLOW``, empty by default).

pyoxigraph offers no hook for outbound calls, so the query text is checked before it runs, with
a SPARQL tokeniser (strings in their four quote forms with escapes, IRIs, comments, prefixed
names with their escapes, variables, case-insensitive keywords). Two extra scans close the gaps
a tokeniser alone would leave: any ``SERVICE`` word followed by what could name an endpoint,
outside comments and IRIs (inside a string, a prefixed name), must be a keyword the tokeniser
saw, and an IRI may not hold ``'`` (read as less-than, ``<`` would make it open a string); and
the text with its ``\\u``/``\\U`` escapes decoded (as some engines read it) must not spell more.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from .iri import SCHEME

SETTING = "ICC_SERVICE_ALLOW"
_ESC = r"""\\(?:[tbnrf"'\\]|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})"""
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_LOCAL = rf"(?:[\w:]|{_PLX})(?:(?:[\w.:\-]|{_PLX})*(?:[\w:\-]|{_PLX}))?"
TOKEN = re.compile(rf"""
    (?P<ws>[ \t\r\n]+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>'''(?:(?:'|'')?(?:[^'\\]|{_ESC}))*'''
              | \"\"\"(?:(?:"|"")?(?:[^"\\]|{_ESC}))*\"\"\"
              | '(?:[^'\\\r\n]|{_ESC})*'
              | "(?:[^"\\\r\n]|{_ESC})*")
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*>)
  | (?P<var>[?$]\w+)
  | (?P<bnode>_:\w(?:[\w.\-]*[\w\-])?)
  | (?P<pname>(?:[^\W\d_](?:[\w.\-]*[\w\-])?)?:(?:{_LOCAL})?)
  | (?P<word>[A-Za-z_]\w*)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<punct>\^\^|<=|>=|!=|&&|\|\||[{{}}()\[\];,.*/|^?+!=<>\-])
""", re.X)
# a SERVICE word followed by something that could name an endpoint, wherever it is
SUSPECT = re.compile(r"(?<![\w:?$])service(?=(?:[ \t\r\n]|\#[^\r\n]*)*"
                     r"(?:silent(?!\w)|[<?$:]|\w[\w.\-]*:))", re.I)
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


class ServiceRefused(ValueError):
    """The query names a SERVICE endpoint this server may not call, or cannot be checked."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(f"{message} (line {line}, column {column})")
        self.message, self.line, self.column = message, line, column


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int


def tokens(query: str, comments: bool = False) -> Iterator[Token]:
    """The tokens of ``query`` (whitespace dropped, comments too unless asked for);
    ``ServiceRefused`` at the first character that starts no SPARQL token."""
    pos = 0
    for m in TOKEN.finditer(query):
        if m.start() != pos or m.end() == pos:
            break
        kind = m.lastgroup or "punct"
        if kind != "ws" and (comments or kind != "comment"):
            yield Token(kind, m.group(), pos)
        pos = m.end()
    if pos < len(query):
        raise _refuse(query, pos, f"the query cannot be read at {query[pos]!r}, so its SERVICE "
                                  "calls cannot be checked; fix the query's syntax")


def check_services(query: str, allowed: Collection[str]) -> None:
    """Raise ``ServiceRefused`` unless every SERVICE of ``query`` is ``SERVICE [SILENT] <IRI>``
    with the IRI, written without escapes, exactly one of ``allowed``, and outside FILTER EXISTS
    and other SERVICE blocks. The text with its ``\\u`` escapes decoded must pass too."""
    _check(query, allowed)
    if "\\u" in query or "\\U" in query:
        try:
            _check(_CODEPOINT.sub(_decode, query), allowed)
        except ServiceRefused as exc:
            raise ServiceRefused("read with its \\u escapes decoded, as some engines do: "
                                 + exc.message, exc.line, exc.column) from None


def _check(query: str, allowed: Collection[str]) -> None:
    if "service" not in query.casefold():
        return  # no SERVICE can be spelt without these letters
    keyword_at: set[int] = set()
    quiet: list[tuple[int, int]] = []  # comments and IRIs: text no engine runs
    stack: list[str] = []  # the kind of each open group: "group", "exists", "service"
    pending = "group"

    def significant() -> Iterator[Token]:
        for tok in tokens(query, comments=True):
            if tok.kind == "iri" and "'" in tok.text:
                # after a variable, `<` may be less-than: the ' would then open a string, and
                # what follows would be read differently by an engine and by this check
                raise _refuse(query, tok.start, f"the IRI {tok.text} holds ', which makes this "
                                                "query ambiguous; write ' in IRIs as %27")
            if tok.kind in ("comment", "iri"):
                quiet.append((tok.start, tok.start + len(tok.text)))
            if tok.kind != "comment":
                yield tok

    stream = significant()
    for tok in stream:
        word = tok.text.upper() if tok.kind == "word" else ""
        if word == "EXISTS":
            pending = "exists"
        elif tok.text == "{":
            stack.append(pending)
            pending = "group"
        elif tok.text == "}":
            if stack:
                stack.pop()
        elif word == "SERVICE":
            keyword_at.add(tok.start)
            if "exists" in stack:
                raise _refuse(query, tok.start, "SERVICE inside FILTER EXISTS or NOT EXISTS is "
                                                "not allowed (it would call once per solution); "
                                                "move the SERVICE block out of the filter")
            if "service" in stack:
                raise _refuse(query, tok.start, "SERVICE inside another SERVICE block is not "
                                                "allowed; write the SERVICE blocks side by side")
            target = next(stream, None)
            if target is not None and target.kind == "word" and target.text.upper() == "SILENT":
                target = next(stream, None)
            _check_target(query, tok, target, allowed)
            pending = "service"
    for m in SUSPECT.finditer(query):
        at = bisect.bisect_right(quiet, (m.start(), len(query))) - 1
        if m.start() not in keyword_at and not (at >= 0 and m.start() < quiet[at][1]):
            raise _refuse(query, m.start(), "this SERVICE is inside a string or a name in a way "
                                            "engines may read differently; rewrite that part "
                                            "of the query")


def _check_target(query: str, service: Token, target: Token | None,
                  allowed: Collection[str]) -> None:
    if target is None:
        raise _refuse(query, service.start, "SERVICE without an endpoint IRI")
    at = target.start
    if target.kind == "var":
        raise _refuse(query, at, f"SERVICE {target.text}: the endpoint must be written as an "
                                 f"absolute IRI in <...>, not a variable{_how(allowed)}")
    if target.kind == "pname":
        raise _refuse(query, at, f"SERVICE {target.text}: the endpoint must be written as an "
                                 f"absolute IRI in <...>, not a prefixed name{_how(allowed)}")
    if target.kind != "iri":
        raise _refuse(query, at, f"SERVICE must be followed by [SILENT] and an endpoint IRI "
                                 f"in <...>, not {target.text!r}")
    iri = target.text[1:-1]
    if "\\" in iri:
        raise _refuse(query, at, f"SERVICE {target.text}: write the endpoint IRI without "
                                 "\\u or \\U escapes")
    if not SCHEME.match(iri):
        raise _refuse(query, at, f"SERVICE {target.text}: the endpoint must be an absolute "
                                 f"IRI (a relative one would depend on BASE){_how(allowed)}")
    if iri not in allowed:
        raise _refuse(query, at, f"SERVICE {target.text} is not allowed here{_how(allowed)}")


def _how(allowed: Collection[str]) -> str:
    listed = " ".join(f"<{a}>" for a in sorted(allowed)) if allowed else "none"
    return (f"; this server calls only the endpoints listed in the setting {SETTING} "
            f"(now: {listed}); to allow one, add its IRI to {SETTING} (space-separated) "
            "and restart the server")


def _decode(m: re.Match[str]) -> str:
    code = int(m.group(1) or m.group(2), 16)
    return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"


def _refuse(query: str, pos: int, message: str) -> ServiceRefused:
    if SETTING not in message:
        message += f" (SERVICE may call only the endpoints listed in the setting {SETTING})"
    line = query.count("\n", 0, pos) + 1
    column = pos - (query.rfind("\n", 0, pos) + 1) + 1
    return ServiceRefused(message, line, column)
