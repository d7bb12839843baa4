"""What a hostile client sends, answered without harm: security headers on every page, links only
for http(s) IRIs, bodies bounded (413), addresses no IRI can hold refused (400), and a fuzz of
paths, parameters, headers and bodies that never gets a 500 or a traceback."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import flask
import pyoxigraph as ox
import pytest
from bs4 import BeautifulSoup
from flask import Response
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from icc_graph.build import build
from icc_graph.iri import IriError, check_iri, is_web_iri
from icc_graph.namespaces import DEFAULT_BASE_IRI as BASE
from icc_graph.readmodel import READ_MODEL_FILE, Source
from icc_graph.readmodel import write as write_read_model
from icc_graph.release import STORE_DIR
from server import create_app
from server.http import CSP
from server.settings import Settings

SEED = "collaboration-with-neuchatel-study-visits-and-exchange-of-knowledge"
PRACTICE = f"{BASE}id/practice/{SEED}"
CITY = f"{BASE}id/city/lublin"
HOSTILE_IRIS = ["javascript:alert(1)", "JaVaScRiPt:alert(2)", "data:text/html,%3Cb%3Ehi",
                "vbscript:msgbox(3)", "file:///etc/passwd"]
BROWSER = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def hostile_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small release whose store also holds values with script and data IRIs, as a store
    loaded from elsewhere might."""
    from icc_graph.paths import ROOT

    release = build(ROOT / "data", tmp_path_factory.mktemp("hostile") / "dist", BASE)
    store = ox.Store(str(release.path / STORE_DIR))
    graph = ox.NamedNode(f"{BASE}graph/hostile")
    for iri in HOSTILE_IRIS:
        for subject, predicate in (
                (CITY, "http://www.w3.org/2000/01/rdf-schema#seeAlso"),
                (PRACTICE, "http://www.w3.org/2002/07/owl#sameAs"),
                (PRACTICE, "https://w3id.org/icc-graph/def/icc#sourcePage")):
            store.add(ox.Quad(ox.NamedNode(subject), ox.NamedNode(predicate), ox.NamedNode(iri),
                              graph))
    store.flush()
    del store
    # the read model again, from the store alone (no model quads: every graph is read back)
    (release.path / READ_MODEL_FILE).unlink()
    write_read_model(release.path / READ_MODEL_FILE, Source([], BASE, release.path / STORE_DIR))
    return release.path


@pytest.fixture(scope="module")
def app(hostile_release: Path) -> Iterator[flask.Flask]:
    application = create_app(Settings(release=hostile_release, query_timeout=5,
                                      max_body_bytes=64 << 10))

    @application.route("/test-card")
    def card() -> Response:  # a page meant to be framed sets its own policy
        return Response("<p>card</p>", mimetype="text/html",
                        headers={"Content-Security-Policy": "frame-ancestors *"})

    yield application
    application.extensions["icc"].backend.close()


@pytest.fixture
def client(app: flask.Flask) -> flask.testing.FlaskClient:
    return app.test_client()


# --------------------------------------------------------------------------- headers

HTML_PAGES = ["/", "/practices", "/collaborations", "/sparql", "/dumps/",
              f"/doc/practice/{SEED}", "/doc/city/lublin", "/def/icc", "/doc/city/nowhere",
              "/sparql?query=SELECT%20*%20WHERE%20%7B", "/no/such/page"]


@pytest.mark.parametrize("path", HTML_PAGES)
def test_every_html_page_has_the_content_security_policy(client, path):
    r = client.get(path, headers=BROWSER)
    assert r.mimetype == "text/html", path
    assert r.headers["Content-Security-Policy"] == CSP
    policy = dict(part.strip().split(" ", 1) for part in CSP.split(";"))
    assert policy["frame-ancestors"] == "'none'" and policy["script-src"] == "'self'"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"]


@pytest.mark.parametrize(("path", "accept"), [
    (f"/doc/practice/{SEED}.ttl", "*/*"), ("/dumps/icc-graph.ttl", "*/*"),
    ("/sparql?query=ASK%7B%7D", "application/sparql-results+json"),
    ("/practices.json", "*/*"), ("/doc/city/nowhere", "application/json"),
    ("/sparql", "text/turtle"),
])
def test_every_response_has_nosniff_and_a_referrer_policy(client, path, accept):
    r = client.get(path, headers={"Accept": accept})
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Content-Security-Policy" not in r.headers or r.mimetype == "text/html"


def test_a_page_that_sets_its_own_policy_keeps_it(client):
    r = client.get("/test-card")
    assert r.headers["Content-Security-Policy"] == "frame-ancestors *"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


# --------------------------------------------------------------------------- links


def _hrefs(html: bytes) -> list[str]:
    return [a["href"] for a in BeautifulSoup(html, "html.parser").find_all("a", href=True)]


def test_result_values_link_only_to_http_iris(client):
    values = " ".join(f"<{iri}>" for iri in [*HOSTILE_IRIS, "https://example.org/ok"])
    query = f"SELECT ?x WHERE {{ VALUES ?x {{ {values} }} }}"
    r = client.get("/sparql", query_string={"query": query}, headers=BROWSER)
    assert r.status_code == 200, r.data
    soup = BeautifulSoup(r.data, "html.parser")
    cells = [td.get_text() for td in soup.select("tbody td")]
    assert set(cells) == {*HOSTILE_IRIS, "https://example.org/ok"}  # shown, as text
    hrefs = _hrefs(r.data)
    assert "https://example.org/ok" in hrefs
    assert not [h for h in hrefs if not h.startswith(("/", "#", "http://", "https://"))]


@pytest.mark.parametrize("path", [f"/doc/practice/{SEED}", "/doc/city/lublin"])
def test_data_values_link_only_to_http_iris(client, path):
    r = client.get(path, headers=BROWSER)
    assert r.status_code == 200
    text = BeautifulSoup(r.data, "html.parser").get_text()
    assert "javascript:alert(1)" in text  # the value is shown
    bad = [h for h in _hrefs(r.data) if not h.startswith(("/", "#", "http://", "https://"))]
    assert not bad


def test_the_web_iri_test():
    assert is_web_iri("https://example.org/a") and is_web_iri("HTTP://example.org/")
    for iri in [*HOSTILE_IRIS, " https://x/", "https://x/\n", "//example.org/"]:
        assert not is_web_iri(iri), iri


# --------------------------------------------------------------------------- bodies

MIB50 = 50 << 20


def test_a_50_mb_body_is_413_with_a_message(client):
    for kwargs in ({"data": b"x" * MIB50, "content_type": "application/sparql-query"},
                   {"data": {"query": "ASK {} #" + "x" * MIB50}}):
        r = client.post("/sparql", headers={"Accept": "text/plain"}, **kwargs)
        assert r.status_code == 413
        assert "ICC_MAX_BODY_BYTES" in r.get_data(as_text=True) and len(r.data) < 1000


def test_a_body_just_under_the_limit_is_read(client):
    query = "ASK {} #" + "x" * (60 << 10)
    r = client.post("/sparql", data=query, content_type="application/sparql-query",
                    headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and r.get_json()["boolean"] is True


def _raw(url: str, request: bytes) -> tuple[int, bytes]:
    host, port = urllib.parse.urlsplit(url).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.read()


def test_gunicorn_answers_413_to_a_50_mb_announcement_without_reading_it(gunicorn_server):
    """Only the headers and 1 KB are sent: the answer comes before the body."""
    status, body = _raw(gunicorn_server, (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Accept: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % MIB50)
        + b"x" * 1024)
    assert status == 413 and b"ICC_MAX_BODY_BYTES" in body


def test_gunicorn_answers_413_to_a_long_chunked_body(gunicorn_server):
    chunk = b"x" * (256 << 10)
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(8)) + b"0\r\n\r\n"
    status, answer = _raw(gunicorn_server, (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Accept: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        + body)
    assert status == 413, answer


@pytest.mark.parametrize("path", [b"/sparql", b"/doc/city/lublin"])
@pytest.mark.parametrize("body", [
    b"ZZ\r\nASK {}\r\n0\r\n\r\n",  # a size that is not hexadecimal
    b"5\r\nASK {}\r\n0\r\n\r\n",  # a size one short of the chunk: no CRLF where it ends
    b"6\r\nASK {}XX0\r\n\r\n",  # the chunk not ended by CRLF
])
def test_gunicorn_answers_400_to_a_malformed_chunked_body(gunicorn_server, path, body):
    status, answer = _raw(gunicorn_server, (
        b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Accept: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        + body)
    assert status == 400, answer
    assert "chunked request body is malformed" in json.loads(answer)["error"]


# --------------------------------------------------------------------------- addresses

BAD_SLUGS = ["a%20b", "%3Cscript%3E", "%22", "%00", "%FF", "caf%C3", "a%0D%0ALocation:%20x",
             "a%0Ab", "%7F", "a%5Cb", "%60"]


@pytest.mark.parametrize("slug", BAD_SLUGS)
@pytest.mark.parametrize("prefix", ["/id/city/", "/doc/city/", "/doc/practice/"])
def test_an_address_no_iri_can_hold_is_400_with_a_message(client, prefix, slug):
    for suffix in ("", ".ttl"):
        r = client.get(prefix + slug + suffix, headers={"Accept": "text/plain"})
        assert r.status_code in (400, 404), (prefix, slug, r.status_code)
        assert "Location" not in r.headers
        assert "IRI" in r.get_data(as_text=True)


@pytest.mark.parametrize("raw", [b"/id/city/\xff", b"/doc/city/a\x7fb", b"/id/city/%0d%0a",
                                 b"/doc/city/%00.ttl", b"/id/%ZZ/x"])
def test_raw_bytes_in_the_request_line_are_never_a_500(gunicorn_server, raw):
    status, body = _raw(gunicorn_server, b"GET " + raw + b" HTTP/1.1\r\nHost: x\r\n"
                        b"Accept: text/plain\r\nConnection: close\r\n\r\n")
    assert 400 <= status < 500, (raw, status, body[:200])
    assert b"Traceback" not in body


@pytest.mark.parametrize("value", ["not an iri", "<http://x/>", "http://x/\n", "", "relative/g",
                                   "http://x/\x00", "http://x/\ud800"])
def test_the_graph_iri_validator(value):
    with pytest.raises(IriError) as info:
        check_iri(value, "default-graph-uri")
    assert "default-graph-uri" in str(info.value)


def test_absolute_iris_pass_the_validator():
    for value in ("https://w3id.org/icc-graph/graph/places", "urn:x:y", "http://x/%20é"):
        assert check_iri(value) == value


@pytest.mark.parametrize("name", ["default-graph-uri", "named-graph-uri"])
def test_an_invalid_graph_iri_is_400(client, name):
    r = client.get("/sparql", query_string={"query": "ASK {}", name: "not an iri"},
                   headers={"Accept": "text/plain"})
    assert r.status_code == 400 and name in r.get_data(as_text=True)


# --------------------------------------------------------------------------- the fuzz

PREFIXES = ["/", "/id/", "/id/city/", "/doc/", "/doc/practice/", "/doc/city/", "/def/", "/shapes",
            "/dumps/", "/practices", "/practices.json", "/practices.csv", "/collaborations",
            "/collaborations.json", "/sparql", "/.well-known/void", "/static/", "/id/topic/"]
KEYS = ["query", "format", "lang", "page", "per_page", "sort", "q", "topic", "country", "city",
        "year", "organisation", "project", "programme", "default-graph-uri", "named-graph-uri",
        "update", "callback"]
HEADERS = ["Accept", "Accept-Language", "Accept-Encoding", "If-None-Match", "If-Modified-Since",
           "Range", "Content-Type", "X-Forwarded-For", "Origin", "Access-Control-Request-Headers",
           "If-Range", "Cookie"]
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF,
                                    exclude_characters="\x7f"), max_size=40)
NASTY = ["%20", "%3C", "%3E", "%22", "%00", "%0D%0A", "%0A", "%FF", "%C3", "%E2%80%AE", "%7F",
         "%5C", "%60", "%7B", "%25", "%2F", "%3F", "%23", ".ttl", ".jsonld", "..", "%2e%2e", "%",
         "%ZZ", ";", "lublin", SEED, "icc", "icc-graph.ttl", "SHA256SUMS", "x"]
piece = st.one_of(st.sampled_from(NASTY),
                  st.text(max_size=8).map(lambda s: urllib.parse.quote(s, safe="")),
                  st.binary(max_size=6).map(urllib.parse.quote_from_bytes))
segment = st.lists(piece, min_size=1, max_size=4).map("".join)
values = st.one_of(st.text(max_size=30),
                   st.sampled_from(["ASK {}", "SELECT * {", "1", "-1", "0", "99999999999999999999",
                                    "json", "ttl", "en", "fr", "year", "-year", "http://x/",
                                    "SELECT * { ?s ?p ?o } LIMIT 2", "DESCRIBE <x>"]))


@st.composite
def requests(draw: st.DrawFn) -> dict[str, object]:
    path = draw(st.sampled_from(PREFIXES)) + "/".join(draw(st.lists(segment, max_size=3)))
    params = draw(st.lists(st.tuples(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)),
                                     values), max_size=4))
    headers = draw(st.dictionaries(st.sampled_from(HEADERS), header_text, max_size=4))
    body = draw(st.one_of(st.none(), st.binary(max_size=200),
                          st.text(max_size=200).map(lambda t: t.encode("utf-8"))))
    method = draw(st.sampled_from(["GET", "GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE"]))
    return {"method": method, "path": path, "params": params, "headers": headers, "body": body}


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(req=requests())
@example(req={"method": "GET", "path": "//.ttl", "params": [], "headers": {}, "body": None})
@example(req={"method": "HEAD", "path": "/doc/city/lublin.ttl", "params": [],
              "headers": {"Accept-Encoding": "x"}, "body": b"x"})
def test_no_request_gets_a_500_or_a_traceback(client, req):
    query = urllib.parse.urlencode(req["params"])  # type: ignore[arg-type]
    path = str(req["path"])
    url = path + ("?" + query if query else "")
    overrides = {}
    if path.startswith("//"):  # the test client reads "//x" as the host x; a client sends it
        overrides["PATH_INFO"] = urllib.parse.unquote_to_bytes(path).decode("latin-1")
        url = "/" + url.lstrip("/")
    r = client.open(url, method=str(req["method"]), headers=req["headers"],  # type: ignore[arg-type]
                    data=req["body"], environ_overrides=overrides)
    text = r.get_data(as_text=True)
    assert r.status_code < 500 or r.status_code == 503, (url, req, r.status_code, text[:300])
    assert "Traceback" not in text and 'File "' not in text, url


def test_a_long_query_sent_by_the_query_page_s_form_is_answered(gunicorn_server):
    """The page's form, as the page writes it, sends a query longer than gunicorn's request
    line (4 094 bytes) and gets its results: the query goes in the body, not in the URL."""
    asked = urllib.request.Request(f"{gunicorn_server}/sparql", headers={"Accept": "text/html"})
    with urllib.request.urlopen(asked, timeout=30) as r:  # noqa: S310
        page = BeautifulSoup(r.read(), "html.parser")
    form = page.find("form", id="query-form")
    padding = "# " + "a long comment that only makes the query longer " * 120 + "\n"
    text = padding + ("SELECT ?c WHERE { ?c a <https://w3id.org/icc-graph/def/icc#City> } "
                      "ORDER BY ?c LIMIT 3")
    assert len(text) > 5000
    fields = {"query": text, "view": "Table"}
    request = urllib.request.Request(
        gunicorn_server + form["action"], method=form["method"].upper(),
        data=urllib.parse.urlencode(fields).encode() if form["method"].lower() == "post" else None,
        headers={"Accept": "text/html", "Content-Type": "application/x-www-form-urlencoded"})
    if form["method"].lower() != "post":
        request.full_url += "?" + urllib.parse.urlencode(fields)
    with urllib.request.urlopen(request, timeout=30) as r:  # noqa: S310
        assert r.status == 200
        result = BeautifulSoup(r.read(), "html.parser")
    assert len(result.select("#results tbody tr")) == 3
    assert result.find(id="query").text == text
    # its downloads are forms too (a link would pass the request line again)
    csv = next(f for f in result.select("form.download") if f.button.text == "CSV")
    fields = {i["name"]: i["value"] for i in csv.find_all("input")}
    assert fields["query"] == text
    posted = urllib.request.Request(
        gunicorn_server + csv["action"], method=csv["method"].upper(),
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(posted, timeout=30) as r:  # noqa: S310
        assert r.headers.get_content_type() == "text/csv"
        assert len(r.read().decode().strip().splitlines()) == 3 + 1


@pytest.mark.parametrize("path", ["/search", "/practices", "/practices.csv", "/search.json"])
@pytest.mark.parametrize("q", ["lub\x00lin", "a\r\nSet-Cookie: x=1", "\x1b[31m"])
def test_control_characters_in_a_search_box_are_never_written_back(client, path, q):
    r = client.get(path, query_string={"q": q}, headers={"Accept": "text/html"})
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert not any(c in body for c in "\x00\x1b"), "no NUL or ESC in the answer"
    if path == "/search":
        box = BeautifulSoup(r.data, "html.parser").find("input", attrs={"name": "q"})
        assert box is not None and not any(ord(c) < 32 for c in box.get("value", ""))
