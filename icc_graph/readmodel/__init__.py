"""The read model: what the server's pages, documents, facets and collaborations need, computed
once when a release is built, in one SQLite file (``read.sqlite``) in the release folder. The
server opens it read-only and immutable, so every process shares the operating system's pages
of it, and reads instead of computing.

``write`` is called by the release writer after the store is written; each part of the model
(``documents``, ``catalogue``) owns its tables and writes them through its own ``write(con,
source)``: into a new file, or, in a rebuild, into a copy of the previous release's read model,
where each part replaces or updates what it owns. ``ReadModel`` is the server's handle: one
read-only connection per thread.

The documents, most of the model's bytes, are kept apart in ``documents.sqlite``, written by a
build from scratch and never changed after: a rebuild links the previous release's file into the
new release (a hard link: no copy) and writes the documents it made again into the read model's
own ``documents`` table, which overrides it (see ``documents.VIEW``), until they are many enough
to be merged into a new file.
"""

from __future__ import annotations

import gc
import os
import shutil
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from ..model import Quad

READ_MODEL_FILE = "read.sqlite"
DOCUMENTS_FILE = "documents.sqlite"  # beside it: the documents a build from scratch wrote
SCHEMA = 2  # bumped when a table changes: a server refuses a read model of another schema


@dataclass(frozen=True)
class Source:
    """What the read model is made from."""

    quads: list[Quad]  # the model's plain quads, sorted, each with its named graph
    base: str  # the base IRI of the release
    store: Path  # the release's store, already written: for whole-graph queries
    previous: Path | None = None  # the current release's read model, for reuse
    # a rebuild: the current release's store, and the named graphs whose content changed
    # since (the model's graphs written again, or gone, and the dataset description's)
    previous_store: Path | None = None
    changed: frozenset[str] | None = None


def write(path: Path, source: Source) -> None:
    """Write the read model at ``path`` (a new file; the caller removes it on failure).

    A rebuild (see ``_held``) copies the previous read model, links its documents.sqlite, and
    updates them where they changed; the copy (tens of MB at 10 000 practices) runs in a
    thread, in the kernel, while this process indexes the quads for the catalogue and a forked
    one computes the related sections."""
    from concurrent.futures import ThreadPoolExecutor

    from . import catalogue, documents, related

    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.unlink(missing_ok=True)
    tmp_documents = path.with_name(f".{DOCUMENTS_FILE}.{os.getpid()}")
    tmp_documents.unlink(missing_ok=True)
    # the cyclic garbage collector is paused: the indexes made here hold millions of tuples,
    # each of its passes walked them all, and nothing made here forms a cycle
    enabled = gc.isenabled()
    gc.disable()
    con: sqlite3.Connection | None = None
    sections: related.Pending | None = None
    copying = ThreadPoolExecutor(1, thread_name_prefix="read-model-copy")
    try:
        held = _held(source)
        extra = documents.from_store(source)
        changes = documents.delta(source) if held is not None else None
        # a rebuild's related sections are made again only for the things the changed
        # triples reach, when the previous rows were written by this code
        changed = list(changes[0] ^ changes[1]) if changes is not None and held is not None \
            and held.get("related_code") == related.CODE else None
        sections = related.Pending(source.base, source.quads, extra, tmp, changed)  # forked
        copy = None
        if held is not None and source.previous is not None:  # after the fork: the forked
            copy = copying.submit(shutil.copyfile, source.previous, tmp)  # one has no thread
            _link(source.previous.with_name(DOCUMENTS_FILE), tmp_documents)
        # a rebuild makes its few documents from the store; a new read model, all of them
        triples = documents.indexed(source, extra) if held is None else None
        graph = catalogue.Graph(source.quads)
        if copy is not None:
            copy.result()
        copying.shutdown()  # no thread left when the documents' workers are forked
        con = sqlite3.connect(tmp.resolve().as_uri(), uri=True)
        documents.attach(con, tmp_documents, writable=held is None)
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        con.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        con.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                        [("schema", str(SCHEMA)), ("base_iri", source.base),
                         ("related_code", related.CODE)])
        # the documents are serialised meanwhile
        with documents.writing(con, source, triples=triples, sections=sections,
                               changes=changes):
            catalogue.write(con, source, graph)
        con.commit()
        con.close()
        con = None
        os.replace(tmp_documents, path.with_name(DOCUMENTS_FILE))
    finally:
        copying.shutdown(wait=True)  # a copy under way ends before its file is removed
        if sections is not None:
            sections.close()
        if con is not None:
            con.close()
        if enabled:
            gc.enable()
        tmp_documents.unlink(missing_ok=True)
    os.replace(tmp, path)


def _link(previous: Path, new: Path) -> None:
    """The previous release's documents in the new one: the same file under a second name (a
    copy where the file system cannot link)."""
    try:
        os.link(previous, new)
    except OSError:
        shutil.copyfile(previous, new)


def _held(source: Source) -> dict[str, str] | None:
    """The ``meta`` of the previous read model when it can be updated into this one (a rebuild
    that knows what changed, from a read model of this schema and base); None otherwise."""
    if source.previous is None or source.changed is None or source.previous_store is None \
            or not source.previous.is_file() \
            or not source.previous.with_name(DOCUMENTS_FILE).is_file():
        return None
    try:
        con = sqlite3.connect(f"file:{source.previous}?mode=ro", uri=True)
        try:
            held = dict(con.execute("SELECT key, value FROM meta"))
        finally:
            con.close()
    except sqlite3.Error:  # unreadable: written anew
        return None
    from . import documents

    same = held.get("schema") == str(SCHEMA) and held.get("base_iri") == source.base \
        and documents.updatable(held, source)
    return held if same else None


class ReadModelError(Exception):
    pass


class ReadModel:
    """A release's read model, opened read-only; ``execute`` runs on this thread's
    connection."""

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()
        found = dict(self.execute("SELECT key, value FROM meta").fetchall())
        if found.get("schema") != str(SCHEMA):
            raise ReadModelError(f"{path} is a read model of schema {found.get('schema')}, "
                                 f"this server reads schema {SCHEMA}: build the release again")
        self.base = found["base_iri"]
        if not path.with_name(DOCUMENTS_FILE).is_file():
            raise ReadModelError(f"{path.with_name(DOCUMENTS_FILE)} is missing beside the read "
                                 f"model {path}: build the release again")

    def connection(self) -> sqlite3.Connection:
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            from . import documents

            try:
                con = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True,
                                      check_same_thread=False)
                if self.path.with_name(DOCUMENTS_FILE).is_file():
                    documents.attach(con, self.path.with_name(DOCUMENTS_FILE), writable=False)
            except sqlite3.Error as exc:
                raise ReadModelError(f"cannot open the read model {self.path}: {exc}") from None
            self._local.con = con
        return con

    def execute(self, sql: str, params: tuple[object, ...] | dict[str, object] = ()
                ) -> sqlite3.Cursor:
        return self.connection().execute(sql, params)


def open_read_model(folder: Path) -> ReadModel | None:
    """The read model of a release folder, or None for a folder without one."""
    path = folder / READ_MODEL_FILE
    return ReadModel(path) if path.is_file() else None
