"""The release of the real catalogue: parses, conforms, holds what the catalogue holds, and is
reproducible."""

from __future__ import annotations

import gzip
import json

import pyoxigraph as ox
import pytest
from pyshacl import validate
from rdflib import OWL, Dataset, Graph, URIRef

from icc_graph.build import build
from icc_graph.links import PUBLISHED, read_links
from icc_graph.model import Iris
from icc_graph.paths import SHAPES
from icc_graph.release import read_sums

from .conftest import BASE, DATA

PREFIXES = """
PREFIX icc: <https://w3id.org/icc-graph/def/icc#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX void: <http://rdfs.org/ns/void#>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""
SEED_SLUG = "collaboration-with-neuchatel-study-visits-and-exchange-of-knowledge"
SEED = URIRef(f"{BASE}id/practice/{SEED_SLUG}")


def count(graph: Graph, where: str) -> int:
    rows = list(graph.query(PREFIXES + f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {where} }}"))
    return int(rows[0][0])


def test_release_has_every_file(release):
    names = {p.name for p in release.path.iterdir()}
    assert {"icc-graph.ttl", "icc-graph.ttl.gz", "icc-graph.nt.gz", "icc-graph.jsonld",
            "icc-graph.trig", "icc-graph.nq.gz", "ontology.ttl", "shapes.ttl", "void.ttl",
            "SHA256SUMS", "release.json", "store"} <= names
    assert not [n for n in names if n.startswith(".")], "no temporary files are left"


def test_turtle_dump_parses_with_both_engines(release, dump):
    ox_triples = list(ox.parse(path=str(release.path / "icc-graph.ttl"),
                               format=ox.RdfFormat.TURTLE))
    assert len(ox_triples) == len(dump) == release.triples


def test_every_dump_holds_the_same_triples(release, dump):
    nt = Graph().parse(data=gzip.decompress((release.path / "icc-graph.nt.gz").read_bytes()),
                       format="nt")
    jsonld = Graph().parse(release.path / "icc-graph.jsonld", format="json-ld")
    ttl_gz = Graph().parse(data=gzip.decompress((release.path / "icc-graph.ttl.gz").read_bytes()),
                           format="turtle")
    assert len(nt) == len(jsonld) == len(ttl_gz) == len(dump)
    assert set(nt) == set(dump)


def test_dump_conforms_under_independent_pyshacl(dump, ontology):
    data = dump + ontology
    conforms, _, text = validate(data, shacl_graph=Graph().parse(SHAPES), inference="none")
    assert conforms, text


def test_catalogue_sizes(dump):
    assert count(dump, "?x a icc:GoodPractice") >= 200
    assert count(dump, "?x a icc:City") >= 60
    assert count(dump, "?p icc:country ?x") >= 20
    assert count(dump, f"?x skos:inScheme <{BASE}id/scheme/topics>") == 22


def test_one_itaca_with_its_grant_programme_and_funder(dump):
    rows = list(dump.query(PREFIXES + """
        SELECT ?project ?number ?programme ?funder WHERE {
            ?project a icc:Project ; icc:acronym "ITACA" ; icc:grant ?g .
            ?g icc:grantNumber ?number ; icc:programme ?programme ; icc:funder ?funder .
            ?programme icc:acronym "REC" ; icc:funder ?funder .
            ?funder icc:name "European Commission"@en .
        }"""))
    assert len(rows) == 1
    assert str(rows[0].number) == "963374"


def test_seed_practice_names_every_organisation(dump):
    """Every relation the seed text states can be queried."""
    orgs = {str(r.name) for r in dump.query(PREFIXES + f"""
        SELECT ?name WHERE {{
            ?part icc:participationIn <{SEED}> ; icc:agent ?org .
            ?org a icc:Organisation ; icc:name ?name . FILTER(lang(?name) = "en")
        }}""")}
    assert {"City of Neuchâtel", "Lublin Integration Support Group", "La Lanterne magique",
            "Neuchâtel police department", "Lublin police department",
            "Multicultural Cohesion Service of the Canton of Neuchâtel"} <= orgs
    cities = {str(r.name) for r in dump.query(PREFIXES + f"""
        SELECT ?name WHERE {{ <{SEED}> icc:place ?c . ?c icc:name ?name }}""")}
    assert {"Lublin", "Neuchâtel"} <= cities
    projects = {str(r.a) for r in dump.query(PREFIXES + f"""
        SELECT ?a WHERE {{ <{SEED}> icc:relatedProject ?p . ?p icc:name ?a .
                           FILTER(lang(?a) = "en") }}""")}
    assert {"Lublin 4 all", "Cantonal Integration Programme",
            "ITACA - Italian Cities Against Discrimination"} == projects
    implementers = {str(r.name) for r in dump.query(PREFIXES + """
        SELECT ?name WHERE {
            ?p icc:acronym "ITACA" . ?part icc:participationIn ?p ;
              icc:role icc:ImplementingOrganisation ; icc:agent ?o .
            ?o icc:name ?name . FILTER(lang(?name) = "en") }""")}
    assert implementers == {"Istituto per la Cooperazione Economica Internazionale",
                            "Municipality of Reggio Emilia", "Municipality of Modena",
                            "Mondinsieme Foundation", "ISMU Foundation"}
    cosm_parent = list(dump.query(PREFIXES + """
        SELECT ?c WHERE { ?o icc:acronym "COSM" ; icc:partOf ?c .
                          ?c icc:name "Canton of Neuchâtel"@en }"""))
    assert len(cosm_parent) == 1


def test_same_as_only_to_wikidata_and_only_from_published_links(dump):
    links = read_links(DATA / "links" / "wikidata.sssom.tsv")
    allowed = {(URIRef(lk.subject_id), Iris.wikidata(lk.object_id)) for lk in links
               if lk.status in PUBLISHED}
    same = set(dump.subject_objects(OWL.sameAs))
    assert same, "the graph carries the reviewed links"
    assert same <= allowed
    assert all(str(o).startswith("http://www.wikidata.org/entity/Q") for _, o in same)


def test_trig_has_one_named_graph_per_source_with_provenance(release):
    ds = Dataset()
    ds.parse(release.path / "icc-graph.trig", format="trig")
    graphs = {str(g.identifier) for g in ds.graphs()}
    assert f"{BASE}graph/practice/{SEED_SLUG}" in graphs
    assert f"{BASE}graph/links/wikidata" in graphs
    prov = ds.graph(URIRef(f"{BASE}graph/provenance"))
    derived = prov.value(URIRef(f"{BASE}graph/practice/{SEED_SLUG}"),
                         URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"))
    assert str(derived).startswith("https://www.coe.int/")


def test_void_counts_match_the_dump(release, dump):
    void = Graph().parse(release.path / "void.ttl")
    rows = list(void.query(PREFIXES + """
        SELECT ?triples ?practices ?links WHERE {
            ?d a void:Dataset ; void:triples ?triples ;
               void:classPartition [ void:class icc:GoodPractice ; void:entities ?practices ] ;
               void:subset [ a void:Linkset ; void:triples ?links ] . }"""))
    assert len(rows) == 1
    assert int(rows[0].triples) == len(dump)
    assert int(rows[0].practices) == count(dump, "?x a icc:GoodPractice")
    assert int(rows[0].links) == len(list(dump.subject_objects(OWL.sameAs)))
    sums = read_sums(release.path)
    dumps = {str(o).rsplit("/", 1)[-1] for o in void.objects(None, URIRef(
        "http://rdfs.org/ns/void#dataDump"))}
    assert dumps <= set(sums)


def test_store_answers_sparql_over_all_graphs(release):
    store = ox.Store.read_only(str(release.path / "store"))
    n = next(iter(store.query(PREFIXES + "SELECT (COUNT(*) AS ?n) WHERE { ?p a icc:GoodPractice }",
                              use_default_graph_as_union=True)))["n"]
    assert int(n.value) >= 200


def test_two_builds_are_identical(release, tmp_path):
    again = build(DATA, tmp_path / "again", BASE)
    assert read_sums(again.path) == read_sums(release.path)
    meta = json.loads((again.path / "release.json").read_text())
    assert meta["version"] == release.version


@pytest.mark.parametrize("name", ["icc-graph.ttl.gz", "icc-graph.nt.gz", "icc-graph.nq.gz"])
def test_gzip_has_no_timestamp(release, name):
    header = (release.path / name).read_bytes()[:10]
    assert header[4:8] == b"\0\0\0\0"


def test_the_catalogue_is_complete_placed_and_linked(release):
    """The issue's checks on the bundled release: enough practices, places with coordinates
    and their source, cities with reviewed Wikidata links."""
    import pyoxigraph as ox

    store = ox.Store.read_only(str(release.path / "store"))

    def count(q: str) -> int:
        prefixes = ("PREFIX icc: <https://w3id.org/icc-graph/def/icc#> "
                    "PREFIX geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> "
                    "PREFIX prov: <http://www.w3.org/ns/prov#> "
                    "PREFIX owl: <http://www.w3.org/2002/07/owl#> ")
        rows = store.query(prefixes + f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {q} }}",
                           use_default_graph_as_union=True)
        return int(next(iter(rows))["n"].value)

    assert count("?x a icc:GoodPractice") >= 240
    assert count("GRAPH ?g { ?x geo:lat ?lat ; geo:long ?long } ?g prov:wasDerivedFrom ?src") \
        >= 60
    reviewed = {lk.subject_id for lk in read_links(DATA / "links" / "wikidata.sssom.tsv")
                if lk.status == "reviewed" and "/id/city/" in lk.subject_id}
    assert len(reviewed) >= 45
    assert count("?x a icc:City ; owl:sameAs ?w") >= len(reviewed)
