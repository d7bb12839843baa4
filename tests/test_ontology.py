"""The vocabulary module and ontology/icc.ttl agree, and every term is labelled and aligned."""

from __future__ import annotations

from rdflib import OWL, RDF, RDFS, URIRef

from icc_graph.namespaces import ICC, ICC_IRI, ROLE_TERMS
from icc_graph.records import ROLES

REQUIRED_CLASSES = {"GoodPractice", "City", "Place", "Country", "Organisation", "Project",
                    "FundingProgramme", "Grant", "Participation"}


def icc_terms(ontology) -> set[str]:
    return {str(s)[len(ICC_IRI):] for s in ontology.subjects() if str(s).startswith(ICC_IRI)}


def test_namespace_lists_exactly_the_ontology_terms(ontology):
    declared = {name for name in ICC.__annotations__}
    assert declared == icc_terms(ontology)


def test_required_classes_exist(ontology):
    classes = {str(s)[len(ICC_IRI):] for s in ontology.subjects(RDF.type, OWL.Class)}
    assert classes >= REQUIRED_CLASSES


def test_every_term_has_english_and_french_label_and_comment(ontology):
    for s in ontology.subjects(RDF.type, None):
        if not str(s).startswith(ICC_IRI) or (s, RDF.type, ICC.Role) in ontology:
            continue
        for prop in (RDFS.label, RDFS.comment):
            langs = {o.language for o in ontology.objects(s, prop)}
            assert {"en", "fr"} <= langs, f"{s} lacks an English or French {prop}"


def test_every_class_and_property_is_aligned_with_an_established_vocabulary(ontology):
    outside = ("http://schema.org/", "http://www.w3.org/ns/org#", "http://purl.org/cerif/frapo/",
               "http://www.w3.org/2004/02/skos/core#", "http://purl.org/dc/terms/",
               "http://www.w3.org/ns/prov#", "http://xmlns.com/foaf/0.1/",
               "http://www.w3.org/2000/01/rdf-schema#")
    for kind, rel in ((OWL.Class, RDFS.subClassOf), (OWL.ObjectProperty, RDFS.subPropertyOf),
                      (OWL.DatatypeProperty, RDFS.subPropertyOf)):
        for term in ontology.subjects(RDF.type, kind):
            supers = set(ontology.transitive_objects(term, rel)) - {term}
            equivalents = set(ontology.objects(term, OWL.equivalentClass)) | set(
                ontology.objects(term, OWL.equivalentProperty))
            if term == ICC.ongoing:
                continue  # a flag no established vocabulary has; documented in docs/model.md
            assert any(str(x).startswith(outside) for x in supers | equivalents), term


def test_every_record_role_has_a_term(ontology):
    assert set(ROLE_TERMS) == set(ROLES)
    for term in ROLE_TERMS.values():
        assert (term, RDF.type, ICC.Role) in ontology
        assert isinstance(term, URIRef)
