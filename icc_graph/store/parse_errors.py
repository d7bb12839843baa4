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

_DIGITS = re.compile(r"\['0' ?\.\.= ?'9'\]")
_CLASSES = re.compile(r"\[[^\[\]]*\.\.=[^\[\]]*\]")  # a class with ranges: 'A' ..= 'Z' | ...
_ONE = re.compile(r"\['(.{1,2})'\]")  # a class of one character: ['%']
_ANY = re.compile(r"(?:, )?\[_\]")  # the parser's "any character" among what it expected
_FORMS = {"select", "construct", "ask", "describe"}
_PROLOGUE = {"prefix", "base"}
_WHERE = re.compile(r"error at \d+:\d+")
_LISTED = re.compile(r"(expected one of )(.*)$")
_UNBOUND = re.compile(r"(?:, )?The SELECT contains (?:an expression with )?a variable that is "
                      r"unbound(?:, )?")


def explained(text: str, message: str) -> str:
    """The engine's message, readable, with what the query's tokens show (when they do)."""
    where = _WHERE.match(message)
    if _UNBOUND.search(message) and where:  # not a token it expected: a rule of the query's
        return (f"{where.group()}: a variable selected beside an aggregate such as COUNT, or "
                "used in a selected expression, must be named in GROUP BY")
    message = _DIGITS.sub("a digit", message)
    message = _ONE.sub(r'"\1"', _CLASSES.sub("a name character", message)).replace("\n", " ")
    message = _ANY.sub("", message).replace(
        "IRI parsing failed", "a valid IRI (no spaces, quotes, <, >, {, }, |, ^, ` or \\ in it)")
    listed = _LISTED.search(message)
    if listed:  # each item once
        items = list(dict.fromkeys(listed.group(2).split(", ")))
        message = message[:listed.start(2)] + ", ".join(items) + message[listed.end(2):]
    if message.rstrip().endswith(("expected", "expected one of")):
        message = message.rstrip().removesuffix(" one of") + \
            " more: the query ends before it is complete"
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
            following = next(words, None)  # the prefix's name, or BASE's IRI
            if word == "prefix":
                next(words, None)  # its IRI
            elif following is not None and following.kind != "iri":
                break  # BASE without its IRI: the engine's message says what it expected
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
        before = found[i - 1] if i else None
        if prefix is None or prefix in declared or before is not None and (
                before.text.casefold() == "prefix"
                or before.text == "<" and text[before.start + 1:tok.start] == ""):
            continue  # a declaration, or an IRI the tokeniser could not read as one
        line, column = _place(text, tok.start)
        hints.append(f"the prefix '{prefix}:' (line {line}, column {column}) is not declared: "
                     f"add PREFIX {prefix}: <...> before the query")
        break
    return hints


def _place(text: str, at: int) -> tuple[int, int]:
    line = text.count("\n", 0, at) + 1
    return line, at - (text.rfind("\n", 0, at) + 1) + 1
