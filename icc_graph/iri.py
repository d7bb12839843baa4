"""What counts as an absolute IRI where a client names one: a graph of the dataset
(``default-graph-uri``, ``named-graph-uri``) or a ``SERVICE`` endpoint.

The check is the syntax of RFC 3987 that matters to a SPARQL engine: a scheme, then no
character that an IRI cannot hold (spaces, controls, ``<>"{}|^`\\``), nothing undecodable.
"""

from __future__ import annotations

import re

SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f-\x9f]')


class IriError(ValueError):
    """A value that should be an absolute IRI is not one."""


def check_iri(value: str, name: str = "IRI") -> str:
    """Return ``value`` if it is an absolute IRI; raise ``IriError`` saying what is wrong."""
    if not value:
        raise IriError(f"{name} is empty: give an absolute IRI such as https://example.org/graph")
    bad = FORBIDDEN.search(value)
    if bad:
        raise IriError(f"{name} {value[:200]!r} holds {bad.group()!r} at position "
                       f"{bad.start() + 1}, which an IRI cannot contain (percent-encode it)")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise IriError(f"{name} {value[:200]!r} is not valid UTF-8")
    if not SCHEME.match(value):
        raise IriError(f"{name} {value[:200]!r} is not an absolute IRI: it needs a scheme, "
                       "as in https://example.org/graph")
    return value


def is_web_iri(value: str) -> bool:
    """True for http and https IRIs: the only ones a page turns into links."""
    return value.lower().startswith(("http://", "https://")) and FORBIDDEN.search(value) is None
