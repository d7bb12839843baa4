"""The one table of RDF formats: media type, file extension, rdflib name and pyoxigraph format.

The CLI, the release and the server all read it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    extension: str
    rdflib: str
    oxigraph: ox.RdfFormat
    dataset: bool = False


FORMATS = (
    Format("turtle", "text/turtle", "ttl", "turtle", ox.RdfFormat.TURTLE),
    Format("ntriples", "application/n-triples", "nt", "nt", ox.RdfFormat.N_TRIPLES),
    Format("jsonld", "application/ld+json", "jsonld", "json-ld", ox.RdfFormat.JSON_LD),
    Format("rdfxml", "application/rdf+xml", "rdf", "xml", ox.RdfFormat.RDF_XML),
    Format("trig", "application/trig", "trig", "trig", ox.RdfFormat.TRIG, dataset=True),
    Format("nquads", "application/n-quads", "nq", "nquads", ox.RdfFormat.N_QUADS, dataset=True),
)
BY_NAME = {f.name: f for f in FORMATS}
BY_EXTENSION = {f.extension: f for f in FORMATS}
BY_MEDIA_TYPE = {f.media_type: f for f in FORMATS}
# extensions people also use for the same formats
BY_EXTENSION.update({"turtle": BY_NAME["turtle"], "json": BY_NAME["jsonld"],
                     "xml": BY_NAME["rdfxml"], "owl": BY_NAME["rdfxml"],
                     "ntriples": BY_NAME["ntriples"], "nquads": BY_NAME["nquads"]})


def for_path(path: str) -> Format | None:
    """The format of a file from its extension (a trailing .gz is ignored)."""
    name = path.lower().removesuffix(".gz")
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    return BY_EXTENSION.get(ext)
