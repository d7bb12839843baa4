"""The home page: the dataset's numbers, its overview figures and its schema.org Dataset."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, render_template
from rdflib import Graph, URIRef

from icc_graph.describe import schema_org
from icc_graph.store import jsonld, write_triples

from .context import ctx
from .frame import language

bp = Blueprint("home", __name__)


@bp.route("/")
def home() -> Response:
    from . import overview
    from .browse import catalogue, value_key

    cat, lang = catalogue(), language()
    fig = overview.figures(cat, cat.selection({}), lang, lambda facet, v: "/practices?" + urlencode(
        {facet: value_key(facet, v)}), "home")
    response = Response(render_template("home.html", counts=_counts(), fig=fig,
                                        jsonld=_dataset_script()),
                        mimetype="text/html")
    response.vary.add("Accept-Language")
    return response


def _counts() -> list[tuple[str, int]]:
    """How many things of each kind the graph holds (the numbers a SPARQL count gives), from
    the read model."""
    read = ctx().read
    assert read is not None  # catalogue() has answered 503 for a release without one
    return [(key, int(n)) for key, n in read.execute("SELECT key, count FROM cat_count ORDER BY n")]


def _dataset_script() -> str | None:
    """The schema.org Dataset block of the home page, from the release's description (made
    once per process)."""
    memo = ctx().memo
    if "dataset-script" not in memo:
        memo["dataset-script"] = _dataset()
    return memo["dataset-script"]  # type: ignore[return-value]


def _dataset() -> str | None:
    if not ctx().release.void:
        return None
    graph = Graph().parse(data=write_triples(ctx().release.void, "application/n-triples"),
                          format="nt")
    return jsonld.script(schema_org(graph, URIRef(f"{ctx().settings.base_iri}dataset")))
