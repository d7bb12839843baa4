"""Every example query (README's and the gallery's, data/queries/*.rq) answers on the data dump
alone, `icc-graph.ttl` loaded into a fresh store, as README promises to someone who downloads
it into any SPARQL engine."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from icc_graph.paths import ROOT
from icc_graph.release import Release

README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLES = {f"README {i + 1}": q for i, q in
            enumerate(re.findall(r"```sparql\n(.*?)```", README, re.S))}
EXAMPLES |= {p.name: p.read_text(encoding="utf-8")
             for p in sorted((ROOT / "data" / "queries").glob("*.rq"))}


@pytest.fixture(scope="module")
def dump_only(release: Release) -> ox.Store:
    store = ox.Store()
    store.load(path=str(release.path / "icc-graph.ttl"), format=ox.RdfFormat.TURTLE)
    return store


def test_there_are_examples() -> None:
    assert sum(name.startswith("README") for name in EXAMPLES) >= 2
    assert sum(name.endswith(".rq") for name in EXAMPLES) >= 5


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_example_answers_on_the_dump_alone(dump_only: ox.Store, name: str) -> None:
    query = EXAMPLES[name]
    # a federated example calls Wikidata, and tests never reach the internet: its local part
    # (the query without the SERVICE block) must still answer on the dump
    query = re.sub(r"SERVICE\s*<[^>]+>\s*\{[^{}]*\}", "", query, flags=re.I)
    result = dump_only.query(query)
    if isinstance(result, ox.QueryBoolean):
        assert bool(result), name
    else:
        assert list(result), f"{name} returns nothing on icc-graph.ttl alone"
