"""The one table of formats: RDF graphs and datasets, and SPARQL results for SELECT and ASK.

Each row says everything the project knows about a format: its media type and the other media
types clients send for it, its file extension, the names a ``format=`` parameter or a file
uses for it, rdflib's names, pyoxigraph's format, whether prefixes are written, and which query
forms it can answer. The CLI, the release, the store and the server all read it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

GRAPH, DATASET, RESULTS = "graph", "dataset", "results"
FORMS = ("select", "ask", "graph")  # query forms: CONSTRUCT and DESCRIBE both give a graph


@dataclass(frozen=True)
class Format:
    name: str  # the project's name: BY_NAME key; the results writer's name for results
    media_type: str  # what the server answers with
    extension: str
    kind: str = GRAPH  # GRAPH, DATASET or RESULTS
    aliases: tuple[str, ...] = ()  # other media types that ask for this format
    names: tuple[str, ...] = ()  # other names: `format=` values and file extensions
    ox_format: ox.RdfFormat | ox.QueryResultsFormat | None = None  # pyoxigraph's format
    rdflib_names: tuple[str, ...] = ()  # rdflib's parser/serialiser names, preferred first
    prefixes: bool = False  # whether the syntax has prefixes (so the writer is given ours)
    forms: tuple[str, ...] = ("graph",)  # the query forms it answers

    @property
    def rdflib(self) -> str:
        """rdflib's preferred name of the format."""
        return self.rdflib_names[0]

    @property
    def oxigraph(self) -> ox.RdfFormat:
        """pyoxigraph's RDF format (only RDF formats have one)."""
        if not isinstance(self.ox_format, ox.RdfFormat):
            raise ValueError(f"{self.name} is not an RDF format")
        return self.ox_format

    @property
    def dataset(self) -> bool:
        return self.kind == DATASET

    def all_names(self) -> tuple[str, ...]:
        return (self.name, self.extension, *self.names)


FORMATS = (
    Format("turtle", "text/turtle", "ttl",
           aliases=("application/x-turtle", "application/turtle", "text/n3", "text/rdf+n3",
                    "application/n3"),
           names=("turtle", "n3"), rdflib_names=("turtle", "ttl", "text/turtle", "n3"),
           ox_format=ox.RdfFormat.TURTLE, prefixes=True),
    Format("ntriples", "application/n-triples", "nt", aliases=("text/plain",),
           names=("ntriples", "n-triples"),
           rdflib_names=("nt", "ntriples", "nt11", "application/n-triples"),
           ox_format=ox.RdfFormat.N_TRIPLES),
    Format("jsonld", "application/ld+json", "jsonld",
           aliases=("application/json", "application/x-json+ld"), names=("json-ld", "json"),
           rdflib_names=("json-ld", "application/ld+json"), ox_format=ox.RdfFormat.JSON_LD,
           prefixes=True),
    Format("rdfxml", "application/rdf+xml", "rdf", aliases=("application/xml", "text/xml"),
           names=("xml", "owl", "rdf+xml", "rdf/xml"),
           rdflib_names=("xml", "application/rdf+xml"),
           ox_format=ox.RdfFormat.RDF_XML, prefixes=True),
    Format("trig", "application/trig", "trig", kind=DATASET, rdflib_names=("trig",),
           ox_format=ox.RdfFormat.TRIG, prefixes=True, forms=()),
    Format("nquads", "application/n-quads", "nq", kind=DATASET, names=("nquads",),
           rdflib_names=("nquads",), ox_format=ox.RdfFormat.N_QUADS, forms=()),
    Format("json", "application/sparql-results+json", "srj", kind=RESULTS,
           aliases=("application/json", "text/javascript", "application/javascript"),
           names=("json",), ox_format=ox.QueryResultsFormat.JSON, forms=("select", "ask")),
    Format("xml", "application/sparql-results+xml", "srx", kind=RESULTS,
           aliases=("application/xml", "text/xml"), names=("xml",),
           ox_format=ox.QueryResultsFormat.XML,
           forms=("select", "ask")),
    Format("csv", "text/csv", "csv", kind=RESULTS, ox_format=ox.QueryResultsFormat.CSV,
           forms=("select", "ask")),
    Format("tsv", "text/tab-separated-values", "tsv", kind=RESULTS,
           ox_format=ox.QueryResultsFormat.TSV, forms=("select", "ask")),
)

RDF_FORMATS = tuple(f for f in FORMATS if f.kind != RESULTS)
GRAPH_FORMATS = tuple(f for f in FORMATS if f.kind == GRAPH)
BY_NAME = {f.name: f for f in RDF_FORMATS}
BY_MEDIA_TYPE = {f.media_type: f for f in FORMATS}
# file extensions (and the other names files are given) of the RDF formats
BY_EXTENSION = {n: f for f in RDF_FORMATS for n in f.all_names()}


def for_form(form: str) -> tuple[Format, ...]:
    """The formats a query form ("select", "ask" or "graph") can be answered in, preferred
    first."""
    return tuple(f for f in FORMATS if form in f.forms)


def named(value: str, form: str) -> Format | None:
    """The format of `form` that a ``format=`` value names: a name (``json`` is SPARQL JSON for
    SELECT and ASK, JSON-LD for a graph; ``xml`` SPARQL XML or RDF/XML), an extension, a media
    type or one of its aliases."""
    value = value.strip().lower()
    choices = for_form(form)
    for f in choices:
        if value == f.media_type or value in f.all_names():
            return f
    return next((f for f in choices if value in f.aliases), None)


def prefixes(fmt: Format) -> dict[str, str] | None:
    """The prefixes to give a writer of `fmt`: ours where the syntax has prefixes, else None."""
    from .namespaces import PREFIXES  # here, so that a query worker does not load rdflib

    return dict(PREFIXES) if fmt.prefixes else None


def for_path(path: str) -> Format | None:
    """The RDF format of a file from its extension (a trailing .gz is ignored)."""
    name = path.lower().removesuffix(".gz")
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    return BY_EXTENSION.get(ext)
