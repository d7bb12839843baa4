"""Dereferenceable IRIs: /id/... answers 303 See Other to its document /doc/..., which is served
as HTML or RDF by Accept, by extension, or by ?format=; the vocabulary and shapes likewise."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from functools import partial

import pyoxigraph as ox
from flask import Blueprint, Response, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from icc_graph.formats import BY_EXTENSION, Format
from icc_graph.model import KINDS
from icc_graph.namespaces import ICC_IRI, PREFIXES

from . import i18n, negotiation
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


@bp.route("/sparql/view.svg")
def query_view_svg() -> Response:
    """A query page view as an SVG download."""
    from .query_page import view_svg

    return view_svg()


@bp.route("/")
def home() -> Response:
    from urllib.parse import urlencode

    from . import overview
    from .browse import catalogue, value_key

    cat, lang = catalogue(), language()
    practices = list(cat.practices.values())
    counts = [("good_practices", len(cat.practices))]
    for facet, label in (("city", "cities"), ("country", "countries"),
                         ("organisation", "organisations"), ("project", "projects")):
        counts.append((label, len({v for p in practices for v in p.facets[facet]})))
    fig = overview.figures(cat, practices, lang, lambda facet, v: "/practices?" + urlencode(
        {facet: value_key(facet, v)}), "home")
    response = Response(render_template("home.html", counts=counts, fig=fig),
                        mimetype="text/html")
    response.vary.add("Accept-Language")
    return response


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
        make = (partial(_vocabulary_html, triples, lang) if path == "/def/icc"
                else partial(_html, triples, iri, path, kind, lang))
        html = ctx().cache.get_or_make(("html", path, lang), make, len)
        response = Response(html, mimetype="text/html")
        response.vary.add("Accept-Language")
    else:
        chosen = fmt
        body = ctx().cache.get_or_make(("body", path, fmt.name), lambda: ox.serialize(
            triples, format=chosen.oxigraph,
            prefixes=PREFIXES if chosen.name in ("turtle", "jsonld", "rdfxml") else None) or b"",
            len)
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


def _label(labels: dict[str, list[ox.Literal]], node: object, lang: str = "en") -> str | None:
    found = _label_lang(labels, node, lang)
    return found[0] if found else None


def _label_lang(labels: dict[str, list[ox.Literal]], node: object,
                lang: str = "en") -> tuple[str, str | None] | None:
    """A node's label in the reader's language, else English, else any; with its language."""
    values = labels.get(getattr(node, "value", ""), [])
    for wanted in (lang, "en"):
        for lit in values:
            if lit.language == wanted:
                return lit.value, lit.language
    return (values[0].value, values[0].language) if values else None


SCHEMA_NS = "http://schema.org/"
TWINS = (SCHEMA_NS, LABEL, "http://www.w3.org/2004/02/skos/core#prefLabel")


def once(triples: list[ox.Triple], iri: str) -> list[ox.Triple]:
    """A thing's triples with each value once: a value also stated by one of our own
    properties is not repeated under its materialised schema.org, rdfs or SKOS twin."""
    mine = [t for t in triples if getattr(t.subject, "value", None) == iri]
    own = {t.object for t in mine if not t.predicate.value.startswith(TWINS)}
    return [t for t in mine if not (t.predicate.value.startswith(TWINS) and t.object in own)]


def language() -> str:
    """The reader's language: ?lang=, the switch's cookie, else Accept-Language."""
    return i18n.language()


@bp.app_context_processor
def interface() -> dict[str, object]:
    """What every page's frame needs: the language, its words, the switch, the release."""
    lang = language()

    def words(key: str, **values: object) -> str:
        text = i18n.translate(key, lang)
        return text.format(**values) if values else text

    return {"lang": lang, "_": words, "languages": i18n.LANGUAGES,
            "switch_url": i18n.switch_url, "release": ctx().release,
            "base_iri": ctx().settings.base_iri}


@bp.after_app_request
def remember_language(response: Response) -> Response:
    """The switch's choice is kept in a cookie; pages in several languages vary on it."""
    chosen = request.args.get("lang")
    if chosen in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, chosen, max_age=365 * 86400, samesite="Lax")
    if response.mimetype == "text/html":
        response.vary.add("Cookie")
    return response


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
            return {"href": None, "text": node.value, "lang": node.language}
        return {"href": None, "text": str(node)}

    out = sorted(((show(t.predicate), show(t.object)) for t in once(triples, iri)),
                 key=lambda r: (r[0]["text"] or "", r[1]["text"] or ""))
    pointing = [t for t in triples if isinstance(t.object, ox.NamedNode) and t.object.value == iri]
    own_subjects = {t.subject for t in pointing if not t.predicate.value.startswith(TWINS)}
    inc = sorted(((show(t.subject), show(t.predicate)) for t in pointing
                  if not (t.predicate.value.startswith(TWINS) and t.subject in own_subjects)),
                 key=lambda r: (r[1]["text"] or "", r[0]["text"] or ""))
    title, title_lang = _label_lang(labels, ox.NamedNode(iri), lang) or (iri, None)
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
        wikidata=wikidata, period=period, title_lang=title_lang,
        locator=_locator(triples, iri, kind, title) if kind in ("city", "place", "country")
        else None)


def _locator(triples: list[ox.Triple], iri: str, kind: str | None,
             title: str) -> dict[str, object] | None:
    """A small map placing a city (or a country's cities), its country marked."""
    from . import maps, overview

    located = overview.coordinates()
    if kind == "country":
        code = iri.rsplit("/", 1)[-1]
        cities = [(p, v) for p, v in located.items() if v[2] == iri]
    else:
        country = next((str(getattr(t.object, "value", "")) for t in triples
                        if getattr(t.subject, "value", None) == iri
                        and t.predicate.value.endswith("#locatedIn")), "")
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


def _vocabulary_html(triples: list[ox.Triple], lang: str) -> str:
    """/def/icc for people: every class and property with its labels, comments, alignments,
    domain and range, as pyLODE-style pages do."""
    terms: dict[str, dict[str, object]] = {}
    for t in triples:
        s = getattr(t.subject, "value", "")
        if not s.startswith(ICC_IRI):
            continue
        term = terms.setdefault(s, {"iri": s, "name": s[len(ICC_IRI):], "kind": None,
                                    "labels": [], "comments": [], "links": []})
        p, o = t.predicate.value, t.object
        if p == RDF_TYPE and getattr(o, "value", "") in CLASS_TYPES:
            term["kind"] = "class"
        elif p == RDF_TYPE and getattr(o, "value", "") in PROPERTY_TYPES:
            term["kind"] = "property"
        elif p == LABEL and isinstance(o, ox.Literal):
            term["labels"].append((o.value, o.language))  # type: ignore[attr-defined]
        elif p == f"{RDFS}comment" and isinstance(o, ox.Literal):
            term["comments"].append((o.value, o.language))  # type: ignore[attr-defined]
        elif p in ALIGNMENTS and isinstance(o, ox.NamedNode):
            short = next((f"{k}:{o.value[len(ns):]}" for k, ns in PREFIXES.items()
                          if o.value.startswith(ns)), o.value)
            href = f"#{o.value[len(ICC_IRI):]}" if o.value.startswith(ICC_IRI) else o.value
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
