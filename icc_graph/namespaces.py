"""The project's vocabulary as a namespace that fails on a typo, and the other vocabularies used."""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

ICC_IRI = "https://w3id.org/icc-graph/def/icc#"
ONTOLOGY_IRI = "https://w3id.org/icc-graph/def/icc"
DEFAULT_BASE_IRI = "https://w3id.org/icc-graph/"


class ICC(DefinedNamespace):
    """Terms of ``ontology/icc.ttl``; a test checks that both list the same terms."""

    _fail = True
    _NS = Namespace(ICC_IRI)

    # classes
    GoodPractice: URIRef
    Place: URIRef
    City: URIRef
    Country: URIRef
    Organisation: URIRef
    Project: URIRef
    FundingProgramme: URIRef
    Grant: URIRef
    Topic: URIRef
    Participation: URIRef
    Role: URIRef
    # role scheme and roles
    Roles: URIRef
    LeadCity: URIRef
    PartnerCity: URIRef
    Coordinator: URIRef
    Partner: URIRef
    Funder: URIRef
    ImplementingOrganisation: URIRef
    Associate: URIRef
    # properties
    slug: URIRef
    title: URIRef
    name: URIRef
    altName: URIRef
    acronym: URIRef
    place: URIRef
    country: URIRef
    locatedIn: URIRef
    placeType: URIRef
    countryCode: URIRef
    basedIn: URIRef
    partOf: URIRef
    organisationType: URIRef
    topic: URIRef
    startYear: URIRef
    endYear: URIRef
    ongoing: URIRef
    periodText: URIRef
    sourcePage: URIRef
    relatedProject: URIRef
    fundingProgramme: URIRef
    grant: URIRef
    grantNumber: URIRef
    programme: URIRef
    funder: URIRef
    participationIn: URIRef
    agent: URIRef
    role: URIRef
    geonamesId: URIRef
    sourceNote: URIRef


ROLE_TERMS = {
    "lead-city": ICC.LeadCity,
    "partner-city": ICC.PartnerCity,
    "coordinator": ICC.Coordinator,
    "partner": ICC.Partner,
    "funder": ICC.Funder,
    "implementing-organisation": ICC.ImplementingOrganisation,
    "associate": ICC.Associate,
}

SCHEMA = Namespace("http://schema.org/")
PROV = Namespace("http://www.w3.org/ns/prov#")
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
WD = Namespace("http://www.wikidata.org/entity/")
SPDX = Namespace("http://spdx.org/rdf/terms#")
GEO = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")

# Prefixes written in every dump and offered to SPARQL users.
PREFIXES = {
    "icc": ICC_IRI,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": str(SCHEMA),
    "prov": str(PROV),
    "void": str(VOID),
    "dcat": str(DCAT),
    "wd": str(WD),
    "geo": str(GEO),
}
