"""The row cap (ICC_MAX_ROWS) on queries the engine answers and writes by itself: for tricky
queries (ORDER BY with LIMIT and OFFSET, a LIMIT above and below the cap, a VALUES trailer,
GROUP BY, sub-selects, LIMIT in comments and strings, rows with nothing bound, values that
need quoting), in every results format, the answer parsed back holds what rdflib's own
evaluation of the query on the dump gives, cut at the cap exactly when rdflib has more rows,
and says so in its headers. CONSTRUCT, DESCRIBE and ASK keep their caps and answers too."""

from __future__ import annotations

import io
from collections.abc import Iterator

import flask
import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal
from rdflib.query import Result

from server import close_app

from .conftest import BASE, make_app

CAP = 5
P = ("PREFIX icc: <https://w3id.org/icc-graph/def/icc#>\n"
     "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n")
CITY = f"{BASE}id/city/"
FORMATS = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
           "csv": "text/csv", "tsv": "text/tab-separated-values"}
# name -> (query, whether its rows come in one order that both engines give); ORACLE gives
# rdflib another text of the same meaning where it cannot read a query
QUERIES = {
    "no-limit": ("SELECT ?c ?name WHERE { ?c a icc:City ; icc:name ?name } "
                 "ORDER BY ?c STR(?name) LANG(?name)", True),
    "limit-below": ("SELECT ?c ?name WHERE { ?c a icc:City ; icc:name ?name } "
                    "ORDER BY ?c STR(?name) LANG(?name) LIMIT 3", True),
    "limit-at": ("SELECT ?c WHERE { ?c a icc:City } ORDER BY ?c LIMIT 5", True),
    "limit-above": ("SELECT ?c ?name WHERE { ?c a icc:City ; icc:name ?name } "
                    "ORDER BY DESC(?c) STR(?name) LANG(?name) LIMIT 50", True),
    "offset-limit": ("SELECT ?c WHERE { ?c a icc:City } ORDER BY ?c OFFSET 2 LIMIT 4", True),
    "limit-offset-above": ("SELECT ?c WHERE { ?c a icc:City } ORDER BY ?c limit 40 offset 3",
                           True),
    "offset-only": ("SELECT ?c WHERE { ?c a icc:City } ORDER BY ?c OFFSET 3", True),
    "values-trailer": ("SELECT ?c ?name WHERE { ?c icc:name ?name } "
                       "ORDER BY ?c STR(?name) LANG(?name)\n"
                       f"VALUES ?c {{ <{CITY}lublin> <{CITY}neuchatel> <{CITY}geneva> "
                       f"<{CITY}turin> <{CITY}nowhere> }}", True),
    "values-trailer-limit": ("SELECT ?c WHERE { ?c a icc:City } ORDER BY ?c LIMIT 2 "
                             f"VALUES ?c {{ <{CITY}lublin> <{CITY}neuchatel> <{CITY}turin> }}",
                             True),
    "group-by": ("SELECT ?country (COUNT(?c) AS ?n) WHERE { ?c a icc:City ; icc:locatedIn "
                 "?country } GROUP BY ?country HAVING (COUNT(?c) > 0) ORDER BY DESC(?n) ?country",
                 True),
    "sub-select": ("SELECT ?c WHERE { { SELECT ?c WHERE { ?c a icc:City } ORDER BY ?c LIMIT 100 }"
                   " } ORDER BY ?c", True),
    "sub-select-limit": ("SELECT ?c WHERE { { SELECT ?c WHERE { ?c a icc:City } ORDER BY ?c "
                         "LIMIT 2 } } ORDER BY ?c", True),
    "exists-in-select": ("SELECT ?c (EXISTS { ?c icc:name ?n } AS ?named) WHERE { ?c a icc:City }"
                         " ORDER BY ?c", True),
    "words-in-comments-and-strings": (
        "# LIMIT 2 VALUES ?x { 1 }\nSELECT ?c ?name WHERE { ?c a icc:City ; icc:name ?name "
        'FILTER(?name != "LIMIT 1" && ?name != \'\'\'VALUES ?c { }\'\'\') } '
        "ORDER BY ?c STR(?name) LANG(?name) # LIMIT 3", True),
    "escapes-and-a-comment-after-limit": (
        'SELECT ?c ?name WHERE { ?c a icc:City ; icc:name ?name FILTER(REGEX(?name, "^\\\\w")) }'
        " ORDER BY ?c STR(?name) LANG(?name) LIMIT 50 # more than the cap\n", True),
    "variables-named-like-keywords": (
        "SELECT ?c (STR(?c) AS ?limit) ?values WHERE { ?c a icc:City OPTIONAL { ?c "
        "icc:slug ?values } } ORDER BY ?limit", True),
    "sub-select-limit-and-values-trailer": (
        "SELECT ?c WHERE { { SELECT ?c WHERE { ?c a icc:City } ORDER BY ?c LIMIT 40 } } "
        f"ORDER BY DESC(?c) VALUES ?c {{ <{CITY}lublin> <{CITY}neuchatel> <{CITY}geneva> "
        f"<{CITY}turin> <{CITY}lyon> <{CITY}milan> <{CITY}oslo> }}", True),
    "nothing-bound": ("SELECT ?x WHERE { ?c a icc:City OPTIONAL { ?c <urn:none> ?x } }", False),
    "values-needing-quotes": (
        'SELECT ?c ?x WHERE { ?c a icc:City BIND(CONCAT("a, \\"b\\"\\r\\n\\tc ", STR(?c)) AS ?x)'
        " } ORDER BY ?c", True),
    "distinct-unordered": ("SELECT DISTINCT ?country WHERE { ?c icc:country ?country }", False),
}
ORACLE = {  # rdflib reads no EXISTS in a SELECT expression, and drops rows with nothing bound
    "exists-in-select": "SELECT ?c ?named WHERE { ?c a icc:City BIND(EXISTS { ?c icc:name ?n } "
                        "AS ?named) } ORDER BY ?c",
    "nothing-bound": "SELECT ?x ?c WHERE { ?c a icc:City OPTIONAL { ?c <urn:none> ?x } }",
}


@pytest.fixture(scope="module")
def capped(fixture_release) -> Iterator[flask.Flask]:
    app = make_app(fixture_release, None, max_rows=CAP, cache_size=0)
    yield app
    close_app(app)


def _values(row: object, fmt: str = "json") -> tuple[str, ...]:
    out = tuple("" if t is None else str(t) for t in row)  # type: ignore[union-attr]
    # an XML reader gives a line break for CR LF (XML 1.0, 2.11)
    return tuple(v.replace("\r\n", "\n") for v in out) if fmt == "xml" else out


def _parsed(data: bytes, fmt: str) -> list[tuple[str, ...]]:
    """The rows of an answer, rows with nothing bound included."""
    result = Result.parse(io.BytesIO(data), format=fmt)
    variables = result.vars or []
    rows = [_values([b.get(v) for v in variables], fmt) for b in result.bindings]
    if fmt == "tsv":  # rdflib's TSV reader skips the lines of rows with nothing bound
        lines = data.decode().split("\n")[1:-1]
        rows += [("",) * len(variables)] * sum(1 for line in lines if not line.strip("\t"))
    return rows


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", QUERIES)
def test_capped_select_holds_what_rdflib_finds(capped, fixture_dump: Graph, name, fmt):
    query, ordered = QUERIES[name]
    r = capped.test_client().get("/sparql", query_string={"query": P + query},
                                 headers={"Accept": FORMATS[fmt]})
    assert r.status_code == 200, r.data
    got = _parsed(r.data, fmt)
    width = len(got[0]) if got else 0
    full = [_values(row, fmt)[:width] for row in fixture_dump.query(P + ORACLE.get(name, query))]
    assert len(full) > 0
    expected_cut = len(full) > CAP
    assert r.headers["X-Result-Truncated"] == ("true" if expected_cut else "false")
    assert len(got) == min(len(full), CAP)
    if ordered:
        assert got == full[:CAP]
    else:
        assert set(got) <= set(full)


def test_capped_variables_are_the_querys(capped):
    query = P + "SELECT ?name ?c WHERE { ?c a icc:City ; icc:name ?name } ORDER BY ?c"
    r = capped.test_client().get("/sparql", query_string={"query": query})
    variables = Result.parse(io.BytesIO(r.data), format="json").vars or []
    assert [str(v) for v in variables] == ["name", "c"]


@pytest.mark.parametrize("query", [
    "CONSTRUCT { ?c icc:name ?n } WHERE { ?c a icc:City ; icc:name ?n }",
    "CONSTRUCT { ?c icc:name ?n } WHERE { ?c a icc:City ; icc:name ?n } LIMIT 100",
    "DESCRIBE ?c WHERE { ?c a icc:City }",
])
def test_capped_graphs_hold_triples_of_the_full_answer(capped, fixture_dump: Graph, query):
    r = capped.test_client().get("/sparql", query_string={"query": P + query},
                                 headers={"Accept": "text/turtle"})
    assert r.status_code == 200, r.data
    got = Graph().parse(data=r.data, format="turtle")
    full = fixture_dump.query(P + query).graph
    assert full is not None and len(full) > CAP
    assert len(got) == CAP and r.headers["X-Result-Truncated"] == "true"
    if not query.startswith("DESCRIBE"):  # rdflib's DESCRIBE says less than Oxigraph's
        assert set(got) <= set(full)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("query", "answer"), [
    ("ASK { ?c a icc:City }", True),
    ("ASK { ?c a icc:City } LIMIT 0", False),
    ("ASK { ?c icc:name 'no such name' }", False),
])
def test_ask_is_answered_in_every_format(capped, fmt, query, answer):
    r = capped.test_client().get("/sparql", query_string={"query": P + query},
                                 headers={"Accept": FORMATS[fmt]})
    assert r.status_code == 200
    if fmt in ("json", "xml"):
        assert Result.parse(io.BytesIO(r.data), format=fmt).askAnswer is answer
    elif fmt == "tsv":  # one variable, _askResult, as Jena writes it; read by a TSV parser
        (row,) = ox.parse_query_results(r.data, format=ox.QueryResultsFormat.TSV)
        assert row["_askResult"] == ox.Literal(str(answer).lower(), datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#boolean"))
    else:  # one column named _askResult, as Jena writes it
        header, value = r.data.decode().split()
        assert header == "_askResult" and Literal(value) == Literal(str(answer).lower())


@pytest.mark.parametrize("query", [
    "SELECT ?c WHERE { ?c a icc:City } ORDER BY ?c LIMIT",
    "SELECT ?c WHERE { ?c a icc:City } LIMIT 3 LIMIT 4",
    "SELECT ?c WHERE { ?c a icc:City } ORDER BY",
    "SELECT ?c WHERE { ?c a icc:City ",
    'SELECT ?c WHERE { ?c icc:name "unterminated } LIMIT 3',
])
def test_a_broken_query_is_reported_at_its_own_position(capped, query):
    r = capped.test_client().get("/sparql", query_string={"query": P + query},
                                 headers={"Accept": "text/plain"})
    assert r.status_code == 400
    text = r.get_data(as_text=True)
    assert "not valid SPARQL" in text
    line = int(text.split("error at ", 1)[1].split(":", 1)[0])
    assert line <= (P + query).count("\n") + 1  # a position inside the text that was sent


@pytest.mark.parametrize("name", QUERIES)
def test_every_select_here_is_capped_by_the_engine(name):
    """None of the queries above falls back to counting rows in Python."""
    from icc_graph.store import row_cap

    text = row_cap.limited(P + QUERIES[name][0], CAP)
    assert text is not None
    within = {"limit-below", "limit-at", "offset-limit", "values-trailer-limit"}
    assert (text == P + QUERIES[name][0]) is (name in within)
