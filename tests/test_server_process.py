"""The production form (gunicorn, several workers) used by real clients: rdflib, SPARQLWrapper,
and a query that runs past the timeout while other requests are served."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from rdflib import RDF, Graph, Namespace, URIRef
from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

from .conftest import BASE

ICC = Namespace("https://w3id.org/icc-graph/def/icc#")
SEED = "collaboration-with-neuchatel-study-visits-and-exchange-of-knowledge"
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def test_rdflib_dereferences_a_practice(gunicorn_server):
    g = Graph().parse(f"{gunicorn_server}/id/practice/{SEED}")
    practice = URIRef(f"{BASE}id/practice/{SEED}")
    assert (practice, RDF.type, ICC.GoodPractice) in g
    assert (practice, ICC.place, URIRef(f"{BASE}id/city/lublin")) in g


def test_sparqlwrapper_select_and_construct(gunicorn_server):
    w = SPARQLWrapper(f"{gunicorn_server}/sparql")
    w.setQuery("PREFIX icc: <https://w3id.org/icc-graph/def/icc#> "
               "SELECT (COUNT(*) AS ?n) WHERE { ?p a icc:GoodPractice }")
    w.setReturnFormat(JSON)
    n = int(w.queryAndConvert()["results"]["bindings"][0]["n"]["value"])
    assert n >= 200
    w = SPARQLWrapper(f"{gunicorn_server}/sparql")
    w.setQuery("CONSTRUCT { ?c a <https://w3id.org/icc-graph/def/icc#City> } "
               "WHERE { ?c a <https://w3id.org/icc-graph/def/icc#City> }")
    w.setReturnFormat(TURTLE)
    g = Graph().parse(data=w.queryAndConvert(), format="turtle")
    assert len(g) >= 60


def test_timeout_stops_the_query_and_others_are_served(gunicorn_server):
    outcome: dict[str, object] = {}

    def heavy() -> None:
        start = time.monotonic()
        url = f"{gunicorn_server}/sparql?{urllib.parse.urlencode({'query': HEAVY})}"
        try:
            urllib.request.urlopen(url, timeout=30)
            outcome["status"] = 200
        except urllib.error.HTTPError as exc:
            outcome["status"] = exc.code
            outcome["message"] = exc.read().decode()
        outcome["seconds"] = time.monotonic() - start

    thread = threading.Thread(target=heavy)
    thread.start()
    time.sleep(0.3)
    start = time.monotonic()
    with urllib.request.urlopen(f"{gunicorn_server}/doc/city/lublin.ttl", timeout=10) as r:
        assert r.status == 200
    ask = urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
    with urllib.request.urlopen(f"{gunicorn_server}/sparql?{ask}", timeout=10) as r:
        assert r.status == 200
    assert time.monotonic() - start < 1.0, "requests sent meanwhile are answered normally"
    thread.join(30)
    assert outcome["status"] == 503
    assert "stopped" in str(outcome["message"])
    assert float(outcome["seconds"]) <= 1 + 1  # the timeout plus one second
