"""Dereferenceable IRIs: /id/... answers 303 See Other to its document /doc/..., which is served
as HTML or RDF by Accept, by extension, or by ?format=; the vocabulary and shapes likewise."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict

import pyoxigraph as ox
from flask import Blueprint, Response, redirect, render_template, request
from rdflib import Graph, URIRef
from werkzeug.wrappers import Response as BaseResponse

from icc_graph import formats, jsonld
from icc_graph.backends import Query
from icc_graph.describe import schema_org
from icc_graph.formats import BY_EXTENSION, Format
from icc_graph.model import KINDS
from icc_graph.namespaces import ICC_IRI, PREFIXES

from . import negotiation
from .context import ctx
from .errors import Problem

bp = Blueprint("resources", __name__)
EXTENSIONS = ("ttl", "nt", "rdf", "jsonld")
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def local(iri: str) -> str:
    """The path of one of our IRIs on this server (so links work on any host)."""
    base = ctx().settings.base_iri
    return "/" + iri[len(base):] if iri.startswith(base) else iri


def _split_extension(name: str) -> tuple[str, Format | None]:
    stem, dot, ext = name.rpartition(".")
    if dot and ext in EXTENSIONS:
        return stem, BY_EXTENSION[ext]
    return name, None


@bp.route("/id/<kind>/<slug>")
def thing(kind: str, slug: str) -> BaseResponse:
    if kind not in KINDS:
        raise Problem(404, f"there are no things of kind '{kind}'; kinds: {', '.join(KINDS)}")
    media = negotiation.best(["text/html", *negotiation.GRAPH_TYPES])
    if media is None:
        raise Problem(406, "accept text/html or one of: " + ", ".join(negotiation.GRAPH_TYPES))
    target = f"/doc/{kind}/{slug}"
    if media != "text/html":
        target += "." + negotiation.BY_MEDIA[media].extension
    response = redirect(target, code=303)
    response.vary.add("Accept")
    return response


@bp.route("/doc/<kind>/<name>")
def document(kind: str, name: str) -> Response:
    slug, fmt = _split_extension(name)
    iri = f"{ctx().settings.base_iri}id/{kind}/{slug}"
    triples = ctx().cache.get_or_make(
        ("describe", iri), lambda: ctx().backend.describe(iri) if kind in KINDS else [],
        lambda value: 200 * len(value))
    if not any(getattr(t.subject, "value", None) == iri for t in triples):
        raise Problem(404, f"nothing is known about <{iri}>: check the address, or search "
                           "with the SPARQL endpoint at /sparql")
    return serve_graph(triples, iri, f"/doc/{kind}/{slug}", fmt, kind)


@bp.route("/def/icc")
@bp.route("/def/<name>")
def vocabulary(name: str = "icc") -> Response:
    stem, fmt = _split_extension(name)
    if stem != "icc":
        raise Problem(404, "the vocabulary is at /def/icc")
    return serve_graph(list(ctx().release.vocabulary), ICC_IRI.rstrip("#"), "/def/icc", fmt)


@bp.route("/shapes")
@bp.route("/shapes.<ext>")
def shapes(ext: str | None = None) -> Response:
    fmt = BY_EXTENSION.get(ext) if ext else None
    if ext and (fmt is None or fmt.dataset):
        raise Problem(404, f"the shapes are not served as .{ext}")
    return serve_graph(list(ctx().release.shapes), f"{ctx().settings.base_iri}shapes",
                       "/shapes", fmt)


@bp.route("/")
def home() -> Response:
    from .browse import catalogue, value_key

    cat, lang = catalogue(), language()
    facets = []
    for facet, label in (("topic", "Topics"), ("country", "Countries"), ("year", "Years")):
        c = cat.counts(facet, {})
        values = [{"key": value_key(facet, v), "count": n,
                   "label": v if facet == "year" else cat.label(v, lang)} for v, n in c.items()]
        values.sort(key=lambda x: str(x["label"]) if facet == "year" else str(x["label"]))
        facets.append({"name": facet, "label": label, "values": values})
    response = Response(render_template("home.html", release=ctx().release, counts=_counts(),
                                        facets=facets, jsonld=_dataset_script()),
                        mimetype="text/html")
    response.vary.add("Accept-Language")
    return response


COUNTED = (("GoodPractice", "good practices"), ("City", "cities"), ("Country", "countries"),
           ("Organisation", "organisations"), ("Project", "projects"))
COUNT_QUERY = """SELECT ?class (COUNT(DISTINCT ?thing) AS ?n) WHERE {
  VALUES ?class { %s }
  ?thing a ?class
} GROUP BY ?class"""


def _counts() -> list[tuple[str, int]]:
    """How many things of each kind the graph holds: the numbers a SPARQL count gives."""
    cached = ctx().memo.get("home-counts")
    if not isinstance(cached, list):
        text = COUNT_QUERY % " ".join(f"<{ICC_IRI}{name}>" for name, _ in COUNTED)
        rows = ctx().backend.query(Query(text), ctx().settings.query_timeout).rows
        found = {str(r[0][1]): int(str(r[1][1])) for r in rows if r[0] and r[1]}
        cached = ctx().memo["home-counts"] = [
            (label, found.get(f"{ICC_IRI}{name}", 0)) for name, label in COUNTED]
    return cached


def _dataset_script() -> str | None:
    """The schema.org Dataset block of the home page, from the release's description."""
    if not ctx().release.void:
        return None
    graph = Graph().parse(data=ox.serialize(ctx().release.void, format=ox.RdfFormat.N_TRIPLES),
                          format="nt")
    return jsonld.script(schema_org(graph, URIRef(f"{ctx().settings.base_iri}dataset")))


def serve_graph(triples: list[ox.Triple], iri: str, path: str, fmt: Format | None,
                kind: str | None = None) -> Response:
    """One description, in the format asked for, with its twins, validators and Vary."""
    if fmt is None and request.args.get("format"):
        fmt = negotiation.graph_format(request.args["format"])
        if fmt is None:
            raise Problem(406, f"unknown format '{request.args['format']}'; use one of: "
                               + ", ".join(EXTENSIONS))
    negotiated = fmt is None
    if fmt is None:
        media = negotiation.best(["text/html", *negotiation.GRAPH_TYPES])
        if media is None:
            raise Problem(406, "accept text/html or one of: "
                               + ", ".join(negotiation.GRAPH_TYPES))
        fmt = negotiation.BY_MEDIA.get(media)
    if fmt is None:
        lang = language()
        html = ctx().cache.get_or_make(("html", path, lang),
                                       lambda: _html(triples, iri, path, kind, lang), len)
        response = Response(html, mimetype="text/html")
        response.vary.add("Accept-Language")
    else:
        chosen = fmt
        body = ctx().cache.get_or_make(("body", path, fmt.name),
                                       lambda: _serialise(triples, chosen), len)
        response = Response(body, mimetype=fmt.media_type)
    release = ctx().release
    tag = hashlib.sha256(f"{release.version}{path}{fmt.name if fmt else 'html'}"
                         f"{len(triples)}".encode()).hexdigest()[:32]
    response.set_etag(tag)
    response.last_modified = release.modified
    response.headers["Link"] = ", ".join(
        [f'<{path}.{f.extension}>; rel="alternate"; type="{f.media_type}"'
         for f in negotiation.GRAPH_FORMATS]
        + [f'<{path}>; rel="alternate"; type="text/html"'])
    if negotiated:
        response.vary.add("Accept")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response.make_conditional(request)  # type: ignore[return-value]


def _serialise(triples: list[ox.Triple], fmt: Format) -> bytes:
    if fmt.name == "jsonld":  # compacted, with the one context (pyoxigraph writes expanded)
        return jsonld.dumps(triples)
    return ox.serialize(triples, format=fmt.oxigraph, prefixes=formats.prefixes(fmt)) or b""


@bp.route(jsonld.CONTEXT_PATH)
def context() -> Response:
    """The one JSON-LD context of the documents, the dump and the pages' schema.org blocks."""
    response = Response(json.dumps(jsonld.context_document(), indent=1),
                        mimetype="application/ld+json")
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response.make_conditional(request)  # type: ignore[return-value]


def _label(labels: dict[str, list[ox.Literal]], node: object, lang: str = "en") -> str | None:
    values = labels.get(getattr(node, "value", ""), [])
    for wanted in (lang, "en"):
        for lit in values:
            if lit.language == wanted:
                return lit.value
    return values[0].value if values else None


def language() -> str:
    """The reader's language: ?lang=, else Accept-Language (English or French)."""
    lang = request.args.get("lang")
    if lang in ("en", "fr"):
        return lang
    return request.accept_languages.best_match(["en", "fr"]) or "en"


def _html(triples: list[ox.Triple], iri: str, path: str, kind: str | None, lang: str) -> str:
    from urllib.parse import urlencode

    from .entity import related, schema_org

    labels: dict[str, list[ox.Literal]] = defaultdict(list)
    for t in triples:
        if t.predicate.value == LABEL and isinstance(t.object, ox.Literal):
            labels[getattr(t.subject, "value", "")].append(t.object)

    def show(node: object) -> dict[str, str | None]:
        if isinstance(node, ox.NamedNode):
            short = next((f"{p}:{node.value[len(ns):]}" for p, ns in PREFIXES.items()
                          if node.value.startswith(ns)), node.value)
            return {"href": local(node.value), "text": _label(labels, node, lang) or short}
        if isinstance(node, ox.Literal):
            tag = f" @{node.language}" if node.language else ""
            return {"href": None, "text": node.value + tag}
        return {"href": None, "text": str(node)}

    out = sorted(((show(t.predicate), show(t.object)) for t in triples
                  if getattr(t.subject, "value", None) == iri),
                 key=lambda r: (r[0]["text"] or "", r[1]["text"] or ""))
    inc = sorted(((show(t.subject), show(t.predicate)) for t in triples
                  if isinstance(t.object, ox.NamedNode) and t.object.value == iri),
                 key=lambda r: (r[1]["text"] or "", r[0]["text"] or ""))
    title = _label(labels, ox.NamedNode(iri), lang) or iri
    twins = [(f.name, f"{path}.{f.extension}", f.media_type) for f in negotiation.GRAPH_FORMATS]
    query = f"SELECT ?property ?value WHERE {{\n  <{iri}> ?property ?value\n}}"
    mine = [(t.predicate.value, str(getattr(t.object, "value", ""))) for t in triples
            if getattr(t.subject, "value", None) == iri]
    sources = [o for p, o in mine if p.endswith("#sourcePage")]
    wikidata = [o for p, o in mine if p == "http://www.w3.org/2002/07/owl#sameAs"]
    period = [o for p, o in mine if p.endswith("#periodText")]
    return render_template(
        "resource.html", title=title, iri=iri, out=out, inc=inc, twins=twins, lang=lang,
        path=path, sections=related(kind, iri, lang) if kind else [],
        jsonld=schema_org(triples, iri, title) if kind else None,
        query_url="/sparql?" + urlencode({"query": query}), sources=sources,
        wikidata=wikidata, period=period)
