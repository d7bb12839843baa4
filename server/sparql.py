"""The SPARQL 1.1 Protocol at /sparql: query by GET, URL-encoded POST and direct POST; updates
refused; results negotiated (q-values, or a ``format`` parameter); bounded in time and rows."""

from __future__ import annotations

import re
import time
from urllib.parse import unquote_to_bytes

from flask import Blueprint, Response, request

from icc_graph.federation import check_services
from icc_graph.iri import check_iri
from icc_graph.store import QueryReply, QueryRequest, read_triples, write_triples
from icc_graph.store.row_cap import is_update

from . import negotiation
from .context import ctx
from .errors import Problem
from .query_page import READ_ONLY, query_page, view_svg

bp = Blueprint("sparql", __name__)
bp.add_url_rule("/sparql/view.svg", view_func=view_svg)  # a query page view as an SVG file



def _one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise Problem(400, f"give one '{name}' parameter, not {len(values)}")
    return values[0] if values else None


def _protocol_request() -> tuple[str | None, list[str], list[str]]:
    """The query text and the dataset of the request, whichever form it takes."""
    args = request.args
    if request.method == "POST":
        ctype = (request.mimetype or "").lower()
        if request.headers.get("Content-Encoding", "identity").lower() != "identity":
            raise Problem(415, "send the request body without Content-Encoding: this "
                               "endpoint reads it as it comes")
        if not ctype and not request.get_data():
            raise Problem(400, "the request has no query: send 'query=' or a SPARQL body")
        if ctype == "application/x-www-form-urlencoded":  # read before the form parses it
            _check_encoded(request.get_data(cache=True), "form body")
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
            if "query" in args:
                raise Problem(400, "give the query in the body or in the URL, not both")
            return (_body_text(), args.getlist("default-graph-uri"),
                    args.getlist("named-graph-uri"))
        raise Problem(415, f"cannot read a body of type '{ctype or 'none'}': send "
                           "application/x-www-form-urlencoded or application/sparql-query")
    if "update" in args:
        raise Problem(403, READ_ONLY)
    if request.query_string:
        _check_encoded(request.query_string, "URL's query string")
    return (_one(args.getlist("query"), "query"), args.getlist("default-graph-uri"),
            args.getlist("named-graph-uri"))


NOT_UTF8 = ("the query holds bytes that are not UTF-8: send it in UTF-8 (percent-encoded in a "
            "URL or a form), as the SPARQL Protocol says")
_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


_READ = ("query", "update", "default-graph-uri", "named-graph-uri")  # the fields checked


def _check_encoded(raw: bytes, where: str) -> None:
    """A 400 when the query, or a graph IRI, in a URL's query string or a form body holds
    bytes that are not UTF-8, raw or percent-encoded: werkzeug leaves such an escape as its
    three characters (or drops the field), which would change the query without a word.
    Other fields are not the endpoint's to judge."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not any(f"{name}=".encode() in raw for name in _READ):
            return
        raise Problem(400, f"{NOT_UTF8}: byte {raw[exc.start]:#04x} at offset {exc.start} of "
                           f"the {where}") from None
    if "%" not in text:
        return
    try:
        unquote_to_bytes(text).decode("utf-8")  # one pass over the whole: the common case
        return
    except UnicodeDecodeError:
        pass
    offset = 0
    for field in text.split("&"):  # where it fails, in a field of ours
        name = field.split("=", 1)[0]
        if name in _READ:
            for run in _ESCAPES.finditer(field):
                try:
                    unquote_to_bytes(run.group()).decode("utf-8")
                except UnicodeDecodeError:
                    raise Problem(400, f"{NOT_UTF8}: {run.group()[:12]} at offset "
                                       f"{offset + run.start()} of the {where}") from None
        offset += len(field) + 1


# the charsets a direct POST may name (text codecs only: no escapes such as unicode_escape)
CHARSETS = {"utf-8": "utf-8-sig", "utf8": "utf-8-sig", "us-ascii": "ascii", "ascii": "ascii",
            "iso-8859-1": "latin-1", "latin1": "latin-1", "windows-1252": "cp1252",
            "utf-16": "utf-16", "utf-16le": "utf-16-le", "utf-16be": "utf-16-be"}


def _body_text() -> str:
    """A direct POST's query: UTF-8 (a byte-order mark set aside), or the charset its
    Content-Type names; a 400 at the first byte that cannot be read."""
    raw = request.get_data()
    charset = (request.mimetype_params.get("charset") or "utf-8").lower()
    codec = CHARSETS.get(charset)
    if codec is None:
        raise Problem(415, f"the charset '{charset}' is not read here: send the query in UTF-8 "
                           f"(or one of {', '.join(sorted(CHARSETS))})")
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise Problem(400, f"the query body is not {charset.upper()}: "
                           f"byte {raw[exc.start]:#04x} at offset {exc.start}; send the query "
                           "in UTF-8, as the SPARQL Protocol says") from None


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    query, defaults, named = _protocol_request()
    if query is None:
        if request.method == "POST":
            raise Problem(400, "the request has no query: send 'query=' or a SPARQL body")
        return service_description()
    if not query.strip():
        raise Problem(400, "the query is empty")
    settings = ctx().settings
    for name, graphs in (("default-graph-uri", defaults), ("named-graph-uri", named)):
        for graph in graphs:
            check_iri(graph, name)  # IriError: 400
    if negotiation.wants_html() and "format" not in request.values:
        return query_page(query, defaults, named)  # says the two refusals below in the page
    if is_update(query):
        raise Problem(403, READ_ONLY)
    check_services(query, settings.service_allow)  # ServiceRefused: 400, before anything runs
    accept = {form: media for form, media in
              negotiation.query_formats(request.values.get("format")).items() if media}
    job = QueryRequest(query, accept, time.monotonic() + settings.query_timeout,
                       settings.max_rows, tuple(defaults), tuple(named))
    key = ("sparql", job.text, tuple(sorted(accept.items())), job.max_rows, job.default_graphs,
           job.named_graphs)
    reply = ctx().cache.get_or_make(key, lambda: _run(job), lambda r: len(r.body))
    response = Response(reply.body, mimetype=reply.media_type)
    response.vary.add("Accept")
    response.headers["X-Result-Limit"] = str(settings.max_rows)
    response.headers["X-Result-Truncated"] = "true" if reply.truncated else "false"
    if reply.truncated:
        response.headers["Warning"] = (f'199 - "results cut at {settings.max_rows} rows; '
                                       'use LIMIT and OFFSET to page through them"')
    return response


def _run(job: QueryRequest) -> QueryReply:
    with ctx().limits.slot():
        return ctx().backend.run(job)


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
    base = ctx().settings.base_iri
    if negotiation.wants_html():
        return query_page(None, [], [])
    media = negotiation.best(negotiation.GRAPH_TYPES)
    if media is None:
        raise Problem(406, "the service description is served as: "
                           + ", ".join(negotiation.GRAPH_TYPES))
    turtle = SD_TEMPLATE.format(endpoint=f"{base}sparql", dataset=f"{base}dataset")
    body = write_triples(read_triples(turtle.encode(), "text/turtle"), media)
    response = Response(body, mimetype=media)
    response.vary.add("Accept")
    return response
