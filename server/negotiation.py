"""Content negotiation for pages, documents and the SPARQL endpoint, over the one format table.

One rule everywhere: each offered media type gets the quality of the most specific Accept range
that matches it (its own media type or one of the aliases the format table lists for it beat
``type/*``, which beats ``*/*``); the best quality wins, then the more specific match, then the
client's order, then ours. No Accept header means the first type offered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import request

from icc_graph.formats import BY_MEDIA_TYPE, FORMATS, FORMS, GRAPH_FORMATS, Format, for_form, named

HTML = "text/html"
GRAPH_TYPES = [f.media_type for f in GRAPH_FORMATS]
BY_MEDIA = {f.media_type: f for f in GRAPH_FORMATS}

EXACT, ALIAS, SUBTYPE_WILDCARD, WILDCARD = 3, 2, 1, 0


def _bare(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def _names(media_type: str) -> tuple[str, tuple[str, ...]]:
    fmt = BY_MEDIA_TYPE.get(media_type)
    return media_type, fmt.aliases if fmt else ()


def _match(media_type: str, accept: list[tuple[str, float]]) -> tuple[float, int, int] | None:
    """(quality, specificity, -client position) of the most specific range matching the type."""
    own, aliases = _names(media_type)
    best: tuple[int, float, int] | None = None
    for position, (value, quality) in enumerate(accept):
        value = _bare(value)
        if value == own:
            spec = EXACT
        elif value in aliases:
            spec = ALIAS
        elif value == "*/*":
            spec = WILDCARD
        elif value.endswith("/*") and own.split("/", 1)[0] == value.split("/", 1)[0]:
            spec = SUBTYPE_WILDCARD
        else:
            continue
        if best is None or spec > best[0]:
            best = (spec, quality, position)
    if best is None or best[1] <= 0:
        return None
    return best[1], best[0], -best[2]


def best(offered: Sequence[str]) -> str | None:
    """The offered media type the client prefers, or None (the caller answers 406)."""
    key = ("best", request.headers.get("Accept", ""), *offered)
    return _remembered(key, lambda: _best(offered))


def _best(offered: Sequence[str]) -> str | None:
    accept = list(request.accept_mimetypes)
    if not accept:
        return offered[0] if offered else None
    ranked = []
    for index, media_type in enumerate(offered):
        score = _match(media_type, accept)
        if score is not None:
            ranked.append((*score, -index, media_type))
    return max(ranked)[-1] if ranked else None


def best_format(offered: Sequence[Format]) -> Format | None:
    media = best([f.media_type for f in offered])
    return BY_MEDIA_TYPE[media] if media else None


# what one Accept header (and format parameter) gives, per process: clients send few distinct
# headers, so each is read once; a full table is not grown (a client sending a new header with
# every request costs only the reading)
_KNOWN: dict[tuple[str, ...], Any] = {}
_KNOWN_MAX = 512


def _remembered(key: tuple[str, ...], make: Callable[[], Any]) -> Any:
    found = _KNOWN.get(key, _KNOWN)
    if found is _KNOWN:
        found = make()
        if len(_KNOWN) < _KNOWN_MAX:
            _KNOWN[key] = found
    return found


def wants_html() -> bool:
    """True when the client's first choice is a web page (a browser)."""
    return bool(_remembered(("html", request.headers.get("Accept", "")), _wants_html))


def _wants_html() -> bool:
    accept = request.accept_mimetypes
    html = [q for value, q in accept if value in ("text/html", "application/xhtml+xml")]
    return bool(html) and max(html) >= max(q for _, q in accept)


def _known(value: str) -> bool:
    value = value.strip().lower()
    return any(value == f.media_type or value in f.all_names() or value in f.aliases
               for f in FORMATS)


def query_formats(format_param: str | None) -> dict[str, str | None]:
    """For each query form ("select", "ask", "graph"), the media type to answer with, or None
    when nothing the client accepts can be given for that form (answer 406).

    ``format`` names the graph format for CONSTRUCT and DESCRIBE and the results format for
    SELECT and ASK, as Virtuoso and Fuseki read it (``xml``: RDF/XML or SPARQL XML; ``json``:
    JSON-LD or SPARQL JSON; names, extensions, media types and SPARQLWrapper's values). A known
    format that a form cannot give (``csv`` for a graph: SPARQLWrapper sends its return format
    whatever the query) leaves the choice to an Accept header that offers others (SPARQLWrapper
    then sends ``*/*``); without one, or for an unknown format, there is nothing to give."""
    key = ("query", request.headers.get("Accept", ""), format_param or "")
    return dict(_remembered(key, lambda: _query_formats(format_param)))


def _query_formats(format_param: str | None) -> dict[str, str | None]:
    value = (format_param or "").strip()
    fallback = not value or (_known(value) and bool(request.accept_mimetypes))
    out: dict[str, str | None] = {}
    for form in FORMS:
        fmt: Format | None = named(value, form) if value else None
        if fmt is None and fallback:
            fmt = best_format(for_form(form))
        out[form] = fmt.media_type if fmt else None
    return out


def graph_format(name_or_type: str | None) -> Format | None:
    """A graph format from a `format` parameter (ttl, turtle, nt, jsonld, json, rdf, xml, a
    media type or an alias)."""
    return named(name_or_type, "graph") if name_or_type else None
