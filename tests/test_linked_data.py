"""Dereferenceable IRIs, documents and their twins, dumps and the dataset description, on both
backends."""

from __future__ import annotations

import hashlib
import json

import pytest
from rdflib import RDF, Graph, Namespace, URIRef

from .conftest import BASE

ICC = Namespace("https://w3id.org/icc-graph/def/icc#")
LUBLIN = URIRef(f"{BASE}id/city/lublin")
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(("accept", "target"), [
    (BROWSER, "/doc/city/lublin"),
    ("text/turtle", "/doc/city/lublin.ttl"),
    ("application/n-triples", "/doc/city/lublin.nt"),
    ("application/ld+json", "/doc/city/lublin.jsonld"),
    ("application/rdf+xml;q=0.9, text/turtle;q=0.5", "/doc/city/lublin.rdf"),
])
def test_id_answers_303_by_accept(client, accept, target):
    r = client.get("/id/city/lublin", headers={"Accept": accept})
    assert r.status_code == 303
    assert r.headers["Location"].endswith(target)
    assert "Accept" in r.headers["Vary"]


def test_unacceptable_type_is_406(client):
    assert client.get("/id/city/lublin", headers={"Accept": "image/png"}).status_code == 406


@pytest.mark.parametrize(("ext", "fmt"), [("ttl", "turtle"), ("nt", "nt"),
                                          ("rdf", "xml"), ("jsonld", "json-ld")])
def test_document_formats_describe_the_city_and_what_points_to_it(client, fixture_dump, ext, fmt):
    r = client.get(f"/doc/city/lublin.{ext}")
    assert r.status_code == 200
    g = Graph().parse(data=r.data, format=fmt)
    assert (LUBLIN, RDF.type, ICC.City) in g
    practices = set(g.subjects(ICC.place, LUBLIN))
    assert practices == set(fixture_dump.subjects(ICC.place, LUBLIN)), "it lists all its practices"
    assert practices
    assert any(g.value(p, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))
               for p in practices), "with their labels"


def test_document_links_every_twin(client):
    r = client.get("/doc/city/lublin", headers={"Accept": BROWSER})
    assert r.mimetype == "text/html"
    links = r.headers["Link"]
    for ext in ("ttl", "nt", "rdf", "jsonld"):
        assert f"</doc/city/lublin.{ext}>" in links
    assert "Lublin" in r.get_data(as_text=True)


def test_document_format_parameter(client):
    r = client.get("/doc/city/lublin", query_string={"format": "ttl"})
    assert r.mimetype == "text/turtle"


def test_etag_and_last_modified_revalidate(client):
    r = client.get("/doc/city/lublin.ttl")
    etag, modified = r.headers["ETag"], r.headers["Last-Modified"]
    assert client.get("/doc/city/lublin.ttl",
                      headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/doc/city/lublin.ttl",
                      headers={"If-Modified-Since": modified}).status_code == 304


def test_head_has_headers_and_no_body(client):
    r = client.head("/doc/city/lublin.ttl")
    assert r.status_code == 200 and r.data == b"" and r.headers["ETag"]


def test_not_found_names_the_iri(client):
    r = client.get("/doc/city/atlantis.ttl", headers={"Accept": "text/plain"})
    assert r.status_code == 404
    assert f"{BASE}id/city/atlantis" in r.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/id/city/atlantis", "/id/city/LUBLIN", "/id/practice/lublin",
                                  "/id/city/%zz", "/id/city/lublin.ttl"])
def test_an_iri_of_nothing_is_404_not_a_redirect_to_one(client, path):
    r = client.get(path, headers={"Accept": "text/turtle"})
    assert r.status_code == 404 and "Location" not in r.headers
    assert "nothing is known about" in r.get_data(as_text=True)


def test_id_carries_the_format_parameter_to_the_document(client):
    r = client.get("/id/city/lublin?format=ttl", headers={"Accept": BROWSER})
    assert r.status_code == 303 and r.headers["Location"].endswith("/doc/city/lublin?format=ttl")
    doc = client.get(r.headers["Location"])
    assert doc.mimetype == "text/turtle"
    assert (LUBLIN, RDF.type, ICC.City) in Graph().parse(data=doc.data, format="turtle")
    wrong = client.get("/id/city/lublin?format=png")
    assert wrong.status_code == 303  # the document says which names it knows
    assert client.get(wrong.headers["Location"]).status_code in (400, 406)


def test_vocabulary_and_shapes_resolve(client):
    r = client.get("/def/icc", headers={"Accept": "text/turtle"})
    g = Graph().parse(data=r.data, format="turtle")
    assert (ICC.GoodPractice, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class")) in g
    r = client.get("/shapes.ttl")
    assert len(Graph().parse(data=r.data, format="turtle")) > 100
    assert client.get("/def/icc", headers={"Accept": BROWSER}).mimetype == "text/html"


def test_dumps_listing_and_files(client):
    r = client.get("/dumps/", headers={"Accept": "application/json"})
    files = {f["name"]: f for f in json.loads(r.data)["files"]}
    assert {"icc-graph.ttl", "icc-graph.nt.gz", "void.ttl"} <= set(files)
    entry = files["icc-graph.ttl"]
    r = client.get(entry["url"])
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    assert int(r.headers["Content-Length"]) == entry["bytes"] == len(r.data)
    assert hashlib.sha256(r.data).hexdigest() == entry["sha256"]
    g = Graph().parse(data=r.data, format="turtle")
    assert (LUBLIN, RDF.type, ICC.City) in g
    assert client.get(entry["url"], headers={"If-None-Match": r.headers["ETag"]}
                      ).status_code == 304
    part = client.get(entry["url"], headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.data == r.data[:100]
    assert client.get("/dumps/icc-graph.nt.gz").mimetype == "application/gzip"
    assert client.get("/dumps/", headers={"Accept": BROWSER}).mimetype == "text/html"


@pytest.mark.parametrize("path", ["/dumps/../pyproject.toml", "/dumps/%2e%2e%2fpyproject.toml",
                                  "/dumps/store", "/dumps/..%2F..%2Fetc%2Fpasswd"])
def test_nothing_outside_the_release_can_be_read(client, path):
    assert client.get(path).status_code == 404


def test_void(client):
    r = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    g = Graph().parse(data=r.data, format="turtle")
    void = Namespace("http://rdfs.org/ns/void#")
    ds = URIRef(f"{BASE}dataset")
    assert g.value(ds, void.sparqlEndpoint) == URIRef(f"{BASE}sparql")
    assert g.value(ds, void.uriSpace) is not None
    assert list(g.objects(ds, void.dataDump))
    assert list(g.objects(ds, void.exampleResource))
    assert any(g.objects(None, void.linkPredicate))


def test_the_description_s_twins_and_the_dataset_s_iris_dereference(client):
    """Every twin the description's Link header names answers the same graph, and the IRIs of
    the dataset and of each part it describes (partitions, linksets) answer 303 to it."""
    first = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=first.data, format="turtle")
    twins = [part.split(";")[0].strip(" <>") for part in first.headers["Link"].split(",")
             if 'rel="alternate"' in part and 'type="text/html"' not in part]
    assert len(twins) >= 4
    for twin in twins:
        r = client.get(twin)
        assert r.status_code == 200, twin
        assert Graph().parse(data=r.data, format=r.mimetype).isomorphic(graph), twin
    own = {s for s in graph.subjects() if isinstance(s, URIRef)
           and str(s).startswith(f"{BASE}dataset")}
    assert URIRef(f"{BASE}dataset") in own and len(own) > 5
    for iri in sorted(own):
        path = str(iri)[len(BASE) - 1:]
        r = client.get(path, headers={"Accept": "application/n-triples"})
        assert r.status_code == 303 and r.headers["Location"].endswith("/.well-known/void.nt")
        doc = Graph().parse(data=client.get(r.headers["Location"]).data, format="nt")
        assert (iri, None, None) in doc, iri
    assert client.get("/dataset/no-such-part").status_code == 404
    assert client.get("/.well-known/void.trig").status_code == 404


@pytest.mark.parametrize("asked", ["bytes=abc", "items=0-5", "bytes=100-50", "bytes=0-0,10-20"])
def test_a_range_the_dump_is_sent_whole_for_is_set_aside(client, asked):
    """A unit other than bytes must be ignored (RFC 9110, 14.2); a malformed range or several
    ranges (no multipart answers here) may be: the whole file, 200, never a 416."""
    whole = client.get("/dumps/icc-graph.ttl")
    r = client.get("/dumps/icc-graph.ttl", headers={"Range": asked})
    assert r.status_code == 200 and r.data == whole.data


def test_a_range_past_the_end_is_416_with_the_file_s_length(client):
    size = len(client.get("/dumps/icc-graph.ttl").data)
    r = client.get("/dumps/icc-graph.ttl", headers={"Range": f"bytes={size + 10}-"})
    assert r.status_code == 416 and r.headers["Content-Range"] == f"bytes */{size}"
    assert "within 0-" in r.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/dumps/icc-graph.ttl", "/doc/city/lublin.ttl"])
def test_if_none_match_comes_before_range_and_if_match_fails_in_few_words(client, path):
    whole = client.get(path)
    etag = whole.headers["ETag"]
    assert client.get(path, headers={"Range": "bytes=0-9", "If-None-Match": etag}
                      ).status_code == 304
    failed = client.get(path, headers={"If-Match": '"not-this-one"'})
    assert failed.status_code == 412 and len(failed.data) < 300
    assert "If-Match" in failed.get_data(as_text=True) and failed.headers["ETag"] == etag
    assert client.get(path, headers={"If-Match": etag}).data == whole.data
    assert client.get(path, headers={"If-Match": "*"}).data == whole.data  # any current one
    assert client.get(path, headers={"If-Match": "W/" + etag}).status_code == 412  # strong
    # If-Match is judged before a Range: no bytes of another version to splice in
    assert client.get(path, headers={"If-Match": '"not-this-one"', "Range": "bytes=0-9"}
                      ).status_code == 412
    assert client.get(path, headers={"If-Unmodified-Since": "Wed, 21 Oct 2015 07:28:00 GMT"}
                      ).status_code == 412
    if path.startswith("/dumps/"):  # a Range beside an If-None-Match that fails is answered
        r = client.get(path, headers={"If-None-Match": '"other"', "Range": "bytes=0-9"})
        assert r.status_code == 206 and r.data == whole.data[:10]
        r = client.get(path, headers={"If-Match": "*", "Range": "bytes=0-9"})
        assert r.status_code == 206 and r.data == whole.data[:10]


def test_if_unmodified_since_a_date_before_the_release_is_412(client):
    r = client.get("/doc/city/lublin.ttl",
                   headers={"If-Unmodified-Since": "Mon, 01 Jan 1990 00:00:00 GMT"})
    assert r.status_code == 412 and len(r.data) < 300
    later = client.get("/doc/city/lublin.ttl",
                       headers={"If-Unmodified-Since": "Mon, 01 Jan 2100 00:00:00 GMT"})
    assert later.status_code == 200 and (LUBLIN, RDF.type, ICC.City) in Graph().parse(
        data=later.data, format="turtle")
