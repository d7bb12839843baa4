"""The dataset description: VoID and DCAT, with counts, dumps, checksums and the Wikidata linkset.

Nothing in it depends on the time of the build, so two builds of the same data are identical.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from rdflib import OWL, RDF, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF

from .model import Iris, RdflibQuad
from .namespaces import DCAT, ICC, ONTOLOGY_IRI, PREFIXES, SPDX, VOID, WD

LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
WIKIDATA = URIRef("http://www.wikidata.org/")


def describe(quads: list[RdflibQuad], iris: Iris, dumps: Iterable[tuple[str, str, int, str]],
             version: str, example: list[URIRef]) -> Graph:
    """``dumps`` are (file name, media type, size in bytes, sha256) of each release file."""
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
    modified, rdf_type, same_as = DCTERMS.modified, RDF.type, OWL.sameAs
    dates = [str(o) for _, p, o, _ in quads if p == modified]
    if dates:
        g.add((ds, DCTERMS.modified, Literal(max(dates), datatype=XSD.date)))
    g.add((ds, DCTERMS.source, URIRef("https://www.coe.int/en/web/interculturalcities/good-practice")))
    g.add((ds, FOAF.homepage, URIRef(iris.base)))
    g.add((ds, VOID.uriSpace, Literal(iris.id_space)))
    g.add((ds, VOID.sparqlEndpoint, iris.endpoint))
    g.add((ds, VOID.vocabulary, URIRef(ONTOLOGY_IRI)))
    g.add((ds, VOID.feature, URIRef("http://www.w3.org/ns/formats/Turtle")))
    for ex in example:
        g.add((ds, VOID.exampleResource, ex))

    triples = {(s, p, o) for s, p, o, _ in quads}
    g.add((ds, VOID.triples, Literal(len(triples))))
    g.add((ds, VOID.distinctSubjects, Literal(len({t[0] for t in triples}))))
    g.add((ds, VOID.properties, Literal(len({t[1] for t in triples}))))
    typed = [(s, o) for s, p, o in triples if p == rdf_type]
    g.add((ds, VOID.entities, Literal(len({s for s, _ in typed
                                           if str(s).startswith(iris.id_space)}))))
    for cls, n in sorted(Counter(o for _, o in typed).items()):
        if not str(cls).startswith(str(ICC)):
            continue
        part = iris.subset(f"class/{str(cls).rsplit('#', 1)[-1]}")
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], cls))
        g.add((part, VOID.entities, Literal(n)))

    same = sum(1 for _, p, _ in triples if p == same_as)
    linkset = iris.subset("linkset/wikidata")
    g.add((ds, VOID.subset, linkset))
    g.add((linkset, RDF.type, VOID.Linkset))
    g.add((linkset, VOID.subjectsTarget, ds))
    g.add((linkset, VOID.objectsTarget, WIKIDATA))
    g.add((linkset, VOID.linkPredicate, OWL.sameAs))
    g.add((linkset, VOID.triples, Literal(same)))
    g.add((linkset, VOID.uriSpace, Literal(str(WD))))
    g.add((WIKIDATA, RDF.type, VOID.Dataset))
    g.add((WIKIDATA, VOID.sparqlEndpoint, URIRef("https://query.wikidata.org/sparql")))
    g.add((WIKIDATA, VOID.uriSpace, Literal(str(WD))))

    if any(g == iris.graph("wikidata") for _, _, _, g in quads):
        facts = iris.subset("wikidata-facts")
        g.add((ds, VOID.subset, facts))
        g.add((facts, RDF.type, VOID.Dataset))
        g.add((facts, DCTERMS.title, Literal("Facts about the linked items, from Wikidata",
                                             lang="en")))
        g.add((facts, DCTERMS.source, WIKIDATA))

    for name, media_type, size, sha in dumps:
        dist = iris.dump(name)
        g.add((ds, VOID.dataDump, dist))
        g.add((ds, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(name)))
        g.add((dist, DCAT.downloadURL, dist))
        g.add((dist, DCAT.mediaType, URIRef(f"https://www.iana.org/assignments/media-types/{media_type}")))
        if name.endswith(".gz"):
            g.add((dist, DCAT.compressFormat,
                   URIRef("https://www.iana.org/assignments/media-types/application/gzip")))
        g.add((dist, DCAT.byteSize, Literal(size, datatype=XSD.nonNegativeInteger)))
        checksum = URIRef(f"{dist}#sha256")
        g.add((dist, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(sha, datatype=XSD.hexBinary)))
        g.add((dist, DCTERMS.license, LICENSE))
    return g
