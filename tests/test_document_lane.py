"""The documents' lane (server/documents.py, ``Lane``): a document asked in a named format is
answered without Flask, with the status, headers and bytes the app's own view gives for it;
whatever the lane does not take (a query string, a condition, compression, another method, an
address with odd characters, a thing it does not hold) reaches the app as it came. Checked
through the app's WSGI entry both ways, then over HTTP against a real gunicorn."""

from __future__ import annotations

import gzip
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import flask
import pytest
from rdflib import Graph, URIRef
from werkzeug.test import EnvironBuilder, run_wsgi_app

from icc_graph.readmodel import READ_MODEL_FILE, ReadModel
from icc_graph.release import Release
from server import close_app
from server.documents import Lane

from .conftest import BASE, make_app
from .test_read_model_documents import capped  # noqa: F401 - the fixture, cut at 2 links

RDF_EXTENSIONS = {"ttl": "turtle", "nt": "nt", "rdf": "xml", "jsonld": "json-ld"}
Answer = tuple[str, list[tuple[str, str]], bytes]


@pytest.fixture(scope="module")
def app(fixture_release: Release) -> Iterator[flask.Flask]:
    application = make_app(fixture_release, None)
    yield application
    close_app(application)


class Counted:
    """The app behind the lane, counting the requests that reach it."""

    def __init__(self, app: Callable[..., Any]):
        self.app, self.calls = app, 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        self.calls += 1
        return self.app(environ, start_response)


def ask(wsgi: Callable[..., Any], path: str, method: str = "GET", **headers: str) -> Answer:
    environ = EnvironBuilder(path=path, method=method, headers=headers,
                             base_url="http://127.0.0.1:5000").get_environ()
    body, status, got = run_wsgi_app(wsgi, environ, buffered=True)
    return status, sorted(got.to_wsgi_list()), b"".join(body)


def both_ways(app: flask.Flask, path: str, method: str = "GET", **headers: str
              ) -> tuple[Answer, Answer, bool]:
    """The answer through the lane, the app's own answer, and whether the lane took it."""
    lane = app.wsgi_app
    assert isinstance(lane, Lane)
    behind = Counted(lane.app)
    lane.app = behind
    try:
        through = ask(lane, path, method, **headers)
    finally:
        lane.app = behind.app
    return through, ask(lane.app, path, method, **headers), behind.calls == 0


def document_paths(release_path: Any, limit: int = 60) -> list[str]:
    con = ReadModel(release_path / READ_MODEL_FILE).connection()
    try:
        iris = [r[0] for r in con.execute("SELECT iri FROM documents ORDER BY iri")]
    finally:
        con.close()
    step = max(1, len(iris) // limit)
    return [f"/doc/{iri[len(BASE) + 3:]}" for iri in iris[::step]]


def test_the_lane_answers_documents_as_the_view_does(app, fixture_release):
    paths = document_paths(fixture_release.path)
    assert len(paths) > 20
    kinds = set()
    for i, path in enumerate(paths):
        ext = list(RDF_EXTENSIONS)[i % len(RDF_EXTENSIONS)]
        through, direct, taken = both_ways(app, f"{path}.{ext}", Accept="*/*")
        assert taken, path
        assert through == direct, path
        status, headers, body = through
        assert status == "200 OK"
        fields = dict(headers)
        assert int(fields["Content-Length"]) == len(body)
        assert fields["Access-Control-Allow-Origin"] == "*"
        assert fields["X-Content-Type-Options"] == "nosniff"
        iri = URIRef(BASE + "id/" + path[len("/doc/"):])
        g = Graph().parse(data=body, format=RDF_EXTENSIONS[ext], publicID=BASE)
        assert (iri, None, None) in g or (None, None, iri) in g, path
        kinds.add(path.split("/")[2])
    assert {"practice", "city", "org", "country"} <= kinds


@pytest.mark.parametrize("encoding", ["identity", "deflate", "br;q=1"])
def test_the_lane_takes_an_encoding_that_cannot_be_gzip(app, encoding):
    through, direct, taken = both_ways(app, "/doc/city/lublin.ttl", **{"Accept-Encoding": encoding})
    assert taken and through == direct and "Content-Encoding" not in dict(through[1])


def test_head_gives_the_headers_without_the_body(app, fixture_release):
    path = document_paths(fixture_release.path, 1)[0] + ".ttl"
    (status, headers, body), direct, taken = both_ways(app, path, "HEAD")
    assert taken and (status, headers, body) == direct
    assert body == b"" and int(dict(headers)["Content-Length"]) > 0
    assert dict(headers)["Content-Length"] == dict(ask(app.wsgi_app, path)[1])["Content-Length"]


def test_a_cut_document_keeps_its_headers_in_the_lane(capped):  # noqa: F811
    for ext in RDF_EXTENSIONS:
        through, direct, taken = both_ways(capped, f"/doc/country/pt.{ext}")
        assert taken and through == direct
        fields = dict(through[1])
        assert fields["X-Incoming-Links-Cut"] == "2"
        assert 'rel="related"' in fields["Link"]


@pytest.mark.parametrize(("path", "method", "headers"), [
    ("/doc/city/lublin.ttl?format=nt", "GET", {}),  # a query string
    ("/doc/city/lublin.ttl", "GET", {"If-None-Match": '"x"'}),  # a condition
    ("/doc/city/lublin.ttl", "GET", {"If-None-Match": ""}),  # even an empty one
    ("/doc/city/lublin.ttl", "GET", {"Range": ""}),
    ("/doc/city/lublin.ttl", "GET", {"Range": "bytes=0-10"}),
    ("/doc/city/lublin.ttl", "GET", {"Accept-Encoding": "gzip, deflate"}),  # compression
    ("/doc/city/lublin.ttl", "GET", {"Accept-Encoding": "*"}),
    ("/doc/city/lublin.ttl", "GET", {"Accept-Encoding": "GZIP;q=0.5"}),
    ("/doc/city/lublin.ttl", "POST", {}),
    ("/doc/city/lublin.ttl", "OPTIONS", {"Origin": "https://example.org"}),
    ("/doc/city/lublin", "GET", {"Accept": "text/turtle"}),  # negotiated
    ("/doc/city/lublin.html", "GET", {}),
    ("/doc/city/no-such-city.ttl", "GET", {}),  # a thing it does not hold: the app's 404
    ("/doc/kind/lublin.ttl", "GET", {}),
    ("/doc/city/lub lin.ttl", "GET", {}),  # characters no IRI holds: the app's 400
    ("/doc/city/%C5%82%C3%B3d%C5%BA.ttl", "GET", {}),  # not ASCII
    ("/doc/city/.ttl", "GET", {}),
    ("/doc/city/lublin.ttl/", "GET", {}),
    ("/doc//lublin.ttl", "GET", {}),
])
def test_what_the_lane_does_not_take_reaches_the_app(app, path, method, headers):
    through, direct, taken = both_ways(app, path, method, **headers)
    assert not taken
    assert through[0] == direct[0]
    assert through == direct


def test_over_http_the_lane_and_the_app_agree(gunicorn_server):
    """A real gunicorn: a plain GET is the lane's, a gzip-asking one and a conditional one
    the app's; each says the same document."""
    url = f"{gunicorn_server}/doc/city/lublin.ttl"
    with urllib.request.urlopen(url, timeout=10) as r:
        plain, etag = r.read(), r.headers["ETag"]
        assert r.headers["Content-Type"].startswith("text/turtle")
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as r:
        assert r.headers["Content-Encoding"] == "gzip"
        assert r.headers["ETag"] == etag[:-1] + '-gzip"'
        zipped = gzip.decompress(r.read())
    assert zipped == plain
    g = Graph().parse(data=plain, format="turtle")
    assert (URIRef(f"{BASE}id/city/lublin"), None, None) in g
    again = urllib.request.Request(url, headers={"If-None-Match": etag})
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(again, timeout=10)
    assert answer.value.code == 304
