"""The remote backend: any SPARQL 1.1 endpoint (Oxigraph server, Virtuoso, Fuseki), queried
through SPARQLWrapper and loaded from a release through the SPARQL 1.1 Graph Store Protocol
(``icc-graph publish``).

The endpoint's default graph must be the union of its named graphs (Oxigraph server:
``--union-default-graph``; Virtuoso: always; Fuseki: ``tdb2:unionDefaultGraph true``), as on
the embedded store. Answers are read as SPARQL JSON or Turtle, whatever the engine, and
written again in the format the client asked for, so that every engine answers alike.
"""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from SPARQLWrapper import SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from .. import __version__
from . import documents, results
from .oxigraph import named_graphs, open_read_only, read_triples, write_triples
from .protocol import (
    BackendError,
    Description,
    NotAcceptable,
    Query,
    QueryError,
    QueryReply,
    QueryRequest,
    QueryResult,
    QueryTimeout,
    Triple,
)
from .row_cap import query_form

USER_AGENT = f"icc-graph/{__version__} (linked-data publisher of the ICC good practices)"
# what is asked of the endpoint for each form: read back, then written as the client wants
ASKED = {"select": results.JSON, "ask": results.JSON, "graph": "text/turtle"}
MAX_ANSWER = 256 << 20  # bytes read from the endpoint for one answer


class RemoteBackend:
    def __init__(self, endpoint: str, request_timeout: float = 30.0):
        self.endpoint = endpoint
        self.request_timeout = request_timeout

    def _fetch(self, text: str, timeout: float, accept: str, default_graphs: tuple[str, ...] = (),
               named_graphs: tuple[str, ...] = ()) -> tuple[str, bytes]:
        """POST a query; the answer's media type and bytes."""
        if timeout <= 0:
            raise QueryTimeout("the query's deadline passed before it could be sent")
        w = SPARQLWrapper(self.endpoint, agent=USER_AGENT)
        w.setQuery(text)
        w.setMethod("POST")
        w.setTimeout(max(1, int(timeout + 0.999)))
        w.setOnlyConneg(True)
        w.addCustomHttpHeader("Accept", accept)
        for g in default_graphs:
            w.addDefaultGraph(g)
        for g in named_graphs:
            w.addNamedGraph(g)
        try:
            response = w.query().response
            media = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            body = response.read(MAX_ANSWER + 1)
        except QueryBadFormed as exc:  # the store's own parser message, with its position
            raise QueryError(_first_line(_response_of(exc))) from None
        except TimeoutError:
            raise QueryTimeout("the store did not answer before the query's deadline") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (socket.timeout, TimeoutError)):
                raise QueryTimeout("the store did not answer before the query's deadline"
                                   ) from None
            raise BackendError("the store cannot be reached") from None
        except SPARQLWrapperException as exc:
            raise BackendError(f"the store answered with an error ({type(exc).__name__})"
                               ) from None
        if len(body) > MAX_ANSWER:
            raise BackendError(f"the store's answer is larger than {MAX_ANSWER >> 20} MiB")
        return media, body

    def run(self, request: QueryRequest) -> QueryReply:
        form = query_form(request.text)  # a 406 comes after the endpoint's syntax check
        left = request.deadline - time.monotonic()
        media, body = self._fetch(request.text, left, ASKED[form], request.default_graphs,
                                  request.named_graphs)
        if media in ("application/sparql-results+json", "application/json"):
            result = results.read_json(body, request.max_rows)
            wanted = request.accept.get(result.kind)
            if wanted is None:
                raise NotAcceptable(result.kind)
            return QueryReply(result.kind, wanted, results.write(result, wanted),
                              result.truncated)
        if media in ("text/turtle", "application/x-turtle", "application/n-triples",
                     "text/plain"):
            wanted = request.accept.get("graph")
            if wanted is None:
                raise NotAcceptable("graph")
            triples = _graph(body, request.max_rows + 1)
            cut = len(triples) > request.max_rows
            return QueryReply("graph", wanted, write_triples(triples[: request.max_rows],
                                                             wanted), cut)
        raise BackendError(f"the store answered in an unexpected format ({media or 'none'})")

    def query(self, q: Query, timeout: float | None = None) -> QueryResult:
        media, body = self._fetch(q.text, timeout or self.request_timeout, results.JSON,
                                  q.default_graphs, q.named_graphs)
        if "json" not in media:
            raise QueryError("a page query must be SELECT or ASK")
        return results.read_json(body, q.max_rows)

    def describe(self, iri: str, cap: int = documents.LINK_CAP) -> Description:
        if not documents.is_iri(iri):
            return Description(iri)
        media, body = self._fetch(documents.query(iri, cap), self.request_timeout, ASKED["graph"])
        return documents.assemble(iri, _graph(body), cap)

    def count(self) -> int:
        result = self.query(Query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"))
        first = result.rows[0][0]
        return int(str(first[1])) if first else 0

    def close(self) -> None:
        pass


def _graph(body: bytes, limit: int | None = None) -> list[Triple]:
    triples = read_triples(body, "text/turtle")
    return triples if limit is None else triples[:limit]


def _response_of(exc: Exception) -> bytes:
    """The endpoint's answer that SPARQLWrapper keeps only inside its message."""
    import ast

    _, found, tail = str(exc).partition("Response:\n")
    try:
        value = ast.literal_eval(tail.strip()) if found else b""
    except (ValueError, SyntaxError):
        return b""
    return value if isinstance(value, bytes) else b""


def _first_line(body: bytes | str | None) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0][:300] if lines else "the store refused the query"


def _opener(url: str, user: str | None, password: str | None) -> urllib.request.OpenerDirector:
    if not user:
        return urllib.request.build_opener()
    manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    manager.add_password(None, url, user, password or "")
    return urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(manager),
                                       urllib.request.HTTPBasicAuthHandler(manager))


def publish(release: Path, store_url: str, progress: Callable[[str], None] = lambda _: None,
            timeout: float = 120.0, user: str | None = None,
            password: str | None = None) -> int:
    """Replace the endpoint's content with the release, one named graph per PUT request of the
    Graph Store Protocol (the ontology and the VoID description included), with HTTP digest or
    basic authentication when a user is given. Returns the number of graphs loaded."""
    from ..release import STORE_DIR
    from .oxigraph import graph_ntriples

    source = open_read_only(release / STORE_DIR)
    graphs = named_graphs(source)
    opener = _opener(store_url, user, password)
    for n, graph in enumerate(graphs, start=1):
        data = graph_ntriples(source, graph)
        url = f"{store_url}?{urllib.parse.urlencode({'graph': graph})}"
        request = urllib.request.Request(url, data=data, method="PUT", headers={
            "Content-Type": "text/turtle", "User-Agent": USER_AGENT})
        try:
            with opener.open(request, timeout=timeout) as response:
                if response.status not in (200, 201, 204):
                    raise BackendError(f"{url}: HTTP {response.status}")
        except urllib.error.HTTPError as exc:
            hint = " (check --user and ICC_STORE_PASSWORD)" if exc.code in (401, 403) else ""
            raise BackendError(f"loading graph {graph} failed after {n - 1} of {len(graphs)} "
                               f"graphs: HTTP {exc.code}{hint}") from None
        except urllib.error.URLError as exc:
            raise BackendError(f"cannot reach {store_url} (after {n - 1} of {len(graphs)} "
                               f"graphs): {exc.reason}") from None
        if n % 50 == 0:
            progress(f"{n} of {len(graphs)} graphs loaded")
    return len(graphs)

