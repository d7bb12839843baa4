"""The store interface the server uses, with two backends: the embedded Oxigraph store of a
release, and any SPARQL 1.1 endpoint (through SPARQLWrapper).

pyoxigraph's ``query`` has no timeout and cannot be cancelled, so the embedded backend runs
queries in worker processes and ends a worker that runs past the timeout.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox

from .formats import Format
from .namespaces import PREFIXES
from .results import Row, Term


class QueryError(Exception):
    """The query is not valid SPARQL; the message carries the parser's position."""


class QueryTimeout(Exception):
    """The query ran past the timeout and was stopped."""


class BackendError(Exception):
    """The store could not answer (an external endpoint is down, for instance)."""


@dataclass(frozen=True)
class QueryResult:
    kind: str  # "select", "ask" or "graph"
    variables: tuple[str, ...] = ()
    rows: tuple[Row, ...] = ()
    boolean: bool = False
    data: bytes = b""  # a graph result, serialised in the format asked for
    truncated: bool = False


@dataclass(frozen=True)
class Query:
    text: str
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    graph_format: str = "turtle"  # a name of formats.BY_NAME, for CONSTRUCT and DESCRIBE
    max_rows: int = 10_000


class Backend(Protocol):
    def query(self, q: Query, timeout: float) -> QueryResult: ...
    def describe(self, iri: str) -> list[ox.Triple]: ...
    def count(self) -> int: ...
    def close(self) -> None: ...


_PARSER = ox.Store()


def query_form(text: str) -> str:
    """'select', 'ask' or 'graph'; raises QueryError with the parser's message and position."""
    try:
        result = _PARSER.query(text)
    except SyntaxError as exc:
        raise QueryError(str(exc)) from None
    if isinstance(result, ox.QuerySolutions):
        return "select"
    if isinstance(result, ox.QueryBoolean):
        return "ask"
    return "graph"


def term(t: Any) -> Term:
    if isinstance(t, ox.NamedNode):
        return ("uri", t.value)
    if isinstance(t, ox.BlankNode):
        return ("bnode", t.value)
    return ("literal", t.value, t.datatype.value if t.datatype else None, t.language)


def execute(store: ox.Store, q: Query) -> QueryResult:
    """Run a query on a pyoxigraph store (in whatever process holds it)."""
    from .formats import BY_NAME

    kwargs: dict[str, Any] = {}
    if q.default_graphs:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in q.default_graphs]
    else:
        kwargs["use_default_graph_as_union"] = True
    if q.named_graphs:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in q.named_graphs]
    result = store.query(q.text, **kwargs)
    if isinstance(result, ox.QueryBoolean):
        return QueryResult("ask", boolean=bool(result))
    if isinstance(result, ox.QuerySolutions):
        variables = tuple(v.value for v in result.variables)
        rows: list[Row] = []
        truncated = False
        for solution in result:
            if len(rows) == q.max_rows:
                truncated = True
                break
            rows.append(tuple(term(solution[v]) if solution[v] is not None else None
                              for v in variables))
        return QueryResult("select", variables, tuple(rows), truncated=truncated)
    triples: list[ox.Triple] = []
    truncated = False
    for t in result:
        if len(triples) == q.max_rows:
            truncated = True
            break
        triples.append(t)
    fmt: Format = BY_NAME[q.graph_format]
    data = ox.serialize(triples, format=fmt.oxigraph,
                        prefixes=PREFIXES if fmt.name in ("turtle", "jsonld", "rdfxml") else None)
    return QueryResult("graph", data=data or b"", truncated=truncated)


DESCRIBE = """
CONSTRUCT {
  ?this ?p ?o . ?o ?label ?olabel .
  ?s ?q ?this . ?s ?label ?slabel .
} WHERE {
  VALUES ?label { <http://www.w3.org/2000/01/rdf-schema#label> }
  { ?this ?p ?o . OPTIONAL { ?o ?label ?olabel } }
  UNION
  { ?s ?q ?this . FILTER(?q != <http://www.w3.org/2002/07/owl#sameAs>)
    OPTIONAL { ?s ?label ?slabel } }
}"""


# ---------------------------------------------------------------- embedded


def _worker(conn: Connection, opener: Callable[[], ox.Store]) -> None:
    store = opener()
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        try:
            conn.send(("ok", execute(store, job)))
        except SyntaxError as exc:
            conn.send(("syntax", str(exc)))
        except Exception as exc:  # reported to the client as a server error, worker lives on
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


@dataclass
class _Worker:
    process: Any
    conn: Connection


@dataclass
class QueryPool:
    """Worker processes that run queries; a worker past its time is killed and replaced."""

    opener: Callable[[], ox.Store]
    size: int = 2
    _idle: queue.Queue[_Worker] = field(default_factory=queue.Queue)
    _alive: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _spawn(self) -> _Worker:
        ctx = mp.get_context("fork")
        parent, child = ctx.Pipe()
        process = ctx.Process(target=_worker, args=(child, self.opener), daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    def _acquire(self, timeout: float) -> _Worker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._alive < self.size:
                self._alive += 1
                try:
                    return self._spawn()
                except BaseException:
                    self._alive -= 1
                    raise
        try:
            return self._idle.get(timeout=timeout)
        except queue.Empty:
            raise QueryTimeout("every query worker is busy") from None

    def run(self, job: Query, timeout: float) -> QueryResult:
        worker = self._acquire(timeout)
        try:
            worker.conn.send(job)
            if not worker.conn.poll(timeout):
                self._discard(worker)
                raise QueryTimeout(f"the query ran for more than {timeout:g} s and was stopped")
            status, payload = worker.conn.recv()
        except (EOFError, OSError):
            self._discard(worker)
            raise BackendError("the query worker stopped unexpectedly") from None
        self._idle.put(worker)
        if status == "ok":
            assert isinstance(payload, QueryResult)
            return payload
        if status == "syntax":
            raise QueryError(payload)
        raise BackendError(payload)

    def _discard(self, worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join(1)
        worker.conn.close()
        with self._lock:
            self._alive -= 1

    def close(self) -> None:
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            self._discard(worker)


class EmbeddedBackend:
    """A pyoxigraph store: on disk (opened read-only, shared by processes) or in memory."""

    def __init__(self, store: ox.Store | None = None, path: Path | None = None,
                 workers: int = 2):
        if store is None and path is None:
            raise ValueError("give a store or the path of one")
        if store is None:
            assert path is not None
            if not path.is_dir():
                raise BackendError(f"no store at {path}: build a release first "
                                   "(icc-graph build --out DIR)")
            store = ox.Store.read_only(str(path))
        self.store = store
        self.path = path
        opener: Callable[[], ox.Store]
        opener = _ReadOnlyOpener(str(path)) if path is not None else _Inherited(store)
        self.pool = QueryPool(opener, workers)

    def query(self, q: Query, timeout: float) -> QueryResult:
        return self.pool.run(q, timeout)

    def describe(self, iri: str) -> list[ox.Triple]:
        result = self.store.query(DESCRIBE, use_default_graph_as_union=True,
                                  substitutions={ox.Variable("this"): ox.NamedNode(iri)})
        assert isinstance(result, ox.QueryTriples)
        return list(result)

    def count(self) -> int:
        return len(self.store)

    def close(self) -> None:
        self.pool.close()


@dataclass(frozen=True)
class _ReadOnlyOpener:
    path: str

    def __call__(self) -> ox.Store:
        return ox.Store.read_only(self.path)


@dataclass(frozen=True)
class _Inherited:
    store: ox.Store

    def __call__(self) -> ox.Store:
        return self.store
