"""Every client, as its users run it, against a server started the way README says.

The servers here are started from the folder holding the release with a *relative* release
path (``ICC_RELEASE=dist gunicorn ... 'server:create_app()'`` and ``icc-graph serve --release
dist``), so paths resolved against the wrong folder show. The clients are the real ones:
SPARQLWrapper, rdflib (``Graph.parse`` on URLs, ``SPARQLStore``), Debian's ``roqet`` and
``rapper``, pyld and curl. A cell marked xfail fails for the client's own bug, named there.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.dom.minidom import Document

import pytest
from pyld import jsonld
from rdflib import RDF, RDFS, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from rdflib.query import Result
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from icc_graph.formats import BY_MEDIA_TYPE
from icc_graph.release import Release

from .conftest import BASE, BIN, free_port, wait_for

ICC = Namespace(f"{BASE}def/icc#")
LUBLIN = URIRef(f"{BASE}id/city/lublin")
ROQET, RAPPER, CURL = shutil.which("roqet"), shutil.which("rapper"), shutil.which("curl")
needs_roqet = pytest.mark.skipif(ROQET is None, reason="Debian's rasqal-utils is not installed")
needs_rapper = pytest.mark.skipif(RAPPER is None, reason="Debian's raptor2-utils is not installed")
needs_curl = pytest.mark.skipif(CURL is None, reason="curl is not installed")


def _stop(process: subprocess.Popen[bytes], log: Path) -> str:
    """Ctrl-C as a terminal sends it: SIGINT to the server's whole process group."""
    os.killpg(process.pid, signal.SIGINT)
    try:  # gunicorn gives a worker that does not stop its 30 s graceful timeout
        process.wait(timeout=45)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        raise AssertionError(f"Ctrl-C did not stop {process.args}") from None
    return log.read_text(errors="replace")


def _start(command: list[str], cwd: Path, env: dict[str, str], url: str
           ) -> Iterator[str]:
    log = cwd / f"server-{url.rsplit(':', 1)[-1]}.log"  # a file: query workers share it
    with log.open("wb") as err:
        process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env},
                                   stdout=subprocess.DEVNULL, stderr=err,
                                   start_new_session=True)
    try:
        wait_for(f"{url}/sparql?query=ASK%7B%7D", 60)
    except Exception:
        raise AssertionError(f"{command} did not start: {_stop(process, log)}") from None
    yield url
    text = _stop(process, log)
    assert "Traceback" not in text, text


@pytest.fixture(scope="session")
def gunicorn_relative(release: Release) -> Iterator[str]:
    """README's production command, run in the folder holding the release: ICC_RELEASE=dist."""
    port = free_port()
    yield from _start([str(BIN / "gunicorn"), "-w", "2", "--threads", "4", "-b",
                       f"127.0.0.1:{port}", "server:create_app()"], release.path.parent,
                      {"ICC_RELEASE": release.path.name, "ICC_QUERY_WORKERS": "1"},
                      f"http://127.0.0.1:{port}")


@pytest.fixture(scope="session")
def serve_relative(release: Release) -> Iterator[str]:
    """`icc-graph serve --release dist`, run in the folder holding the release."""
    port = free_port()
    yield from _start([str(BIN / "icc-graph"), "serve", "--port", str(port), "--release",
                       release.path.name], release.path.parent, {},
                      f"http://127.0.0.1:{port}")


@pytest.fixture(scope="session", params=["gunicorn", "serve"])
def server(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_relative")
    return url


def _get(url: str, accept: str | None = None) -> tuple[bytes, str, dict[str, str]]:
    req = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read(), r.headers.get_content_type(), dict(r.headers)


# ---------------------------------------------------------------- dumps


def test_every_dump_downloads_with_its_checksum(server: str) -> None:
    sums_body, ctype, headers = _get(f"{server}/dumps/SHA256SUMS")
    assert ctype == "text/plain"
    assert headers["ETag"].strip('"') == hashlib.sha256(sums_body).hexdigest()
    sums = dict(reversed(line.split("  ", 1)) for line in sums_body.decode().splitlines())
    assert {"icc-graph.ttl", "icc-graph.nq.gz", "void.ttl", "release.json"} <= set(sums)
    for name, sha in sums.items():
        body, _, headers = _get(f"{server}/dumps/{name}")
        assert hashlib.sha256(body).hexdigest() == sha, name
        assert headers["ETag"].strip('"') == sha, name
    listing = json.loads(_get(f"{server}/dumps/", "application/json")[0])
    assert {f["name"] for f in listing["files"]} == {*sums, "SHA256SUMS"}


# ---------------------------------------------------------------- SPARQLWrapper

QUERIES = {
    "SELECT": f"SELECT ?label WHERE {{ <{LUBLIN}> <{RDFS.label}> ?label }}",
    "ASK": f"ASK {{ <{LUBLIN}> a <{ICC.City}> }}",
    "CONSTRUCT": f"CONSTRUCT {{ <{LUBLIN}> <{RDFS.label}> ?l }} "
                 f"WHERE {{ <{LUBLIN}> <{RDFS.label}> ?l }}",
    "DESCRIBE": f"DESCRIBE <{LUBLIN}>",
}
RETURN_FORMATS = [JSON, XML, CSV, TSV, TURTLE, N3, RDFXML, JSONLD]
RESULTS_NAMES = {"application/sparql-results+json": "json",
                 "application/sparql-results+xml": "xml", "text/csv": "csv",
                 "text/tab-separated-values": "tsv"}


def _meaning(converted: Any, ctype: str) -> Any:
    """What SPARQLWrapper's convert() gave, as a set of labels, a boolean or a graph."""
    if isinstance(converted, Graph):
        return converted
    if isinstance(converted, dict):
        if "boolean" in converted:
            return converted["boolean"]
        return {b["label"]["value"] for b in converted["results"]["bindings"]}
    if isinstance(converted, Document):
        booleans = converted.getElementsByTagName("boolean")
        if booleans:
            return booleans[0].firstChild.data == "true"  # type: ignore[union-attr]
        return {n.firstChild.data for n in converted.getElementsByTagName("literal")}  # type: ignore[union-attr]
    assert isinstance(converted, bytes), type(converted)
    if converted.startswith((b"_askResult", b"?_askResult")):  # a boolean as CSV or TSV, the
        return converted.split()[1] == b"true"  # way Jena writes it
    if ctype in RESULTS_NAMES:
        result = Result.parse(io.BytesIO(converted), format=RESULTS_NAMES[ctype])
        if result.type == "ASK":
            return result.askAnswer
        return {str(row[0]) for row in result}  # type: ignore[index]
    return Graph().parse(data=converted, format=BY_MEDIA_TYPE[ctype].rdflib)


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("form", list(QUERIES))
@pytest.mark.parametrize("return_format", RETURN_FORMATS)
def test_sparqlwrapper(gunicorn_relative: str, return_format: str, form: str,
                       method: str) -> None:
    w = SPARQLWrapper(f"{gunicorn_relative}/sparql")
    w.setQuery(QUERIES[form])
    w.setReturnFormat(return_format)
    if method == "POST":
        w.setMethod(POST)
    with pytest.warns(RuntimeWarning) if _warns(return_format, form) else _nothing():
        result = w.query()
        ctype = result.info()["content-type"].split(";")[0]
        meaning = _meaning(result.convert(), ctype)
    if form == "SELECT":
        assert meaning >= {"Lublin"}
    elif form == "ASK":
        assert meaning is True
    else:
        assert (LUBLIN, RDFS.label, Literal("Lublin", lang="en")) in meaning


def _warns(return_format: str, form: str) -> bool:
    """SPARQLWrapper itself warns when a return format does not fit the query form (it then
    sends Accept: */*): the server answers in the form's first format, as it should."""
    graph = form in ("CONSTRUCT", "DESCRIBE")
    return (return_format in (CSV, TSV, JSON) and graph) or (
        return_format in (TURTLE, N3, RDFXML, JSONLD) and not graph)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_sparqlstore(gunicorn_relative: str) -> None:
    store = SPARQLStore(f"{gunicorn_relative}/sparql")
    g = Graph(store=store)
    labels = {str(row[0]) for row in g.query(QUERIES["SELECT"])}  # type: ignore[index]
    assert "Lublin" in labels
    assert g.query(QUERIES["ASK"]).askAnswer is True
    assert (LUBLIN, RDFS.label, Literal("Lublin", lang="en")) in g.query(QUERIES["CONSTRUCT"]).graph  # type: ignore[operator]
    assert (LUBLIN, RDF.type, ICC.City) in set(g.triples((LUBLIN, None, None)))


# ---------------------------------------------------------------- rdflib Graph.parse(url)

# rdflib sends an Accept header of its own only for these names; for every other name it
# lists every parser's media type at q=1 and then parses with the name it was given
RDFLIB_NAMES = ["xml", "application/rdf+xml", "n3", "turtle", "ttl", "nt", "json-ld"]
RDFLIB_GENERIC = ["text/n3", "text/turtle", "ntriples", "nt11", "application/n-triples",
                  "application/ld+json"]
RDFLIB_BUG = ("rdflib bug: for this format name URLInputSource sends the Accept header of "
              "every parser (application/rdf+xml first) and then parses with the name given")


def _targets(url: str) -> list[str]:
    construct = urllib.parse.urlencode({"query": QUERIES["CONSTRUCT"]})
    return [f"{url}/id/city/lublin", f"{url}/doc/city/lublin", f"{url}/sparql?{construct}"]


@pytest.mark.parametrize("name", RDFLIB_NAMES + [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=RDFLIB_BUG))
    for n in RDFLIB_GENERIC])
def test_rdflib_parses_iris_documents_and_the_endpoint(gunicorn_relative: str,
                                                       name: str) -> None:
    for url in _targets(gunicorn_relative):
        g = Graph().parse(url, format=name)
        assert (LUBLIN, RDFS.label, Literal("Lublin", lang="en")) in g, url


def test_rdflib_without_a_format(gunicorn_relative: str) -> None:
    for url in _targets(gunicorn_relative):
        g = Graph().parse(url)
        assert (LUBLIN, RDFS.label, Literal("Lublin", lang="en")) in g, url


# ---------------------------------------------------------------- roqet and rapper


def _run(*command: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


PATH_QUERY = f"SELECT ?label WHERE {{ ?label ^<{RDFS.label}> <{LUBLIN}> }}"
ROQET_NO_PATHS = pytest.mark.xfail(strict=True, reason="roqet bug: its own query parser "
                                   "cannot parse property paths (with -p the server parses them)")


@needs_roqet
@pytest.mark.parametrize("query", [
    QUERIES["SELECT"], PATH_QUERY,
    pytest.param(QUERIES["ASK"], marks=pytest.mark.xfail(
        strict=True, reason="roqet bug: it cannot read a boolean in SPARQL XML results")),
    pytest.param(QUERIES["CONSTRUCT"], marks=pytest.mark.xfail(
        strict=True, reason="roqet bug: with -p it asks for and reads only SPARQL XML results, "
                            "so a graph result cannot be read")),
])
def test_roqet_on_the_endpoint(gunicorn_relative: str, query: str) -> None:
    out = _run(str(ROQET), "-p", f"{gunicorn_relative}/sparql", "-e", query)
    assert 'string("Lublin"@en)' in out or "boolean result: true" in out


@needs_roqet
@pytest.mark.parametrize("query", [QUERIES["SELECT"], QUERIES["ASK"],
                                   pytest.param(PATH_QUERY, marks=ROQET_NO_PATHS)])
@pytest.mark.parametrize("path", ["/id/city/lublin", "/dumps/icc-graph.ttl"])
def test_roqet_on_iris_and_dumps(gunicorn_relative: str, path: str, query: str) -> None:
    out = _run(str(ROQET), "-D", f"{gunicorn_relative}{path}", "-e", query)
    assert 'string("Lublin"@en)' in out or "boolean result: true" in out


@needs_rapper
@pytest.mark.parametrize("parser", [None, "rdfxml", "turtle", "ntriples", "guess"])
@pytest.mark.parametrize("path", ["/id/city/lublin", "/doc/city/lublin", "/def/icc",
                                  "/.well-known/void", "SPARQL"])
def test_rapper_on_iris_documents_and_the_endpoint(gunicorn_relative: str, path: str,
                                                   parser: str | None) -> None:
    if path == "SPARQL":
        path = "/sparql?" + urllib.parse.urlencode({"query": QUERIES["DESCRIBE"]})
    option = [] if parser is None else ["-g"] if parser == "guess" else ["-i", parser]
    done = subprocess.run([str(RAPPER), *option, "-o", "ntriples", f"{gunicorn_relative}{path}"],
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    g = Graph().parse(data=done.stdout, format="nt")
    assert len(g) > 0 and "Error" not in done.stderr.decode()


@needs_rapper
@pytest.mark.parametrize("name,parser", [("icc-graph.ttl", "turtle"), ("icc-graph.trig", "trig"),
                                         ("void.ttl", "turtle"), ("ontology.ttl", "turtle")])
def test_rapper_on_dumps(gunicorn_relative: str, release: Release, name: str,
                         parser: str) -> None:
    done = subprocess.run([str(RAPPER), "-i", parser, "-o", "nquads",
                           f"{gunicorn_relative}/dumps/{name}"], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    theirs = Graph().parse(data=done.stdout, format="nquads")
    ours = Graph().parse(release.path / name, format=parser)
    assert len(theirs) == len(ours)


@needs_rapper
@pytest.mark.parametrize("name,parser", [("icc-graph.ttl.gz", "turtle"),
                                         ("icc-graph.nt.gz", "ntriples"),
                                         ("icc-graph.nq.gz", "nquads")])
def test_gzipped_dumps_of_several_members_read_whole(release: Release, name: str,
                                                     parser: str) -> None:
    """The gzipped dumps are written one gzip member per chunk of graphs: gzip, rapper, Python's
    gzip module and rdflib read every member, and find every triple of the plain dump."""
    path = release.path / name
    data = path.read_bytes()
    assert data.count(b"\x1f\x8b\x08") > 1  # several members (a rebuild reuses them)
    unzipped = subprocess.run(["gzip", "-dc", str(path)], capture_output=True, check=True,
                              timeout=60).stdout
    assert unzipped == gzip.decompress(data)
    done = subprocess.run([str(RAPPER), "-i", parser, "-o", "ntriples", "-", BASE],
                          input=unzipped, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    theirs = Graph().parse(data=done.stdout, format="nt")
    ours = Graph().parse(release.path / "icc-graph.ttl", format="turtle")
    assert set(theirs) == set(ours)
    fmt = "nquads" if parser == "nquads" else "nt" if parser == "ntriples" else "turtle"
    if fmt == "nquads":
        ds = Dataset()
        ds.parse(data=gzip.decompress(data), format="nquads")
        assert {(s, p, o) for s, p, o, _ in ds.quads((None, None, None, None))} == set(ours)
    else:
        assert set(Graph().parse(data=gzip.decompress(data), format=fmt)) == set(ours)


# ---------------------------------------------------------------- pyld


def _expanded_triples(doc: Any, base: str) -> Graph:
    nquads = jsonld.to_rdf(doc, {"format": "application/n-quads", "base": base})
    return Graph().parse(data=nquads, format="nquads")


@pytest.mark.parametrize("kind,slug", [("city", "lublin"), ("practice",
                         "collaboration-with-neuchatel-study-visits-and-exchange-of-knowledge")])
def test_pyld_document_gives_the_turtle_twins_triples(gunicorn_relative: str, kind: str,
                                                      slug: str) -> None:
    url = f"{gunicorn_relative}/doc/{kind}/{slug}"
    doc = json.loads(_get(f"{url}.jsonld")[0])
    assert "@context" in doc
    assert not isinstance(doc["@context"], str) or doc["@context"].startswith("/")
    text = json.dumps(doc)
    assert '"@type"' in text and str(RDF.type) not in text and "rdf:type" not in text
    turtle = Graph().parse(data=_get(f"{url}.ttl")[0], format="turtle")
    assert isomorphic(_expanded_triples(doc, url), turtle)
    framed = jsonld.frame(doc, {"@context": doc["@context"], "@type": _type_term(doc, kind)})
    assert framed.get("@graph") or framed.get("@id")


def _type_term(doc: Any, kind: str) -> str:
    classes = {"city": "City", "practice": "GoodPractice"}
    return f"icc:{classes[kind]}"


def test_pyld_reads_the_jsonld_dump_as_the_turtle_dump(gunicorn_relative: str,
                                                       release: Release) -> None:
    doc = json.loads(_get(f"{gunicorn_relative}/dumps/icc-graph.jsonld")[0])
    assert isinstance(doc.get("@context"), dict)
    ours = Graph().parse(release.path / "icc-graph.ttl", format="turtle")
    assert isomorphic(_expanded_triples(doc, f"{gunicorn_relative}/dumps/"), ours)


def test_the_context_is_served_under_the_base(gunicorn_relative: str) -> None:
    body, ctype, _ = _get(f"{gunicorn_relative}/context.jsonld")
    assert ctype in ("application/ld+json", "application/json")
    context = json.loads(body)["@context"]
    assert context["icc"] == str(ICC)
    doc = json.loads(_get(f"{gunicorn_relative}/doc/city/lublin.jsonld")[0])
    assert doc["@context"] == context or doc["@context"] == "/context.jsonld"


# ---------------------------------------------------------------- curl -L

TOOL_ACCEPT = {  # what each client sends, and the media type it must get
    "rdflib nt": ("text/plain, */*;q=0.1", "application/n-triples"),
    "rdflib n3": ("text/n3, */*;q=0.1", "text/turtle"),
    "rdflib xml": ("application/rdf+xml, */*;q=0.1", "application/rdf+xml"),
    "rdflib json-ld": ("application/ld+json, application/json;q=0.9, */*;q=0.1",
                       "application/ld+json"),
    "rdflib turtle": ("text/turtle, application/x-turtle, */*;q=0.1", "text/turtle"),
    "rapper turtle": ("text/turtle, application/x-turtle, application/turtle, text/n3;q=0.3, "
                      "text/rdf+n3;q=0.3, application/rdf+n3;q=0.3, */*;q=0.1", "text/turtle"),
    "rapper ntriples": ("application/n-triples, text/plain;q=0.1, */*;q=0.1",
                        "application/n-triples"),
    "rapper rdfxml": ("application/rdf+xml, text/rdf;q=0.6, */*;q=0.1", "application/rdf+xml"),
    "SPARQLWrapper n3": ("application/turtle,text/turtle,text/rdf+n3,application/n-triples,"
                         "application/n3,text/n3", "text/turtle"),
    "SPARQLWrapper json-ld": ("application/ld+json,application/x-json+ld",
                              "application/ld+json"),
    "a browser": ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                  "text/html"),
    "curl": ("*/*", "text/html"),
}


@needs_curl
@pytest.mark.parametrize("tool", list(TOOL_ACCEPT))
def test_curl_follows_an_iri_to_what_the_tool_asked_for(gunicorn_relative: str,
                                                        tool: str) -> None:
    accept, expected = TOOL_ACCEPT[tool]
    done = subprocess.run([str(CURL), "-sSL", "-H", f"Accept: {accept}", "-o", "/dev/null",
                           "-w", "%{http_code} %{content_type}",
                           f"{gunicorn_relative}/id/city/lublin"],
                          capture_output=True, text=True, timeout=30)
    code, ctype = done.stdout.split(" ", 1)
    assert code == "200" and ctype.split(";")[0] == expected


@needs_curl
def test_curl_conditional_request_on_a_gzipped_document(gunicorn_relative: str) -> None:
    url = f"{gunicorn_relative}/doc/city/lublin.ttl"
    head = subprocess.run([str(CURL), "-sS", "-D", "-", "-o", "/dev/null", "-H",
                           "Accept-Encoding: gzip", url], capture_output=True, text=True)
    etag = next(line.split(":", 1)[1].strip() for line in head.stdout.splitlines()
                if line.lower().startswith("etag:"))
    assert etag.endswith('-gzip"')
    again = subprocess.run([str(CURL), "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                            "Accept-Encoding: gzip", "-H", f"If-None-Match: {etag}", url],
                           capture_output=True, text=True)
    assert again.stdout == "304"


# ---------------------------------------------------------------- the home page


def _sparql_count(url: str, cls: str) -> int:
    w = SPARQLWrapper(f"{url}/sparql")
    w.setQuery(f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a <{ICC[cls]}> }}")
    w.setReturnFormat(JSON)
    return int(w.queryAndConvert()["results"]["bindings"][0]["n"]["value"])  # type: ignore[index,call-overload]


def test_the_home_page_numbers_are_the_sparql_counts(gunicorn_relative: str) -> None:
    from bs4 import BeautifulSoup

    page = BeautifulSoup(_get(f"{gunicorn_relative}/", "text/html")[0], "html.parser")
    shown = {li.get_text(" ", strip=True).split(" ", 1)[1]: int(li.strong.get_text())
             for li in page.select("#counts li")}
    classes = {"good practices": "GoodPractice", "cities": "City", "countries": "Country",
               "organisations": "Organisation", "projects": "Project"}
    assert set(shown) == set(classes)
    for label, cls in classes.items():
        assert shown[label] == _sparql_count(gunicorn_relative, cls), label


def test_the_home_page_describes_the_dataset_to_search_engines(gunicorn_relative: str) -> None:
    from bs4 import BeautifulSoup

    page = BeautifulSoup(_get(f"{gunicorn_relative}/", "text/html")[0], "html.parser")
    blocks = [json.loads(s.string) for s in page.head.select('script[type="application/ld+json"]')]
    assert len(blocks) == 1 and isinstance(blocks[0]["@context"], dict)  # nothing remote
    SDO = "http://schema.org/"
    [node] = [n for n in jsonld.expand(blocks[0]) if f"{SDO}Dataset" in n.get("@type", [])]
    for term in ("name", "description", "license", "creator", "distribution",
                 "spatialCoverage", "temporalCoverage"):
        assert node.get(f"{SDO}{term}"), term
    urls = {d[f"{SDO}contentUrl"][0]["@value"] for d in node[f"{SDO}distribution"]}
    assert f"{BASE}dumps/icc-graph.ttl" in urls


def test_the_csv_leaves_ongoing_empty_when_the_period_is_unknown(gunicorn_relative: str) -> None:
    import csv

    rows = list(csv.DictReader(io.StringIO(_get(f"{gunicorn_relative}/practices.csv")[0]
                                           .decode())))
    w = SPARQLWrapper(f"{gunicorn_relative}/sparql")
    w.setQuery(f"""SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?p a <{ICC.GoodPractice}>
      FILTER NOT EXISTS {{ ?p <{ICC.startYear}>|<{ICC.endYear}> ?y }}
      FILTER NOT EXISTS {{ ?p <{ICC.ongoing}> true }} }}""")
    w.setReturnFormat(JSON)
    unknown = int(w.queryAndConvert()["results"]["bindings"][0]["n"]["value"])  # type: ignore[index,call-overload]
    assert unknown > 0 and sum(r["ongoing"] == "" for r in rows) == unknown
    for r in rows:
        assert r["ongoing"] in ("true", "false", "")
        assert (r["ongoing"] == "") == (not r["start"] and not r["end"] and r["ongoing"] != "true")


def test_an_entity_page_block_needs_no_remote_context(gunicorn_relative: str) -> None:
    from bs4 import BeautifulSoup

    page = BeautifulSoup(_get(f"{gunicorn_relative}/doc/city/lublin", "text/html")[0],
                         "html.parser")
    [script] = page.head.select('script[type="application/ld+json"]')
    block = json.loads(script.string)
    assert isinstance(block["@context"], dict)
    [node] = jsonld.expand(block)
    assert node["@id"] == str(LUBLIN) and "http://schema.org/City" in node["@type"]
    assert all("@id" in v for v in node["http://schema.org/sameAs"])


@pytest.mark.parametrize("path", ["/def/icc", "/shapes", "/.well-known/void",
                                  "/doc/topic/education"])
def test_pyld_every_jsonld_twin_gives_the_turtle_twins_triples(gunicorn_relative: str,
                                                               path: str) -> None:
    url = f"{gunicorn_relative}{path}"
    doc = json.loads(_get(f"{url}?format=jsonld")[0])
    assert isinstance(doc["@context"], dict)
    turtle = Graph().parse(data=_get(f"{url}?format=ttl")[0], format="turtle")
    assert len(turtle) > 0 and isomorphic(_expanded_triples(doc, url), turtle)
