"""The query page for people: an editor with the graph's prefixes, the gallery of examples, and
the results as a table with links, downloads and a shareable URL."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Response, render_template

from icc_graph.iri import is_web_iri
from icc_graph.paths import QUERIES
from icc_graph.store import QueryRequest, read_triples
from icc_graph.store.results import JSON, read_json

from .context import ctx


def query_page(query: str | None, defaults: list[str], named: list[str]) -> Response:
    """The query page for people: an editor with the graph's prefixes, the gallery of examples,
    and the results as a table with links, downloads and a shareable URL."""
    from urllib.parse import urlencode

    from icc_graph.namespaces import PREFIXES
    from icc_graph.store import StoreError

    from .gallery import read_examples
    from .resources import local

    release = ctx().release.path
    folder = release / "queries" if (release / "queries").is_dir() else QUERIES
    examples = [{"title": e.title, "description": e.description, "note": _federation_note(e.text),
                 "url": "/sparql?" + urlencode({"query": e.text})} for e in read_examples(folder)]
    default = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items()) + (
        "\nSELECT ?practice ?title WHERE {\n  ?practice a icc:GoodPractice ; icc:title ?title .\n"
        "  FILTER(lang(?title) = \"en\")\n} ORDER BY ?title LIMIT 20\n")
    context: dict[str, object] = {"query": query or default, "examples": examples,
                                  "error": None, "columns": [], "rows": [], "boolean": None}
    status = 200
    if query:
        params = [("query", query), *[("default-graph-uri", g) for g in defaults],
                  *[("named-graph-uri", g) for g in named]]
        context["share"] = "/sparql?" + urlencode(params)
        context["downloads"] = [(name, "/sparql?" + urlencode([*params, ("format", fmt)]))
                                for name, fmt in (("CSV", "csv"), ("JSON", "json"))]
        settings = ctx().settings
        job = QueryRequest(query, {"select": JSON, "ask": JSON, "graph": NTRIPLES},
                           time.monotonic() + settings.query_timeout, settings.max_rows,
                           tuple(defaults), tuple(named))
        try:
            with ctx().limits.slot():
                reply = ctx().backend.run(job)
        except StoreError as exc:
            context["error"], status = _message(exc)
        else:
            if reply.form == "graph":
                context["columns"] = ("subject", "predicate", "object")
                context["rows"] = [[_cell(x, local) for x in t]
                                   for t in read_triples(reply.body, NTRIPLES)]
                context["downloads"] = [(name, "/sparql?" + urlencode([*params, ("format", fmt)]))
                                        for name, fmt in (("Turtle", "ttl"), ("N-Triples", "nt"))]
            else:
                result = read_json(reply.body)
                if result.kind == "ask":
                    context["boolean"] = result.boolean
                context["columns"] = result.variables
                context["rows"] = [[_cell(t, local) for t in row] for row in result.rows]
            context["truncated"] = reply.truncated
    response = Response(render_template("sparql.html", **context), status=status,
                        mimetype="text/html")
    response.vary.add("Accept")
    return response


NTRIPLES = "application/n-triples"


def _message(exc: Exception) -> tuple[str, int]:
    """What the page says of a query the store could not answer, and the status."""
    from icc_graph.store import QueryCrashed, QueryError, QueryTimeout, QueryTooLarge

    if isinstance(exc, QueryError):
        return f"The query is not valid SPARQL: {exc}", 400
    if isinstance(exc, QueryCrashed):
        return str(exc), 400
    if isinstance(exc, QueryTimeout | QueryTooLarge):
        return f"{exc}.", 503
    return f"The store cannot answer now: {exc}", 503


def _federation_note(text: str) -> str | None:
    """Why an example cannot run here: it calls an endpoint this server does not allow."""
    from icc_graph.federation import SETTING, ServiceRefused, check_services

    try:
        check_services(text, ctx().settings.service_allow)
    except ServiceRefused:
        return (f"Federation is off for this endpoint on this server: its operator can allow it "
                f"with the setting {SETTING} (see docs/server.md).")
    return None


def _cell(t: tuple[str | None, ...] | None, local: Callable[[str], str]
          ) -> dict[str, str | None]:
    if t is None:
        return {"text": "", "href": None}
    if t[0] == "uri":  # a link only where a browser would go: http and https
        return {"text": str(t[1]), "href": local(str(t[1])) if is_web_iri(str(t[1])) else None}
    if t[0] == "literal" and t[3]:
        return {"text": f"{t[1]} @{t[3]}", "href": None}
    return {"text": str(t[1]), "href": None}
