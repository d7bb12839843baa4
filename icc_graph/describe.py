"""The dataset description: VoID and DCAT-AP 3.0.1 (mandatory and recommended properties), with
counts, dumps, checksums and the Wikidata linkset.

Controlled values come from the EU's authority tables (data themes, file types, planned
availability), as DCAT-AP asks. Nothing in it depends on the time of the build, so two builds of
the same data are identical.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from operator import itemgetter

from rdflib import OWL, RDF, SKOS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV

from .formats import BY_NAME
from .model import Iris, Lit, Quad, Term
from .namespaces import DCAT, ICC, ONTOLOGY_IRI, PREFIXES, SCHEMA, SPDX, VOID, WD

LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
WIKIDATA = URIRef("http://www.wikidata.org/")
SOURCE = URIRef("https://www.coe.int/en/web/interculturalcities/good-practice")
AUTHORITY = "http://publications.europa.eu/resource/authority/"
DCATAP = Namespace("http://data.europa.eu/r5r/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
IANA = "https://www.iana.org/assignments/media-types/"
THEMES = {"SOCI": "Population and society", "GOVE": "Government and public sector"}
GGEO = Namespace("http://www.opengis.net/ont/geosparql#")
KEYWORDS = ("intercultural cities", "good practices", "integration", "diversity",
            "inclusion", "Council of Europe", "cities")
FILE_TYPES = {"turtle": "RDF_TURTLE", "ntriples": "RDF_N_TRIPLES", "jsonld": "JSON_LD",
              "rdfxml": "RDF_XML", "trig": "RDF_TRIG", "nquads": "RDF_N_QUADS"}


def _value(o: Term) -> str:
    return o.value if isinstance(o, Lit) else o


WGS84 = "http://www.w3.org/2003/01/geo/wgs84_pos#"
MODIFIED, TYPE, SAME_AS = str(DCTERMS.modified), str(RDF.type), str(OWL.sameAs)
LAT, LONG = (f"{WGS84}lat", str(SCHEMA.latitude)), (f"{WGS84}long", str(SCHEMA.longitude))
YEARS = (str(ICC.startYear), str(ICC.endYear))
# the predicates whose values the description reads, from every quad
READ = frozenset((MODIFIED, TYPE, SAME_AS, *LAT, *LONG, *YEARS))


class _Scan:
    """What the description counts and reads in the quads, found in one pass over them (and
    the triples' columns at C speed): the VoID counts over distinct triples, and the dates,
    coordinates and years of every quad."""

    def __init__(self, quads: list[Quad], first: list[bool] | None, wikidata_graph: str,
                 id_space: str):
        if first is None:
            first = []
            seen: set[tuple[str, str, Term]] = set()
            for s, p, o, _ in quads:
                first.append((s, p, o) not in seen)
                seen.add((s, p, o))
            del seen
        values: dict[str, list[tuple[str, Term, bool]]] = {p: [] for p in READ}
        for same in (LAT, LONG, YEARS):  # the quads' order kept across a pair of predicates
            values[same[1]] = values[same[0]]
        subjects: set[str] = set()
        properties: set[str] = set()
        self.triples = 0
        for (s, p, o, _), new in zip(quads, first, strict=True):
            found = values.get(p)
            if found is not None:
                found.append((s, o, new))
            if new:
                self.triples += 1
                subjects.add(s)
                properties.add(p)
        self.wikidata = any(map(wikidata_graph.__eq__, map(itemgetter(3), quads)))
        self.subjects, self.properties = len(subjects), len(properties)
        self.dates = [_value(o) for _, o, _ in values[MODIFIED]]
        self.lats = [float(_value(o)) for _, o, _ in values[LAT[0]]]
        self.longs = [float(_value(o)) for _, o, _ in values[LONG[0]]]
        self.years = sorted({int(_value(o)) for _, o, _ in values[YEARS[0]]})
        typed = [(s, o) for s, o, new in values[TYPE] if new and isinstance(o, str)]
        self.entities = len({s for s, _ in typed if s.startswith(id_space)})
        self.classes = Counter(o for _, o in typed)
        self.same_as = sum(1 for _, _, new in values[SAME_AS] if new)


def describe(quads: list[Quad], iris: Iris, dumps: Iterable[tuple[str, str, int, str]],
             version: str, example: list[URIRef], first: list[bool] | None = None) -> Graph:
    """The description of the release of ``quads`` (the model's plain quads). ``dumps`` are
    (file name, format name, size in bytes, sha256) of each release file; ``first``, when
    known, flags the quads whose triple no earlier quad holds."""
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    g.bind("spdx", str(SPDX))
    g.bind("foaf", str(FOAF))
    ds = iris.dataset
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.title, Literal("ICC good practices knowledge graph", lang="en")))
    g.add((ds, DCTERMS.title, Literal("Graphe de connaissances des bonnes pratiques ICC",
                                      lang="fr")))
    g.add((ds, DCTERMS.description, Literal(
        "The good practices of the Council of Europe's Intercultural Cities programme: what "
        "cities did, where, with which organisations and projects, funded by whom; each fact "
        "with the coe.int page it comes from.", lang="en")))
    g.add((ds, DCTERMS.license, LICENSE))
    g.add((ds, DCTERMS.identifier, Literal(version)))
    g.add((ds, OWL.versionInfo, Literal(version)))
    found = _Scan(quads, first, str(iris.graph("wikidata")), iris.id_space)
    if found.dates:
        g.add((ds, DCTERMS.modified, Literal(max(found.dates), datatype=XSD.date)))
    g.add((ds, PROV.wasDerivedFrom, SOURCE))
    g.add((ds, FOAF.homepage, URIRef(iris.base)))
    g.add((ds, DCAT.landingPage, URIRef(iris.base)))
    g.add((URIRef(iris.base), RDF.type, FOAF.Document))
    _agents_and_coverage(g, ds, found, iris)
    g.add((ds, VOID.uriSpace, Literal(iris.id_space)))
    g.add((ds, VOID.sparqlEndpoint, iris.endpoint))
    g.add((ds, VOID.vocabulary, URIRef(ONTOLOGY_IRI)))
    g.add((ds, VOID.feature, URIRef("http://www.w3.org/ns/formats/Turtle")))
    for ex in example:
        g.add((ds, VOID.exampleResource, ex))

    g.add((ds, VOID.triples, Literal(found.triples)))
    g.add((ds, VOID.distinctSubjects, Literal(found.subjects)))
    g.add((ds, VOID.properties, Literal(found.properties)))
    g.add((ds, VOID.entities, Literal(found.entities)))
    for cls, n in sorted(found.classes.items()):
        if not cls.startswith(str(ICC)):
            continue
        part = iris.subset(f"class/{cls.rsplit('#', 1)[-1]}")
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(cls)))
        g.add((part, VOID.entities, Literal(n)))

    linkset = iris.subset("linkset/wikidata")
    g.add((ds, VOID.subset, linkset))
    g.add((linkset, RDF.type, VOID.Linkset))
    g.add((linkset, VOID.subjectsTarget, ds))
    g.add((linkset, VOID.objectsTarget, WIKIDATA))
    g.add((linkset, VOID.linkPredicate, OWL.sameAs))
    g.add((linkset, VOID.triples, Literal(found.same_as)))
    g.add((linkset, VOID.uriSpace, Literal(str(WD))))
    g.add((WIKIDATA, RDF.type, VOID.Dataset))
    g.add((WIKIDATA, VOID.sparqlEndpoint, URIRef("https://query.wikidata.org/sparql")))
    g.add((WIKIDATA, VOID.uriSpace, Literal(str(WD))))

    if found.wikidata:
        facts = iris.subset("wikidata-facts")
        g.add((ds, VOID.subset, facts))
        g.add((facts, RDF.type, VOID.Dataset))
        g.add((facts, DCTERMS.title, Literal("Facts about the linked items, from Wikidata",
                                             lang="en")))
        g.add((facts, DCTERMS.source, WIKIDATA))

    g.add((LICENSE, RDF.type, DCTERMS.LicenseDocument))
    g.add((LICENSE, DCTERMS.type, _concept(g, "http://purl.org/adms/licencetype/Attribution",
                                           "Attribution")))
    for name, fmt_name, size, sha in dumps:
        fmt = BY_NAME[fmt_name]
        dist = iris.dump(name)
        g.add((ds, VOID.dataDump, dist))
        g.add((ds, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(name)))
        g.add((dist, DCTERMS.description, Literal(
            f"The whole graph as {fmt.media_type}"
            + (", gzipped" if name.endswith(".gz") else "")
            + (", one named graph per source" if fmt.dataset else ""), lang="en")))
        g.add((dist, DCAT.accessURL, URIRef(f"{iris.base}dumps/")))
        g.add((dist, DCAT.downloadURL, dist))
        media = URIRef(f"{IANA}{fmt.media_type}")
        g.add((dist, DCAT.mediaType, media))
        g.add((media, RDF.type, DCTERMS.MediaType))
        file_type = URIRef(f"{AUTHORITY}file-type/{FILE_TYPES[fmt_name]}")
        g.add((dist, DCTERMS["format"], file_type))
        g.add((file_type, RDF.type, DCTERMS.MediaTypeOrExtent))
        g.add((dist, DCATAP.availability,
               _concept(g, f"{AUTHORITY}planned-availability/STABLE", "stable")))
        if name.endswith(".gz"):
            gz = URIRef(f"{IANA}application/gzip")
            g.add((dist, DCAT.compressFormat, gz))
            g.add((gz, RDF.type, DCTERMS.MediaType))
        g.add((dist, DCAT.byteSize, Literal(size, datatype=XSD.nonNegativeInteger)))
        checksum = URIRef(f"{dist}#sha256")
        g.add((dist, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm))
        g.add((checksum, SPDX.checksumValue, Literal(sha, datatype=XSD.hexBinary)))
        g.add((dist, DCTERMS.license, LICENSE))
    return g


def _agents_and_coverage(g: Graph, ds: URIRef, found: _Scan, iris: Iris) -> None:
    """Publisher, creator, contact point, keywords, themes, and the places and years covered."""
    publisher = URIRef(f"{iris.base}#project")
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, RDF.type, FOAF.Organization))
    g.add((publisher, FOAF.name, Literal("icc-graph project", lang="en")))
    g.add((publisher, FOAF.homepage, URIRef(iris.base)))
    g.add((publisher, DCTERMS.type, _concept(
        g, "http://purl.org/adms/publishertype/NonProfitOrganisation", "Non-profit organisation")))
    g.add((ds, DCTERMS.publisher, publisher))
    creator = URIRef("https://www.coe.int/en/web/interculturalcities")
    g.add((creator, RDF.type, FOAF.Agent))
    g.add((creator, RDF.type, FOAF.Organization))
    g.add((creator, FOAF.name, Literal("Council of Europe, Intercultural Cities programme",
                                       lang="en")))
    g.add((creator, DCTERMS.type, _concept(
        g, "http://purl.org/adms/publishertype/InternationalOrganisation",
        "International organisation")))
    g.add((ds, DCTERMS.creator, creator))
    contact = BNode("contact")
    g.add((ds, DCAT.contactPoint, contact))
    g.add((contact, RDF.type, VCARD.Kind))
    g.add((contact, RDF.type, VCARD.Organization))
    g.add((contact, VCARD.fn, Literal("icc-graph project", lang="en")))
    g.add((contact, VCARD.hasURL, URIRef(iris.base)))
    for word in KEYWORDS:
        g.add((ds, DCAT.keyword, Literal(word, lang="en")))
    for code, label in THEMES.items():
        g.add((ds, DCAT.theme, _concept(g, f"{AUTHORITY}data-theme/{code}", label)))
    lats, longs = found.lats, found.longs
    if lats and longs:  # the places covered, as the box around them
        where = URIRef(f"{ds}/coverage")
        west, east, south, north = min(longs), max(longs), min(lats), max(lats)
        g.add((ds, DCTERMS.spatial, where))
        g.add((where, RDF.type, DCTERMS.Location))
        g.add((where, SKOS.prefLabel, Literal("the places of the practices", lang="en")))
        g.add((where, DCAT.bbox, Literal(
            f"POLYGON(({west} {south}, {east} {south}, {east} {north}, {west} {north}, "
            f"{west} {south}))", datatype=GGEO.wktLiteral)))
        g.add((where, DCAT.centroid, Literal(
            f"POINT({sum(longs) / len(longs):.5f} {sum(lats) / len(lats):.5f})",
            datatype=GGEO.wktLiteral)))
    years = found.years
    if years:
        period = URIRef(f"{ds}/period")
        g.add((ds, DCTERMS.temporal, period))
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        g.add((period, DCAT.startDate, Literal(str(years[0]), datatype=XSD.gYear)))
        g.add((period, DCAT.endDate, Literal(str(years[-1]), datatype=XSD.gYear)))


def _concept(g: Graph, iri: str, label: str) -> URIRef:
    concept = URIRef(iri)
    g.add((concept, RDF.type, SKOS.Concept))
    g.add((concept, SKOS.prefLabel, Literal(label, lang="en")))
    return concept


def schema_org(g: Graph, ds: URIRef) -> dict[str, object]:
    """The description as a schema.org ``Dataset`` (what search engines read in a home page),
    without its context: :func:`icc_graph.store.jsonld.script` embeds the project's one context."""

    def first(s: object, p: URIRef) -> str | None:
        values = sorted(g.objects(s, p), key=lambda o: (getattr(o, "language", "") != "en",  # type: ignore[arg-type]
                                                        str(o)))
        return str(values[0]) if values else None

    creator = g.value(ds, DCTERMS.creator)
    data: dict[str, object] = {
        "@type": "Dataset", "@id": str(ds), "name": first(ds, DCTERMS.title),
        "description": first(ds, DCTERMS.description), "url": first(ds, DCAT.landingPage),
        "license": first(ds, DCTERMS.license), "version": first(ds, OWL.versionInfo),
        "keywords": sorted(str(k) for k in g.objects(ds, DCAT.keyword)),
        "isAccessibleForFree": True,
        "creator": {"@type": "Organization", "@id": str(creator),
                    "name": first(creator, FOAF.name)},
    }
    period = g.value(ds, DCTERMS.temporal)
    if period is not None:
        data["temporalCoverage"] = (f"{first(period, DCAT.startDate)}/"
                                    f"{first(period, DCAT.endDate)}")
    where = g.value(ds, DCTERMS.spatial)
    box = first(where, DCAT.bbox) if where is not None else None
    if box:  # POLYGON((w s, e s, e n, w n, w s)) -> schema.org's "s w n e"
        corners = box.split("((", 1)[1].rstrip(")").split(",")
        (w, s), (e, n) = corners[0].split(), corners[2].split()
        data["spatialCoverage"] = {"@type": "Place", "name": first(where, SKOS.prefLabel),
                                   "geo": {"@type": "GeoShape", "box": f"{s} {w} {n} {e}"}}
    data["distribution"] = [
        {"@type": "DataDownload", "name": first(d, DCTERMS.title),
         "contentUrl": first(d, DCAT.downloadURL),
         "encodingFormat": (first(d, DCAT.mediaType) or "").removeprefix(IANA)}
        for d in sorted(g.objects(ds, DCAT.distribution), key=str)]
    return {k: v for k, v in data.items() if v is not None}
