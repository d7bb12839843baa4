"""The home page: the dataset's numbers, its overview figures and its schema.org Dataset."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, render_template
from rdflib import Graph, URIRef

from icc_graph.describe import schema_org
from icc_graph.namespaces import ICC_IRI
from icc_graph.store import Query, jsonld, write_triples

from .context import ctx
from .frame import language

bp = Blueprint("home", __name__)


@bp.route("/")
def home() -> Response:
    from . import overview
    from .browse import catalogue, value_key

    cat, lang = catalogue(), language()
    practices = list(cat.practices.values())
    fig = overview.figures(cat, practices, lang, lambda facet, v: "/practices?" + urlencode(
        {facet: value_key(facet, v)}), "home")
    response = Response(render_template("home.html", counts=_counts(), fig=fig,
                                        jsonld=_dataset_script()),
                        mimetype="text/html")
    response.vary.add("Accept-Language")
    return response


COUNTED = (("GoodPractice", "good_practices"), ("City", "cities"), ("Country", "countries"),
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
    graph = Graph().parse(data=write_triples(ctx().release.void, "application/n-triples"),
                          format="nt")
    return jsonld.script(schema_org(graph, URIRef(f"{ctx().settings.base_iri}dataset")))
