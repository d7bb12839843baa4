"""A thing's document, the same on every engine: every triple with the thing as subject, every
triple with it as object (capped, in a fixed order, for things with very many incoming links),
and the ``rdfs:label`` of each neighbour.

One query text serves every backend. The IRI is checked and written into the text (it cannot
be bound: the incoming links are a sub-select, where an outer binding does not reach).
"""

from __future__ import annotations

import re

from .protocol import Description, Triple

LINK_CAP = 1000  # incoming links kept in a document; the rest are reachable by SPARQL
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^<>\"{}|^`\\\x00-\x20]*$")

_QUERY = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
CONSTRUCT {{ <{iri}> ?p ?o . ?o rdfs:label ?olabel . ?s ?q <{iri}> . ?s rdfs:label ?slabel . }}
WHERE {{
  {{ <{iri}> ?p ?o . OPTIONAL {{ ?o rdfs:label ?olabel }} }}
  UNION
  {{ {{ SELECT ?s ?q WHERE {{ ?s ?q <{iri}> }} ORDER BY ?q ?s LIMIT {limit} }}
     OPTIONAL {{ ?s rdfs:label ?slabel }} }}
}}"""

_INCOMING = "SELECT ?s ?q WHERE {{ ?s ?q <{iri}> }} ORDER BY ?q ?s"


def is_iri(text: str) -> bool:
    """True for an absolute IRI that can be written between < and > in SPARQL."""
    return bool(_IRI.match(text))


def query(iri: str, cap: int = LINK_CAP) -> str:
    if not is_iri(iri):
        raise ValueError(f"not an IRI: {iri!r}")
    return _QUERY.format(iri=iri, limit=cap + 1)


def incoming_query(iri: str) -> str:
    """Every incoming link of a thing, in the document's order (for the "more" link)."""
    if not is_iri(iri):
        raise ValueError(f"not an IRI: {iri!r}")
    return _INCOMING.format(iri=iri)


def assemble(iri: str, triples: list[Triple], cap: int = LINK_CAP) -> Description:
    """The document from the query's triples: incoming links cut to ``cap`` in (predicate,
    subject) order, and labels kept only for the neighbours that remain."""
    me = ("uri", iri)
    out = [t for t in triples if t[0] == me]
    incoming = sorted({t for t in triples if t[2] == me and t[0] != me},
                      key=lambda t: (str(t[1][1]), str(t[0][1])))
    more = len(incoming) > cap
    incoming = incoming[:cap]
    neighbours = {t[2] for t in out} | {t[0] for t in incoming}
    label = ("uri", "http://www.w3.org/2000/01/rdf-schema#label")
    labels = {t for t in triples if t[1] == label and t[0] in neighbours and t[0] != me}
    ordered = sorted({*out, *incoming, *labels}, key=_key)
    return Description(iri, tuple(ordered), more, cap)


def _key(t: Triple) -> tuple[str, ...]:
    return tuple(str(x) for term in t for x in term)
