"""The read model's documents in every RDF format the server sends, many documents at once.

A document is written exactly as the server's writers write it alone (``write_many`` of
``icc_graph.store.oxigraph``, and ``icc_graph.store.jsonld``), but without their cost per
document:

- N-Triples is one line a triple: each distinct term's text and each triple's line is made
  once per process (by pyoxigraph), and each document joins its lines.
- Turtle and RDF/XML: the N-Triples of a few hundred documents are written by pyoxigraph in
  one call (``write_each``: a marker between documents, the output cut at the markers).
- JSON-LD: the node objects of ``jsonld.nodes`` are written here as text, in the layout of
  ``json.dumps(..., indent=1)`` that ``jsonld.dumps`` gives, each value's text made once per
  process (Python's JSON encoder runs in pure Python when it indents; it took most of the
  stage).

``rows`` makes the ``documents`` rows of a chunk of documents; ``Spread`` has them made by one
forked process per core, each into its own file, while the build goes on, and copies them in.
"""

from __future__ import annotations

import json
import os
import sqlite3
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from ..forking import held_signals, quiet_worker
from ..formats import GRAPH_FORMATS
from ..store import Term, Triple
from ..store.jsonld import CONTEXT, RDF_TYPE, _id, _value, compact_iri
from ..store.oxigraph import ntriples_term, write_each

NTRIPLES = "application/n-triples"
JSONLD = "application/ld+json"
_quote = json.encoder.encode_basestring
_LINES: dict[Triple, bytes] = {}  # each triple's N-Triples line, made once per process
_TERMS: dict[Term, bytes] = {}


def ntriples(triples: Iterable[Triple]) -> bytes:
    """The triples as N-Triples, in the order given: each line made once per process."""
    triples = list(triples)
    try:
        return b"".join([_LINES[t] for t in triples])
    except KeyError:
        pass
    out = []
    for t in triples:
        found = _LINES.get(t)
        if found is None:
            if len(_LINES) > 2_000_000:  # bounded: a catalogue far larger than any seen
                _LINES.clear()
                _TERMS.clear()
            parts = []
            for x in t:
                text = _TERMS.get(x)
                if text is None:
                    text = _TERMS[x] = ntriples_term(x)
                parts.append(text)
            found = _LINES[t] = b" ".join(parts) + b" .\n"
        out.append(found)
    return b"".join(out)


def written(media_type: str, documents: Sequence[bytes]) -> list[bytes]:
    """Turtle or RDF/XML of each document given as N-Triples, as written alone."""
    return write_each(documents, media_type)


# ---------------------------------------------------------------- JSON-LD


def _indented(value: Any, depth: int) -> str:
    """``value`` as ``json.dumps(value, ensure_ascii=False, indent=1)`` writes it at ``depth``
    (strings, lists and objects only: what a node object holds)."""
    if isinstance(value, str):
        return _quote(value)
    inner = "\n" + " " * (depth + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        return ("{" + inner + ("," + inner).join(f"{_quote(k)}: {_indented(v, depth + 1)}"
                                                 for k, v in value.items())
                + "\n" + " " * depth + "}")
    if isinstance(value, list):
        if not value:
            return "[]"
        return ("[" + inner + ("," + inner).join(_indented(v, depth + 1) for v in value)
                + "\n" + " " * depth + "]")
    return json.dumps(value, ensure_ascii=False)  # numbers and booleans: never in a node


_HEAD = json.dumps({"@context": CONTEXT}, ensure_ascii=False, indent=1)[:-2]
_TEXTS: dict[tuple[int, Term], str] = {}  # (depth, object term) -> its indented text


def _value_text(term: Term, depth: int) -> str:
    """``jsonld._value(term)`` as ``json.dumps(indent=1)`` writes it at ``depth``."""
    key = (depth, term)
    found = _TEXTS.get(key)
    if found is None:
        if len(_TEXTS) > 1_000_000:
            _TEXTS.clear()
        found = _TEXTS[key] = _indented(_value(term), depth)
    return found


def jsonld(triples: Iterable[Triple]) -> bytes:
    """What ``jsonld.dumps`` gives for these triples, byte for byte: the nodes of
    ``jsonld.nodes`` (one per subject, by ``@id``; ``@id``, ``@type``, then the properties
    by name), each value's text made once per process."""
    by_subject: dict[str, list[Triple]] = {}
    for t in triples:
        its = by_subject.get(key := _id(t[0]))
        if its is None:
            its = by_subject[key] = []
        its.append(t)
    written_nodes = []
    for subject in sorted(by_subject):
        types: list[str] = []
        values: dict[str, list[Term]] = {}
        for _, p, o in by_subject[subject]:
            if p[1] == RDF_TYPE and o[0] != "literal":
                types.append(_id(o))
            else:
                name = compact_iri(str(p[1]))
                found = values.get(name)
                if found is None:
                    found = values[name] = []
                found.append(o)
        entries = [f'   "@id": {_quote(subject)}']
        if len(types) == 1:
            entries.append(f'   "@type": {_quote(types[0])}')
        elif types:
            entries.append('   "@type": [\n    ' + ",\n    ".join(map(_quote, sorted(types)))
                           + "\n   ]")
        for name in sorted(values):
            vs = values[name]
            text = (_value_text(vs[0], 3) if len(vs) == 1 else
                    "[\n    " + ",\n    ".join(_value_text(v, 4) for v in vs) + "\n   ]")
            entries.append(f"   {_quote(name)}: {text}")
        written_nodes.append("  {\n" + ",\n".join(entries) + "\n  }")
    graph = ("[\n" + ",\n".join(written_nodes) + "\n ]") if written_nodes else "[]"
    return f'{_HEAD},\n "@graph": {graph}\n}}'.encode()


# ---------------------------------------------------------------- rows, over the cores


# one encoder for every document: ``json.dumps`` with options makes an encoder per call
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def body(triples: Sequence[Triple]) -> str:
    """``json.dumps(triples, ensure_ascii=False, separators=(",", ":"))``, in one call of the
    encoder (1.9 s for the 42 902 documents of 10 000 practices, against 2.9 s when each
    triple's text was made once per process and joined)."""
    return _ENCODE(triples)


class Doc(Protocol):
    """What a row is made of (``documents.Document``)."""

    @property
    def iri(self) -> str: ...
    @property
    def triples(self) -> tuple[Triple, ...]: ...
    @property
    def more_incoming(self) -> bool: ...
    @property
    def cap(self) -> int: ...
    @property
    def body(self) -> str: ...
    @property
    def digest(self) -> str: ...


COLUMNS = ("iri", "digest", "more_incoming", "cap", "triples", *(f.name for f in GRAPH_FORMATS))
INSERT = (f"INSERT OR REPLACE INTO {{table}} ({', '.join(COLUMNS)}) "
          f"VALUES ({', '.join('?' * len(COLUMNS))})")
CHUNK = 500  # documents written by one call of each writer
SPREAD_FROM = 1000  # fewer documents are written by the calling process


def rows(docs: Sequence[Doc]) -> list[tuple[object, ...]]:
    """The ``documents`` rows of these documents: IRI, digest, cut, triples (JSON, zlib) and
    the bytes of every format (``GRAPH_FORMATS`` order)."""
    nts = [ntriples(d.triples) for d in docs]
    bodies = {NTRIPLES: nts, JSONLD: [jsonld(d.triples) for d in docs]}
    for f in GRAPH_FORMATS:
        if f.media_type not in bodies:
            bodies[f.media_type] = written(f.media_type, nts)
    return [(d.iri, d.digest, int(d.more_incoming), d.cap, zlib.compress(d.body.encode(), 1),
             *(bodies[f.media_type][i] for f in GRAPH_FORMATS)) for i, d in enumerate(docs)]


class Spread:
    """The rows of many documents made by forked processes, one per core (at most 8), each
    writing its share (every n-th chunk) into its own SQLite file beside the read model, while
    the caller goes on with other work; ``into`` waits for them and copies their rows into
    the read model's ``documents`` table. Fewer than a thousand documents are written here,
    when ``into`` is called."""

    def __init__(self, docs: Sequence[Doc], beside: Path):
        self.docs = docs
        cores = min(os.cpu_count() or 1, 8)
        self.parts: list[Path] = []
        self.workers: list[Any] = []
        if cores < 2 or len(docs) < SPREAD_FROM:
            return
        import multiprocessing

        fork = multiprocessing.get_context("fork")
        for k in range(cores):
            part = beside.with_name(f".{beside.name}.part{k}-{os.getpid()}")
            part.unlink(missing_ok=True)
            self.parts.append(part)
            worker = fork.Process(target=_share, args=(docs, k, cores, part), daemon=True)
            with held_signals():
                worker.start()
            self.workers.append(worker)

    def into(self, con: sqlite3.Connection, table: str) -> None:
        """The rows into ``table`` (the read model's or documents.sqlite's)."""
        try:
            if not self.workers:
                for i in range(0, len(self.docs), CHUNK):
                    con.executemany(INSERT.format(table=table), rows(self.docs[i:i + CHUNK]))
                return
            for worker in self.workers:
                worker.join()
            if any(w.exitcode != 0 for w in self.workers):
                codes = ", ".join(str(w.exitcode) for w in self.workers)
                raise OSError(f"a process serialising the documents failed (exit {codes})")
            con.commit()
            for part in self.parts:
                con.execute("ATTACH DATABASE ? AS part", (str(part),))
                con.execute(f"INSERT OR REPLACE INTO {table} ({', '.join(COLUMNS)}) "
                            f"SELECT {', '.join(COLUMNS)} FROM part.documents")
                con.commit()
                con.execute("DETACH DATABASE part")
        finally:
            self.close()

    def close(self) -> None:
        """Stop the workers (if still running) and remove their files."""
        for worker in self.workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()
        self.workers = []
        for part in self.parts:
            part.unlink(missing_ok=True)


def _share(docs: Sequence[Doc], k: int, n: int, part: Path) -> None:
    """A forked worker: the rows of every n-th chunk from the k-th, into its own file."""
    quiet_worker()
    con = sqlite3.connect(part)
    con.execute("PRAGMA journal_mode = OFF")
    con.execute("PRAGMA synchronous = OFF")
    con.execute(f"CREATE TABLE documents ({', '.join(COLUMNS)})")
    for i in range(k * CHUNK, len(docs), n * CHUNK):
        con.executemany(INSERT.format(table="documents"), rows(docs[i:i + CHUNK]))
    con.commit()
    con.close()
    os._exit(0)  # nothing of the parent's to run or flush
