"""The read model's documents: every thing's document (what ``/doc/<kind>/<slug>`` serves)
ready to send in every RDF format the server serves, with its triples for the HTML page.

A document holds what the store's document query gives (``icc_graph.store.documents``): every
triple with the thing as subject or as object, the ``rdfs:label`` of each neighbour, and the
incoming links cut at ``LINK_CAP`` in (property, subject) order, flagged when cut. Here they
are made from the release's quads in one pass over them (with the few triples of the store's
other named graphs: the vocabulary and the dataset description), not by a query per thing.

Each document carries a digest of its triples; a document whose digest the previous release's
read model holds is copied from it, bytes and all, so a rebuild after one edited record
serialises only the documents that changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cached_property

from ..forking import quiet_worker
from ..formats import GRAPH_FORMATS
from ..model import KINDS, Lit, Quad
from ..namespaces import ICC_IRI, PREFIXES
from ..store import LINK_CAP, Term, Triple, write_triples
from ..store.embedded import select_whole
from ..store.oxigraph import write_many
from . import Source, related

LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
NAME = f"{ICC_IRI}name"
_PLACE = {f"{GEO}lat": "lat", f"{GEO}long": "long", f"{ICC_IRI}locatedIn": "country"}
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
FORMAT_COLUMNS = {f.name: f.name for f in GRAPH_FORMATS}  # one column per format, by name
# bumped when a document's bytes would change for the same triples (a writer changed)
WRITER = f"2 {sorted(PREFIXES.items())}"

_GRAPHS = "SELECT ?g WHERE { GRAPH ?g { } }"
_GRAPH = "SELECT ?s ?p ?o WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}"
# the store keeps typed values in their canonical form (41.55140 becomes 41.5514): documents
# hold what the store holds, so typed literals are read back from it
_TYPED = (f"SELECT DISTINCT ?s ?p ?o WHERE {{ ?s ?p ?o FILTER(isLiteral(?o) && "
          f"datatype(?o) != <{XSD_STRING}> && datatype(?o) != <{LANG_STRING}>) }}")


@dataclass(frozen=True)
class Document:
    iri: str
    triples: tuple[Triple, ...]
    more_incoming: bool
    cap: int

    @cached_property
    def body(self) -> str:
        """The triples as JSON: what the HTML page reads (stored compressed with zlib), and
        what the digest is made of."""
        return json.dumps(self.triples, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Written:
    """What one write did: documents made, and how many were serialised anew."""

    documents: int
    serialised: int


def write(con: sqlite3.Connection, source: Source) -> None:
    """Write the documents table, the places of the locator maps and the entity pages'
    related sections; the read model's ``meta`` says how many documents there are
    (``documents``) and how many were serialised anew (``documents_serialised``)."""
    write_documents(con, source, LINK_CAP)


def write_documents(con: sqlite3.Connection, source: Source, cap: int) -> Written:
    """``write`` with incoming links cut at ``cap``."""
    columns = ", ".join(f"{c} BLOB NOT NULL" for c in FORMAT_COLUMNS.values())
    con.execute("CREATE TABLE documents (iri TEXT PRIMARY KEY, digest TEXT NOT NULL, "
                "more_incoming INTEGER NOT NULL, cap INTEGER NOT NULL, "
                f"triples BLOB NOT NULL, {columns})")
    extra, typed = _from_store(source)
    triples = _triples(source.quads, extra, typed)
    docs = list(documents(triples, source.base, cap))
    digests = {d.iri: _digest(d) for d in docs}
    reused = _reuse(con, source, digests)
    fresh = [d for d in docs if d.iri not in reused]
    names = list(FORMAT_COLUMNS.values())
    insert = (f"INSERT INTO documents (iri, digest, more_incoming, cap, triples, "
              f"{', '.join(names)}) VALUES ({', '.join('?' * (5 + len(names)))})")
    for doc, bodies in zip(fresh, _serialise(fresh), strict=True):
        con.execute(insert, (doc.iri, digests[doc.iri], int(doc.more_incoming), doc.cap,
                             zlib.compress(doc.body.encode(), 1), *bodies))
    _write_places(con, triples)
    related.write(con, source, triples)
    con.executemany("INSERT INTO meta VALUES (?, ?)", [
        ("documents", str(len(docs))), ("documents_serialised", str(len(fresh)))])
    return Written(len(docs), len(fresh))


def _digest(doc: Document) -> str:
    text = f"{WRITER}\n{doc.more_incoming} {doc.cap}\n{doc.body}"
    return hashlib.sha256(text.encode()).hexdigest()


def _reuse(con: sqlite3.Connection, source: Source, digests: dict[str, str]) -> set[str]:
    """Copy from the previous read model every document whose digest is unchanged; returns
    their IRIs."""
    if source.previous is None or not source.previous.is_file():
        return set()
    con.execute("ATTACH DATABASE ? AS previous", (f"file:{source.previous}?mode=ro",))
    try:
        held = con.execute("SELECT name FROM previous.sqlite_master WHERE type = 'table' "
                           "AND name = 'documents'").fetchone()
        if held is None:
            return set()
        same = {iri for iri, digest in con.execute("SELECT iri, digest FROM previous.documents")
                if digests.get(iri) == digest}
        con.execute("CREATE TEMP TABLE kept (iri TEXT PRIMARY KEY)")
        con.executemany("INSERT INTO kept VALUES (?)", ((iri,) for iri in same))
        con.execute("INSERT INTO documents SELECT d.* FROM previous.documents AS d "
                    "JOIN kept USING (iri)")
        con.execute("DROP TABLE kept")
        return same
    except sqlite3.Error:  # an unreadable or older read model: everything is written anew
        return set()
    finally:
        con.commit()
        con.execute("DETACH DATABASE previous")


# ---------------------------------------------------------------- documents from triples


def plain(o: str | Lit) -> Term:
    """A term of the model's quads as a plain term, spelt as the embedded store spells it."""
    if isinstance(o, str):
        return ("uri", o)
    return ("literal", o.value, o.datatype or (LANG_STRING if o.lang else XSD_STRING), o.lang)


def _from_store(source: Source) -> tuple[list[Triple], list[Triple]]:
    """What the store holds beside the model's quads as they are: the triples of its other
    named graphs (the vocabulary, the dataset description), part of every document they
    touch; and every triple with a typed literal, in the store's spelling."""
    model = {q[3] for q in source.quads}
    (_, rows), (_, typed) = select_whole(source.store, [_GRAPHS, _TYPED])
    others = sorted(str(r[0][1]) for r in rows if r[0] and str(r[0][1]) not in model)
    answers = select_whole(source.store, [_GRAPH.format(g=g) for g in others])
    return ([(r[0], r[1], r[2]) for _, rows in answers for r in rows if r[0] and r[1] and r[2]],
            [(r[0], r[1], r[2]) for r in typed if r[0] and r[1] and r[2]])


def _triples(quads: list[Quad], extra: list[Triple], typed: list[Triple]) -> set[Triple]:
    """Every distinct triple of the store (its union default graph) as plain terms: the
    quads' triples, the typed ones as the store spells them, and ``extra``."""
    terms: dict[str | Lit, Term] = {}

    def conv(t: str | Lit) -> Term:
        found = terms.get(t)
        if found is None:
            found = terms[t] = plain(t)
        return found

    out = {(conv(s), conv(p), conv(o)) for s, p, o, _ in quads
           if isinstance(o, str) or o.lang or o.datatype in (None, XSD_STRING)}
    out.update(extra)
    out.update(typed)
    return out


def is_thing(iri: str, base: str) -> bool:
    """True for an IRI ``{base}id/<kind>/<slug>`` that /doc/<kind>/<slug> serves."""
    if not iri.startswith(base + "id/"):
        return False
    kind, _, slug = iri[len(base) + 3:].partition("/")
    return kind in KINDS and bool(slug) and "/" not in slug


def documents(triples: Iterable[Triple], base: str, cap: int = LINK_CAP) -> Iterator[Document]:
    """The document of every thing, in IRI order: the same triples as the store's document
    query gives for it (see ``icc_graph.store.documents.assemble``)."""
    out: dict[Term, list[Triple]] = defaultdict(list)
    incoming: dict[Term, list[Triple]] = defaultdict(list)
    labels: dict[Term, list[Triple]] = defaultdict(list)
    for t in triples:
        out[t[0]].append(t)
        if t[2][0] != "literal" and t[2] != t[0]:
            incoming[t[2]].append(t)
        if t[1][1] == LABEL:
            labels[t[0]].append(t)
    things = sorted(s for s in out if s[0] == "uri" and is_thing(str(s[1]), base))
    for me in things:
        mine = out[me]
        links = sorted(incoming.get(me, ()), key=lambda t: (str(t[1][1]), str(t[0][1])))
        more = len(links) > cap
        links = links[:cap]
        neighbours = {t[2] for t in mine} | {t[0] for t in links}
        neighbours.discard(me)
        named = [lab for n in neighbours for lab in labels.get(n, ())]
        yield Document(str(me[1]), tuple(sorted({*mine, *links, *named}, key=_key)), more, cap)


def _key(t: Triple) -> tuple[str, ...]:
    return tuple(str(x) for term in t for x in term)


# ---------------------------------------------------------------- places


def _write_places(con: sqlite3.Connection, triples: Iterable[Triple]) -> None:
    """The ``places`` table: every thing with coordinates, its country and its name (English,
    else any), for the locator maps of the city and country pages."""
    con.execute("CREATE TABLE places (iri TEXT PRIMARY KEY, label TEXT NOT NULL, "
                "lat REAL NOT NULL, long REAL NOT NULL, country TEXT)")
    con.execute("CREATE INDEX places_country ON places (country)")
    found: dict[str, dict[str, object]] = defaultdict(dict)
    names: dict[str, dict[str, str]] = defaultdict(dict)
    for s, p, o in triples:
        if p[1] in _PLACE and s[0] == "uri":
            found[str(s[1])][_PLACE[str(p[1])]] = o[1]
        elif p[1] == NAME and o[0] == "literal":
            names[str(s[1])].setdefault(str(o[3] or "en"), str(o[1]))
    rows = []
    for iri, facts in sorted(found.items()):
        try:
            lat, long = float(str(facts["lat"])), float(str(facts["long"]))
        except (KeyError, ValueError):
            continue  # a coordinate that is not a number is not drawn
        its = names.get(iri, {})
        label = its.get("en") or next(iter(sorted(its.items())), ("", iri.rsplit("/", 1)[-1]))[1]
        rows.append((iri, label, lat, long, facts.get("country")))
    con.executemany("INSERT INTO places VALUES (?, ?, ?, ?, ?)", rows)


# ---------------------------------------------------------------- serialising


NTRIPLES = "application/n-triples"
WRITTEN_EACH = [f for f in GRAPH_FORMATS if f.media_type != NTRIPLES]  # by a writer per document
_pending: list[Document] = []  # the documents a pool's forked workers serialise


_TERMS: dict[Term, object] = {}  # pyoxigraph terms made once for every document of a process


def _bodies(triples: tuple[Triple, ...]) -> list[bytes]:
    if len(_TERMS) > 1_000_000:  # bounded: a catalogue far larger than any seen
        _TERMS.clear()
    return write_many(list(triples), [f.media_type for f in WRITTEN_EACH],
                      _TERMS)  # type: ignore[arg-type]


def _chunk(span: tuple[int, int]) -> list[list[bytes]]:
    return [_bodies(d.triples) for d in _pending[span[0]:span[1]]]


def _serialise(docs: list[Document]) -> Iterator[tuple[bytes, ...]]:
    """Each document in every format (in ``GRAPH_FORMATS`` order), in order. N-Triples is
    one line a triple: every distinct triple is written once and each document joins its
    lines. The other formats are written document by document, spread over the cores."""
    distinct = list({t for d in docs for t in d.triples})
    lines = write_triples(distinct, NTRIPLES).split(b"\n")
    line = {t: lines[i] + b"\n" for i, t in enumerate(distinct)}
    del distinct, lines
    for d, bodies in zip(docs, _each(docs), strict=True):
        written = iter(bodies)
        yield tuple(b"".join(line[t] for t in d.triples) if f.media_type == NTRIPLES
                    else next(written) for f in GRAPH_FORMATS)


def _each(docs: list[Document]) -> Iterator[list[bytes]]:
    cores = min(os.cpu_count() or 1, 8)
    if cores < 2 or len(docs) < 1000:
        for d in docs:
            yield _bodies(d.triples)
        return
    import multiprocessing

    global _pending
    _pending = docs
    size = 250
    spans = [(i, min(i + size, len(docs))) for i in range(0, len(docs), size)]
    try:
        with ProcessPoolExecutor(cores, mp_context=multiprocessing.get_context("fork"),
                                 initializer=quiet_worker) as pool:
            for done in pool.map(_chunk, spans):
                yield from done
    finally:
        _pending = []
