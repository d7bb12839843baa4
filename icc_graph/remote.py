"""The remote backend: any SPARQL 1.1 endpoint, queried through SPARQLWrapper, and loaded from a
release through the SPARQL 1.1 Graph Store Protocol (``icc-graph publish``).

The endpoint's default graph must be the union of its named graphs (Oxigraph server:
``--union-default-graph``; Fuseki: ``tdb2:unionDefaultGraph true``), as on the embedded store.
"""

from __future__ import annotations

import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from . import __version__
from .backends import DESCRIBE, BackendError, Query, QueryError, QueryResult, QueryTimeout
from .formats import BY_NAME
from .namespaces import PREFIXES
from .results import Row, Term

USER_AGENT = f"icc-graph/{__version__} (linked-data publisher of the ICC good practices)"
_IRI = re.compile(r'^[^<>"{}|^`\\\x00-\x20]+$')


def _term(binding: dict[str, str] | None) -> Term | None:
    if binding is None:
        return None
    kind = binding["type"]
    if kind == "uri":
        return ("uri", binding["value"])
    if kind == "bnode":
        return ("bnode", binding["value"])
    return ("literal", binding["value"], binding.get("datatype"), binding.get("xml:lang"))


class RemoteBackend:
    def __init__(self, endpoint: str, request_timeout: float = 30.0):
        self.endpoint = endpoint
        self.request_timeout = request_timeout

    def _wrapper(self, text: str, timeout: float) -> SPARQLWrapper:
        w = SPARQLWrapper(self.endpoint, agent=USER_AGENT)
        w.setQuery(text)
        w.setTimeout(max(1, int(round(timeout))))
        w.setMethod("POST")
        return w

    def _run(self, w: SPARQLWrapper) -> Any:
        try:
            return w.queryAndConvert()
        except QueryBadFormed as exc:
            raise QueryError(str(exc)) from None
        except TimeoutError as exc:
            raise QueryTimeout(f"the endpoint did not answer in time: {exc}") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (socket.timeout, TimeoutError)):
                raise QueryTimeout("the endpoint did not answer in time") from None
            raise BackendError(f"the endpoint {self.endpoint} cannot be reached: {exc}") from None
        except SPARQLWrapperException as exc:
            raise BackendError(f"the endpoint {self.endpoint} answered with an error: {exc}"
                               ) from None

    def query(self, q: Query, timeout: float) -> QueryResult:
        from .backends import query_form

        form = query_form(q.text)
        w = self._wrapper(q.text, timeout)
        for g in q.default_graphs:
            w.addDefaultGraph(g)
        for g in q.named_graphs:
            w.addNamedGraph(g)
        if form in ("select", "ask"):
            w.setReturnFormat(JSON)
            data = self._run(w)
            if form == "ask":
                return QueryResult("ask", boolean=bool(data["boolean"]))
            variables = tuple(data["head"]["vars"])
            rows: list[Row] = []
            for b in data["results"]["bindings"]:
                if len(rows) == q.max_rows:
                    return QueryResult("select", variables, tuple(rows), truncated=True)
                rows.append(tuple(_term(b.get(v)) for v in variables))
            return QueryResult("select", variables, tuple(rows))
        w.setReturnFormat(TURTLE)
        w.setOnlyConneg(True)
        raw = self._run(w)
        triples = list(ox.parse(raw if isinstance(raw, bytes) else str(raw).encode(),
                                format=ox.RdfFormat.TURTLE))
        truncated = len(triples) > q.max_rows
        fmt = BY_NAME[q.graph_format]
        data = ox.serialize(triples[: q.max_rows], format=fmt.oxigraph,
                            prefixes=PREFIXES if fmt.name in ("turtle", "jsonld", "rdfxml")
                            else None)
        return QueryResult("graph", data=data or b"", truncated=truncated)

    def describe(self, iri: str) -> list[ox.Triple]:
        if not _IRI.match(iri):
            raise ValueError(f"not an IRI: {iri!r}")
        text = DESCRIBE.replace("VALUES ?label", f"VALUES ?this {{ <{iri}> }} VALUES ?label", 1)
        w = self._wrapper(text, self.request_timeout)
        w.setReturnFormat(TURTLE)
        w.setOnlyConneg(True)
        raw = self._run(w)
        return list(ox.parse(raw if isinstance(raw, bytes) else str(raw).encode(),
                             format=ox.RdfFormat.TURTLE))  # type: ignore[arg-type,unused-ignore]

    def count(self) -> int:
        w = self._wrapper("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                          self.request_timeout)
        w.setReturnFormat(JSON)
        data = self._run(w)
        return int(data["results"]["bindings"][0]["n"]["value"])

    def close(self) -> None:
        pass


def publish(release: Path, store_url: str, progress: Callable[[str], None] = lambda _: None,
            timeout: float = 120.0) -> int:
    """Replace the endpoint's content with the release, one named graph per PUT request of the
    Graph Store Protocol (the ontology and the VoID description included). Returns the number
    of graphs loaded."""
    from .release import STORE_DIR

    source = ox.Store.read_only(str(release / STORE_DIR))
    graphs = sorted(g.value for g in source.named_graphs())
    for n, graph in enumerate(graphs, start=1):
        quads = source.quads_for_pattern(None, None, None, ox.NamedNode(graph))
        triples_nt = ox.serialize((q.triple for q in quads), format=ox.RdfFormat.N_TRIPLES) or b""
        url = f"{store_url}?{urllib.parse.urlencode({'graph': graph})}"
        request = urllib.request.Request(url, data=triples_nt, method="PUT", headers={
            "Content-Type": "application/n-triples", "User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                if response.status not in (200, 201, 204):
                    raise BackendError(f"{url}: HTTP {response.status}")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:300]
            raise BackendError(f"loading graph {graph} failed after {n - 1} of {len(graphs)} "
                               f"graphs: HTTP {exc.code} {detail}") from None
        except urllib.error.URLError as exc:
            raise BackendError(f"cannot reach {store_url} (after {n - 1} of {len(graphs)} "
                               f"graphs): {exc.reason}") from None
        if n % 50 == 0:
            progress(f"{n} of {len(graphs)} graphs loaded")
    return len(graphs)

