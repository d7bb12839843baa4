"""Content negotiation as clients send it: the format parameter read as Virtuoso and Fuseki read
it, aliases, explicit types over wildcards, q-values, no Accept. On a bare Flask request: the
rule is one function over the format table, whatever the route."""

from __future__ import annotations

import pytest
from flask import Flask

from server.negotiation import best, query_formats

JSON, XML = "application/sparql-results+json", "application/sparql-results+xml"
CSV, TSV = "text/csv", "text/tab-separated-values"
TTL, NT, JSONLD, RDFXML = ("text/turtle", "application/n-triples", "application/ld+json",
                           "application/rdf+xml")
APP = Flask(__name__)


def formats(format_param: str | None, accept: str | None = None) -> dict[str, str | None]:
    headers = {"Accept": accept} if accept is not None else {}
    with APP.test_request_context(headers=headers):
        return query_formats(format_param)


@pytest.mark.parametrize("param,select,ask,graph", [
    ("xml", XML, XML, RDFXML),  # SPARQLWrapper's default return format
    ("json", JSON, JSON, JSONLD),
    ("csv", CSV, CSV, None), ("tsv", TSV, TSV, None),
    ("turtle", None, None, TTL), ("n3", None, None, TTL), ("rdf+xml", None, None, RDFXML),
    ("json-ld", None, None, JSONLD), ("rdf", None, None, RDFXML), ("nt", None, None, NT),
    ("application/rdf+xml", None, None, RDFXML), ("text/csv", CSV, CSV, None),
    ("application/sparql-results+json", JSON, JSON, None), ("JSON", JSON, JSON, JSONLD),
])
def test_the_format_parameter(param: str, select: str | None, ask: str | None,
                              graph: str | None) -> None:
    # with Accept: */* (what SPARQLWrapper sends when its format does not fit the query form),
    # a format the form cannot give leaves the choice to Accept: the form's first format
    got = formats(param, "*/*")
    assert got == {"select": select or JSON, "ask": ask or JSON, "graph": graph or TTL}
    # asking for nothing else, a format the form cannot give is a 406 for that form
    strict = formats(param, "application/x-nothing")
    assert strict == {"select": select, "ask": ask, "graph": graph}
    assert formats(param) == strict  # no Accept: only the format asked for


def test_an_unknown_format_is_refused_for_every_form() -> None:
    assert formats("yaml", "*/*") == {"select": None, "ask": None, "graph": None}


@pytest.mark.parametrize("accept,select,graph", [
    (None, JSON, TTL),
    ("application/json", JSON, JSONLD),
    ("text/plain, */*;q=0.1", JSON, NT),  # rdflib's format="nt": text/plain beats */*
    ("text/n3, */*;q=0.1", JSON, TTL),
    ("application/xml", XML, RDFXML),
    ("application/sparql-results+xml", XML, None),  # roqet, whatever the query
    ("text/turtle;q=0.5, application/ld+json", None, JSONLD),
    ("*/*;q=0.1, text/turtle", JSON, TTL),
    ("application/rdf+xml, text/n3, text/turtle, application/n-triples", None, RDFXML),
])
def test_accept(accept: str | None, select: str | None, graph: str | None) -> None:
    got = formats(None, accept)
    assert got["select"] == select and got["graph"] == graph


@pytest.mark.parametrize("accept,expected", [
    ("text/plain, */*;q=0.1", NT),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
    ("*/*", "text/html"), (None, "text/html"), ("image/png", None),
    ("text/*", "text/html"), ("application/*", NT),
    ("application/ld+json, application/json;q=0.9, */*;q=0.1", JSONLD),
])
def test_documents(accept: str | None, expected: str | None) -> None:
    with APP.test_request_context(headers={"Accept": accept} if accept else {}):
        assert best(["text/html", TTL, NT, JSONLD, RDFXML]) == expected
