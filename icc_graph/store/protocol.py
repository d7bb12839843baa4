"""What crosses the line between the server and a store: query requests and replies, the terms
of page queries, and the errors a store can raise.

A user's query travels as a ``QueryRequest`` (text, dataset, row limit, deadline, and the media
type the client accepts for each query form) and comes back as a ``QueryReply`` (the form, the
serialised bytes and their media type, and whether the result was cut). Nothing is converted
term by term on the way; the server forwards the bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Form = Literal["select", "ask", "graph"]
FORMS: tuple[Form, ...] = ("select", "ask", "graph")

# A term of a page query or a document, plain so that it crosses processes and needs no RDF
# library: ("uri", iri), ("bnode", id) or ("literal", text, datatype or None, language or None).
Term = tuple[str | None, ...]
Row = tuple[Term | None, ...]
Triple = tuple[Term, Term, Term]


class StoreError(Exception):
    """Base of the errors a store raises; the server maps each to one HTTP status."""


class QueryError(StoreError):
    """The query is not valid SPARQL; the message carries the parser's position."""


class QueryTimeout(StoreError):
    """The query ran past its deadline (waiting for a worker included) and was stopped."""


class QueryTooLarge(StoreError):
    """The query needed more memory than a query worker may use, and was stopped."""


class QueryCrashed(StoreError):
    """The query made the engine fail (for instance a parser stack overflow on deep nesting)."""


class NotAcceptable(StoreError):
    """The client accepts no format that this query form can be written in."""

    def __init__(self, form: Form):
        super().__init__(form)
        self.form = form


class BackendError(StoreError):
    """The store cannot answer now (an external endpoint is down, a worker died)."""


@dataclass(frozen=True)
class QueryRequest:
    text: str
    accept: dict[str, str]  # query form -> media type to answer in; a missing form is a 406
    deadline: float  # time.monotonic() value (one clock for every process of the machine)
    max_rows: int = 10_000
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueryReply:
    form: Form
    media_type: str
    body: bytes
    truncated: bool = False


@dataclass(frozen=True)
class Query:
    """A page query of the server's own (not a user's): answered as rows."""

    text: str
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    max_rows: int = 10_000


@dataclass(frozen=True)
class QueryResult:
    kind: Form
    variables: tuple[str, ...] = ()
    rows: tuple[Row, ...] = ()
    boolean: bool = False
    truncated: bool = False


@dataclass(frozen=True)
class Description:
    """A thing's document: every triple with it as subject or object, and the labels of its
    neighbours. ``more_incoming`` is true when incoming links were capped at ``cap``."""

    iri: str
    triples: tuple[Triple, ...] = ()
    more_incoming: bool = False
    cap: int = 0

    def __bool__(self) -> bool:
        return any(t[0] == ("uri", self.iri) for t in self.triples)
