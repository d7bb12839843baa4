"""The release's schema.org Dataset block (JSON-LD in a script element), made once per process
from the release's description: on the home page, and written ahead by the warm-up."""

from __future__ import annotations

from rdflib import Graph, URIRef

from icc_graph.describe import schema_org
from icc_graph.store import jsonld, write_triples

from .context import ctx


def dataset_script() -> str | None:
    """The block, or None for a release without a description."""
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
