"""What a query's parse error means, in the query's own terms.

The engine's parser says where it stopped and which tokens it expected there, with the
character classes of SPARQL's names written out as Unicode ranges (hundreds of characters), and
it reports a misspelt keyword or an undeclared prefix by what it expected next, often a few
characters on. ``explained`` keeps the engine's position and list, shortens the character
classes, and adds what the query's own tokens show: its first keyword, and any prefix it uses
without declaring.
"""

from __future__ import annotations

import re

from ..federation import ServiceRefused, tokens

_CLASSES = re.compile(r"\[[^\[\]]*\.\.=[^\[\]]*\]")  # a class with ranges: 'A' ..= 'Z' | ...
_ONE = re.compile(r"\['(.{1,2})'\]")  # a class of one character: ['%']
_FORMS = {"select", "construct", "ask", "describe"}
_PROLOGUE = {"prefix", "base"}
_UNBOUND = "The SELECT contains a variable that is unbound"


def explained(text: str, message: str) -> str:
    """The engine's message, readable, with what the query's tokens show (when they do)."""
    message = _ONE.sub(r'"\1"', _CLASSES.sub("a name character", message)).replace("\n", " ")
    message = re.sub(r"(a name character)(, a name character)+", r"\1", message)
    if _UNBOUND in message:
        message = message.replace(
            _UNBOUND, "(a variable selected beside an aggregate such as COUNT must be named in "
                      "GROUP BY)")
    hints = _hints(text)
    return f"{message}; {'; '.join(hints)}" if hints else message


def _hints(text: str) -> list[str]:
    try:
        found = list(tokens(text))
    except ServiceRefused:
        return []
    hints: list[str] = []
    words = iter(found)
    for tok in words:  # the first keyword after PREFIX and BASE declarations
        word = tok.text.casefold()
        if tok.kind == "word" and word in _PROLOGUE:
            next(words, None)  # the prefix's name (or BASE's IRI)
            if word == "prefix":
                next(words, None)  # its IRI
            continue
        if tok.kind != "word" or word not in _FORMS:
            line, column = _place(text, tok.start)
            hints.append(f"a query starts, after its PREFIX and BASE lines, with SELECT, "
                         f"CONSTRUCT, ASK or DESCRIBE, and this one has {tok.text!r} at line "
                         f"{line}, column {column}")
        break
    declared: set[str] = set()
    for i, tok in enumerate(found):
        if tok.kind == "pname" and i and found[i - 1].kind == "word" \
                and found[i - 1].text.casefold() == "prefix":
            declared.add(tok.text.split(":", 1)[0])
    for i, tok in enumerate(found):
        prefix = tok.text.split(":", 1)[0] if tok.kind == "pname" else None
        if prefix is None or prefix in declared or (
                i and found[i - 1].text.casefold() == "prefix"):
            continue
        line, column = _place(text, tok.start)
        hints.append(f"the prefix '{prefix}:' (line {line}, column {column}) is not declared: "
                     f"add PREFIX {prefix}: <...> before the query")
        break
    return hints


def _place(text: str, at: int) -> tuple[int, int]:
    line = text.count("\n", 0, at) + 1
    return line, at - (text.rfind("\n", 0, at) + 1) + 1
