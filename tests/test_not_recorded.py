"""Say what is unknown: the facets offer "no topic recorded" and "no year recorded" with counts
that SPARQL confirms, choosing them lists exactly those practices, and a practice page says
"not recorded" where the source gives no topic or year."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from bs4 import BeautifulSoup

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
ICC = "PREFIX icc: <https://w3id.org/icc-graph/def/icc#> "
MISSING = {"topic": "FILTER NOT EXISTS { ?p icc:topic ?t }",
           "year": "FILTER NOT EXISTS { ?p icc:startYear ?y }"}


@pytest.fixture(scope="module")
def store(fixture_release):
    return ox.Store.read_only(str(fixture_release.path / "store"))


def slugs(store, missing: str) -> set[str]:
    q = ICC + f"SELECT ?slug WHERE {{ ?p a icc:GoodPractice ; icc:slug ?slug . {missing} }}"
    return {r["slug"].value for r in store.query(q, use_default_graph_as_union=True)}


@pytest.mark.parametrize(("facet", "label"), [("topic", "no topic recorded"),
                                              ("year", "no year recorded")])
def test_the_facet_offers_not_recorded_with_its_count(client, store, facet, label):
    expected = slugs(store, MISSING[facet])
    assert expected, "the data has practices without a " + facet
    page = BeautifulSoup(client.get("/practices", headers=BROWSER).data, "html.parser")
    link = page.find("section", attrs={"data-facet": facet}).find("a", attrs={"data-value": "none"})
    assert label in link.text
    assert int(link.find_next("span", class_="count").text) == len(expected)
    chosen = json.loads(client.get(f"/practices.json?{facet}=none&per_page=500").data)
    assert {p["slug"] for p in chosen["practices"]} == expected


def test_a_practice_page_says_what_is_not_recorded(client, store):
    without = sorted(slugs(store, MISSING["topic"] + " " + MISSING["year"]))
    page = BeautifulSoup(client.get(f"/doc/practice/{without[0]}", headers=BROWSER).data,
                         "html.parser")
    assert "not recorded" in page.find(id="no-topic").text
    assert "not recorded" in page.find(id="no-year").text
    recorded = sorted(slugs(store, "?p icc:topic ?t ; icc:startYear ?y ."))
    page = BeautifulSoup(client.get(f"/doc/practice/{recorded[0]}", headers=BROWSER).data,
                         "html.parser")
    assert page.find(id="no-topic") is None and page.find(id="no-year") is None
