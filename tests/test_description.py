"""The dataset description says what DCAT-AP 3.0.1 asks of a dataset and its distributions
(mandatory and recommended properties, with the ranges the profile gives them), so that a
harvester such as data.europa.eu can read it; and the home page says it to search engines as a
schema.org Dataset."""

from __future__ import annotations

import pytest
from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, SKOS

from icc_graph.release import DUMPS, Release

from .conftest import BASE

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
SPDX = Namespace("http://spdx.org/rdf/terms#")
DATASET = URIRef(f"{BASE}dataset")


@pytest.fixture(scope="module")
def void(release: Release) -> Graph:
    return Graph().parse(release.path / "void.ttl")


def _one(g: Graph, s: object, p: URIRef) -> object:
    values = list(g.objects(s, p))  # type: ignore[arg-type]
    assert values, f"{s} has no {p}"
    return values[0]


def _is(g: Graph, node: object, cls: URIRef) -> bool:
    return (node, RDF.type, cls) in g


def test_the_dataset_has_what_dcat_ap_asks(void: Graph) -> None:
    assert _is(void, DATASET, DCAT.Dataset)
    for p in (DCTERMS.title, DCTERMS.description):
        assert any(o.language == "en" for o in void.objects(DATASET, p))  # type: ignore[attr-defined]
    for p, cls in ((DCTERMS.publisher, FOAF.Agent), (DCTERMS.creator, FOAF.Agent),
                   (DCAT.contactPoint, VCARD.Kind), (DCAT.theme, SKOS.Concept),
                   (DCTERMS.spatial, DCTERMS.Location), (DCTERMS.temporal, DCTERMS.PeriodOfTime),
                   (DCAT.landingPage, FOAF.Document), (DCTERMS.license, DCTERMS.LicenseDocument)):
        node = _one(void, DATASET, p)
        assert _is(void, node, cls), f"the {p} of the dataset is not a {cls}"
    for agent in (_one(void, DATASET, DCTERMS.publisher), _one(void, DATASET, DCTERMS.creator)):
        _one(void, agent, FOAF.name)
    assert len(list(void.objects(DATASET, DCAT.keyword))) >= 3
    for theme in void.objects(DATASET, DCAT.theme):
        assert str(theme).startswith("http://publications.europa.eu/resource/authority/"
                                     "data-theme/")
        _one(void, theme, SKOS.prefLabel)
    period = _one(void, DATASET, DCTERMS.temporal)
    start, end = _one(void, period, DCAT.startDate), _one(void, period, DCAT.endDate)
    assert isinstance(start, Literal) and start.datatype == XSD.gYear
    assert int(str(start)) <= int(str(end))
    where = _one(void, DATASET, DCTERMS.spatial)
    assert str(_one(void, where, DCAT.bbox)).startswith("POLYGON((")
    assert isinstance(_one(void, DATASET, DCTERMS.modified), Literal)


def test_every_dump_is_a_distribution_with_what_dcat_ap_asks(void: Graph) -> None:
    distributions = set(void.objects(DATASET, DCAT.distribution))
    assert {URIRef(f"{BASE}dumps/{name}") for name, _, _ in DUMPS} == distributions
    for dist in distributions:
        assert _is(void, dist, DCAT.Distribution)
        assert _one(void, dist, DCAT.accessURL) == URIRef(f"{BASE}dumps/")
        assert _one(void, dist, DCAT.downloadURL) == dist
        for p, cls in ((DCAT.mediaType, DCTERMS.MediaType),
                       (DCTERMS["format"], DCTERMS.MediaTypeOrExtent),
                       (DCTERMS.license, DCTERMS.LicenseDocument),
                       (DCATAP.availability, SKOS.Concept)):
            assert _is(void, _one(void, dist, p), cls), f"{dist} {p}"
        assert str(_one(void, dist, DCTERMS["format"])).startswith(
            "http://publications.europa.eu/resource/authority/file-type/")
        _one(void, dist, DCTERMS.description)
        size = _one(void, dist, DCAT.byteSize)
        assert isinstance(size, Literal) and size.datatype == XSD.nonNegativeInteger
        checksum = _one(void, dist, SPDX.checksum)
        assert _is(void, _one(void, checksum, SPDX.algorithm), SPDX.ChecksumAlgorithm)
        assert len(str(_one(void, checksum, SPDX.checksumValue))) == 64
