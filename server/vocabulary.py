"""The vocabulary (/def/icc) and the shapes (/shapes) of the release, as RDF by negotiation, and
the vocabulary as a page for people: every class and property with its labels, comments,
alignments, domain and range, as pyLODE-style pages do."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from icc_graph.formats import BY_EXTENSION
from icc_graph.namespaces import ICC_IRI, PREFIXES
from icc_graph.store import Triple

from . import negotiation
from .context import ctx
from .documents import serve_graph, split_extension
from .errors import Problem

bp = Blueprint("vocabulary", __name__)
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
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


@bp.route("/def/icc")
@bp.route("/def/<name>")
def vocabulary(name: str = "icc") -> Response:
    stem, fmt = split_extension(name)
    if stem != "icc":
        raise Problem(404, "the vocabulary is at /def/icc")
    triples = list(ctx().release.vocabulary)
    return serve_graph(triples, ICC_IRI.rstrip("#"), "/def/icc", fmt,
                       lambda lang: page(triples, lang))


@bp.route("/shapes")
@bp.route("/shapes.<ext>")
def shapes(ext: str | None = None) -> Response:
    fmt = BY_EXTENSION.get(ext) if ext else None
    if ext and (fmt is None or fmt.dataset):
        raise Problem(404, f"the shapes are not served as .{ext}")
    return serve_graph(list(ctx().release.shapes), f"{ctx().settings.base_iri}shapes",
                       "/shapes", fmt)


def page(triples: list[Triple], lang: str) -> str:
    """/def/icc for people."""
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
