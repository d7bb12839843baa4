"""Every store concern of the project: the interface the server needs, the embedded backend
(a release's on-disk Oxigraph store, with query worker processes), the remote backend (any
SPARQL 1.1 endpoint), the results formats, and pyoxigraph's files and terms.

The server knows only ``Backend``; ``open_backend`` makes one from where the data is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from .documents import LINK_CAP
from .oxigraph import read_file, read_triples, write_triples
from .protocol import (
    FORMS,
    BackendError,
    Description,
    Form,
    NotAcceptable,
    Query,
    QueryCrashed,
    QueryError,
    QueryReply,
    QueryRequest,
    QueryResult,
    QueryTimeout,
    QueryTooLarge,
    Row,
    StoreError,
    Term,
    Triple,
)


class Backend(Protocol):
    def run(self, request: QueryRequest) -> QueryReply:
        """A user's query, bounded by its deadline, answered in a format it accepts."""
        ...

    def query(self, q: Query, timeout: float = ...) -> QueryResult:
        """One of the server's own SELECT or ASK queries, answered as rows."""
        ...

    def describe(self, iri: str, cap: int = ...) -> Description:
        """A thing's document (see ``documents``)."""
        ...

    def count(self) -> int: ...

    def close(self) -> None: ...


def open_backend(store: Path | None = None, endpoint: str | None = None, workers: int = 2,
                 worker_memory_mib: int = 1024, query_store: str = "disk") -> Backend:
    """The remote backend when an endpoint is given, else the embedded store at ``store``
    (``query_store``: what its query workers query, see ``worker``)."""
    if endpoint:
        from .remote import RemoteBackend

        return RemoteBackend(endpoint)
    if store is None:
        raise ValueError("give a store folder or an endpoint")
    from .embedded import EmbeddedBackend

    return EmbeddedBackend(store, workers, worker_memory_mib, query_store)


__all__ = [
    "FORMS", "LINK_CAP", "Backend", "BackendError", "Description", "Form", "NotAcceptable",
    "Query", "QueryCrashed", "QueryError", "QueryReply", "QueryRequest", "QueryResult",
    "QueryTimeout", "QueryTooLarge", "Row", "StoreError", "Term", "Triple", "open_backend",
    "read_file", "read_triples", "write_triples",
]
