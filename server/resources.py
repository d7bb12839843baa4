"""Dereferenceable IRIs: /id/... answers 303 See Other to its document /doc/..., which is served
as HTML or RDF by Accept, by extension, or by ?format=; the vocabulary and shapes likewise."""

from __future__ import annotations

import hashlib
from collections import defaultdict

from flask import Blueprint, Response, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from icc_graph.formats import BY_EXTENSION, Format
from icc_graph.iri import FORBIDDEN, is_web_iri
from icc_graph.model import KINDS
from icc_graph.namespaces import ICC_IRI, PREFIXES
from icc_graph.store import Description, Term, Triple, write_triples

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


@bp.route("/")
def home() -> Response:
    from .browse import catalogue, value_key

    cat, lang = catalogue(), language()
    practices = cat.practices.values()
    counts = [("good practices", len(cat.practices))]
    for facet, label in (("city", "cities"), ("country", "countries"),
                         ("organisation", "organisations"), ("project", "projects")):
        counts.append((label, len({v for p in practices for v in p.facets[facet]})))
    facets = []
    for facet, label in (("topic", "Topics"), ("country", "Countries"), ("year", "Years")):
        c = cat.counts(facet, {})
        values = [{"key": value_key(facet, v), "count": n,
                   "label": v if facet == "year" else cat.label(v, lang)} for v, n in c.items()]
        values.sort(key=lambda x: str(x["label"]) if facet == "year" else str(x["label"]))
        facets.append({"name": facet, "label": label, "values": values})
    response = Response(render_template("home.html", release=ctx().release, counts=counts,
                                        facets=facets), mimetype="text/html")
    response.vary.add("Accept-Language")
    return response


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
        html = ctx().cache.get_or_make(("html", path, lang),
                                       lambda: _html(triples, iri, path, kind, lang), len)
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


def _label(labels: dict[str, list[Term]], node: Term, lang: str = "en") -> str | None:
    values = labels.get(str(node[1]), []) if node[0] == "uri" else []
    for wanted in (lang, "en"):
        for lit in values:
            if lit[3] == wanted:
                return str(lit[1])
    return str(values[0][1]) if values else None


def language() -> str:
    """The reader's language: ?lang=, else Accept-Language (English or French)."""
    lang = request.args.get("lang")
    if lang in ("en", "fr"):
        return lang
    return request.accept_languages.best_match(["en", "fr"]) or "en"


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
            tag = f" @{node[3]}" if len(node) > 3 and node[3] else ""
            return {"href": None, "text": value + tag}
        return {"href": None, "text": f"_:{value}"}

    me = ("uri", iri)
    out = sorted(((show(p), show(o)) for s, p, o in triples if s == me),
                 key=lambda r: (r[0]["text"] or "", r[1]["text"] or ""))
    inc = sorted(((show(s), show(p)) for s, p, o in triples if o == me and s != me),
                 key=lambda r: (r[1]["text"] or "", r[0]["text"] or ""))
    title = _label(labels, me, lang) or iri
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
        wikidata=wikidata, period=period)
