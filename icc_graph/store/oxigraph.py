"""pyoxigraph's terms, parsers, serialisers and on-disk stores, for the release writer and the
store backends. pyoxigraph's API has changed between versions; it is pinned in pyproject.toml
and kept inside this package (queries are run by ``embedded``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from .. import formats
from ..formats import BY_MEDIA_TYPE, BY_NAME, Format
from .protocol import Term, Triple

if TYPE_CHECKING:  # rdflib is imported where it is used: query workers never load it
    from rdflib.term import Node

RdflibQuad = tuple["Node", "Node", "Node", "Node | None"]
OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal
def prefixes_for(fmt: Format, prefixes: dict[str, str] | None = None) -> dict[str, str] | None:
    """The prefixes to give pyoxigraph's writer: the format table's rule, with other prefixes
    (those of the VoID description) where a caller gives them."""
    ours = formats.prefixes(fmt)
    return (prefixes or ours) if ours is not None else None


# ---------------------------------------------------------------- terms


def to_ox(term: Node) -> OxTerm:
    """An rdflib term as a pyoxigraph term."""
    from rdflib import BNode, Literal, URIRef

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
    cache: dict[Node, OxTerm] = {}

    def conv(t: Node) -> OxTerm:
        c = cache.get(t)
        if c is None:
            c = cache[t] = to_ox(t)
        return c

    for s, p, o, g in quads:
        graph = conv(g) if g is not None else ox.DefaultGraph()
        yield ox.Quad(conv(s), conv(p), conv(o), graph)  # type: ignore[arg-type]


PlainQuad = tuple[str, str, "str | tuple[str, str | None, str | None]", str | None]


def ox_quads(quads: Iterable[PlainQuad]) -> Iterator[ox.Quad]:
    """The model's quads (IRIs as ``str``, literals as (text, language, datatype) tuples) as
    pyoxigraph quads; every distinct term is made once."""
    iris: dict[str, ox.NamedNode] = {}
    literals: dict[tuple[str, str | None, str | None], ox.Literal] = {}

    def iri(value: str) -> ox.NamedNode:
        found = iris.get(value)
        if found is None:
            found = iris[value] = ox.NamedNode(value)
        return found

    def obj(o: str | tuple[str, str | None, str | None]) -> ox.NamedNode | ox.Literal:
        if isinstance(o, str):
            return iri(o)
        found = literals.get(o)
        if found is None:
            text, lang, datatype = o
            found = literals[o] = (
                ox.Literal(text, language=lang) if lang else
                ox.Literal(text, datatype=iri(datatype)) if datatype else ox.Literal(text))
        return found

    default = ox.DefaultGraph()
    for s, p, o, g in quads:
        yield ox.Quad(iri(s), iri(p), obj(o), iri(g) if g is not None else default)


def term(t: Any) -> Term:
    """A pyoxigraph term as a plain term."""
    if isinstance(t, ox.NamedNode):
        return ("uri", t.value)
    if isinstance(t, ox.BlankNode):
        return ("bnode", t.value)
    return ("literal", t.value, t.datatype.value if t.datatype else None, t.language)


def from_term(t: Term) -> OxTerm:
    """A plain term as a pyoxigraph term."""
    if t[0] == "uri":
        return ox.NamedNode(str(t[1]))
    if t[0] == "bnode":
        return ox.BlankNode(str(t[1]))
    if len(t) > 3 and t[3]:
        return ox.Literal(str(t[1]), language=str(t[3]))
    if len(t) > 2 and t[2]:
        return ox.Literal(str(t[1]), datatype=ox.NamedNode(str(t[2])))
    return ox.Literal(str(t[1]))


def plain(t: ox.Triple) -> Triple:
    return (term(t.subject), term(t.predicate), term(t.object))


# ---------------------------------------------------------------- graphs as bytes


def write_triples(triples: Iterable[Triple], media_type: str) -> bytes:
    """Plain triples in an RDF format, with the graph's prefixes where the format has them;
    JSON-LD compacted with the project's one context."""
    return write_many(list(triples), [media_type])[0]


def write_many(triples: list[Triple], media_types: list[str],
               terms: dict[Term, OxTerm] | None = None) -> list[bytes]:
    """The same triples in several formats, each term made once; ``terms`` keeps the
    pyoxigraph terms made, for the next call (many small documents share most terms)."""
    made: dict[Term, OxTerm] = {} if terms is None else terms
    items: list[ox.Triple] | None = None
    out = []
    for media_type in media_types:
        fmt = BY_MEDIA_TYPE[media_type]
        if fmt.name == "jsonld":
            from . import jsonld

            out.append(jsonld.dumps(triples))
            continue
        if items is None:
            items = []
            for t in triples:
                for x in t:
                    if x not in made:
                        made[x] = from_term(x)
                items.append(ox.Triple(made[t[0]], made[t[1]], made[t[2]]))  # type: ignore[arg-type]
        out.append(ox.serialize(items, format=fmt.oxigraph, prefixes=prefixes_for(fmt)) or b"")
    return out


def ntriples_term(t: Term) -> bytes:
    """A plain term as N-Triples writes it."""
    return str(from_term(t)).encode()


_MARKER = "urn:x-icc-graph:between-documents"
_MARK = f"<{_MARKER}> <{_MARKER}> <{_MARKER}> .\n".encode()


class _Cut:
    """A writer's output for the marker triple alone, in three parts: what precedes the
    marker's own text (the header: the prefixes), that text, and what follows (the footer)."""

    def __init__(self, media_type: str):
        self.fmt = BY_MEDIA_TYPE[media_type]
        alone = self.write(_MARK)
        at = alone.index(_MARKER.encode())
        start = alone.rfind(b"\n", 0, at) + 1  # the marker's text starts on its own line
        end = alone.index(b"\n", alone.rindex(_MARKER.encode())) + 1
        if self.fmt.oxigraph == ox.RdfFormat.RDF_XML:  # and closes its element on the next
            end = alone.index(b"\n", end) + 1
        self.header, self.mark, self.footer = alone[:start], alone[start:end], alone[end:]

    def write(self, ntriples: bytes) -> bytes:
        return ox.serialize(ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES),
                            format=self.fmt.oxigraph, prefixes=prefixes_for(self.fmt)) or b""


_CUTS: dict[str, _Cut] = {}


def write_each(documents: Sequence[bytes], media_type: str) -> list[bytes]:
    """Each document (given as N-Triples) in a streaming format of pyoxigraph (Turtle,
    RDF/XML), byte for byte as ``write_many`` writes it alone, for a few hundred documents in
    one call: they are written together with a marker triple between them, and the output is
    cut at the markers (a subject's block ends when the next subject begins; the prefixes are
    written once, at the top)."""
    cut = _CUTS.get(media_type)
    if cut is None:
        cut = _CUTS[media_type] = _Cut(media_type)
    if not documents:
        return []
    out = cut.write(_MARK.join(documents))
    pieces = out[len(cut.header):len(out) - len(cut.footer)].split(cut.mark)
    if not (out.startswith(cut.header) and out.endswith(cut.footer)) or \
            len(pieces) != len(documents):  # never seen: one at a time, then
        return [cut.write(d) for d in documents]
    return [cut.header + p + cut.footer for p in pieces]


def as_stored(triples: Iterable[Triple]) -> list[Triple]:
    """The triples as a store gives them back (typed values in canonical form: 41.55140 is
    41.5514), through an in-memory store."""
    store = ox.Store()
    store.extend(ox.Quad(from_term(s), from_term(p), from_term(o))  # type: ignore[arg-type]
                 for s, p, o in triples)
    return [plain(q.triple) for q in store]


def read_triples(data: bytes, media_type: str) -> list[Triple]:
    """The triples of an RDF document (of a triple format)."""
    fmt = BY_MEDIA_TYPE[media_type]
    return [plain(q.triple) for q in ox.parse(data, format=fmt.oxigraph)]


def read_file(path: Path) -> list[Triple]:
    """The triples of a Turtle file (the ontology, the shapes, the VoID description)."""
    return [plain(q.triple) for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]


def serialize_ox(items: Iterable[ox.Triple], fmt: Format) -> bytes:
    if fmt.name == "jsonld":  # compacted with the one context (pyoxigraph writes expanded)
        from . import jsonld

        return jsonld.dumps([plain(t) for t in items])
    return ox.serialize(items, format=fmt.oxigraph, prefixes=prefixes_for(fmt)) or b""


# ---------------------------------------------------------------- release files and stores


def serialize(quads: list[ox.Quad], path: Path, fmt: Format, prefixes: dict[str, str]) -> None:
    """Write quads (or, for a triple format, their triples) in the order given."""
    items: list[ox.Quad] | Iterator[ox.Triple] = quads
    if not fmt.dataset:
        items = (q.triple for q in quads)
    ox.serialize(items, str(path), fmt.oxigraph, prefixes=prefixes_for(fmt, prefixes))


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


def update_store(path: Path, previous: Path, replaced: Iterable[str],
                 quads: Iterable[ox.Quad]) -> int:
    """A store at ``path`` made from the store ``previous`` (its files shared by hard links,
    through ``Store.backup``; ``previous`` is not changed) with the named graphs ``replaced``
    emptied and ``quads`` added; returns how many quads it holds."""
    old = ox.Store.read_only(str(previous))
    old.backup(str(path))
    del old
    store = ox.Store(str(path))
    for name in replaced:
        graph = ox.NamedNode(name)
        if store.contains_named_graph(graph):
            store.remove_graph(graph)
    store.bulk_extend(quads)
    store.flush()
    count = len(store)
    del store
    return count


def open_read_only(path: Path) -> ox.Store:
    return ox.Store.read_only(str(path))


def graph_ntriples(store: ox.Store, graph: str) -> bytes:
    """One named graph of a store as N-Triples (for loading it elsewhere)."""
    quads = store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
    return ox.serialize((q.triple for q in quads), format=BY_NAME["ntriples"].oxigraph) or b""


def named_graphs(store: ox.Store) -> list[str]:
    return sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
