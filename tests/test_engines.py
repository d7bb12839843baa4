"""One contract, three engines: the server on the embedded store, on a real Oxigraph server and
on a real Virtuoso gives the same documents, example answers, facet counts and pages.

Where an engine differs by design, the difference is named in ``DIFFERENCES`` (documented in
docs/deploy.md) and the answers are compared by meaning; anything else is a failure."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator

import flask
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.query import Result

from icc_graph.paths import QUERIES, ROOT
from icc_graph.store import write_triples
from server import close_app

from .conftest import BASE, ENGINES, Engines, make_app
from .engines import virtuoso_available

# engine -> what it does differently by design, and how the comparison allows for it
DIFFERENCES = {
    "virtuoso": {
        "group-concat-plain": "GROUP_CONCAT gives a plain literal where Oxigraph keeps the "
                              "common language tag (and needs an explicit SEPARATOR)",
        "boolean-digits": "SPARQL JSON results write xsd:boolean as 1 and 0; the remote "
                          "backend reads them as true and false",
    },
}
# and on every engine: SPARQL leaves the order of GROUP_CONCAT's values open, so a concatenation
# is compared as the set of its parts
NEEDS_NETWORK = {"federated-wikidata-population"}  # calls Wikidata's query service


def _engine_param(name: str) -> object:
    if name == "virtuoso" and not virtuoso_available():
        return pytest.param(name, marks=pytest.mark.skip(
            reason="Virtuoso is not installed (Debian virtuoso-opensource; README's test "
                   "command installs it)"))
    return name


@pytest.fixture(scope="module")
def apps(fixture_release, engines: Engines) -> Iterator[Callable[[str], flask.Flask]]:
    made: dict[str, flask.Flask] = {}

    def get(name: str) -> flask.Flask:
        if name not in made:
            made[name] = make_app(fixture_release, engines.endpoint(name))
        return made[name]

    yield get  # an engine's app is made (and its engine started) the first time it is asked
    for application in made.values():
        close_app(application)


def _things(dump: Graph) -> list[str]:
    """Every thing of the fixture release that has a document: one IRI per kind and slug."""
    subjects = {str(s) for s in dump.subjects() if str(s).startswith(f"{BASE}id/")}
    return sorted(subjects)


def examples() -> list[tuple[str, str]]:
    out = [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(QUERIES.glob("*.rq"))]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    out += [(f"readme-{n}", q) for n, q in enumerate(re.findall(r"```sparql\n(.*?)```",
                                                                 readme, re.S))]
    return out


def _row_set(data: bytes, group_concat: dict[str, str], plain: bool
             ) -> set[tuple[object, ...]]:
    result = Result.parse(io.BytesIO(data), format="json")
    variables = [str(v) for v in result.vars or []]
    rows = set()
    for row in result:
        cells = []
        for var, value in zip(variables, row, strict=True):
            if var in group_concat and value is not None:
                parts = frozenset(str(value).split(group_concat[var]))
                lang = None if plain else getattr(value, "language", None)
                cells.append((parts, lang))  # group-concat-plain: no tag on Virtuoso
            else:
                cells.append(value)
        rows.add(tuple(cells))
    return rows


@pytest.mark.parametrize("engine", [_engine_param(e) for e in ENGINES if e != "embedded"])
class TestSameAnswers:
    def test_every_document_is_the_engines_describe(self, apps, fixture_dump, engine):
        """Documents come from the release's read model on every engine: each is the graph
        the engine's own document query gives."""
        app = apps(engine)
        client, backend = app.test_client(), app.extensions["icc"].backend
        things = _things(fixture_dump)
        assert len(things) > 100
        for iri in things:
            path = "/doc/" + iri[len(f"{BASE}id/"):] + ".ttl"
            served = client.get(path)
            assert served.status_code == 200, path
            doc = backend.describe(iri)
            g1 = Graph().parse(data=served.data, format="turtle")
            g2 = Graph().parse(data=write_triples(list(doc.triples), "text/turtle"),
                               format="turtle")
            assert isomorphic(g1, g2), f"{path} differs from {engine}'s describe"

    @pytest.mark.parametrize(("name", "query"), examples())
    def test_example_queries_give_the_same_rows(self, apps, engine, name, query):
        if any(name.startswith(n) for n in NEEDS_NETWORK):
            pytest.skip("calls Wikidata's query service: no network in tests")
        params = {"query": query}
        headers = {"Accept": "application/sparql-results+json"}
        mine = apps("embedded").test_client().get("/sparql", query_string=params,
                                                  headers=headers)
        theirs = apps(engine).test_client().get("/sparql", query_string=params,
                                                headers=headers)
        assert mine.status_code == theirs.status_code == 200, theirs.get_data(as_text=True)
        concat = {var: sep for sep, var in re.findall(
            r'GROUP_CONCAT\([^;)]*;\s*separator\s*=\s*"([^"]*)"\s*\)\s+AS\s+\?(\w+)', query, re.I)}
        plain = "group-concat-plain" in DIFFERENCES.get(engine, {})
        expected = _row_set(mine.data, concat, plain)
        assert expected, f"{name} gives no rows on the fixture release"
        assert _row_set(theirs.data, concat, plain) == expected

    @pytest.mark.parametrize("path", [
        "/practices.json", "/practices.json?topic=anti-rumour",
        "/practices.json?country=pt&sort=-year", "/collaborations.json",
    ])
    def test_pages_and_facet_counts_are_the_same(self, apps, engine, path):
        mine = apps("embedded").test_client().get(path)
        theirs = apps(engine).test_client().get(path)
        assert mine.status_code == theirs.status_code == 200
        assert json.loads(theirs.data) == json.loads(mine.data)

    def test_html_pages_show_the_same_text(self, apps, engine):
        from bs4 import BeautifulSoup

        for path in ("/", "/practices", "/doc/city/lublin", "/collaborations",
                     "/doc/practice/a-welcoming-app"):
            pages = [apps(e).test_client().get(path, headers={"Accept": "text/html"})
                     for e in ("embedded", engine)]
            assert [p.status_code for p in pages] == [200, 200], path
            texts = [" ".join(BeautifulSoup(p.data, "html.parser").get_text().split())
                     for p in pages]
            assert texts[0] == texts[1], path

    def test_incoming_links_are_capped_alike(self, apps, engine):
        topic = f"{BASE}id/topic/anti-rumour"
        backends = [apps(e).extensions["icc"].backend for e in ("embedded", engine)]
        docs = [b.describe(f"{BASE}id/country/pt", cap=2) for b in backends]
        assert docs[0].more_incoming and docs[1].more_incoming
        assert docs[0].triples == docs[1].triples
        assert sum(1 for t in docs[0].triples if t[2] == ("uri", f"{BASE}id/country/pt")) == 2
        assert backends[1].describe(topic) == backends[0].describe(topic)


@pytest.mark.parametrize("engine", [_engine_param(e) for e in ENGINES])
def test_a_city_document_holds_every_triple_of_the_dump(apps, fixture_dump, engine):
    client = apps(engine).test_client()
    lublin = URIRef(f"{BASE}id/city/lublin")
    doc = Graph().parse(data=client.get("/doc/city/lublin.ttl").data, format="turtle")
    expected = set(fixture_dump.triples((lublin, None, None))) | set(
        fixture_dump.triples((None, None, lublin)))
    assert expected, "the fixture has Lublin"
    missing = {_value(t) for t in expected} - {_value(t) for t in doc}
    assert not missing, f"missing on {engine}: {sorted(missing)[:5]}"
    label = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
    for s, _, o in expected:
        neighbour = o if s == lublin else s
        if isinstance(neighbour, URIRef) and fixture_dump.value(neighbour, label) is not None:
            assert doc.value(neighbour, label) is not None, f"label of {neighbour}"


def _value(triple: tuple[object, object, object]) -> tuple[object, ...]:
    """A triple with its literal as a value (Oxigraph writes 51.25000 as 51.25)."""
    s, p, o = triple
    if isinstance(o, Literal) and o.datatype is not None:
        return (s, p, o.datatype, o.toPython())
    return (s, p, o)
