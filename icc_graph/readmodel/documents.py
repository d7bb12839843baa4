"""The read model's documents: every thing's document (what ``/doc/<kind>/<slug>`` serves)
ready to send in every RDF format the server serves, with its triples for the HTML page.

A document holds what the store's document query gives (``icc_graph.store.documents``): every
triple with the thing as subject or as object, the ``rdfs:label`` of each neighbour, and the
incoming links cut at ``LINK_CAP`` in (property, subject) order, flagged when cut. Here they
are made from the release's quads in one pass over them (with the few triples of the store's
other named graphs: the vocabulary and the dataset description), not by a query per thing.

Each document carries a digest of its triples. A build from scratch writes every document into
``documents.sqlite`` (attached as ``base``); a rebuild links the previous release's file, makes
again only the documents the changed triples can touch, and writes those whose digest changed
into the read model's own ``documents`` table (after one edited record, a few documents), which
the ``documents`` view reads before the base: a row there replaces the base's, and a row
without a digest says the document is gone. Once that table holds a tenth of the base (and a
thousand documents at least), a rebuild merges it into a new file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, overload

from ..formats import GRAPH_FORMATS
from ..model import KINDS, Lit, Quad
from ..namespaces import PREFIXES
from ..store import LINK_CAP, Term, Triple
from ..store.embedded import describe_whole, select_whole
from ..store.oxigraph import as_stored
from . import Source, places, related, serialise
from .joins import XSD_STRING, plain

LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
FORMAT_COLUMNS = {f.name: f.name for f in GRAPH_FORMATS}  # one column per format, by name
# bumped when a document's bytes would change for the same triples (a writer changed)
WRITER = f"2 {sorted(PREFIXES.items())}"

BASE = "base"  # the schema name of documents.sqlite, attached to the read model
# the documents: the read model's own rows (a rebuild's), else the base's
VIEW = ("CREATE TEMP VIEW IF NOT EXISTS documents AS SELECT * FROM main.documents WHERE digest "
        f"!= '' UNION ALL SELECT * FROM {BASE}.documents AS b WHERE NOT EXISTS (SELECT 1 FROM "
        "main.documents AS o WHERE o.iri = b.iri)")
# the read model's own documents are merged into a new base once they are MERGE_FROM and a
# MERGE_SHARE-th of the base
MERGE_FROM, MERGE_SHARE = 1000, 10
_GRAPHS = "SELECT ?g WHERE { GRAPH ?g { } }"
_GRAPH = "SELECT ?s ?p ?o WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}"
# the things whose documents hold a thing's label: those it links to and those linking to it
_NEIGHBOURS = "SELECT DISTINCT ?x WHERE {{ {{ <{iri}> ?p ?x }} UNION {{ ?x ?p <{iri}> }} }}"


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
        return serialise.body(self.triples)

    @cached_property
    def digest(self) -> str:
        text = f"{WRITER}\n{self.more_incoming} {self.cap}\n{self.body}"
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Written:
    """What one write did: documents made, and how many were serialised anew."""

    documents: int
    serialised: int


def write(con: sqlite3.Connection, source: Source) -> None:
    """Write the documents table, the places of the locator maps and the entity pages'
    related sections; the read model's ``meta`` says how many documents there are
    (``documents``) and how many were serialised anew (``documents_serialised``)."""
    with writing(con, source):
        pass


def _path(con: sqlite3.Connection) -> Path:
    return Path(next(row[2] for row in con.execute("PRAGMA database_list") if row[1] == "main"))


def indexed(source: Source, extra: list[Triple] | None = None) -> Index:
    """The triples of the release's store (the model's and the store's other graphs, or
    ``extra``: ``from_store``'s), indexed for documents."""
    triples, terms = _triples(source.quads, from_store(source) if extra is None else extra)
    return Index(triples, terms)


def updatable(held: dict[str, str], source: Source, cap: int | None = None) -> bool:
    """True when ``held`` (the ``meta`` of the previous release's read model) says its
    documents were written with this cap and these writers, so that only the changed ones are
    made."""
    return held.get("link_cap") == str(LINK_CAP if cap is None else cap) and \
        held.get("writer") == _WRITER_DIGEST and source.changed is not None


def attach(con: sqlite3.Connection, path: Path, writable: bool) -> None:
    """``documents.sqlite`` at ``path`` attached to the read model's connection (opened with
    ``uri=True``) and the ``documents`` view made: read-only and immutable unless it is a new
    file being written (its tables made by ``writing``)."""
    if writable:
        con.execute(f"ATTACH DATABASE ? AS {BASE}", (str(path),))
        return
    con.execute(f"ATTACH DATABASE ? AS {BASE}", (f"{path.resolve().as_uri()}?mode=ro&immutable=1",))
    con.execute(VIEW)


@contextmanager
def writing(con: sqlite3.Connection, source: Source, cap: int | None = None,
            triples: Index | None = None, sections: related.Pending | None = None,
            changes: tuple[set[Triple], set[Triple]] | None = None) -> Iterator[Written]:
    """``write`` around the caller's block: the documents are serialised, and the related
    sections computed, by forked processes while the block runs (the catalogue), then copied
    into their tables. When ``con`` holds a copy of the previous release's read model (see
    ``readmodel.write``) written with the same cap and writers, only the documents of the
    things the changed named graphs touch are made again, and written when their digest
    changed. ``triples`` (``indexed``), ``sections`` (already started) and ``changes``
    (``delta``) may be given by a caller that made them before ``con`` was ready."""
    update = updatable(dict(con.execute("SELECT key, value FROM meta")), source, cap)
    cap = LINK_CAP if cap is None else cap
    if triples is None and not update:
        triples = indexed(source)
    spread = None
    if sections is None:  # forked meanwhile
        sections = related.Pending(source.base, source.quads, from_store(source), _path(con))
    try:
        if update:
            written = _update(con, source, cap, changes)
        else:
            assert triples is not None
            columns = ", ".join(f"{c} BLOB NOT NULL" for c in FORMAT_COLUMNS.values())
            for schema in ("main", BASE):  # the read model's own rows: none yet
                con.execute(f"DROP TABLE IF EXISTS {schema}.documents")
                con.execute(f"CREATE TABLE {schema}.documents (iri TEXT PRIMARY KEY, digest "
                            "TEXT NOT NULL, more_incoming INTEGER NOT NULL, cap INTEGER NOT "
                            f"NULL, triples BLOB NOT NULL, {columns})")
            con.execute(VIEW)
            docs = _Documents(triples, triples.things(source.base), cap)
            triples.order  # noqa: B018 (ranked here once, not in each forked process)
            spread = serialise.Spread(docs, _path(con))  # made by the forked processes
            written = Written(len(docs), len(docs))
        yield written
        places.write(con, source.quads)
        sections.into(con)
        if spread is not None:
            spread.into(con, f"{BASE}.documents")
    finally:
        sections.close()
        if spread is not None:
            spread.close()
    con.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [
        ("documents", str(written.documents)), ("documents_serialised", str(written.serialised)),
        ("link_cap", str(cap)), ("writer", _WRITER_DIGEST)])


_WRITER_DIGEST = hashlib.sha256(WRITER.encode()).hexdigest()[:16]


def delta(source: Source) -> tuple[set[Triple], set[Triple]]:
    """The triples of the named graphs a rebuild replaced, before (the previous store) and now
    (this one): a triple changed only if it is in one and not the other."""
    assert source.changed is not None and source.previous_store is not None
    queries = [_GRAPH.format(g=g) for g in sorted(source.changed)]
    before = {r for _, rows in select_whole(source.previous_store, queries) for r in rows
              if r[0] and r[1] and r[2]}
    now = {r for _, rows in select_whole(source.store, queries) for r in rows
           if r[0] and r[1] and r[2]}
    return before, now  # type: ignore[return-value]


def _update(con: sqlite3.Connection, source: Source, cap: int,
            changes: tuple[set[Triple], set[Triple]] | None = None) -> Written:
    """Make again the documents a changed triple can touch: its subject's and object's, and,
    for a label, those of every thing its subject is a neighbour of (``changes``: ``delta``'s,
    made here when not given). They are made by the store's document query (what a server
    without a read model asks) on this release's store, which holds the triples ``Index``
    holds: the same documents (``tests/test_read_model_rebuild.py``)."""
    before, now = changes if changes is not None else delta(source)
    touched: set[Term] = set()
    labelled: set[str] = set()
    for s, p, o in before ^ now:
        touched.update(x for x in (s, o) if x is not None and x[0] == "uri")
        if p is not None and p[1] == LABEL and s is not None and s[0] == "uri":
            labelled.add(str(s[1]))
    answers = select_whole(source.store, [_NEIGHBOURS.format(iri=iri)
                                          for iri in sorted(labelled)])
    touched.update(r[0] for _, rows in answers for r in rows if r[0] and r[0][0] == "uri")
    things = sorted(str(t[1]) for t in touched if is_thing(str(t[1]), source.base))
    held = dict(con.execute("SELECT iri, digest FROM documents WHERE iri IN (SELECT value FROM "
                            "json_each(?))", (json.dumps(things),)))
    fresh, gone = [], []
    for found in describe_whole(source.store, things, cap):
        if not found:  # no triple with it as subject
            if found.iri in held:
                gone.append(found.iri)
            continue
        doc = Document(found.iri, found.triples, found.more_incoming, cap)
        if held.get(doc.iri) != doc.digest:
            fresh.append(doc)
    blank = ", ".join("x''" for _ in FORMAT_COLUMNS)  # a document gone: a row without digest
    con.executemany("INSERT OR REPLACE INTO main.documents VALUES (?, '', 0, 0, x'', "
                    f"{blank})", [(iri,) for iri in gone])
    serialise.Spread(fresh, _path(con)).into(con, "main.documents")
    (own,) = con.execute("SELECT count(*) FROM main.documents").fetchone()
    (base,) = con.execute(f"SELECT count(*) FROM {BASE}.documents").fetchone()
    if own >= max(MERGE_FROM, base // MERGE_SHARE):
        _merge(con)
    (count,) = con.execute("SELECT count(*) FROM documents").fetchone()
    return Written(count, len(fresh))


def _merge(con: sqlite3.Connection) -> None:
    """The read model's own documents merged into a new ``documents.sqlite``: a copy of the
    linked one (which stays the previous release's), updated, and the rows moved out."""
    path = Path(next(row[2] for row in con.execute("PRAGMA database_list") if row[1] == BASE))
    con.commit()
    con.execute("DROP VIEW temp.documents")
    con.execute(f"DETACH DATABASE {BASE}")
    copy = path.with_name(f"{path.name}.merging")
    try:
        shutil.copyfile(path, copy)
        os.replace(copy, path)  # a file of its own in place of the link
    finally:
        copy.unlink(missing_ok=True)
    attach(con, path, writable=True)
    con.execute(f"DELETE FROM {BASE}.documents WHERE iri IN (SELECT iri FROM main.documents)")
    con.execute(f"INSERT INTO {BASE}.documents SELECT * FROM main.documents WHERE digest != ''")
    con.execute("DELETE FROM main.documents")
    con.commit()
    con.execute(VIEW)


# ---------------------------------------------------------------- documents from triples


def from_store(source: Source) -> list[Triple]:
    """The triples of the store's other named graphs (the vocabulary, the dataset
    description): part of every document they touch."""
    model = {q[3] for q in source.quads}
    ((_, rows),) = select_whole(source.store, [_GRAPHS])
    others = sorted(str(r[0][1]) for r in rows if r[0] and str(r[0][1]) not in model)
    answers = select_whole(source.store, [_GRAPH.format(g=g) for g in others])
    return [(r[0], r[1], r[2]) for _, rows in answers for r in rows if r[0] and r[1] and r[2]]


def _triples(quads: list[Quad], extra: list[Triple]) -> tuple[set[Triple], set[Term]]:
    """Every distinct triple of the store (its union default graph) as plain terms: the
    quads' triples, and ``extra``; and every term of them (with, perhaps, a typed literal as
    the model spelt it). The store keeps typed values in their canonical form (41.55140
    becomes 41.5514): documents hold what the store holds, so the typed literals are spelt as
    a store gives them back."""
    terms: dict[str | Lit, Term] = {}

    def conv(t: str | Lit) -> Term:
        found = terms.get(t)
        if found is None:
            found = terms[t] = plain(t)
        return found

    out: set[Triple] = set()
    typed: list[Triple] = []
    for s, p, o, _ in quads:
        triple = (conv(s), conv(p), conv(o))
        if isinstance(o, str) or o.lang or o.datatype in (None, XSD_STRING):
            out.add(triple)
        else:
            typed.append(triple)
    stored = as_stored(typed)
    out.update(stored)
    out.update(extra)
    every = set(terms.values())
    every.update(x for t in stored for x in t)
    every.update(x for t in extra for x in t)
    return out, every


class _Documents(Sequence[Document]):
    """The documents of these things, each made when it is asked for."""

    def __init__(self, index: Index, things: list[Term], cap: int):
        self.held, self.things, self.cap = index, things, cap

    def __len__(self) -> int:
        return len(self.things)

    @overload
    def __getitem__(self, i: int) -> Document: ...
    @overload
    def __getitem__(self, i: slice) -> list[Document]: ...

    def __getitem__(self, i: int | slice) -> Document | list[Document]:
        if isinstance(i, slice):
            return [self.held.document(me, self.cap, self.held.order)
                    for me in self.things[i]]
        return self.held.document(self.things[i], self.cap, self.held.order)


def is_thing(iri: str, base: str) -> bool:
    """True for an IRI ``{base}id/<kind>/<slug>`` that /doc/<kind>/<slug> serves."""
    if not iri.startswith(base + "id/"):
        return False
    kind, _, slug = iri[len(base) + 3:].partition("/")
    return kind in KINDS and bool(slug) and "/" not in slug


class Index:
    """The triples indexed for documents: by subject, the incoming links of each thing (not
    literals, not itself), and each subject's ``rdfs:label`` triples."""

    def __init__(self, triples: Iterable[Triple], terms: Iterable[Term] | None = None):
        self.triples = list(triples)
        self.terms = terms  # every term of the triples (or more), when the caller has them
        self.out: dict[Term, list[Triple]] = defaultdict(list)
        self.incoming: dict[Term, list[Triple]] = defaultdict(list)
        self.labels: dict[Term, list[Triple]] = defaultdict(list)
        for t in self.triples:
            self.out[t[0]].append(t)
            if t[2][0] != "literal" and t[2] != t[0]:
                self.incoming[t[2]].append(t)
            if t[1][1] == LABEL:
                self.labels[t[0]].append(t)

    def things(self, base: str) -> list[Term]:
        """Every thing (a subject that ``/doc/`` serves), in IRI order."""
        return sorted(s for s in self.out if s[0] == "uri" and is_thing(str(s[1]), base))

    @cached_property
    def order(self) -> Callable[[Triple], tuple[int, int, int]]:
        """``_key``'s order of triples, as numbers: ``_key`` compares the subjects, then the
        predicates, then the objects, each term by all its parts. The terms are ranked once;
        a triple's key is made when a document is sorted (a key for every triple ahead took
        twice as long, in each process serialising documents: 20 s at 30 000 practices)."""
        terms = list(self.terms if self.terms is not None else
                     {x for t in self.triples for x in t})
        try:  # a term's parts are text, and None only where the other term's is None too
            terms.sort()
        except TypeError:
            terms.sort(key=lambda x: tuple(map(str, x)))
        place = {x: i for i, x in enumerate(terms)}.__getitem__

        def key(t: Triple) -> tuple[int, int, int]:
            return place(t[0]), place(t[1]), place(t[2])

        return key

    def documents(self, base: str, cap: int = LINK_CAP) -> Iterator[Document]:
        """The document of every thing, in IRI order."""
        for me in self.things(base):
            yield self.document(me, cap, self.order)

    def document(self, me: Term, cap: int, order: Callable[[Triple], Any]) -> Document:
        """The same triples as the store's document query gives for ``me`` (see
        ``icc_graph.store.documents.assemble``), sorted by ``order`` (``_key`` or as it)."""
        mine = self.out.get(me, [])
        links = sorted(self.incoming.get(me, ()), key=lambda t: (str(t[1][1]), str(t[0][1])))
        more = len(links) > cap
        links = links[:cap]
        neighbours = {t[2] for t in mine} | {t[0] for t in links}
        neighbours.discard(me)
        named = [lab for n in neighbours for lab in self.labels.get(n, ())]
        return Document(str(me[1]), tuple(sorted({*mine, *links, *named}, key=order)), more,
                        cap)


def documents(triples: Iterable[Triple], base: str, cap: int = LINK_CAP) -> Iterator[Document]:
    """The document of every thing, in IRI order: the same triples as the store's document
    query gives for it (see ``icc_graph.store.documents.assemble``)."""
    return Index(triples).documents(base, cap)


def _key(t: Triple) -> tuple[str, ...]:
    """The order of a document's triples (``icc_graph.store.documents``'s): every part of
    every term as text."""
    return tuple(map(str, t[0] + t[1] + t[2]))
