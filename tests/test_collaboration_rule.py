"""A collaboration means working together: two cities collaborate when they share a practice,
take part in the same project as participants, or one took part in the other's practice. A
practice documented under a project does not make its city a participant. The rule is checked
on a small data folder, through every query that computes collaborations."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pyoxigraph as ox
import pytest

from icc_graph.build import build
from icc_graph.model import Lit
from icc_graph.paths import ROOT
from icc_graph.readmodel.catalogue import Graph, shares
from icc_graph.readmodel.related import RELATED
from server.collaborations import SHARED

from .conftest import BASE

PROJECT = """- slug: shared-project
  label: {en: A shared project}
  participants:
  - place: milan
    role: partner-city
  - place: palermo
    role: partner-city
  status: reviewed
"""
PRACTICES = {
    # documented under the project, in a city that does not take part in it
    "documented-in-turin": "places: [turin]\nprojects: [shared-project]\n",
    # Bergen took part in Stavanger's practice
    "stavanger-with-bergen": "places: [stavanger]\nparticipants:\n- place: bergen\n"
                             "  role: partner-city\n",
    # one practice in two cities
    "sabadell-and-salt": "places: [sabadell, salt]\n",
}
EXPECTED = {frozenset(p) for p in (("milan", "palermo"), ("bergen", "stavanger"),
                                   ("sabadell", "salt"), ("lublin", "neuchatel"))}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ox.Store:
    import shutil

    from .conftest import DATA

    data = tmp_path_factory.mktemp("collab") / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("practices"))
    (data / "practices").mkdir()
    seed = "collaboration-with-neuchatel-study-visits-and-exchange-of-knowledge.yaml"
    shutil.copy(DATA / "practices" / seed, data / "practices" / seed)
    projects = data / "projects.yaml"
    projects.write_text(projects.read_text(encoding="utf-8") + PROJECT, encoding="utf-8")
    for slug, facts in PRACTICES.items():
        (data / "practices" / f"{slug}.yaml").write_text(
            f"slug: {slug}\nstatus: reviewed\ntitle: {{en: {slug}}}\n{facts}"
            f"source: https://www.coe.int/en/web/interculturalcities/-/{slug}\n",
            encoding="utf-8")
    release = build(data, tmp_path_factory.mktemp("collab-release") / "dist", BASE)
    s = ox.Store()
    s.load(path=str(release.path / "icc-graph.trig"), format=ox.RdfFormat.TRIG)
    return s


def city(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


def test_the_collaboration_page_query_follows_the_rule(store):
    members: dict[str, set[str]] = {}
    for row in store.query(SHARED, use_default_graph_as_union=True):
        members.setdefault(row["thing"].value, set()).add(city(row["city"].value))
    pairs = {frozenset(p) for m in members.values() for p in combinations(sorted(m), 2)}
    assert pairs >= EXPECTED
    assert not any("turin" in p for p in pairs), "documented under a project is not taking part"


def test_the_rule_computed_at_build_gives_the_pairs_of_its_sparql(store):
    """The read model computes the rule in Python (``shares``): the same (thing, city) pairs
    as its SPARQL statement, on the cases above."""
    def term(t):
        if isinstance(t, ox.Literal):
            return Lit(t.value, t.language, None if t.language else t.datatype.value)
        return t.value

    quads = [(q.subject.value, q.predicate.value, term(q.object), term(q.graph_name))
             for q in store]
    expected = {(r["thing"].value, r["city"].value)
                for r in store.query(SHARED, use_default_graph_as_union=True)}
    found = shares(Graph(quads))
    assert found == expected
    pairs = {frozenset(city(c) for t2, c in found if t2 == t) for t, _ in found}
    assert not any("turin" in p and len(p) > 1 for p in pairs)


@pytest.mark.parametrize(("this", "expected"), [
    ("turin", set()), ("milan", {"palermo"}), ("stavanger", {"bergen"}),
    ("bergen", {"stavanger"}), ("salt", {"sabadell"}),
])
def test_the_city_page_and_the_gallery_query_follow_the_rule(store, this, expected):
    iri = f"{BASE}id/city/{this}"
    [pattern] = [r.pattern for r in RELATED["city"] if r.heading == "Cities it collaborates with"]
    page = {city(r["x"].value) for r in store.query(
        "PREFIX icc: <https://w3id.org/icc-graph/def/icc#> SELECT DISTINCT ?x WHERE { "
        + pattern.replace("<THIS>", f"<{iri}>") + " }", use_default_graph_as_union=True)}
    assert page == expected
    text = (ROOT / "data" / "queries" / "cities-collaborating-with-a-city.rq").read_text(
        encoding="utf-8").replace(f"{BASE}id/city/lublin", iri)
    gallery = {city(r["other"].value)
               for r in store.query(text, use_default_graph_as_union=True)}
    assert gallery == expected


def test_a_practice_keeps_its_project_as_documented_under(store):
    rows = list(store.query(
        "PREFIX icc: <https://w3id.org/icc-graph/def/icc#> SELECT ?pj WHERE { "
        f"<{BASE}id/practice/documented-in-turin> icc:relatedProject ?pj }}",
        use_default_graph_as_union=True))
    assert [r["pj"].value for r in rows] == [f"{BASE}id/project/shared-project"]


def test_the_rule_is_written_down():
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    assert "documented under" in text and "collaborate" in text
    assert Path(ROOT / "README.md").read_text(encoding="utf-8").count("documented under") >= 1
