"""The read model's documents and entity pages: each thing's document is the graph the store's
document query gives, in every format the server serves; capped documents keep their cap and
headers; a rebuild serialises again only the documents that changed; the entity pages' related
sections are what the per-page queries gave."""

from __future__ import annotations

import json
import shutil
import sqlite3
import zlib
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from icc_graph.build import build
from icc_graph.formats import GRAPH_FORMATS
from icc_graph.model import Lit, Quad
from icc_graph.readmodel import READ_MODEL_FILE, ReadModel, Source, documents, related
from icc_graph.readmodel import write as write_read_model
from icc_graph.release import Release
from icc_graph.store import jsonld, open_backend, write_triples
from icc_graph.store.oxigraph import write_many
from server import close_app, create_app, entity
from server.settings import Settings

from .conftest import BASE

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _read(release: Path) -> sqlite3.Connection:
    """The read model as the server reads it (the documents through their view)."""
    return ReadModel(release / READ_MODEL_FILE).connection()


def _graph(data: bytes, media_type: str) -> Graph:
    fmt = next(f for f in GRAPH_FORMATS if f.media_type == media_type)
    return Graph().parse(data=data, format=fmt.rdflib)


def _as_graph(triples) -> Graph:
    return _graph(write_triples(list(triples), "application/n-triples"),
                  "application/n-triples")


def _quads(release: Path) -> list[Quad]:
    """The model's quads of a release, read back from its TriG dump (for writing a read model
    again, as the release writer does)."""
    from rdflib import Dataset

    ds = Dataset()
    ds.parse(release / "icc-graph.trig", format="trig")
    out: list[Quad] = []
    for s, p, o, c in ds.quads((None, None, None, None)):
        graph = str(c.identifier if hasattr(c, "identifier") else c)
        if isinstance(o, Literal):
            datatype = str(o.datatype) if o.datatype and str(o.datatype) != XSD_STRING else None
            obj: str | Lit = Lit(str(o), o.language, datatype)
        else:
            obj = str(o)
        out.append((str(s), str(p), obj, graph))
    return sorted(out)


@pytest.fixture(scope="module")
def backend(fixture_release: Release):
    b = open_backend(fixture_release.path / "store", workers=1)
    yield b
    b.close()


def test_every_thing_has_its_store_document(fixture_release, fixture_dump, backend):
    con = _read(fixture_release.path)
    held = {iri: (json.loads(zlib.decompress(t)), bool(more)) for iri, t, more in con.execute(
        "SELECT iri, triples, more_incoming FROM documents")}
    things = {str(s) for s in fixture_dump.subjects() if str(s).startswith(f"{BASE}id/")}
    assert len(things) > 100 and set(held) == things
    for iri, (triples, more) in held.items():
        doc = backend.describe(iri)
        assert isomorphic(_as_graph(tuple(tuple(t) for t in x) for x in triples),
                          _as_graph(doc.triples)), iri
        assert more == doc.more_incoming


def test_every_format_parses_and_is_the_turtle_graph(fixture_release):
    con = _read(fixture_release.path)
    names = [f.name for f in GRAPH_FORMATS]
    rows = con.execute(f"SELECT iri, {', '.join(names)} FROM documents").fetchall()
    for iri, *bodies in rows:
        graphs = [_graph(body, f.media_type) for f, body in zip(GRAPH_FORMATS, bodies,
                                                                  strict=True)]
        turtle = graphs[names.index("turtle")]
        assert (URIRef(iri), None, None) in turtle, iri
        for f, g in zip(GRAPH_FORMATS, graphs, strict=True):
            assert isomorphic(g, turtle), f"{iri} as {f.name}"


def test_documents_written_together_are_what_each_writer_gives_alone(fixture_release):
    """The build writes many documents per call of pyoxigraph's writers and its own JSON-LD
    text; each stored document is byte for byte what the writers give for it alone (as the
    server writes a document when a release has no read model)."""
    con = _read(fixture_release.path)
    names = [f.name for f in GRAPH_FORMATS]
    rows = con.execute(f"SELECT iri, triples, {', '.join(names)} FROM documents").fetchall()
    assert len(rows) > 100
    for iri, packed, *bodies in rows:
        triples = [tuple(tuple(x) for x in t) for t in json.loads(zlib.decompress(packed))]
        alone = write_many(triples, [f.media_type for f in GRAPH_FORMATS if f.name != "jsonld"])
        assert [b for f, b in zip(GRAPH_FORMATS, bodies, strict=True) if f.name != "jsonld"] \
            == alone, iri
        assert bodies[names.index("jsonld")] == jsonld.dumps(triples), iri


def test_documents_made_by_forked_processes_are_those_made_in_one(fixture_release, tmp_path,
                                                                  monkeypatch):
    """A large catalogue's documents are made by one forked process per core, each into its
    own file, then copied: the same rows as one process writes."""
    from icc_graph.readmodel import serialise

    from .test_read_model_rebuild import tables

    quads = _quads(fixture_release.path)
    store = fixture_release.path / "store"
    write_read_model(tmp_path / "one.sqlite", Source(quads, BASE, store))
    monkeypatch.setattr(serialise, "SPREAD_FROM", 1)
    monkeypatch.setattr(serialise, "CHUNK", 7)
    monkeypatch.setattr(serialise.os, "cpu_count", lambda: 2)
    write_read_model(tmp_path / "forked.sqlite", Source(quads, BASE, store))
    assert tables(tmp_path / "forked.sqlite") == tables(tmp_path / "one.sqlite")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "a part file was left"


def test_the_server_sends_the_read_models_bytes(client, fixture_release):
    con = _read(fixture_release.path)
    iri = f"{BASE}id/city/lublin"
    for f in GRAPH_FORMATS:
        r = client.get(f"/doc/city/lublin.{f.extension}")
        assert r.status_code == 200 and r.mimetype == f.media_type
        held = con.execute(f"SELECT {f.name} FROM documents WHERE iri = ?", (iri,)).fetchone()
        assert isomorphic(_graph(r.data, f.media_type), _graph(held[0], f.media_type))
        assert r.headers["ETag"] and r.headers["Last-Modified"]
    assert client.get("/doc/city/atlantis.ttl").status_code == 404
    assert client.get("/doc/nothing/lublin.ttl").status_code == 404


def test_json_ld_documents_use_the_one_context(fixture_release):
    con = _read(fixture_release.path)
    (body,) = con.execute("SELECT jsonld FROM documents WHERE iri = ?",
                          (f"{BASE}id/city/lublin",)).fetchone()
    doc = json.loads(body)
    assert doc["@context"]["icc"] == "https://w3id.org/icc-graph/def/icc#"
    assert any(node.get("@id") == "https://w3id.org/icc-graph/id/city/lublin"
               for node in doc["@graph"])


@pytest.fixture(scope="module")
def capped(fixture_release: Release, tmp_path_factory: pytest.TempPathFactory):
    """The fixture release with its documents cut at 2 incoming links."""
    folder = tmp_path_factory.mktemp("capped") / "release"
    shutil.copytree(fixture_release.path, folder)
    (folder / READ_MODEL_FILE).unlink()
    mp = pytest.MonkeyPatch()
    mp.setattr(documents, "LINK_CAP", 2)
    try:
        write_read_model(folder / READ_MODEL_FILE,
                         Source(_quads(folder), BASE, folder / "store"))
    finally:
        mp.undo()
    app = create_app(Settings(release=folder, query_timeout=10))
    yield app
    close_app(app)


def test_a_capped_document_keeps_its_cap_and_headers(capped):
    client = capped.test_client()
    country = f"{BASE}id/country/pt"
    for ext in ("ttl", "jsonld"):
        r = client.get(f"/doc/country/pt.{ext}")
        assert r.status_code == 200
        assert r.headers["X-Incoming-Links-Cut"] == "2"
        assert 'rel="related"' in r.headers["Link"] and "/sparql?query=" in r.headers["Link"]
        g = _graph(r.data, r.mimetype)
        assert len(set(g.subject_predicates(URIRef(country)))) == 2
    doc = capped.extensions["icc"].backend.describe(country, cap=2)
    assert doc.more_incoming
    assert isomorphic(_graph(client.get("/doc/country/pt.ttl").data, "text/turtle"),
                      _as_graph(doc.triples))
    html = client.get("/doc/country/pt", headers={"Accept": "text/html"})
    assert html.headers["X-Incoming-Links-Cut"] == "2"
    folder = capped.extensions["icc"].release.path
    (uncut,) = _read(folder).execute("SELECT iri FROM documents WHERE more_incoming = 0 "
                                     "ORDER BY iri LIMIT 1").fetchone()
    small = client.get("/doc/" + uncut[len(f"{BASE}id/"):] + ".ttl")
    assert small.status_code == 200 and "X-Incoming-Links-Cut" not in small.headers
    assert 'rel="related"' not in small.headers["Link"]


def test_a_rebuild_serialises_only_the_changed_documents(small_data, tmp_path):
    out = tmp_path / "dist"
    first = build(small_data, out, BASE)
    practice = next((small_data / "practices").glob("*.yaml"))
    record = yaml.safe_load(practice.read_text(encoding="utf-8"))
    record["title"] = {**record["title"], "en": "A title edited for the rebuild"}
    practice.write_text(yaml.safe_dump(record, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    second = build(small_data, out, BASE)
    before, after = (dict(_read(r.path).execute("SELECT iri, digest FROM documents"))
                     for r in (first, second))
    changed = {iri for iri, digest in after.items() if before.get(iri) != digest}
    meta = dict(_read(second.path).execute("SELECT key, value FROM meta"))
    assert 0 < len(changed) < len(after) // 2, "one record touches a few documents"
    assert int(meta["documents"]) == len(after)
    assert int(meta["documents_serialised"]) == len(changed)
    slug = practice.stem
    (title,) = _read(second.path).execute(
        "SELECT turtle FROM documents WHERE iri = ?", (f"{BASE}id/practice/{slug}",)).fetchone()
    assert (None, None, Literal("A title edited for the rebuild", lang="en")) in _graph(
        title, "text/turtle")


def test_related_sections_are_what_the_page_queries_gave(app, fixture_dump):
    """One query a section per page (the backend, as pages asked before the read model)
    against the sections computed once for every thing at build."""
    things = sorted({str(s) for s in fixture_dump.subjects()
                     if str(s).startswith(f"{BASE}id/")})
    seen = 0
    with app.app_context():
        for iri in things:
            kind = iri[len(f"{BASE}id/"):].split("/")[0]
            if kind not in related.RELATED:
                continue
            for lang in related.LANGUAGES:
                built = entity.read_sections(iri, lang)
                asked = entity.query_sections(kind, iri, lang)
                assert built == asked, f"{iri} ({lang})"
                seen += bool(built)
    assert seen > 50


def test_an_entity_page_shows_its_sections_and_locator(client):
    page = BeautifulSoup(client.get("/doc/city/lublin?lang=en",
                                    headers={"Accept": "text/html"}).data, "html.parser")
    headings = [s.h2.text for s in page.select("section.related")]
    assert headings[0] == "Practices" and "Cities it collaborates with" in headings
    practices = {a["href"] for a in page.select("section.related")[0]("a")}
    assert practices and all(h.startswith("/id/practice/") for h in practices)
    assert page.find(id="locator-map").svg.select("g.cities circle")
    french = BeautifulSoup(client.get("/doc/city/lublin?lang=fr",
                                      headers={"Accept": "text/html"}).data, "html.parser")
    assert french.select_one("section.related h2").text == "Pratiques"
