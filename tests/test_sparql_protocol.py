"""The SPARQL 1.1 Protocol, on the embedded store and on a real Oxigraph server: every request
form, every result format parsed back, every error code."""

from __future__ import annotations

import gzip
import io
import json
import re
from urllib.parse import quote

import pytest
from rdflib import Graph
from rdflib.query import Result

from server import close_app

from .conftest import BASE, FIXTURE_PRACTICES, make_app

COUNT = ("PREFIX icc: <https://w3id.org/icc-graph/def/icc#> "
         "SELECT (COUNT(?p) AS ?n) WHERE { ?p a icc:GoodPractice }")
CITIES = ("PREFIX icc: <https://w3id.org/icc-graph/def/icc#> "
          "SELECT ?c ?name WHERE { ?c a icc:City ; icc:name ?name } ORDER BY ?c ?name")
CONSTRUCT = ("PREFIX icc: <https://w3id.org/icc-graph/def/icc#> "
             "CONSTRUCT { ?c icc:name ?n } WHERE { ?c a icc:City ; icc:name ?n }")
ASK = "PREFIX icc: <https://w3id.org/icc-graph/def/icc#> ASK { ?p a icc:GoodPractice }"
SEED_GRAPH = (f"{BASE}graph/practice/"
              "collaboration-with-neuchatel-study-visits-and-exchange-of-knowledge")
RESULT_TYPES = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
                "csv": "text/csv", "tsv": "text/tab-separated-values"}
GRAPH_TYPES = {"turtle": "text/turtle", "nt": "application/n-triples",
               "xml": "application/rdf+xml", "json-ld": "application/ld+json"}


def practices(response) -> int:
    result = Result.parse(io.BytesIO(response.data), format="json")
    return int(next(iter(result))[0])


def test_get(client):
    r = client.get("/sparql", query_string={"query": COUNT})
    assert r.status_code == 200 and r.mimetype == "application/sparql-results+json"
    assert practices(r) == len(FIXTURE_PRACTICES)


def test_post_form(client):
    r = client.post("/sparql", data={"query": COUNT})
    assert r.status_code == 200 and practices(r) == len(FIXTURE_PRACTICES)


def test_post_direct(client):
    r = client.post("/sparql", data=COUNT.encode(),
                    headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 200 and practices(r) == len(FIXTURE_PRACTICES)


@pytest.mark.parametrize("fmt", RESULT_TYPES)
def test_select_formats_parse(client, fixture_dump, fmt):
    r = client.get("/sparql", query_string={"query": CITIES},
                   headers={"Accept": RESULT_TYPES[fmt]})
    assert r.status_code == 200 and r.mimetype == RESULT_TYPES[fmt]
    rows = list(Result.parse(io.BytesIO(r.data), format=fmt))
    cities = fixture_dump.query(CITIES)
    assert len(rows) == len(cities) > 10
    assert any(str(row[1]) == "Lublin" for row in rows)


@pytest.mark.parametrize("fmt", GRAPH_TYPES)
def test_construct_formats_parse(client, fixture_dump, fmt):
    r = client.get("/sparql", query_string={"query": CONSTRUCT},
                   headers={"Accept": GRAPH_TYPES[fmt]})
    assert r.status_code == 200 and r.mimetype == GRAPH_TYPES[fmt]
    g = Graph().parse(data=r.data, format=fmt)
    assert len(g) == len(fixture_dump.query(CONSTRUCT)) > 10


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_ask(client, fmt):
    r = client.get("/sparql", query_string={"query": ASK}, headers={"Accept": RESULT_TYPES[fmt]})
    assert r.status_code == 200
    assert Result.parse(io.BytesIO(r.data), format=fmt).askAnswer is True


def test_q_values_are_honoured(client):
    r = client.get("/sparql", query_string={"query": COUNT}, headers={
        "Accept": "text/csv;q=0.5, application/sparql-results+xml;q=0.9, */*;q=0.1"})
    assert r.mimetype == "application/sparql-results+xml"
    assert "Accept" in r.headers["Vary"]


def test_format_parameter(client):
    r = client.get("/sparql", query_string={"query": COUNT, "format": "csv"})
    assert r.mimetype == "text/csv"
    assert r.data.decode().splitlines()[0] == "n"


def test_default_graph_uri_restricts_the_dataset(client):
    r = client.get("/sparql", query_string={"query": COUNT, "default-graph-uri": SEED_GRAPH})
    assert practices(r) == 1


def _count(client, query: str, **protocol: str) -> int:
    r = client.get("/sparql", query_string={"query": query, **protocol},
                   headers={"Accept": RESULT_TYPES["json"]})
    assert r.status_code == 200, r.get_data(as_text=True)
    return practices(r)


@pytest.mark.parametrize("clause, expected", [
    (f"FROM <{SEED_GRAPH}>", 1),  # the query's own default graph
    ("FROM <http://example.org/no-such-graph>", 0),
    (f"FROM NAMED <{SEED_GRAPH}>", 0),  # named graphs only: an empty default graph
    (f"FROM <{SEED_GRAPH}> FROM <{SEED_GRAPH.replace('neuchatel', 'x')}>", 1),
    ("", len(FIXTURE_PRACTICES)),  # no dataset named: the union of every graph
])
def test_the_query_s_own_from_is_its_dataset(request, client, clause, expected):
    """FROM and FROM NAMED make the query's dataset, as SPARQL says, instead of the union of
    every graph; the protocol's default-graph-uri overrides them."""
    query = COUNT.replace("WHERE", f"{clause} WHERE")
    assert _count(client, query, **{"default-graph-uri": SEED_GRAPH}) == 1
    if request.node.callspec.params["app"] == "oxigraph" and clause:
        # what docs/server.md says of an external Oxigraph server started with
        # --union-default-graph: it ignores FROM (if it stops doing so, say so there)
        expected = len(FIXTURE_PRACTICES)
    assert _count(client, query) == expected


@pytest.mark.parametrize("query", [
    COUNT.replace("WHERE", "# FROM <http://example.org/x>\nWHERE"),
    COUNT.replace("?p a icc:GoodPractice", '?p a icc:GoodPractice FILTER("FROM" != "x")'),
    COUNT.replace("?p", "?from"),
])
def test_from_in_a_comment_a_string_or_a_name_leaves_the_union(client, query):
    assert _count(client, query) == len(FIXTURE_PRACTICES)


def test_named_graph_uri(client):
    q = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    r = client.get("/sparql", query_string={"query": q, "named-graph-uri": SEED_GRAPH})
    graphs = {str(row[0]) for row in Result.parse(io.BytesIO(r.data), format="json")}
    assert graphs == {SEED_GRAPH}


def test_syntax_error_is_400_with_position(client):
    r = client.get("/sparql", query_string={"query": "SELECT ?x WHERE { ?x ?y }"},
                   headers={"Accept": "text/plain"})
    assert r.status_code == 400
    assert "not valid SPARQL" in r.get_data(as_text=True)
    assert "1:" in r.get_data(as_text=True)


@pytest.mark.parametrize(("method", "kwargs", "status"), [
    ("get", {"query_string": [("query", "ASK {}"), ("query", "ASK {}")]}, 400),
    ("post", {"data": {}}, 400),
    ("post", {"data": b"ASK {}", "headers": {"Content-Type": "text/plain"}}, 415),
    ("post", {"data": {"update": "INSERT DATA { <a:b> <a:c> <a:d> }"}}, 403),
    ("post", {"data": b"INSERT DATA { <a:b> <a:c> <a:d> }",
              "headers": {"Content-Type": "application/sparql-update"}}, 403),
    ("get", {"query_string": {"query": "INSERT DATA { <a:b> <a:c> <a:d> }"}}, 403),
    ("get", {"query_string": {"query": "PREFIX a: <a:>\n# an update\nDELETE WHERE { ?s ?p ?o }"}},
     403),
    ("post", {"data": {"query": "LOAD <http://example.org/x>"}}, 403),
    ("post", {"data": b"clear default", "headers": {"Content-Type": "application/sparql-query"}},
     403),
    ("get", {"query_string": {"query": COUNT}, "headers": {"Accept": "image/png"}}, 406),
    ("get", {"query_string": {"query": CONSTRUCT}, "headers": {"Accept": "text/csv"}}, 406),
    ("get", {"query_string": {"query": COUNT, "format": "ttl"}}, 406),
])
def test_errors(client, method, kwargs, status):
    r = getattr(client, method)("/sparql", **kwargs)
    assert r.status_code == status, r.data
    assert r.get_data(as_text=True).strip()
    if status == 403:
        assert "read-only" in r.get_data(as_text=True)


def test_error_as_json_for_programs(client):
    r = client.get("/sparql", query_string={"query": "SELEC"},
                   headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 400
    assert "not valid SPARQL" in json.loads(r.data)["error"]


def test_row_cap_is_stated(fixture_release):
    app = make_app(fixture_release, None, max_rows=5)
    r = app.test_client().get("/sparql", query_string={"query": CITIES})
    rows = list(Result.parse(io.BytesIO(r.data), format="json"))
    assert len(rows) == 5
    assert r.headers["X-Result-Truncated"] == "true" and r.headers["X-Result-Limit"] == "5"
    close_app(app)


def test_service_description(client):
    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    sd = Graph().parse(data=r.data, format="turtle")
    assert list(sd.query("ASK { ?s a <http://www.w3.org/ns/sparql-service-description#Service> }"))
    r = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert len(Graph().parse(data=r.data, format="json-ld")) > 0
    r = client.get("/sparql", headers={"Accept": "text/html,*/*;q=0.8"})
    assert r.mimetype == "text/html"


def test_cors(client):
    r = client.get("/sparql", query_string={"query": ASK})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    r = client.options("/sparql", headers={"Origin": "https://example.org",
                                            "Access-Control-Request-Method": "POST",
                                            "Access-Control-Request-Headers": "Content-Type"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]


SAFELISTED = {"cache-control", "content-language", "content-length", "content-type", "expires",
              "last-modified", "pragma"}
NOT_FOR_SCRIPTS = {"access-control-allow-origin", "access-control-expose-headers", "vary",
                   "x-content-type-options", "referrer-policy", "content-security-policy",
                   "accept-ranges", "content-encoding", "date", "server", "set-cookie"}


@pytest.mark.parametrize(("path", "headers"), [
    ("/sparql?query=" + "SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D", {}),  # cut: Warning
    ("/dumps/icc-graph.ttl", {"Range": "bytes=0-9"}),
    ("/doc/city/lublin.ttl", {}),
    ("/id/city/lublin", {"Accept": "text/turtle"}),
])
def test_cors_exposes_every_header_a_script_may_read(fixture_release, path, headers):
    """A browser script sees only the headers CORS exposes: every header of ours that tells
    something (a cut, a range, a checksum, a twin) is in Access-Control-Expose-Headers."""
    app = make_app(fixture_release, None, max_rows=5)
    try:
        r = app.test_client().get(path, headers={"Origin": "https://example.org", **headers})
        exposed = {h.strip().lower() for h in
                   r.headers["Access-Control-Expose-Headers"].split(",")}
        ours = {k.lower() for k, _ in r.headers.items()} - SAFELISTED - NOT_FOR_SCRIPTS
        assert ours and ours <= exposed, ours - exposed
    finally:
        close_app(app)


@pytest.mark.parametrize(("asked", "gzipped"), [
    ("gzip", True), ("deflate, gzip;q=0.5", True), ("*", True), ("GZIP", True),
    ("gzip;q=0", False), ("identity", False), ("deflate, *;q=0", False), ("", False),
])
def test_gzip_only_when_its_quality_is_above_zero(client, asked, gzipped):
    r = client.get("/sparql", query_string={"query": CITIES},
                   headers={"Accept-Encoding": asked})
    assert r.status_code == 200
    assert (r.headers.get("Content-Encoding") == "gzip") is gzipped, asked
    body = gzip.decompress(r.data) if gzipped else r.data
    assert len(list(Result.parse(io.BytesIO(body), format="json"))) > 10


def test_gzip_when_asked(client, fixture_dump):
    r = client.get("/sparql", query_string={"query": CITIES},
                   headers={"Accept-Encoding": "gzip"})
    assert r.headers["Content-Encoding"] == "gzip"
    rows = list(Result.parse(io.BytesIO(gzip.decompress(r.data)), format="json"))
    cities = fixture_dump.query(CITIES)
    assert len(rows) == len(cities) > 10


CAFE = 'SELECT ?s WHERE { ?s ?p "café" }'
FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(("kwargs", "said"), [
    ({"query_string": "query=" + quote(CAFE.replace("é", "\0")).replace("%00", "%E9")}, "%E9"),
    ({"method": "POST", "data": b"query=" + CAFE.replace("é", "%E9").encode(),
      "content_type": FORM}, "%E9"),
    ({"method": "POST", "data": b"query=" + CAFE.encode("latin-1"), "content_type": FORM},
     "byte 0xe9"),
    ({"method": "POST", "data": CAFE.encode("latin-1"),
      "content_type": "application/sparql-query"}, "byte 0xe9"),
])
def test_a_query_that_is_not_utf8_is_400_where_it_breaks(client, kwargs, said):
    """Bytes that are not UTF-8 would otherwise reach the engine changed (werkzeug keeps a bad
    escape as its three characters, or drops the field): the answer says so, and where."""
    r = client.open("/sparql", headers={"Accept": RESULT_TYPES["json"]}, **kwargs)
    assert r.status_code == 400, r.data
    assert "UTF-8" in r.get_json()["error"] and said in r.get_json()["error"]


def test_a_direct_post_is_read_in_its_charset_and_without_its_byte_order_mark(client):
    def answer(body: bytes, ctype: str) -> object:
        r = client.post("/sparql", data=body, content_type=ctype,
                        headers={"Accept": RESULT_TYPES["json"]})
        assert r.status_code == 200, r.data
        return r.get_json()["results"]["bindings"]

    expected = answer(CAFE.encode(), "application/sparql-query")
    assert answer(CAFE.encode("latin-1"), "application/sparql-query; charset=ISO-8859-1") \
        == expected
    assert answer(b"\xef\xbb\xbf" + CAFE.encode(), "application/sparql-query") == expected


@pytest.mark.parametrize(("kwargs", "status"), [
    ({"data": b"\x1f\x8b", "headers": {"Content-Encoding": "gzip"}}, 415),
    ({"data": b"ASK {}", "query_string": {"query": "ASK {}"}}, 400),
    ({"data": b"ASK {}", "content_type": "application/sparql-query; charset=klingon"}, 415),
    ({"data": b"ASK {}", "content_type": "application/sparql-query; charset=unicode_escape"},
     415),  # a codec, not a charset
    ({"data": b"query=ASK%20%7B%7D", "content_type": FORM,
      "headers": {"Content-Encoding": "gzip"}}, 415),
])
def test_a_direct_post_the_endpoint_cannot_read_as_sent_is_refused(client, kwargs, status):
    kwargs.setdefault("content_type", "application/sparql-query")
    r = client.post("/sparql", **kwargs)
    assert r.status_code == status, r.data


@pytest.mark.parametrize(("query", "said"), [
    ("SELEC * WHERE { ?s ?p ?o }", ["'SELEC' at line 1, column 1", "starts"]),
    ("PREFIX a: <urn:a:>\nSELECT * WHERE { ?s a:p ?o . ?s rdfs:label ?l }",
     ["'rdfs:'", "line 2, column 33", "add PREFIX rdfs:"]),
    ("SELECT ?x (COUNT(*) AS ?n) WHERE { ?x ?p ?o }", ["GROUP BY"]),
    ("SELECT * WHERE { ?s ?p ?o } LIMIT x", ["a digit"]),
    ("SELECT ?x WHERE { ?s <http://x/a b> ?x }", ["a valid IRI"]),
])
def test_a_parse_error_says_what_the_query_shows(fixture_release, query, said):
    """The engine's position and list of expected tokens, readable (no Unicode ranges), with
    what the query's own tokens show: a misspelt first keyword, an undeclared prefix."""
    app = make_app(fixture_release, None)
    try:
        r = app.test_client().get("/sparql", query_string={"query": query},
                                  headers={"Accept": "application/json"})
        message = r.get_json()["error"]
        assert r.status_code == 400 and re.search(r"error at \d+:\d+", message)
        assert all(s in message for s in said), message
        assert "\\u{" not in message and len(message) < 600
    finally:
        close_app(app)


@pytest.mark.parametrize("query", [
    "PREFIX : <urn:x:>\nSELECT * WHERE { ?s :p ?o . ?s ?p }",  # the empty prefix, declared
    "BASE <urn:b:>\nPREFIX ex:\n  <urn:x:>\nSELECT * WHERE { ?s ex:p ?o . ?s ?p }",
    "SELECT ?x WHERE { ?s <http://x/a b> ?x }",  # an IRI it cannot read is not a prefix
])
def test_a_parse_error_names_no_prefix_or_keyword_that_is_fine(fixture_release, query):
    app = make_app(fixture_release, None)
    try:
        r = app.test_client().get("/sparql", query_string={"query": query},
                                  headers={"Accept": "application/json"})
        message = r.get_json()["error"]
        assert r.status_code == 400
        assert "is not declared" not in message and "a query starts" not in message, message
    finally:
        close_app(app)


def test_a_field_that_is_not_the_endpoint_s_is_not_judged(client):
    """A tracking parameter with a Latin-1 escape beside a good query: the query answers."""
    r = client.get("/sparql?query=" + quote(CAFE) + "&utm_source=caf%E9",
                   headers={"Accept": RESULT_TYPES["json"]})
    assert r.status_code == 200, r.data
