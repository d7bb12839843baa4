"""Each shape accepts a conforming example and rejects a violating one with its message."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Namespace

from icc_graph.validate import SH, load_shapes, run_shacl

FIXTURE = Path(__file__).parent / "fixtures" / "valid.ttl"
PREFIXES = """
PREFIX icc: <https://w3id.org/icc-graph/def/icc#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX geo: <http://www.w3.org/2003/01/geo/wgs84_pos#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX practice: <https://w3id.org/icc-graph/id/practice/>
PREFIX city: <https://w3id.org/icc-graph/id/city/>
PREFIX place: <https://w3id.org/icc-graph/id/place/>
PREFIX country: <https://w3id.org/icc-graph/id/country/>
PREFIX topic: <https://w3id.org/icc-graph/id/topic/>
PREFIX org: <https://w3id.org/icc-graph/id/org/>
PREFIX project: <https://w3id.org/icc-graph/id/project/>
PREFIX programme: <https://w3id.org/icc-graph/id/programme/>
PREFIX grant: <https://w3id.org/icc-graph/id/grant/>
PREFIX participation: <https://w3id.org/icc-graph/id/participation/>
PREFIX scheme: <https://w3id.org/icc-graph/id/scheme/>
"""
ICCSH = Namespace("https://w3id.org/icc-graph/shapes#")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes()


def broken(update: str) -> Graph:
    g = Graph().parse(FIXTURE)
    g.update(PREFIXES + update)
    return g


def test_the_fixture_conforms(shapes, ontology):
    assert run_shacl(Graph().parse(FIXTURE), ontology, shapes) == []


# (shape, SPARQL update that breaks one constraint of it, words of the expected message)
CASES = [
    ("GoodPracticeShape", 'INSERT DATA { practice:p1 icc:title "Zweite"@en }', "title"),
    ("GoodPracticeShape", "DELETE WHERE { practice:p2 icc:place ?x }", "at least one place"),
    ("GoodPracticeShape", "DELETE WHERE { practice:p2 icc:country ?x }", "needs a country"),
    ("GoodPracticeShape", "INSERT DATA { practice:p1 icc:topic country:pl }",
     "not one of the ICC topics"),
    ("GoodPracticeShape", "DELETE WHERE { practice:p1 icc:sourcePage ?x }",
     "source page"),
    ("GoodPracticeShape", "DELETE { practice:p1 icc:endYear 2019 } "
     "INSERT { practice:p1 icc:endYear 2011 } WHERE {}", "starts after it ends"),
    ("GoodPracticeShape", 'DELETE { practice:p2 icc:slug "p2" } '
     'INSERT { practice:p2 icc:slug "p1" } WHERE {}', "same slug"),
    ("GoodPracticeShape", 'INSERT DATA { practice:p2 icc:slug "Bad Slug" }', "slug"),
    ("PlaceShape", "DELETE WHERE { city:lublin icc:name ?x }", "needs a name"),
    ("CityShape", "DELETE WHERE { city:lublin icc:locatedIn ?x }", "exactly one country"),
    ("OtherPlaceShape", 'INSERT DATA { place:camden icc:placeType "planet" }',
     "kind of place"),
    ("CountryShape", 'DELETE WHERE { country:pl icc:countryCode ?x } ; '
     'INSERT DATA { country:pl icc:countryCode "pol" }', "ISO 3166-1"),
    ("OrganisationShape", 'INSERT DATA { org:cosm icc:organisationType "club" }',
     "kind of organisation"),
    ("OrganisationShape",
     'DELETE { org:ec icc:slug "ec" } INSERT { org:ec icc:slug "cosm" } WHERE {}',
     "same slug"),
    ("ProjectShape", "INSERT DATA { project:itaca icc:grant org:ec }", "grant"),
    ("ProjectShape", "DELETE WHERE { project:itaca icc:name ?x }", "needs a name"),
    ("FundingProgrammeShape", "INSERT DATA { programme:rec icc:funder country:pl }",
     "funder"),
    ("GrantShape", "DELETE WHERE { grant:963374 icc:grantNumber ?x }", "number"),
    ("ParticipationShape", "DELETE WHERE { participation:x icc:agent ?x }",
     "exactly one organisation"),
    ("ParticipationShape", "DELETE WHERE { participation:x icc:role ?x } ; "
     "INSERT DATA { participation:x icc:role icc:Boss }", "role from the list"),
    ("ParticipationShape", "DELETE WHERE { participation:y icc:participationIn ?x }",
     "exactly one practice or project"),
    ("ConceptShape", "DELETE WHERE { topic:education skos:prefLabel ?x }", "label"),
    ("TopicShape", "DELETE WHERE { topic:education skos:inScheme ?x }", "topic scheme"),
    ("TopicShape", "DELETE WHERE { topic:education icc:name ?x }", "English name"),
    ("WikidataLinkShape",
     "INSERT DATA { city:lublin owl:sameAs <http://dbpedia.org/resource/Lublin> }",
     "Wikidata items"),
    ("CoordinatesShape", 'INSERT DATA { city:lublin geo:lat "51.25"^^xsd:decimal }', "longitude"),
    ("CoordinatesShape", 'INSERT DATA { city:lublin geo:lat "151.25"^^xsd:decimal ; '
     'geo:long "22.5"^^xsd:decimal }', "latitude"),
    ("GeoNamesShape", 'INSERT DATA { city:lublin icc:geonamesId "765876" }',
     "GeoNames feature"),
    ("GeoNamesShape", 'INSERT DATA { city:lublin icc:geonamesId "no" ; skos:exactMatch '
     '<https://sws.geonames.org/765876/> }', "identifier"),
]


@pytest.mark.parametrize(("shape", "update", "words"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_shape_rejects_a_violation(shapes, ontology, shape, update, words):
    violations = run_shacl(broken(update), ontology, shapes)
    assert violations, "the broken example must not conform"
    assert any(words in v.message for v in violations), [v.message for v in violations]
    # the message is the one this shape gives (messages are unique to their shape)
    owners = {str(o) for o, m in _messages(shapes) if any(words in x for x in m)}
    assert str(ICCSH[shape]) in owners


def _messages(shapes: Graph) -> list[tuple[object, list[str]]]:
    out = []
    for node_shape in shapes.subjects(SH.targetClass | SH.targetSubjectsOf, None):
        msgs = [str(shapes.value(p, SH.message)) for p in shapes.objects(node_shape, SH.property)]
        out.append((node_shape, msgs))
    return out


def test_every_node_shape_is_exercised(shapes):
    node_shapes = {str(s).rsplit("#", 1)[-1] for s in shapes.subjects(
        predicate=None, object=SH.NodeShape)}
    assert node_shapes <= {c[0] for c in CASES}


def test_every_constraint_has_a_message(shapes):
    for prop in shapes.objects(None, SH.property):
        assert shapes.value(prop, SH.message) is not None, f"no sh:message on {prop}"
    for nested in shapes.subjects(SH.path, None):
        assert shapes.value(nested, SH.message) is not None, f"no sh:message on {nested}"
