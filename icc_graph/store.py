"""Every pyoxigraph call of the library: term conversion, serialisation and the on-disk store.

pyoxigraph's API has changed between versions; it is pinned in pyproject.toml and kept here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from .formats import Format

RdflibQuad = tuple[Node, Node, Node, Node | None]


def to_ox(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot convert {term!r}")


def to_ox_quads(quads: Iterable[RdflibQuad]) -> Iterator[ox.Quad]:
    cache: dict[Node, ox.NamedNode | ox.BlankNode | ox.Literal] = {}

    def conv(t: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        c = cache.get(t)
        if c is None:
            c = cache[t] = to_ox(t)
        return c

    for s, p, o, g in quads:
        graph = conv(g) if g is not None else ox.DefaultGraph()
        yield ox.Quad(conv(s), conv(p), conv(o), graph)  # type: ignore[arg-type]


def serialize(quads: list[ox.Quad], path: Path, fmt: Format, prefixes: dict[str, str]) -> None:
    """Write quads (or, for a triple format, their triples) in the order given."""
    items: list[ox.Quad] | Iterator[ox.Triple] = quads
    if not fmt.dataset:
        items = (q.triple for q in quads)
    ox.serialize(items, str(path), fmt.oxigraph,
                 prefixes=prefixes if fmt.name in ("turtle", "trig", "jsonld", "rdfxml") else None)


def parse_file(path: Path, fmt: Format) -> list[ox.Quad]:
    return list(ox.parse(path=str(path), format=fmt.oxigraph))


def write_store(path: Path, quads: Iterable[ox.Quad]) -> int:
    """Create an on-disk store holding the quads; returns how many it holds."""
    store = ox.Store(str(path))
    store.bulk_extend(quads)
    store.flush()
    store.optimize()
    count = len(store)
    del store
    return count


def open_read_only(path: Path) -> ox.Store:
    return ox.Store.read_only(str(path))


def query_to_csv(path: Path, query: str) -> str:
    """Run a SPARQL query on a release store (default graph = union of the named graphs) and
    return SELECT/ASK results as CSV, CONSTRUCT/DESCRIBE results as N-Triples."""
    store = open_read_only(path)
    result = store.query(query, use_default_graph_as_union=True)
    if isinstance(result, ox.QuerySolutions):
        out = result.serialize(format=ox.QueryResultsFormat.CSV)
    elif isinstance(result, ox.QueryBoolean):
        return "true\n" if bool(result) else "false\n"
    else:
        out = ox.serialize(result, format=ox.RdfFormat.N_TRIPLES)
    return (out or b"").decode("utf-8")
