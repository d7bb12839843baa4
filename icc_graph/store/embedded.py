"""The embedded backend: a release's on-disk Oxigraph store, opened read-only.

This is the only module that calls pyoxigraph's query API. The server's own page queries and
documents run here, in the web process; users' queries run in query worker processes
(``workers``), bounded in time and memory, through ``run_request``, which has the engine write
the answer (the row cap kept as ``row_cap`` says).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..federation import ServiceRefused, tokens
from ..formats import BY_MEDIA_TYPE
from . import documents, results, row_cap
from .oxigraph import open_read_only, plain, serialize_ox, term
from .parse_errors import explained
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


def names_dataset(text: str) -> bool:
    """Whether the query names its own dataset (``FROM`` or ``FROM NAMED``): the keyword as a
    word of the query, not inside a string, an IRI, a comment or a name. A text the tokeniser
    cannot read is taken as naming none (the engine will say what is wrong with it)."""
    if "from" not in text.casefold():
        return False
    try:
        return any(tok.kind == "word" and tok.text.casefold() == "from" for tok in tokens(text))
    except ServiceRefused:
        return False


def _dataset(default_graphs: tuple[str, ...], named_graphs: tuple[str, ...],
             text: str = "") -> dict[str, Any]:
    """The dataset of a query: the protocol's graphs when given (they override the query's
    own, as the SPARQL Protocol says), else the query's FROM and FROM NAMED when it has them,
    else the union of every graph as the default graph."""
    kwargs: dict[str, Any] = {}
    if default_graphs:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
    elif not named_graphs and names_dataset(text):
        return kwargs
    else:
        kwargs["use_default_graph_as_union"] = True
    if named_graphs:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    return kwargs


def _query(store: ox.Store, text: str, default_graphs: tuple[str, ...] = (),
           named_graphs: tuple[str, ...] = ()) -> Any:
    try:
        return store.query(text, **_dataset(default_graphs, named_graphs, text))
    except SyntaxError as exc:
        raise QueryError(explained(text, str(exc))) from None
    except (OSError, RuntimeError, ValueError) as exc:  # evaluation failed (e.g. a SERVICE)
        raise BackendError(f"the query could not be evaluated: {type(exc).__name__}") from None


def _rows(solutions: ox.QuerySolutions, max_rows: int) -> tuple[tuple[str, ...], list[Row], bool]:
    variables = tuple(v.value for v in solutions.variables)
    rows: list[Row] = []
    try:
        for solution in solutions:
            if len(rows) == max_rows:
                return variables, rows, True
            rows.append(tuple(term(solution[v]) if solution[v] is not None else None
                              for v in variables))
    except (OSError, RuntimeError, ValueError) as exc:  # evaluated while read
        raise BackendError(f"the query could not be evaluated: {type(exc).__name__}") from None
    return variables, rows, False


def _serialized(solutions: ox.QuerySolutions, fmt: ox.QueryResultsFormat) -> bytes:
    """A SELECT's answer evaluated and written by the engine (it evaluates while it writes),
    with its failures as store errors."""
    try:
        return solutions.serialize(format=fmt) or b""
    except (OSError, RuntimeError, ValueError) as exc:
        raise BackendError(f"the query could not be evaluated: {type(exc).__name__}") from None


def _select(store: ox.Store, request: QueryRequest) -> QueryReply:
    """A SELECT answered and written by the engine, its rows capped by a LIMIT (``row_cap``)."""
    media = request.accept.get("select")
    cap = request.max_rows
    text = row_cap.limited(request.text, cap)
    if text is None:
        return _select_in_python(store, request)
    try:
        result = _query(store, text, request.default_graphs, request.named_graphs)
    except QueryError:
        if text is request.text:
            raise
        return _select_in_python(store, request)  # the engine's message names the user's text
    if not isinstance(result, ox.QuerySolutions):
        return _reply(result, request)
    if media is None:
        raise NotAcceptable("select")
    fmt = results.SELECT_TYPES[media]
    body = _serialized(result, results.SELECT_OX[media])
    if row_cap.may_exceed(body, fmt, cap) and row_cap.rows(body, fmt) > cap:
        return QueryReply("select", media, row_cap.cut(body, fmt, cap), True)
    return QueryReply("select", media, body)


def _select_in_python(store: ox.Store, request: QueryRequest) -> QueryReply:
    """A SELECT whose text ``row_cap`` cannot read: its rows counted and written here."""
    return _reply(_query(store, request.text, request.default_graphs, request.named_graphs),
                  request)


def _reply(result: Any, request: QueryRequest) -> QueryReply:
    if isinstance(result, ox.QueryBoolean):
        media = request.accept.get("ask")
        if media is None:
            raise NotAcceptable("ask")
        return QueryReply("ask", media, results.ask(bool(result), results.ASK_TYPES[media]))
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
    try:
        triples = list(itertools.islice(result, request.max_rows + 1))
    except (OSError, RuntimeError, ValueError) as exc:
        raise BackendError(f"the query could not be evaluated: {type(exc).__name__}") from None
    cut = len(triples) > request.max_rows
    if cut:
        del triples[request.max_rows:]
    return QueryReply("graph", media, serialize_ox(triples, BY_MEDIA_TYPE[media]), cut)


def run_request(store: ox.Store, request: QueryRequest) -> QueryReply:
    """Run a user's query and write its answer in the format the client accepts, natively:
    nothing of a SELECT's answer passes through Python term by term."""
    if row_cap.query_form(request.text) == "select":
        return _select(store, request)
    return _reply(_query(store, request.text, request.default_graphs, request.named_graphs),
                  request)


class EmbeddedBackend:
    """A release's store on disk: page queries in this process, users' queries in workers."""

    def __init__(self, path: Path, workers: int = 2, worker_memory_mib: int = 1024,
                 query_store: str = "disk"):
        if not path.is_dir():
            raise BackendError(f"no store at {path}: build a release first "
                               "(icc-graph build --out DIR)")
        self.path = path
        self.store = open_read_only(path)
        self.pool = WorkerPool(path, workers, worker_memory_mib, query_store)

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


def describe_whole(path: Path, iris: list[str], cap: int = documents.LINK_CAP
                   ) -> list[Description]:
    """The documents of these things in a release's store (as ``EmbeddedBackend.describe``
    gives them), for a rebuild's read model: one open of the store for all of them."""
    store = open_read_only(path)
    try:
        return [documents.assemble(iri, [plain(t) for t in
                                         _query(store, documents.query(iri, cap))], cap)
                for iri in iris]
    finally:
        del store
