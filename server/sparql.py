"""The SPARQL 1.1 Protocol at /sparql: query by GET, URL-encoded POST and direct POST; updates
refused; results negotiated (q-values, or a ``format`` parameter); bounded in time and rows."""

from __future__ import annotations

from flask import Blueprint, Response, request

from icc_graph import results
from icc_graph.backends import Query, query_form
from icc_graph.formats import BY_NAME

from . import negotiation
from .context import ctx
from .errors import Problem
from .query_page import query_page

bp = Blueprint("sparql", __name__)

FORMAT_PARAM = {  # values of ?format=
    "json": results.SELECT_FORMATS["json"], "xml": results.SELECT_FORMATS["xml"],
    "csv": "text/csv", "tsv": "text/tab-separated-values",
    "ttl": "text/turtle", "turtle": "text/turtle", "nt": "application/n-triples",
    "ntriples": "application/n-triples", "jsonld": "application/ld+json",
    "json-ld": "application/ld+json", "rdf": "application/rdf+xml",
    "rdfxml": "application/rdf+xml",
}
READ_ONLY = ("this endpoint is read-only: SPARQL Update is not accepted; "
             "download a dump from /dumps/ to change a copy of the data")


def _one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise Problem(400, f"give one '{name}' parameter, not {len(values)}")
    return values[0] if values else None


def _protocol_request() -> tuple[str | None, list[str], list[str]]:
    """The query text and the dataset of the request, whichever form it takes."""
    args = request.args
    if request.method == "POST":
        ctype = (request.mimetype or "").lower()
        if not ctype and not request.get_data():
            raise Problem(400, "the request has no query: send 'query=' or a SPARQL body")
        if ctype == "application/sparql-update" or "update" in request.form:
            raise Problem(403, READ_ONLY)
        if ctype == "application/x-www-form-urlencoded":
            if "query" in args:
                raise Problem(400, "give the query in the body or in the URL, not both")
            form = request.form
            query = _one(form.getlist("query"), "query")
            defaults = form.getlist("default-graph-uri") + args.getlist("default-graph-uri")
            named = form.getlist("named-graph-uri") + args.getlist("named-graph-uri")
            return query, defaults, named
        if ctype == "application/sparql-query":
            return (request.get_data(as_text=True), args.getlist("default-graph-uri"),
                    args.getlist("named-graph-uri"))
        raise Problem(415, f"cannot read a body of type '{ctype or 'none'}': send "
                           "application/x-www-form-urlencoded or application/sparql-query")
    if "update" in args:
        raise Problem(403, READ_ONLY)
    return (_one(args.getlist("query"), "query"), args.getlist("default-graph-uri"),
            args.getlist("named-graph-uri"))


def _wanted(offered: list[str]) -> str:
    fmt = request.values.get("format")
    if fmt:
        media = FORMAT_PARAM.get(fmt.lower(), fmt)
        if media not in offered:
            raise Problem(406, f"format '{fmt}' is not available for this query; "
                               f"choose one of: {', '.join(offered)}")
        return media
    choice = negotiation.best(offered)
    if choice is None:
        raise Problem(406, "none of the media types in Accept can be produced for this query; "
                           f"accept one of: {', '.join(offered)}")
    return choice


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    query, defaults, named = _protocol_request()
    if query is None:
        if request.method == "POST":
            raise Problem(400, "the request has no query: send 'query=' or a SPARQL body")
        return service_description()
    if not query.strip():
        raise Problem(400, "the query is empty")
    if negotiation.wants_html() and "format" not in request.values:
        return query_page(query, defaults, named)
    form = query_form(query)  # raises QueryError (400) with the position
    settings = ctx().settings
    if form == "graph":
        offered = negotiation.GRAPH_TYPES
    else:
        offered = list((results.SELECT_FORMATS if form == "select" else results.ASK_FORMATS)
                       .values())
    media = _wanted(offered)
    graph_format = next((f.name for f in negotiation.GRAPH_FORMATS if f.media_type == media),
                        "turtle")
    job = Query(query, tuple(defaults), tuple(named), graph_format, settings.max_rows)
    body, truncated = ctx().cache.get_or_make(
        ("sparql", job, media), lambda: _answer(job, media), lambda value: len(value[0]))
    response = Response(body, mimetype=media)
    response.vary.add("Accept")
    response.headers["X-Result-Limit"] = str(settings.max_rows)
    response.headers["X-Result-Truncated"] = "true" if truncated else "false"
    if truncated:
        response.headers["Warning"] = (f'199 - "results cut at {settings.max_rows} rows; '
                                       'use LIMIT and OFFSET to page through them"')
    return response


def _answer(job: Query, media: str) -> tuple[bytes, bool]:
    result = ctx().backend.query(job, ctx().settings.query_timeout)
    fmt_name = next((k for k, v in results.SELECT_FORMATS.items() if v == media), None)
    if result.kind == "select":
        body = results.select(result.variables, result.rows, fmt_name or "json")
    elif result.kind == "ask":
        body = results.ask(result.boolean, fmt_name or "json")
    else:
        body = result.data
    return body, result.truncated


SD_TEMPLATE = """@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix void: <http://rdfs.org/ns/void#> .
<{endpoint}> a sd:Service ;
    sd:endpoint <{endpoint}> ;
    sd:supportedLanguage sd:SPARQL11Query ;
    sd:feature sd:UnionDefaultGraph ;
    sd:resultFormat <http://www.w3.org/ns/formats/SPARQL_Results_JSON>,
        <http://www.w3.org/ns/formats/SPARQL_Results_XML>,
        <http://www.w3.org/ns/formats/SPARQL_Results_CSV>,
        <http://www.w3.org/ns/formats/SPARQL_Results_TSV>,
        <http://www.w3.org/ns/formats/Turtle>, <http://www.w3.org/ns/formats/N-Triples>,
        <http://www.w3.org/ns/formats/RDF_XML>, <http://www.w3.org/ns/formats/JSON-LD> ;
    sd:defaultDataset [ a sd:Dataset ; sd:defaultGraph [ a sd:Graph ] ;
                        void:sparqlEndpoint <{endpoint}> ] .
<{dataset}> void:sparqlEndpoint <{endpoint}> .
"""


def service_description() -> Response:
    import pyoxigraph as ox

    base = ctx().settings.base_iri
    if negotiation.wants_html():
        return query_page(None, [], [])
    media = negotiation.best(negotiation.GRAPH_TYPES)
    if media is None:
        raise Problem(406, "the service description is served as: "
                           + ", ".join(negotiation.GRAPH_TYPES))
    turtle = SD_TEMPLATE.format(endpoint=f"{base}sparql", dataset=f"{base}dataset")
    fmt = next(f for f in negotiation.GRAPH_FORMATS if f.media_type == media)
    triples = [q.triple for q in ox.parse(turtle.encode(), format=ox.RdfFormat.TURTLE)]
    body = ox.serialize(triples, format=BY_NAME[fmt.name].oxigraph) or b""
    response = Response(body, mimetype=media)
    response.vary.add("Accept")
    return response
