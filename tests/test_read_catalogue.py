"""The list, its facets, the home page's numbers, the maps' coordinates and the collaborations
are read from the read model, computed at build in Python. The reference here is the SPARQL
the server ran before (kept in this file): on the fixture release, for many filter
combinations, the answers must be the same."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import random
from collections import Counter, defaultdict
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from icc_graph.model import Lit, Quad
from icc_graph.readmodel.catalogue import SHARED, Graph, shares
from icc_graph.store import Query
from server.catalogue import NOT_RECORDED, NOT_RECORDED_LABELS, years

from .conftest import BASE

P = "PREFIX icc: <https://w3id.org/icc-graph/def/icc#> "
FACET_QUERIES = {  # (practice, value) per facet, as the server asked the store before
    "topic": "SELECT ?p ?v WHERE { ?p a icc:GoodPractice ; icc:topic ?v }",
    "country": "SELECT ?p ?v WHERE { ?p a icc:GoodPractice ; icc:country ?v }",
    "city": "SELECT ?p ?v WHERE { ?p a icc:GoodPractice ; icc:place ?v . "
            "FILTER NOT EXISTS { ?v a icc:Country } }",
    "organisation": "SELECT ?p ?v WHERE { ?p a icc:GoodPractice . ?x icc:participationIn ?p ; "
                    "icc:agent ?v . ?v a icc:Organisation }",
    "project": "SELECT ?p ?v WHERE { ?p a icc:GoodPractice ; icc:relatedProject ?v }",
    "programme": "SELECT ?p ?v WHERE { ?p a icc:GoodPractice . "
                 "{ ?p icc:fundingProgramme ?v } UNION "
                 "{ ?p icc:relatedProject/icc:fundingProgramme ?v } UNION "
                 "{ ?p icc:relatedProject/icc:grant/icc:programme ?v } }",
}
PRACTICES = ("SELECT ?p ?slug ?title ?start ?end ?ongoing WHERE { ?p a icc:GoodPractice ; "
             "icc:slug ?slug ; icc:title ?title . OPTIONAL { ?p icc:startYear ?start } "
             "OPTIONAL { ?p icc:endYear ?end } OPTIONAL { ?p icc:ongoing ?ongoing } }")
LABELS = "SELECT ?x ?label WHERE { ?x icc:name ?label }"
TOPICS = P + ("SELECT ?thing ?topic WHERE { { ?thing icc:topic ?topic } UNION "
              "{ ?p icc:relatedProject ?thing ; icc:topic ?topic } }")
COUNTS = P + ("SELECT ?class (COUNT(DISTINCT ?thing) AS ?n) WHERE { ?thing a ?class } "
              "GROUP BY ?class")
COORDINATES = ("PREFIX geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> " + P
               + "SELECT ?place ?lat ?long ?country WHERE { ?place geo:lat ?lat ; "
                 "geo:long ?long . OPTIONAL { ?place icc:locatedIn ?country } }")
FACETS = ("topic", "country", "year", "city", "organisation", "project", "programme")


def rows(app, text: str) -> list[list[str | None]]:
    backend = app.extensions["icc"].backend
    found = backend.query(Query(text if text.startswith("PREFIX") else P + text,
                                max_rows=1_000_000), 60).rows
    return [[str(t[1]) if t else None for t in row] for row in found]


class Reference:
    """The catalogue as the server computed it from SPARQL rows before the read model."""

    def __init__(self, app):
        this_year = dt.date.today().year
        self.facets: dict[str, dict[str, set[str]]] = {}
        self.titles: dict[str, dict[str, str]] = defaultdict(dict)
        backend = app.extensions["icc"].backend
        for row in backend.query(Query(P + PRACTICES, max_rows=10**6), 60).rows:
            p = str(row[0][1])  # type: ignore[index]
            start, end, ongoing = (str(t[1]) if t else None for t in row[3:6])
            self.facets[p] = {f: set() for f in FACETS}
            self.facets[p]["year"] = years(int(start) if start else None,
                                           int(end) if end else None, ongoing == "true",
                                           this_year)
            self.titles[p][row[2][3] or "en"] = str(row[2][1])  # type: ignore[index]
        for facet, text in FACET_QUERIES.items():
            for p, v in rows(app, text):
                self.facets[p][facet].add(v)  # type: ignore[index,arg-type]
        self.labels: dict[str, dict[str, str]] = defaultdict(dict)
        for row in backend.query(Query(P + LABELS, max_rows=10**6), 60).rows:
            self.labels[str(row[0][1])][row[1][3] or "en"] = str(row[1][1])  # type: ignore[index]

    def label(self, iri: str, lang: str = "en") -> str:
        names = self.labels.get(iri)
        if not names:
            return iri.rsplit("/", 1)[-1]
        return names.get(lang) or names.get("en") or next(iter(names.values()))

    def select(self, chosen: dict[str, set[str]], skip: str | None = None) -> list[str]:
        return [p for p, facets in self.facets.items()
                if not any(values and not (facets[f] & values)
                           and not (NOT_RECORDED in values and f in NOT_RECORDED_LABELS
                                    and not facets[f])
                           for f, values in chosen.items() if f != skip)]

    def counts(self, facet: str, chosen: dict[str, set[str]]) -> dict[str, int]:
        c: Counter[str] = Counter()
        for p in self.select(chosen, skip=facet):
            c.update(self.facets[p][facet])
            if facet in NOT_RECORDED_LABELS and not self.facets[p][facet]:
                c[NOT_RECORDED] += 1
        for v in chosen.get(facet, ()):
            c.setdefault(v, 0)
        return dict(c)


@pytest.fixture(scope="module")
def reference(app) -> Reference:
    return Reference(app)


def key_of(facet: str, iri: str) -> str:
    return iri if facet == "year" else iri.rsplit("/", 1)[-1]


def combinations(reference: Reference, n: int = 60) -> list[dict[str, set[str]]]:
    """Filters of one to three facets, one or two values each, "not recorded" among them."""
    values = {f: sorted({v for facets in reference.facets.values() for v in facets[f]})
              for f in FACETS}
    for f in NOT_RECORDED_LABELS:
        values[f].append(NOT_RECORDED)
    pick = random.Random(13)
    out: list[dict[str, set[str]]] = [{}]
    for _ in range(n):
        chosen = {}
        for f in pick.sample([f for f in FACETS if values[f]], pick.choice([1, 1, 2, 3])):
            chosen[f] = set(pick.sample(values[f], min(len(values[f]), pick.choice([1, 2]))))
        out.append(chosen)
    return out


def query(chosen: dict[str, set[str]], **more: str) -> str:
    return urlencode(sorted([(f, key_of(f, v)) for f, vs in chosen.items() for v in vs]
                            + list(more.items())))


def test_the_list_and_its_facets_are_those_sparql_gives(client, reference):
    for chosen in combinations(reference):
        data = json.loads(client.get(f"/practices.json?{query(chosen, per_page='500')}").data)
        expected = reference.select(chosen)
        assert {p["iri"] for p in data["practices"]} == set(expected), chosen
        assert data["total"] == len(expected)
        for f in FACETS:
            counts = {v: n for v, n in reference.counts(f, chosen).items()}
            got = {v["key"]: v["count"] for v in data["facets"][f]}
            assert got == {key_of(f, v): n for v, n in counts.items()}, (chosen, f)
            assert {v["key"] for v in data["facets"][f] if v["selected"]} == {
                key_of(f, v) for v in chosen.get(f, ())}
            asked = parse_qs(query(chosen, per_page="500"))
            for v in data["facets"][f]:  # each value's URL toggles it and keeps the rest
                url = urlsplit(v["url"])
                assert url.path == "/practices.json"
                toggled = {k: set(vs) for k, vs in asked.items()}
                toggled.setdefault(f, set()).symmetric_difference_update({v["key"]})
                assert {k: set(vs) for k, vs in parse_qs(url.query).items()} == {
                    k: vs for k, vs in toggled.items() if vs}, (chosen, f, v)
                if v["key"] != NOT_RECORDED and f != "year":
                    assert v["label"] == reference.label(next(
                        iri for iri in reference.labels if key_of(f, iri) == v["key"])), v
        for row in data["practices"]:
            assert row["countries"] == sorted(reference.label(c) for c in
                                              reference.facets[row["iri"]]["country"])
            assert row["cities"] == sorted(reference.label(c) for c in
                                           reference.facets[row["iri"]]["city"])


def test_a_debug_app_writes_the_same_list_indented(fixture_release):
    """The list's JSON is written as text for a compact provider; a debug app's is indented
    by Flask, and says the same."""
    from server import close_app

    from .conftest import make_app

    app = make_app(fixture_release, None)
    try:
        path = "/practices.json?topic=anti-rumour&topic=anti-discrimination-and-equality&sort=-year"
        compact = app.test_client().get(path).get_data(as_text=True)
        app.debug = True
        indented = app.test_client().get(path).get_data(as_text=True)
    finally:
        close_app(app)
    assert "\n  " in indented and "\n  " not in compact
    assert json.loads(indented) == json.loads(compact)
    assert compact == json.dumps(json.loads(compact), ensure_ascii=False, sort_keys=True,
                                 separators=(",", ":")) + "\n"


def test_the_csv_twin_lists_the_same_practices(client, reference):
    for chosen in combinations(reference, 15):
        text = client.get(f"/practices.csv?{query(chosen)}").get_data(as_text=True)
        found = [r["iri"] for r in csv.DictReader(io.StringIO(text))]
        assert sorted(found) == sorted(reference.select(chosen))


def test_sorting_by_title_and_year_follows_the_reference(client, reference):
    data = json.loads(client.get("/practices.json?sort=title&lang=fr").data)["practices"]
    titles = [r["title"].casefold() for r in data]
    assert titles == sorted(titles)
    newest = json.loads(client.get("/practices.json?sort=-year").data)["practices"]
    starts = [r["start"] if r["start"] is not None else -1 for r in newest]
    assert starts == sorted(starts, reverse=True)


def test_labels_follow_the_language(client, reference):
    data = json.loads(client.get("/practices.json?lang=fr").data)
    topics = {v["key"]: v["label"] for v in data["facets"]["topic"]}
    for iri in {t for facets in reference.facets.values() for t in facets["topic"]}:
        assert topics[key_of("topic", iri)] == reference.label(iri, "fr")


def test_home_numbers_are_the_sparql_counts(client, app):
    from bs4 import BeautifulSoup

    found = {cls.rsplit("#", 1)[-1]: int(n) for cls, n in rows(app, COUNTS)  # type: ignore[arg-type]
             if cls and cls.startswith("https://w3id.org/icc-graph/def/icc#")}
    page = BeautifulSoup(client.get("/").get_data(as_text=True), "html.parser")
    shown = [int(li.strong.text) for li in page.select("#counts li")]
    assert shown == [found.get(c, 0) for c in ("GoodPractice", "City", "Country",
                                               "Organisation", "Project")]


def test_the_map_table_has_the_coordinates_sparql_gives(client, app, reference):
    from bs4 import BeautifulSoup

    located = {place: (float(lat), float(long)) for place, lat, long, _c in  # type: ignore[arg-type]
               rows(app, COORDINATES)}
    page = BeautifulSoup(client.get("/practices").get_data(as_text=True), "html.parser")
    table = page.find("table", class_="places")
    cities = Counter(c for facets in reference.facets.values() for c in facets["city"])
    shown = {tr.a["href"]: (int(tr.find_all("td")[1].text), float(tr.find_all("td")[2].text))
             for tr in table.tbody.find_all("tr")}
    expected = {"/" + c[len(BASE):]: (n, round(located[c][0], 3))
                for c, n in cities.items() if c in located}
    assert shown == expected


def reference_edges(app, topic: str | None, country: str | None,
                    reference: Reference) -> list[dict[str, object]]:
    by_topic: dict[str, set[str]] = defaultdict(set)
    for thing, t in rows(app, TOPICS):
        by_topic[thing].add(t.rsplit("/", 1)[-1])  # type: ignore[union-attr,index]
    cities: dict[str, set[str]] = defaultdict(set)
    for thing, city in rows(app, SHARED):
        if topic is None or topic in by_topic[thing]:  # type: ignore[index]
            cities[thing].add(city)  # type: ignore[index,arg-type]
    country_of: dict[str, str] = {}
    for p in sorted(reference.facets):
        if len(reference.facets[p]["country"]) == 1:
            for city in reference.facets[p]["city"]:
                country_of.setdefault(city, next(iter(reference.facets[p]["country"]))
                                      .rsplit("/", 1)[-1])
    pairs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for thing, members in cities.items():
        for a, b in itertools.combinations(sorted(members), 2):
            pairs[(a, b)].add(thing)
    return [{"a": a, "b": b, "shared": sorted(things)} for (a, b), things in sorted(pairs.items())
            if not country or country in (country_of.get(a), country_of.get(b))]


def test_collaborations_are_the_edges_sparql_gives(client, app, reference):
    topics = sorted({key_of("topic", t) for f in reference.facets.values() for t in f["topic"]})
    countries = sorted({key_of("country", c) for f in reference.facets.values()
                        for c in f["country"]})
    for topic, country in itertools.product([None, *topics[:6]], [None, *countries[:6]]):
        args = urlencode([(k, v) for k, v in (("topic", topic), ("country", country)) if v])
        data = json.loads(client.get(f"/collaborations.json?{args}").data)
        expected = reference_edges(app, topic, country, reference)
        assert [{k: e[k] for k in ("a", "b", "shared")} for e in data["edges"]] == expected
        page = client.get(f"/collaborations?{args}").get_data(as_text=True)
        for e in expected:
            assert f'id="e-{key_of("city", e["a"])}-{key_of("city", e["b"])}"' in page  # type: ignore[arg-type]


def plain_quads(store) -> list[Quad]:
    """A store's quads as the model makes them."""
    import pyoxigraph as ox

    def term(t):
        if isinstance(t, ox.Literal):
            lang = t.language
            return Lit(t.value, lang, None if lang else t.datatype.value)
        return t.value

    return [(q.subject.value, q.predicate.value, term(q.object), term(q.graph_name))
            for q in store]


def test_the_python_rule_gives_the_pairs_of_the_sparql_rule(fixture_release, app):
    """The build computes collaborations in Python; the rule's SPARQL form gives the same."""
    import pyoxigraph as ox

    store = ox.Store.read_only(str(fixture_release.path / "store"))
    assert shares(Graph(plain_quads(store))) == {(t, c) for t, c in rows(app, SHARED)}


@pytest.mark.parametrize("path", ["/practices", "/collaborations"])
def test_a_list_refuses_an_accept_it_cannot_give_in_one_way(client, path):
    response = client.get(path, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "Accept" in response.headers.get("Vary", "")
    assert "text/html, application/json or text/csv" in response.get_data(as_text=True)
    assert f"{path}.json" in response.get_data(as_text=True)
    for ext, media in (("json", "application/json"), ("csv", "text/csv")):
        twin = client.get(path, headers={"Accept": media})
        assert twin.status_code == 200 and twin.mimetype == media
        assert "Accept" in twin.headers["Vary"]
        assert client.get(f"{path}.{ext}").mimetype == media
    assert client.get(f"{path}.xml").status_code == 404


def test_a_triple_stated_in_two_graphs_changes_no_table():
    """The catalogue's index keeps a triple stated in two graphs twice; the tables are those of
    the triples stated once each (the union default graph), even where two values compete
    and the last stated wins (two names in one language, two coordinates)."""
    import sqlite3
    from pathlib import Path

    from icc_graph.readmodel import Source
    from icc_graph.readmodel.catalogue import _write

    icc, geo = "https://w3id.org/icc-graph/def/icc#", "http://www.w3.org/2003/01/geo/wgs84_pos#"
    typ = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    practice, city = f"{BASE}id/practice/p", f"{BASE}id/city/c"
    g1, g2 = f"{BASE}graph/one", f"{BASE}graph/two"
    dec = "http://www.w3.org/2001/XMLSchema#decimal"
    name_a, name_b = Lit("Alpha", "en"), Lit("Beta", "en")
    lat_a, lat_b = Lit("46.1", None, dec), Lit("46.9", None, dec)
    stated = [
        (practice, typ, icc + "GoodPractice", g1), (practice, icc + "slug", Lit("p"), g1),
        (practice, icc + "title", Lit("T", "en"), g1), (practice, icc + "place", city, g1),
        (city, typ, icc + "City", g1), (city, icc + "name", name_a, g1),
        (city, geo + "lat", lat_a, g1), (city, geo + "long", Lit("6.1", None, dec), g1),
        (city, icc + "name", name_b, g2), (city, geo + "lat", lat_b, g2),
        (city, icc + "name", name_a, g2), (city, geo + "lat", lat_a, g2),  # stated again
        (practice, icc + "title", Lit("T", "en"), g2),
    ]
    once: list[Quad] = []
    seen = set()
    for q in stated:
        if q[:3] not in seen:
            seen.add(q[:3])
            once.append(q)

    def tables(quads: list[Quad]) -> dict[str, list[tuple]]:
        con = sqlite3.connect(":memory:")
        _write(con, Source(quads, BASE, Path("unused")), Graph(quads))
        names = [n for (n,) in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: sorted(con.execute(f"SELECT * FROM {n}"), key=repr) for n in names}

    twice, single = tables(stated), tables(once)
    assert twice == single
    assert (city, "en", "Beta") in [tuple(r) for r in single["cat_label"]]
    assert [r[1] for r in single["cat_place"]] == [46.9]
