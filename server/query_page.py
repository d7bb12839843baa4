"""The query page for people: an editor with the graph's prefixes, the gallery of examples, and
the results as a table with links, downloads and a shareable URL."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Response, render_template, request
from markupsafe import Markup

from icc_graph.federation import ServiceRefused, check_services
from icc_graph.iri import is_web_iri
from icc_graph.paths import QUERIES
from icc_graph.store import QueryRequest, read_triples
from icc_graph.store.results import JSON, read_json
from icc_graph.store.row_cap import is_update

from . import result_views
from .context import ctx
from .errors import Problem

LINK_MOST = 3500  # longest link the page writes: a longer URL passes gunicorn's request line
# (4 094 bytes) once the request's other words are added, so its downloads are posted forms
TABLE_ROWS = 1000  # rows the page's table shows (10 000 rows made a 12.6 MB page); the views
# draw from every row, and the downloads hold them all
READ_ONLY = ("this endpoint is read-only: SPARQL Update is not accepted; "
             "download a dump from /dumps/ to change a copy of the data")


def query_page(query: str | None, defaults: list[str], named: list[str]) -> Response:
    """The query page for people: an editor with the graph's prefixes, the gallery of examples,
    and the results as a table with links, downloads and a shareable URL."""
    from urllib.parse import urlencode

    from icc_graph.namespaces import PREFIXES
    from icc_graph.store import StoreError

    from .frame import local
    from .gallery import read_examples

    release = ctx().release.path
    folder = release / "queries" if (release / "queries").is_dir() else QUERIES
    examples = [{"title": e.title, "description": e.description, "note": _federation_note(e.text),
                 "url": "/sparql?" + urlencode({"query": e.text})} for e in read_examples(folder)]
    default = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items()) + (
        "\nSELECT ?practice ?title WHERE {\n  ?practice a icc:GoodPractice ; icc:title ?title .\n"
        "  FILTER(lang(?title) = \"en\")\n} ORDER BY ?title LIMIT 20\n")
    context: dict[str, object] = {"query": query or default, "examples": examples,
                                  "error": None, "columns": [], "rows": [], "boolean": None,
                                  "total": None, "posted": None,
                                  "views_all": result_views.VIEWS,
                                  "view": result_views.chosen_view(query or "",
                                                                   request.values.get("view"))}
    status = 200
    if query:
        params = [("query", query), *[("default-graph-uri", g) for g in defaults],
                  *[("named-graph-uri", g) for g in named]]
        asked = request.values.get("view")
        share = context["share"] = "/sparql?" + urlencode(
            params + ([("view", asked)] if asked in result_views.VIEWS else []))
        context["downloads"] = [(name, "/sparql?" + urlencode([*params, ("format", fmt)]))
                                for name, fmt in (("CSV", "csv"), ("JSON", "json"))]
        context["posted"] = params if len(share) > LINK_MOST else None
        settings = ctx().settings
        job = QueryRequest(query, {"select": JSON, "ask": JSON, "graph": NTRIPLES},
                           time.monotonic() + settings.query_timeout, settings.max_rows,
                           tuple(defaults), tuple(named))
        try:
            if is_update(query):
                raise Problem(403, READ_ONLY)
            check_services(query, settings.service_allow)  # before anything runs
            with ctx().limits.slot():
                reply = ctx().backend.run(job)
        except Problem as exc:  # said on the page, the query kept in its editor
            context["error"], status = exc.message, exc.status
        except ServiceRefused as exc:
            context["error"], status = str(exc), 400
        except StoreError as exc:
            context["error"], status = _message(exc)
        else:
            if reply.form == "graph":
                context["columns"] = ("subject", "predicate", "object")
                triples = read_triples(reply.body, NTRIPLES)
                context["total"] = len(triples)
                context["rows"] = [[_cell(x, local) for x in t] for t in triples[:TABLE_ROWS]]
                context["downloads"] = [(name, "/sparql?" + urlencode([*params, ("format", fmt)]))
                                        for name, fmt in (("Turtle", "ttl"), ("N-Triples", "nt"))]
            else:
                result = read_json(reply.body)
                if result.kind == "ask":
                    context["boolean"] = result.boolean
                context["columns"] = result.variables
                context["total"] = len(result.rows)
                context["rows"] = [[_cell(t, local) for t in row]
                                   for row in result.rows[:TABLE_ROWS]]
                if result.kind == "select":
                    context.update(_views(query, params, result.variables,
                                          [list(row) for row in result.rows]))
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
        return {"text": str(t[1]), "href": None, "lang": str(t[3])}
    return {"text": str(t[1]), "href": None}


def _label(iri: str) -> str:
    """A thing's name for a view: a practice's title, a name, else the IRI's last part."""
    from .catalogue import catalogue
    from .frame import language

    cat, lang = catalogue(), language()
    if iri in cat.practices:
        return cat.practices[iri].title(lang)
    return cat.label(iri, lang)


def _views(query: str, params: list[tuple[str, str]], variables: tuple[str, ...] | list[str],
           rows: list[list[object]]) -> dict[str, object]:
    """The view tabs (each a shareable URL) and the chosen view drawn, with its downloads."""
    from urllib.parse import urlencode

    from . import overview
    from .frame import local

    view = result_views.chosen_view(query, request.args.get("view"))
    tabs = [(v, "/sparql?" + urlencode([*params, ("view", v)])) for v in result_views.VIEWS]
    out: dict[str, object] = {"view": view, "tabs": tabs, "drawn": None,
                              "cap": result_views.ROW_CAP, "line_cap": result_views.LINE_CAP}
    if view != "Table":
        drawn = result_views.draw(view, variables, rows, _label, local,  # type: ignore[arg-type]
                                  overview.coordinates(), f"{view} of the query results")
        out["drawn"] = drawn
        if drawn.svg:
            out["svg_download"] = "/sparql/view.svg?" + urlencode([*params, ("view", view)])
    return out


def view_svg() -> Response:
    """The chosen view of a query's results as a stand-alone SVG file."""
    from icc_graph.federation import check_services
    from icc_graph.store import StoreError

    from .errors import Problem

    query = request.args.get("query", "")
    asked = request.args.get("view")
    view = result_views.chosen_view(query, asked)
    if not query or view == "Table":
        names = ", ".join(v for v in result_views.VIEWS if v != "Table")
        if query and asked and asked not in result_views.VIEWS:
            raise Problem(400, f"there is no view '{asked}': give one of {names}")
        raise Problem(400, f"give a query and a view ({names})")
    settings = ctx().settings
    check_services(query, settings.service_allow)  # ServiceRefused: 400, before anything runs
    job = QueryRequest(query, {"select": JSON}, time.monotonic() + settings.query_timeout,
                       min(settings.max_rows, result_views.ROW_CAP))
    try:
        with ctx().limits.slot():
            reply = ctx().backend.run(job)
    except StoreError as exc:
        message, status = _message(exc)
        raise Problem(status, f"the query cannot be drawn: {message}") from None
    result = read_json(reply.body)
    if result.kind != "select":
        raise Problem(400, "only SELECT results can be drawn")
    from . import overview
    from .frame import local

    drawn = result_views.draw(view, result.variables, list(result.rows),  # type: ignore[arg-type]
                              _label, local, overview.coordinates(), f"{view} of the results")
    if drawn.svg is None:
        raise Problem(400, drawn.note)
    body = '<?xml version="1.0" encoding="utf-8"?>\n' + str(Markup(drawn.svg))
    response = Response(body, mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{view.lower()}.svg"'
    return response
