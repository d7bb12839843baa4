"""Records to RDF: the only module that mints IRIs.

The graph is produced as quads, one named graph per source (a practice record, a shared record
file, the links table) plus a provenance graph that describes those graphs. Triples that the
ontology entails towards schema.org and SKOS labels are materialised, so that a user who knows
schema.org can query the graph without a reasoner.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from sys import intern
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from rdflib import OWL, RDF, RDFS, SKOS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from . import coordinates
from .coordinates import GeoLink
from .errors import DataError, Problem
from .links import PUBLISHED, Link
from .namespaces import DEFAULT_BASE_IRI, GEO, ICC, ROLE_TERMS, SCHEMA, WD
from .records import Grant, Participant, Period, Place, Programme, Records


class Lit(NamedTuple):
    """A literal as plain values: its text, its language tag, its datatype IRI (neither for a
    plain string). With IRIs as ``str``, quads are plain tuples: fast to make, hash and sort."""

    value: str
    lang: str | None = None
    datatype: str | None = None


Term = str | Lit
Quad = tuple[str, str, Term, str]  # subject, predicate, object, graph; IRIs as str
RdflibQuad = tuple[URIRef, URIRef, URIRef | Literal, URIRef]
RDF_TYPE = str(RDF.type)
INTEGER, DECIMAL, BOOLEAN, GYEAR, DATE = (str(XSD.integer), str(XSD.decimal), str(XSD.boolean),
                                          str(XSD.gYear), str(XSD.date))
WKT = "http://www.opengis.net/ont/geosparql#wktLiteral"

KINDS = ("practice", "city", "place", "country", "org", "project", "programme", "grant",
         "topic", "participation", "scheme")


@dataclass(frozen=True)
class Iris:
    """Mints every IRI of the graph from the canonical base (setting ICC_BASE_IRI)."""

    base: str

    def thing(self, kind: str, slug: str) -> URIRef:
        assert kind in KINDS, kind
        return URIRef(f"{self.base}id/{kind}/{slug}")

    def place(self, place: Place) -> URIRef:
        return self.thing("city" if place.type == "city" else "place", place.slug)

    def participation(self, host_kind: str, host_slug: str, p: Participant) -> URIRef:
        return self.thing("participation",
                          f"{host_kind}--{host_slug}--{p.kind}--{p.agent}--{p.role}")

    def rebase(self, iri: str) -> URIRef:
        """An IRI of the default base (as the links table writes them) on this base."""
        if iri.startswith(DEFAULT_BASE_IRI):
            return URIRef(self.base + iri[len(DEFAULT_BASE_IRI):])
        return URIRef(iri)

    @property
    def id_space(self) -> str:
        return f"{self.base}id/"

    @property
    def endpoint(self) -> URIRef:
        return URIRef(f"{self.base}sparql")

    def dump(self, name: str) -> URIRef:
        return URIRef(f"{self.base}dumps/{name}")

    def subset(self, name: str) -> URIRef:
        """A part of the dataset described in VoID: class/GoodPractice, linkset/wikidata..."""
        return URIRef(f"{self.dataset}/{name}")

    @staticmethod
    def geonames(geonames_id: str) -> URIRef:
        return URIRef(f"https://sws.geonames.org/{geonames_id}/")

    @staticmethod
    def wikidata(qid: str) -> URIRef:
        return URIRef(f"{WD}{qid.removeprefix('wd:')}")

    def graph(self, name: str) -> URIRef:
        return URIRef(f"{self.base}graph/{name}")

    @property
    def dataset(self) -> URIRef:
        return URIRef(f"{self.base}dataset")

    @property
    def topic_scheme(self) -> URIRef:
        return self.thing("scheme", "topics")

    @property
    def country_scheme(self) -> URIRef:
        return self.thing("scheme", "countries")


class Entailment:
    """The schema.org, SKOS-label and ICC super-classes and super-properties of each ICC term."""

    KEEP = (str(SCHEMA), str(RDFS.label), str(SKOS.prefLabel), str(SKOS.altLabel),
            str(SKOS.Concept), "https://w3id.org/icc-graph/def/icc#")

    def __init__(self, ontology: Graph):
        self.types = self._closure(ontology, RDFS.subClassOf)
        self.props = self._closure(ontology, RDFS.subPropertyOf)

    def _closure(self, g: Graph, rel: URIRef) -> dict[str, tuple[str, ...]]:
        direct: dict[URIRef, set[URIRef]] = {}
        for s, o in g.subject_objects(rel):
            if isinstance(s, URIRef) and isinstance(o, URIRef):
                direct.setdefault(s, set()).add(o)
        out = {}
        for term in direct:
            seen: set[URIRef] = set()
            todo = list(direct[term])
            while todo:
                t = todo.pop()
                if t not in seen:
                    seen.add(t)
                    todo.extend(direct.get(t, ()))
            out[str(term)] = tuple(sorted(str(t) for t in seen if str(t).startswith(self.KEEP)))
        return out


class _Terms:
    """A namespace's terms as plain ``str``: each looked up (and checked) once, then an attribute
    (the model names terms a few million times; rdflib's namespaces make a URIRef each time)."""

    def __init__(self, namespace: Any):
        self._namespace = namespace

    def __getattr__(self, name: str) -> str:
        value = intern(str(getattr(self._namespace, name)))
        setattr(self, name, value)
        return value


_ICC, _RDF, _SKOS, _SCHEMA, _RDFS, _OWL, _DCTERMS, _GEO = (
    _Terms(ns) for ns in (ICC, RDF, SKOS, SCHEMA, RDFS, OWL, DCTERMS, GEO))


class _Builder:
    def __init__(self, records: Records, links: Iterable[Link], iris: Iris, ent: Entailment,
                 facts: dict[str, Any] | None = None, geolinks: Iterable[GeoLink] = ()):
        self.r, self.links, self.iris, self.ent = records, list(links), iris, ent
        self.geolinks = list(geolinks)
        self.facts = facts or {}
        self.quads: list[Quad] = []
        self.g: str = iris.graph("none")
        self.located = {lk.place for lk in self.geolinks if lk.status in coordinates.PUBLISHED}
        self._things: dict[tuple[str, str], str] = {}

    def thing(self, kind: str, slug: str) -> str:
        """``Iris.thing`` as an interned str, made once per thing."""
        found = self._things.get((kind, slug))
        if found is None:
            found = self._things[(kind, slug)] = intern(str(self.iris.thing(kind, slug)))
        return found

    def place(self, place: Place) -> str:
        return self.thing("city" if place.type == "city" else "place", place.slug)

    # -- emitting
    def add(self, s: str, p: str, o: str | Lit) -> None:
        """A quad in the current graph, with the super-properties and super-classes."""
        # interned: each IRI is one string however many quads name it (memory, and equality
        # by identity when the quads are de-duplicated and sorted)
        s, p, g, q = intern(str(s)), intern(str(p)), intern(str(self.g)), self.quads.append
        if not isinstance(o, Lit):
            o = intern(str(o))
        q((s, p, o, g))
        for sup in self.ent.props.get(p, ()):
            q((s, sup, o, g))
        if p == RDF_TYPE and isinstance(o, str):
            for sup in self.ent.types.get(o, ()):
                q((s, RDF_TYPE, sup, g))

    def raw(self, s: str, p: str, o: str | Lit, g: str | None = None) -> None:
        """A quad without entailment, in the current graph or ``g``."""
        self.quads.append((intern(str(s)), intern(str(p)),
                           o if isinstance(o, Lit) else intern(str(o)),
                           intern(str(self.g if g is None else g))))

    def labels(self, s: str, p: str, labels: dict[str, str]) -> None:
        for lang, text in sorted(labels.items()):
            self.add(s, p, Lit(text, lang))

    def alt(self, s: str, names: Iterable[str]) -> None:
        for name in names:
            self.add(s, _ICC.altName, Lit(name))

    def common(self, s: str, cls: str, slug: str) -> None:
        self.add(s, _RDF.type, cls)
        self.add(s, _ICC.slug, Lit(slug))

    def source(self, s: str, url: str | None) -> None:
        if url:
            self.add(s, _ICC.sourcePage, url)

    def period(self, s: str, period: Period | None) -> None:
        if period is None:
            return
        if period.text:
            self.add(s, _ICC.periodText, Lit(period.text))
        if period.start is not None:
            self.add(s, _ICC.startYear, Lit(str(period.start), None, INTEGER))
            self.add(s, _SCHEMA.startDate, Lit(f"{period.start:04d}", None, GYEAR))
        if period.end is not None:
            self.add(s, _ICC.endYear, Lit(str(period.end), None, INTEGER))
            self.add(s, _SCHEMA.endDate, Lit(f"{period.end:04d}", None, GYEAR))
        self.add(s, _ICC.ongoing, Lit("true" if period.ongoing else "false", None, BOOLEAN))

    def agent(self, p: Participant) -> str:
        if p.kind == "place":
            return self.place(self.r.places[p.agent])
        return self.thing("org", p.agent)

    def participations(self, host_kind: str, host_slug: str, parts: Iterable[Participant]) -> None:
        host = self.thing(host_kind, host_slug)
        for p in parts:
            node = self.iris.participation(host_kind, host_slug, p)
            self.add(node, _RDF.type, _ICC.Participation)
            self.add(node, _ICC.participationIn, host)
            self.add(node, _ICC.agent, self.agent(p))
            self.add(node, _ICC.role, ROLE_TERMS[p.role])

    def describe_graph(self, name: str, derived_from: Iterable[str], file: str,
                       modified: Iterable[str | None]) -> None:
        prov = self.iris.graph("provenance")
        q = self.raw
        q(name, _RDF.type, "http://www.w3.org/ns/prov#Entity", prov)
        q(name, _DCTERMS.source, Lit(file), prov)
        for url in sorted(set(derived_from)):
            q(name, "http://www.w3.org/ns/prov#wasDerivedFrom", url, prov)
        dates = [d for d in modified if d]
        if dates:
            q(name, _DCTERMS.modified, Lit(max(dates), None, DATE), prov)

    # -- kinds
    def build(self) -> list[Quad]:
        r, iris = self.r, self.iris
        self.g = iris.graph("topics")
        scheme = iris.topic_scheme
        self.add(scheme, _RDF.type, _SKOS.ConceptScheme)
        self.labels(scheme, _SKOS.prefLabel, {"en": "ICC good-practice topics",
                                             "fr": "Thèmes des bonnes pratiques ICC"})
        for t in r.topics.values():
            s = self.thing("topic", t.slug)
            self.common(s, _ICC.Topic, t.slug)
            self.labels(s, _ICC.name, t.labels)
            self.add(s, _SKOS.inScheme, scheme)
            self.add(s, _SKOS.topConceptOf, scheme)
        self.describe_graph(self.g, [], "data/topics.yaml", (t.updated for t in r.topics.values()))

        self.g = iris.graph("countries")
        scheme = iris.country_scheme
        self.add(scheme, _RDF.type, _SKOS.ConceptScheme)
        self.labels(scheme, _SKOS.prefLabel, {"en": "Countries", "fr": "Pays"})
        for c in r.countries.values():
            s = self.thing("country", c.slug)
            self.common(s, _ICC.Country, c.slug)
            self.labels(s, _ICC.name, c.labels)
            self.add(s, _ICC.countryCode, Lit(c.slug.upper()))
            self.add(s, _SKOS.inScheme, scheme)
        self.describe_graph(self.g, [], "data/countries.yaml",
                            (c.updated for c in r.countries.values()))

        self.geonames()
        self.g = iris.graph("places")
        for pl in r.places.values():
            s = self.place(pl)
            self.common(s, _ICC.City if pl.type == "city" else _ICC.Place, pl.slug)
            self.labels(s, _ICC.name, pl.labels)
            self.alt(s, pl.alt_labels)
            self.add(s, _ICC.placeType, Lit(pl.type))
            self.add(s, _ICC.locatedIn, self.thing("country", pl.country))
            if pl.lat is not None and pl.long is not None and pl.slug not in self.located:
                self.coordinates(s, f"{pl.lat:.5f}", f"{pl.long:.5f}")
        self.describe_graph(self.g, [], "data/places.yaml", (p.updated for p in r.places.values()))

        self.g = iris.graph("organisations")
        for o in r.organisations.values():
            s = self.thing("org", o.slug)
            self.common(s, _ICC.Organisation, o.slug)
            self.labels(s, _ICC.name, o.labels)
            if o.acronym:
                self.add(s, _ICC.acronym, Lit(o.acronym))
            self.alt(s, o.alt_labels)
            if o.type:
                self.add(s, _ICC.organisationType, Lit(o.type))
            if o.country:
                self.add(s, _ICC.country, self.thing("country", o.country))
            if o.based_in:
                self.add(s, _ICC.basedIn, self.place(r.places[o.based_in]))
            if o.part_of:
                self.add(s, _ICC.partOf, self.thing("org", o.part_of))
            self.source(s, o.source)
        self.describe_graph(self.g, (o.source for o in r.organisations.values() if o.source),
                            "data/organisations.yaml",
                            (o.updated for o in r.organisations.values()))

        self.g = iris.graph("funding")
        for pg in r.programmes.values():
            s = self.thing("programme", pg.slug)
            self.common(s, _ICC.FundingProgramme, pg.slug)
            self.labels(s, _ICC.name, pg.labels)
            if pg.acronym:
                self.add(s, _ICC.acronym, Lit(pg.acronym))
            self.alt(s, pg.alt_labels)
            if pg.funder:
                self.add(s, _ICC.funder, self.thing("org", pg.funder))
            self.source(s, pg.source)
        for gr in r.grants.values():
            s = self.thing("grant", gr.slug)
            self.common(s, _ICC.Grant, gr.slug)
            self.add(s, _ICC.grantNumber, Lit(gr.number))
            self.labels(s, _ICC.name, {"en": f"grant n. {gr.number}",
                                      "fr": f"subvention n° {gr.number}"})
            if gr.programme:
                self.add(s, _ICC.programme, self.thing("programme", gr.programme))
            if gr.funder:
                self.add(s, _ICC.funder, self.thing("org", gr.funder))
            self.source(s, gr.source)
        funding: list[Programme | Grant] = [*r.programmes.values(), *r.grants.values()]
        self.describe_graph(self.g, [x.source for x in funding if x.source],
                            "data/programmes.yaml, data/grants.yaml", [x.updated for x in funding])

        self.g = iris.graph("projects")
        for pj in r.projects.values():
            s = self.thing("project", pj.slug)
            self.common(s, _ICC.Project, pj.slug)
            self.labels(s, _ICC.name, pj.labels)
            if pj.acronym:
                self.add(s, _ICC.acronym, Lit(pj.acronym))
            self.alt(s, pj.alt_labels)
            for gr_slug in pj.grants:
                self.add(s, _ICC.grant, self.thing("grant", gr_slug))
            for pg_slug in pj.programmes:
                self.add(s, _ICC.fundingProgramme, self.thing("programme", pg_slug))
            self.period(s, pj.period)
            self.source(s, pj.source)
            self.participations("project", pj.slug, pj.participants)
        self.describe_graph(self.g, (p.source for p in r.projects.values() if p.source),
                            "data/projects.yaml", (p.updated for p in r.projects.values()))

        for pr in r.practices.values():
            self.g = iris.graph(f"practice/{pr.slug}")
            s = self.thing("practice", pr.slug)
            self.common(s, _ICC.GoodPractice, pr.slug)
            self.labels(s, _ICC.title, pr.titles)
            countries = list(dict.fromkeys(
                [*pr.countries, *(r.places[p].country for p in pr.places)]))
            places = [self.place(r.places[p]) for p in pr.places]
            if not places:  # a practice of a whole country
                places = [self.thing("country", code) for code in countries]
            for place in places:
                self.add(s, _ICC.place, place)
            for code in countries:
                self.add(s, _ICC.country, self.thing("country", code))
            for topic in pr.topics:
                self.add(s, _ICC.topic, self.thing("topic", topic))
            self.period(s, pr.period)
            self.source(s, pr.source)
            host = urlsplit(pr.source).netloc
            if host and not host.endswith("coe.int"):
                self.add(s, _ICC.sourceNote, Lit(
                    f"The source is a copy outside coe.int ({host}): no Council of Europe page "
                    "of this practice was found.", "en"))
            for url in pr.also_seen_at:
                self.add(s, _RDFS.seeAlso, url)
            for pj_slug in pr.projects:
                self.add(s, _ICC.relatedProject, self.thing("project", pj_slug))
            for pg_slug in pr.programmes:
                self.add(s, _ICC.fundingProgramme, self.thing("programme", pg_slug))
            self.participations("practice", pr.slug, pr.participants)
            self.describe_graph(self.g, [pr.source], f"data/practices/{pr.slug}.yaml", [pr.updated])

        self.g = iris.graph("links/wikidata")
        subjects = {q[0] for q in self.quads}
        problems = []
        for link in self.links:
            if link.status not in PUBLISHED:
                continue
            subject = iris.rebase(link.subject_id)
            if str(subject) not in subjects:
                problems.append(Problem(
                    f"links to {link.object_id} a thing that is not in the data: {subject}",
                    "data/links/wikidata.sssom.tsv", link.line, "subject_id",
                    "correct the subject's IRI or mark the row rejected"))
                continue
            self.raw(subject, _OWL.sameAs, iris.wikidata(link.object_id))
        if problems:
            raise DataError(problems)
        self.describe_graph(self.g, [], "data/links/wikidata.sssom.tsv", [])
        self.wikidata_facts({iris.wikidata(lk.object_id) for lk in self.links
                             if lk.status in PUBLISHED})
        return self.quads

    def coordinates(self, s: str, lat: str, long: str) -> None:
        self.add(s, _GEO.lat, Lit(lat, None, DECIMAL))
        self.add(s, _GEO.long, Lit(long, None, DECIMAL))

    def geonames(self) -> None:
        """Coordinates and identifiers from the reviewed GeoNames table, in a graph of their
        own that names GeoNames as its source: each coordinate says where it comes from."""
        self.g = self.iris.graph("links/geonames")
        problems = []
        for lk in self.geolinks:
            if lk.status not in coordinates.PUBLISHED:
                continue
            place = self.r.places.get(lk.place)
            if place is None:
                problems.append(Problem(f"'{lk.place}' is not a place of data/places.yaml",
                                        "data/links/geonames.tsv", lk.line, "place",
                                        "correct the slug, or re-run icc-graph import geonames"))
                continue
            s = self.place(place)
            self.coordinates(s, lk.lat, lk.long)
            self.add(s, _ICC.geonamesId, Lit(lk.geonames_id))
            self.raw(s, _SKOS.exactMatch, self.iris.geonames(lk.geonames_id))
            for name in lk.other_names:  # "Genf", "Lisbonne": for search and reconciliation
                self.raw(s, _SKOS.altLabel, Lit(name))
        if problems:
            raise DataError(problems)
        self.describe_graph(self.g, [coordinates.SOURCE], "data/links/geonames.tsv", [])
        self.raw(self.g, _DCTERMS.license, coordinates.LICENCE, self.iris.graph("provenance"))

    def wikidata_facts(self, linked: set[str]) -> None:
        """Facts fetched from Wikidata, on the Wikidata items, in a graph of their own."""
        items = self.facts.get("items", {})
        if not items:
            return
        self.g = self.iris.graph("wikidata")
        wdt = "http://www.wikidata.org/prop/direct/"
        for qid, f in sorted(items.items()):
            item = self.iris.wikidata(qid)
            if item not in linked:
                continue
            if "coord" in f:
                self.raw(item, wdt + "P625", Lit(f["coord"], None, WKT))
            if "population" in f:
                self.raw(item, wdt + "P1082", Lit(str(f["population"]), None, DECIMAL))
            if "website" in f:
                self.raw(item, wdt + "P856", f["website"])
        self.describe_graph(self.g, ["https://www.wikidata.org/"],
                            "data/links/wikidata-facts.json", [self.facts.get("retrieved")])


def build_quads(records: Records, links: Iterable[Link], base: str, ontology: Graph,
                facts: dict[str, Any] | None = None, geolinks: Iterable[GeoLink] = ()
                ) -> list[Quad]:
    """Every quad of the release's data, de-duplicated and sorted (so dumps are deterministic):
    by graph, subject, predicate, then IRIs before literals, literals by language or datatype."""
    quads = _Builder(records, links, Iris(base), Entailment(ontology), facts, geolinks).build()
    quads += roles_scheme(ontology, Iris(base))

    def key(q: Quad) -> tuple[str, str, str, str]:
        o = q[2]
        if isinstance(o, Lit):
            return (q[0], q[1], f"L{o.lang or o.datatype or ''}", o.value)
        return (q[0], q[1], "U", o)

    # sorted graph by graph: shorter sorts, whose comparisons skip the graph (a third faster)
    by_graph: dict[str, list[Quad]] = {}
    for q in set(quads):
        by_graph.setdefault(q[3], []).append(q)
    return [q for g in sorted(by_graph) for q in sorted(by_graph[g], key=key)]


def roles_scheme(ontology: Graph, iris: Iris) -> list[Quad]:
    """The participation roles (a SKOS scheme of the vocabulary) as data, in a graph of their
    own: queries on the data dump alone can then show a role's label."""
    graph = str(iris.graph("roles"))
    terms = {ICC.Roles, *ontology.subjects(SKOS.inScheme, ICC.Roles)}
    return [(str(s), str(p), plain_term(o), graph) for s in sorted(terms, key=str)
            for p, o in ontology.predicate_objects(s)]


def plain_term(t: object) -> Term:
    """An rdflib term (an IRI or a literal) as the model's plain term."""
    if isinstance(t, Literal):
        return Lit(str(t), t.language, str(t.datatype) if t.datatype else None)
    return str(t)


def rdflib_term(t: Term) -> URIRef | Literal:
    if isinstance(t, Lit):
        return Literal(t.value, lang=t.lang, datatype=URIRef(t.datatype) if t.datatype else None)
    return URIRef(t)


def as_rdflib(quads: Iterable[Quad]) -> Iterator[RdflibQuad]:
    """The quads in rdflib's terms (for pySHACL and the modules that read rdflib terms)."""
    cache: dict[Term, URIRef | Literal] = {}

    def conv(t: Term) -> URIRef | Literal:
        found = cache.get(t)
        if found is None:
            found = cache[t] = rdflib_term(t)
        return found

    for s, p, o, g in quads:
        yield conv(s), conv(p), conv(o), conv(g)  # type: ignore[misc]


def shape_quads(quads: Iterable[Quad]) -> Iterator[Quad]:
    """The quads the shapes look at: all but the schema.org and rdfs:label triples that the build
    materialises (no shape looks at them, so the verdict is the same on half the triples)."""
    schema, label = str(SCHEMA), str(RDFS.label)
    return (q for q in quads if not (q[1] == label or q[1].startswith(schema)
                                     or q[1] == RDF_TYPE and isinstance(q[2], str)
                                     and q[2].startswith(schema)))


def as_graph(quads: Iterable[Quad], for_shapes: bool = False) -> Graph:
    """The union of the quads' graphs as one rdflib Graph (``for_shapes``: see shape_quads)."""
    g = Graph()
    g.addN((s, p, o, g) for s, p, o, _ in as_rdflib(shape_quads(quads) if for_shapes else quads))
    return g
