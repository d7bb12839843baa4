"""JSON-LD as its users expect it: one fixed @context, ``@type`` for types, compacted IRIs.

pyoxigraph writes JSON-LD in expanded form only (every IRI in full, types as ``rdf:type``), so
documents, the JSON-LD dump and the pages' schema.org blocks are written here, with one context:
the project's prefixes, and schema.org as the vocabulary of bare terms (what search engines read
in a page's schema.org block). The context is embedded in every document, so reading one never
needs another host; the server also serves it at ``/context.jsonld``.

Literals keep their lexical form (``{"@value": "51.25", "@type": "xsd:decimal"}``), so expanding
a document with any JSON-LD processor gives exactly the triples of its Turtle twin.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..namespaces import PREFIXES
from .protocol import Term, Triple

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
SCHEMA_VOCAB = PREFIXES["schema"]
CONTEXT: dict[str, str] = {"@vocab": SCHEMA_VOCAB, **PREFIXES}
CONTEXT_PATH = "/context.jsonld"  # where the server serves it, under the base
# longest namespace first, so that a namespace inside another one wins
_NAMESPACES = sorted(((ns, p) for p, ns in PREFIXES.items()), key=lambda x: -len(x[0]))

@lru_cache(maxsize=1 << 16)
def compact_iri(iri: str) -> str:
    """``prefix:local`` when one of our prefixes fits, else the IRI itself."""
    for ns, prefix in _NAMESPACES:
        if iri.startswith(ns) and len(iri) > len(ns) and not iri[len(ns):].startswith("/"):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def _id(node: Term) -> str:
    if node[0] == "bnode":
        return f"_:{node[1]}"
    return compact_iri(str(node[1]))


def _value(term: Term) -> Any:
    if term[0] == "literal":
        language = term[3] if len(term) > 3 else None
        datatype = term[2] if len(term) > 2 else None
        if language:
            return {"@value": term[1], "@language": language}
        if datatype and datatype != XSD_STRING:
            return {"@value": term[1], "@type": compact_iri(str(datatype))}
        return term[1]
    return {"@id": _id(term)}


def _node(subject: Term, triples: list[Triple]) -> dict[str, Any]:
    node: dict[str, Any] = {"@id": _id(subject)}
    values: dict[str, list[Any]] = defaultdict(list)
    types: list[str] = []
    for _, p, o in triples:
        if p[1] == RDF_TYPE and o[0] != "literal":
            types.append(_id(o))
        else:
            values[compact_iri(str(p[1]))].append(_value(o))
    if types:
        node["@type"] = types[0] if len(types) == 1 else sorted(types)
    for key in sorted(values):
        vs = values[key]
        node[key] = vs[0] if len(vs) == 1 else vs
    return node


def nodes(triples: Iterable[Triple]) -> Iterator[dict[str, Any]]:
    """One node object per subject, subjects and keys in a stable order."""
    by_subject: dict[str, tuple[Term, list[Triple]]] = {}
    for t in triples:
        key = _id(t[0])
        if key not in by_subject:
            by_subject[key] = (t[0], [])
        by_subject[key][1].append(t)
    for key in sorted(by_subject):
        subject, its = by_subject[key]
        yield _node(subject, its)


def document(triples: Iterable[Triple]) -> dict[str, Any]:
    """A JSON-LD document of the triples, with the context embedded."""
    return {"@context": CONTEXT, "@graph": list(nodes(triples))}


def dumps(triples: Iterable[Triple]) -> bytes:
    return json.dumps(document(triples), ensure_ascii=False, indent=1).encode()


def write(triples: Iterable[Triple], path: Path) -> None:
    """Write the JSON-LD dump node by node (the context first), without building one string."""
    with path.open("w", encoding="utf-8") as out:
        out.write('{"@context": ')
        out.write(json.dumps(CONTEXT, ensure_ascii=False))
        out.write(',\n "@graph": [')
        for i, node in enumerate(nodes(triples)):
            out.write(",\n  " if i else "\n  ")
            out.write(json.dumps(node, ensure_ascii=False))
        out.write("\n ]\n}\n")


def context_document() -> dict[str, Any]:
    """The context alone, as served at ``/context.jsonld``."""
    return {"@context": CONTEXT}


def script(data: dict[str, Any]) -> str:
    """A JSON-LD object for a page's ``<script type="application/ld+json">``, with the context
    embedded and safe inside the script element."""
    body = {"@context": CONTEXT, **{k: v for k, v in data.items() if k != "@context"}}
    return json.dumps(body, ensure_ascii=False).replace("</", "<\\/")
