"""Dereferenceable IRIs: /id/... answers 303 See Other to its document /doc/..., which is served
as HTML or RDF by Accept, by extension, or by ?format=; the vocabulary and shapes likewise."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from functools import partial

from flask import Blueprint, Response, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from icc_graph.formats import BY_EXTENSION, Format
from icc_graph.iri import FORBIDDEN, is_web_iri
from icc_graph.model import KINDS
from icc_graph.namespaces import ICC_IRI, PREFIXES
from icc_graph.store import Description, Term, Triple, jsonld, write_triples

from . import negotiation
from .context import ctx
from .errors import Problem
from .frame import language, local

bp = Blueprint("resources", __name__)
EXTENSIONS = ("ttl", "nt", "rdf", "jsonld")
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def _split_extension(name: str) -> tuple[str, Format | None]:
    stem, dot, ext = name.rpartition(".")
    if dot and ext in EXTENSIONS:
        return stem, BY_EXTENSION[ext]
    return name, None


def _check_slug(text: str) -> None:
    """A 400 for an address no IRI of ours can have: characters an IRI cannot hold (spaces,
    controls, CR/LF, <, ", ...) or bytes that are not UTF-8."""
    bad = FORBIDDEN.search(text)
    if bad or "\ufffd" in text:
        what = f"the character {bad.group()!r}" if bad else "bytes that are not UTF-8"
        raise Problem(400, f"this address holds {what}, which no IRI of this dataset contains: "
                           "check the address, or find things with /practices or /sparql")


@bp.route("/id/<kind>/<slug>")
def thing(kind: str, slug: str) -> BaseResponse:
    _check_slug(kind + slug)
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
    _check_slug(kind + name)
    slug, fmt = _split_extension(name)
    iri = f"{ctx().settings.base_iri}id/{kind}/{slug}"
    doc: Description = ctx().cache.get_or_make(
        ("describe", iri), lambda: ctx().backend.describe(iri) if kind in KINDS
        else Description(iri), lambda value: 200 * len(value.triples))
    if not doc:
        raise Problem(404, f"nothing is known about <{iri}>: check the address, or search "
                           "with the SPARQL endpoint at /sparql")
    response = serve_graph(list(doc.triples), iri, f"/doc/{kind}/{slug}", fmt, kind)
    if doc.more_incoming:
        from urllib.parse import urlencode

        from icc_graph.store.documents import incoming_query

        rest = "/sparql?" + urlencode({"query": incoming_query(iri)})
        response.headers["Link"] += f', <{rest}>; rel="related"; title="every incoming link"'
        response.headers["X-Incoming-Links-Cut"] = str(doc.cap)
    return response


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


@bp.route("/sparql/view.svg")
def query_view_svg() -> Response:
    """A query page view as an SVG download."""
    from .query_page import view_svg

    return view_svg()


def serve_graph(triples: list[Triple], iri: str, path: str, fmt: Format | None,
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
        make = (partial(_vocabulary_html, triples, lang) if path == "/def/icc"
                else partial(_html, triples, iri, path, kind, lang))
        html = ctx().cache.get_or_make(("html", path, lang), make, len)
        response = Response(html, mimetype="text/html")
        response.vary.add("Accept-Language")
    else:
        chosen = fmt
        body = ctx().cache.get_or_make(("body", path, fmt.name),
                                       lambda: write_triples(triples, chosen.media_type), len)
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


@bp.route(jsonld.CONTEXT_PATH)
def context() -> Response:
    """The one JSON-LD context of the documents, the dump and the pages' schema.org blocks."""
    response = Response(json.dumps(jsonld.context_document(), indent=1),
                        mimetype="application/ld+json")
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response.make_conditional(request)  # type: ignore[return-value]


def _label(labels: dict[str, list[Term]], node: Term, lang: str = "en") -> str | None:
    found = _label_lang(labels, node, lang)
    return found[0] if found else None


def _label_lang(labels: dict[str, list[Term]], node: Term,
                lang: str = "en") -> tuple[str, str | None] | None:
    """A node's label in the reader's language, else English, else any; with its language."""
    values = labels.get(str(node[1]), []) if node[0] == "uri" else []
    for wanted in (lang, "en"):
        for lit in values:
            if lit[3] == wanted:
                return str(lit[1]), wanted
    return (str(values[0][1]), values[0][3]) if values else None


SCHEMA_NS = "http://schema.org/"
TWINS = (SCHEMA_NS, LABEL, "http://www.w3.org/2004/02/skos/core#prefLabel")


def _twin(predicate: Term) -> bool:
    return str(predicate[1]).startswith(TWINS)


def once(triples: list[Triple], iri: str) -> list[Triple]:
    """A thing's triples with each value once: a value also stated by one of our own
    properties is not repeated under its materialised schema.org, rdfs or SKOS twin."""
    me = ("uri", iri)
    mine = [t for t in triples if t[0] == me]
    own = {o for _, p, o in mine if not _twin(p)}
    return [t for t in mine if not (_twin(t[1]) and t[2] in own)]


def _html(triples: list[Triple], iri: str, path: str, kind: str | None, lang: str) -> str:
    from urllib.parse import urlencode

    from .entity import related, schema_org

    labels: dict[str, list[Term]] = defaultdict(list)
    for s, p, o in triples:
        if p == ("uri", LABEL) and o[0] == "literal" and s[0] == "uri":
            labels[str(s[1])].append(o)

    def show(node: Term) -> dict[str, str | None]:
        value = str(node[1])
        if node[0] == "uri":
            short = next((f"{p}:{value[len(ns):]}" for p, ns in PREFIXES.items()
                          if value.startswith(ns)), value)
            href = local(value) if is_web_iri(value) else None
            return {"href": href, "text": _label(labels, node, lang) or short}
        if node[0] == "literal":
            return {"href": None, "text": value,
                    "lang": str(node[3]) if len(node) > 3 and node[3] else None}
        return {"href": None, "text": f"_:{value}"}

    me = ("uri", iri)
    out = sorted(((show(p), show(o)) for _, p, o in once(triples, iri)),
                 key=lambda r: (r[0]["text"] or "", r[1]["text"] or ""))
    pointing = [t for t in triples if t[2] == me and t[0] != me]
    own_subjects = {s for s, p, _ in pointing if not _twin(p)}
    inc = sorted(((show(s), show(p)) for s, p, _ in pointing
                  if not (_twin(p) and s in own_subjects)),
                 key=lambda r: (r[1]["text"] or "", r[0]["text"] or ""))
    title, title_lang = _label_lang(labels, me, lang) or (iri, None)
    twins = [(f.name, f"{path}.{f.extension}", f.media_type) for f in negotiation.GRAPH_FORMATS]
    query = f"SELECT ?property ?value WHERE {{\n  <{iri}> ?property ?value\n}}"
    mine = [(str(p[1]), str(o[1])) for s, p, o in triples if s == me]
    sources = [o for p, o in mine if p.endswith("#sourcePage") and is_web_iri(o)]
    wikidata = [o for p, o in mine if p == "http://www.w3.org/2002/07/owl#sameAs"
                and is_web_iri(o)]
    period = [o for p, o in mine if p.endswith("#periodText")]
    return render_template(
        "resource.html", title=title, iri=iri, out=out, inc=inc, twins=twins, lang=lang,
        path=path, sections=related(kind, iri, lang) if kind else [],
        jsonld=schema_org(triples, iri, title) if kind else None,
        query_url="/sparql?" + urlencode({"query": query}), sources=sources,
        wikidata=wikidata, period=period, title_lang=title_lang,
        locator=_locator(triples, iri, kind, title) if kind in ("city", "place", "country")
        else None)


def _locator(triples: list[Triple], iri: str, kind: str | None,
             title: str) -> dict[str, object] | None:
    """A small map placing a city (or a country's cities), its country marked."""
    from . import maps, overview

    located = overview.coordinates()
    if kind == "country":
        code = iri.rsplit("/", 1)[-1]
        cities = [(p, v) for p, v in located.items() if v[2] == iri]
    else:
        country = next((str(o[1]) for s, p, o in triples
                        if s == ("uri", iri) and str(p[1]).endswith("#locatedIn")), "")
        code = country.rsplit("/", 1)[-1]
        cities = [(iri, located[iri])] if iri in located else []
    from .browse import catalogue

    cat = catalogue()
    points = [maps.Point(p, title if p == iri else cat.label(p, "en"), lat, long, 0,
                         "" if p == iri else local(p)) for p, (lat, long, _c) in cities]
    if not points and code not in maps.NUMERIC:
        return None
    frame = maps.frame_for(points, small=True)
    svg = maps.svg(points, frame, f"{title}: location", highlight=[code], labels=1,
                   element_id="locator")
    return {"svg": svg, "points": [(p.label, p.lat, p.long) for p in points]}


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
CLASS_TYPES = {f"{OWL}Class", f"{RDFS}Class"}
PROPERTY_TYPES = {f"{OWL}ObjectProperty", f"{OWL}DatatypeProperty", f"{OWL}AnnotationProperty",
                  "http://www.w3.org/1999/02/22-rdf-syntax-ns#Property"}
ALIGNMENTS = {f"{RDFS}subClassOf": "subclass", f"{RDFS}subPropertyOf": "aligned",
              f"{OWL}equivalentClass": "aligned", f"{OWL}equivalentProperty": "aligned",
              "http://www.w3.org/2004/02/skos/core#exactMatch": "aligned",
              "http://www.w3.org/2004/02/skos/core#closeMatch": "aligned",
              f"{RDFS}domain": "domain", f"{RDFS}range": "range"}


def _vocabulary_html(triples: list[Triple], lang: str) -> str:
    """/def/icc for people: every class and property with its labels, comments, alignments,
    domain and range, as pyLODE-style pages do."""
    terms: dict[str, dict[str, object]] = {}
    for subject, predicate, o in triples:
        s = str(subject[1])
        if subject[0] != "uri" or not s.startswith(ICC_IRI):
            continue
        term = terms.setdefault(s, {"iri": s, "name": s[len(ICC_IRI):], "kind": None,
                                    "labels": [], "comments": [], "links": []})
        p, value = str(predicate[1]), str(o[1])
        literal = o[0] == "literal"
        language_of = o[3] if literal and len(o) > 3 else None
        if p == RDF_TYPE and value in CLASS_TYPES:
            term["kind"] = "class"
        elif p == RDF_TYPE and value in PROPERTY_TYPES:
            term["kind"] = "property"
        elif p == LABEL and literal:
            term["labels"].append((value, language_of))  # type: ignore[attr-defined]
        elif p == f"{RDFS}comment" and literal:
            term["comments"].append((value, language_of))  # type: ignore[attr-defined]
        elif p in ALIGNMENTS and o[0] == "uri":
            short = next((f"{k}:{value[len(ns):]}" for k, ns in PREFIXES.items()
                          if value.startswith(ns)), value)
            href = f"#{value[len(ICC_IRI):]}" if value.startswith(ICC_IRI) else value
            term["links"].append((ALIGNMENTS[p], short, href))  # type: ignore[attr-defined]
    for term in terms.values():
        term["labels"].sort(key=lambda x: (x[1] != lang, x[1] or ""))  # type: ignore[attr-defined]
        term["comments"].sort(key=lambda x: (x[1] != lang, x[1] or ""))  # type: ignore[attr-defined]
        term["links"].sort()  # type: ignore[attr-defined]
    ordered = sorted(terms.values(), key=lambda t: str(t["name"]).casefold())
    twins = [(f.name, f"/def/icc.{f.extension}", f.media_type) for f in negotiation.GRAPH_FORMATS]
    return render_template("vocabulary.html", twins=twins,
                           classes=[t for t in ordered if t["kind"] == "class"],
                           properties=[t for t in ordered if t["kind"] == "property"])
