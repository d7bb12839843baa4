"""Content negotiation: one function on werkzeug's Accept parsing, over the one format table."""

from __future__ import annotations

from flask import request

from icc_graph.formats import BY_EXTENSION, BY_MEDIA_TYPE, FORMATS, Format

HTML = "text/html"
# the RDF formats a single resource is served in, and their extensions
GRAPH_FORMATS = [f for f in FORMATS if not f.dataset]
GRAPH_TYPES = [f.media_type for f in GRAPH_FORMATS]
BY_MEDIA = {f.media_type: f for f in GRAPH_FORMATS}
ALIASES = {"application/json": "application/ld+json", "application/xml": "application/rdf+xml",
           "text/n3": "text/turtle", "application/x-turtle": "text/turtle",
           "text/plain": "application/n-triples"}


def best(offered: list[str]) -> str | None:
    """The offered media type the client prefers (q-values honoured), or None for a 406.

    No Accept header means anything: the first offered type is given."""
    accept = request.accept_mimetypes
    if not accept:
        return offered[0]
    choice = accept.best_match(offered)
    if choice is None:
        for alias, target in ALIASES.items():
            if target in offered and accept[alias] > 0:
                return target
    return choice


def wants_html() -> bool:
    """True when the client's first choice is a web page (a browser)."""
    accept = request.accept_mimetypes
    html = [q for value, q in accept if value in ("text/html", "application/xhtml+xml")]
    return bool(html) and max(html) >= max(q for _, q in accept)


def graph_format(name_or_type: str | None) -> Format | None:
    """A graph format from a `format` parameter (ttl, turtle, nt, jsonld, rdf, media type)."""
    if not name_or_type:
        return None
    value = ALIASES.get(name_or_type, name_or_type)
    fmt = BY_MEDIA_TYPE.get(value) or BY_EXTENSION.get(value.lower())
    return fmt if fmt is not None and not fmt.dataset else None


SPARQL_JSON, SPARQL_XML = "application/sparql-results+json", "application/sparql-results+xml"
# what each query form can be answered in, the first being the default
QUERY_TYPES: dict[str, list[str]] = {
    "select": [SPARQL_JSON, SPARQL_XML, "text/csv", "text/tab-separated-values"],
    "ask": [SPARQL_JSON, SPARQL_XML],
    "graph": GRAPH_TYPES,
}
# values of ?format= for results (the graph names come from the format table)
RESULT_NAMES = {"json": SPARQL_JSON, "xml": SPARQL_XML, "csv": "text/csv",
                "tsv": "text/tab-separated-values"}


def query_formats(format_param: str | None) -> dict[str, str | None]:
    """For each query form, the media type to answer in (None: nothing the client accepts).

    ``format`` names a results format for SELECT and ASK and a graph format for CONSTRUCT and
    DESCRIBE; without it, Accept decides."""
    out: dict[str, str | None] = {}
    for form, offered in QUERY_TYPES.items():
        if format_param:
            if form == "graph":
                fmt = graph_format(format_param)
                media = fmt.media_type if fmt else None
            else:
                media = RESULT_NAMES.get(format_param.lower(), format_param.lower())
            out[form] = media if media in offered else None
        else:
            out[form] = best(offered)
    return out
