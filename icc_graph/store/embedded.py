"""The embedded backend: a release's on-disk Oxigraph store, opened read-only.

This is the only module that calls pyoxigraph's query API. The server's own page queries and
documents run here, in the web process; users' queries run in query worker processes
(``workers``), bounded in time and memory, through ``run_request``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..formats import BY_MEDIA_TYPE
from . import documents, results
from .oxigraph import open_read_only, plain, serialize_ox, term
from .protocol import (
    BackendError,
    Description,
    NotAcceptable,
    Query,
    QueryError,
    QueryReply,
    QueryRequest,
    QueryResult,
    Row,
)
from .workers import WorkerPool


def _dataset(default_graphs: tuple[str, ...], named_graphs: tuple[str, ...]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if default_graphs:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
    else:
        kwargs["use_default_graph_as_union"] = True
    if named_graphs:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    return kwargs


def _query(store: ox.Store, text: str, default_graphs: tuple[str, ...] = (),
           named_graphs: tuple[str, ...] = ()) -> Any:
    try:
        return store.query(text, **_dataset(default_graphs, named_graphs))
    except SyntaxError as exc:
        raise QueryError(str(exc)) from None
    except (OSError, RuntimeError, ValueError) as exc:  # evaluation failed (e.g. a SERVICE)
        raise BackendError(f"the query could not be evaluated: {type(exc).__name__}") from None


def _rows(solutions: ox.QuerySolutions, max_rows: int) -> tuple[tuple[str, ...], list[Row], bool]:
    variables = tuple(v.value for v in solutions.variables)
    rows: list[Row] = []
    for solution in solutions:
        if len(rows) == max_rows:
            return variables, rows, True
        rows.append(tuple(term(solution[v]) if solution[v] is not None else None
                          for v in variables))
    return variables, rows, False


def run_request(store: ox.Store, request: QueryRequest) -> QueryReply:
    """Run a user's query and write its answer in the format the client accepts."""
    result = _query(store, request.text, request.default_graphs, request.named_graphs)
    if isinstance(result, ox.QueryBoolean):
        media = request.accept.get("ask")
        if media is None:
            raise NotAcceptable("ask")
        return QueryReply("ask", media, results.write(QueryResult("ask", boolean=bool(result)),
                                                      media))
    if isinstance(result, ox.QuerySolutions):
        media = request.accept.get("select")
        if media is None:
            raise NotAcceptable("select")
        variables, rows, cut = _rows(result, request.max_rows)
        body = results.select(variables, rows, results.SELECT_TYPES[media])
        return QueryReply("select", media, body, cut)
    media = request.accept.get("graph")
    if media is None:
        raise NotAcceptable("graph")
    triples: list[ox.Triple] = []
    cut = False
    for t in result:
        if len(triples) == request.max_rows:
            cut = True
            break
        triples.append(t)
    return QueryReply("graph", media, serialize_ox(triples, BY_MEDIA_TYPE[media]), cut)


class EmbeddedBackend:
    """A release's store on disk: page queries in this process, users' queries in workers."""

    def __init__(self, path: Path, workers: int = 2, worker_memory_mib: int = 1024):
        if not path.is_dir():
            raise BackendError(f"no store at {path}: build a release first "
                               "(icc-graph build --out DIR)")
        self.path = path
        self.store = open_read_only(path)
        self.pool = WorkerPool(path, workers, worker_memory_mib)

    def run(self, request: QueryRequest) -> QueryReply:
        return self.pool.run(request)

    def query(self, q: Query, timeout: float = 0) -> QueryResult:
        result = _query(self.store, q.text, q.default_graphs, q.named_graphs)
        if isinstance(result, ox.QueryBoolean):
            return QueryResult("ask", boolean=bool(result))
        if isinstance(result, ox.QuerySolutions):
            variables, rows, cut = _rows(result, q.max_rows)
            return QueryResult("select", variables, tuple(rows), truncated=cut)
        raise QueryError("a page query must be SELECT or ASK")

    def describe(self, iri: str, cap: int = documents.LINK_CAP) -> Description:
        if not documents.is_iri(iri):
            return Description(iri)
        result = _query(self.store, documents.query(iri, cap))
        return documents.assemble(iri, [plain(t) for t in result], cap)

    def count(self) -> int:
        return len(self.store)

    def close(self) -> None:
        self.pool.close()


def query_to_csv(path: Path, text: str) -> str:
    """A query on a release's store, for the command line: SELECT results as CSV, ASK as
    ``true`` or ``false``, CONSTRUCT and DESCRIBE results as N-Triples."""
    import math

    from .protocol import QueryRequest as Request

    store = open_read_only(path)
    accept = {"select": "text/csv", "ask": results.JSON, "graph": "application/n-triples"}
    reply = run_request(store, Request(text, accept, math.inf, max_rows=1 << 62))
    if reply.form == "ask":
        return "true\n" if results.read_json(reply.body).boolean else "false\n"
    return reply.body.decode("utf-8")


def select_whole(path: Path, texts: list[str]) -> list[tuple[tuple[str, ...], list[Row]]]:
    """SELECT queries over a release's whole store, every row kept (no cap), for the build's
    read model: one open of the store for all of them; each answer as variables and rows."""
    store = open_read_only(path)
    answers = []
    for text in texts:
        result = _query(store, text)
        if not isinstance(result, ox.QuerySolutions):
            raise QueryError("a read model query must be SELECT")
        variables, rows, _ = _rows(result, 1 << 62)
        answers.append((variables, rows))
    del store
    return answers
