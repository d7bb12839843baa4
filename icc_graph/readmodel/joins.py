"""The related sections' patterns (``related.RELATED``) evaluated for every thing at once over
the release's triples in memory: each function gives the (?this, ?x, ?note) bindings its
pattern has in the store's union default graph.

SPARQL over the whole store was measured first: with ``<THIS>`` a variable, Oxigraph took
2-75 s a pattern at 10 000 practices (the OPTIONAL names are joined row by row, and every
pattern reads the union of thousands of named graphs), minutes in all. These joins take well
under a second together. ``tests/test_read_model_documents.py`` holds each equal to its
pattern asked per page through the backend.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

from ..model import Lit, Quad
from ..namespaces import ICC_IRI
from ..store import Term, Triple

Binding = tuple[Term, Term, Term | None]  # ?this, ?x, ?note


def _iri(local: str) -> Term:
    return ("uri", f"{ICC_IRI}{local}")


TYPE = ("uri", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL = ("uri", "http://www.w3.org/2000/01/rdf-schema#label")
PLACE, AGENT, IN, ROLE = _iri("place"), _iri("agent"), _iri("participationIn"), _iri("role")
RELATED_PROJECT, GRANT, PROGRAMME = _iri("relatedProject"), _iri("grant"), _iri("programme")
FUNDING, BASED, LOCATED = _iri("fundingProgramme"), _iri("basedIn"), _iri("locatedIn")
COUNTRY, TOPIC, NAME, TITLE = _iri("country"), _iri("topic"), _iri("name"), _iri("title")
PRACTICE, CITY, ORG, PROJECT = (_iri("GoodPractice"), _iri("City"), _iri("Organisation"),
                                _iri("Project"))


# the properties the joins read (the others are not indexed), and those they follow backwards
USED = frozenset({TYPE, LABEL, PLACE, AGENT, IN, ROLE, RELATED_PROJECT, GRANT, PROGRAMME,
                  FUNDING, BASED, LOCATED, COUNTRY, TOPIC, NAME, TITLE})
# followed backwards too: from each ?this asked, in a rebuild (``Graph.these``)
BACKWARDS = frozenset({IN, PLACE, AGENT, RELATED_PROJECT, PROGRAMME, FUNDING, LOCATED, COUNTRY,
                       TOPIC, GRANT})


XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def plain(o: str | Lit) -> Term:
    """A term of the model's quads as a plain term, spelt as the embedded store spells it
    (typed values aside: the store keeps them in their canonical form)."""
    if isinstance(o, str):
        return ("uri", o)
    return ("literal", o.value, o.datatype or (LANG_STRING if o.lang else XSD_STRING), o.lang)


def used_triples(quads: Iterable[Quad], extra: Iterable[Triple] = ()) -> set[Triple]:
    """The distinct triples of the properties the joins read, as plain terms: of the model's
    quads, and of ``extra`` (the store's other graphs, already plain). No typed value is
    among them."""
    used = {str(p[1]) for p in USED}
    terms: dict[str | Lit, Term] = {}
    out: set[Triple] = set()
    for s, p, o, _ in quads:
        if p in used:
            for t in (s, p, o):
                if t not in terms:
                    terms[t] = plain(t)
            out.add((terms[s], terms[p], terms[o]))
    out.update(t for t in extra if t[1] in USED)
    return out


class Graph:
    """The triples of the properties the joins read, indexed by property: subject -> objects
    (and object -> subjects for those followed backwards)."""

    def __init__(self, triples: Iterable[Triple]):
        self.keep: Callable[[Term], bool] = lambda this: True  # the ?this a join is asked for
        # the ?this asked, when they are a few: the joins start from them (None: from every
        # triple)
        self.these: list[Term] | None = None
        self.out: dict[Term, dict[Term, list[Term]]] = {p: defaultdict(list) for p in USED}
        self.into: dict[Term, dict[Term, list[Term]]] = {p: defaultdict(list) for p in BACKWARDS}
        self.types: set[tuple[Term, Term]] = set()
        out, into = self.out, self.into
        for s, p, o in triples:
            found = out.get(p)
            if found is None:
                continue
            found[s].append(o)
            if p in into:
                into[p][o].append(s)
            if p == TYPE:
                self.types.add((s, o))

    def pairs(self, p: Term) -> Iterator[tuple[Term, Term]]:
        for s, objects in self.out.get(p, {}).items():
            for o in objects:
                yield s, o

    def pairs_to(self, p: Term) -> Iterator[tuple[Term, Term]]:
        """``pairs``, or only those whose object is one of ``these``."""
        if self.these is None:
            yield from self.pairs(p)
            return
        back = self.into[p]
        for this in self.these:
            for s in back.get(this, ()):
                yield s, this

    def pairs_from(self, p: Term) -> Iterator[tuple[Term, Term]]:
        """``pairs``, or only those whose subject is one of ``these``."""
        if self.these is None:
            yield from self.pairs(p)
            return
        out = self.out.get(p, {})
        for this in self.these:
            for o in out.get(this, ()):
                yield this, o

    def objects(self, s: Term, p: Term) -> list[Term]:
        return self.out.get(p, {}).get(s, [])

    def subjects(self, p: Term, o: Term) -> list[Term]:
        return self.into[p].get(o, [])  # a KeyError: add ``p`` to BACKWARDS

    def is_a(self, x: Term, cls: Term) -> bool:
        return (x, cls) in self.types

    def names(self) -> dict[Term, list[Term]]:
        """Each thing's ``icc:name|icc:title`` literals (with their language)."""
        found: dict[Term, list[Term]] = defaultdict(list)
        for p in (NAME, TITLE):
            for s, o in self.pairs(p):
                if o[0] == "literal" and len(o) > 3 and o[3]:
                    found[s].append(o)
        return found

    def english(self, r: Term) -> list[Term]:
        """``?r rdfs:label ?note FILTER(lang(?note) = 'en')``."""
        return [n for n in self.objects(r, LABEL) if n[0] == "literal" and len(n) > 3
                and n[3] == "en"]


Join = Callable[[Graph], Iterable[Binding]]  # may skip the ?this that ``Graph.keep`` refuses


def _agents(g: Graph) -> Iterator[tuple[Term, Term, Term]]:
    """``?a icc:agent ?this ; icc:participationIn ?y``: (this, a, y), for the ?this asked."""
    for a, this in g.pairs_to(AGENT):
        if g.keep(this):
            for y in g.objects(a, IN):
                yield this, a, y


def city_practices(g: Graph) -> Iterator[Binding]:
    for x, this in g.pairs_to(PLACE):
        if g.is_a(x, PRACTICE):
            yield this, x, None


def city_partners(g: Graph) -> Iterator[Binding]:
    for p, this in g.pairs_to(PLACE):
        for part in g.subjects(IN, p):
            for x in g.objects(part, AGENT):
                if g.is_a(x, ORG):
                    yield this, x, None


def city_collaborations(g: Graph) -> Iterator[Binding]:
    found: set[tuple[Term, Term]] = set()
    located = g.out.get(PLACE, {})
    practices = located if g.these is None else {p for p, _ in g.pairs_to(PLACE)}
    for p in practices:
        places = located[p]
        these = [this for this in places if g.keep(this)]
        if these and g.is_a(p, PRACTICE):
            found.update((this, x) for this in these for x in places)  # a shared practice
            for b in g.subjects(IN, p):  # taking part in the other's practice
                found.update((this, x) for this in these for x in g.objects(b, AGENT))
    for this, _, y in _agents(g):
        for b in g.subjects(IN, y):  # the same project (or practice) as participants
            found.update((this, x) for x in g.objects(b, AGENT))
        if g.is_a(y, PRACTICE):
            found.update((this, x) for x in g.objects(y, PLACE))
    for this, x in found:
        if x != this and g.is_a(x, CITY):
            yield this, x, None


def agent_projects(g: Graph) -> Iterator[Binding]:
    for this, _, x in _agents(g):
        if g.is_a(x, PROJECT):
            yield this, x, None


def city_documented_under(g: Graph) -> Iterator[Binding]:
    for p, this in g.pairs_to(PLACE):
        for x in g.objects(p, RELATED_PROJECT):
            yield this, x, None


def org_practices(g: Graph) -> Iterator[Binding]:
    for this, _, x in _agents(g):
        if g.is_a(x, PRACTICE):
            yield this, x, None


def org_projects(g: Graph) -> Iterator[Binding]:
    for this, a, x in _agents(g):
        if g.is_a(x, PROJECT):
            for r in g.objects(a, ROLE):
                for note in g.english(r):
                    yield this, x, note


def org_cities(g: Graph) -> Iterator[Binding]:
    for this, _, p in _agents(g):
        for x in g.objects(p, PLACE):
            if g.is_a(x, CITY):
                yield this, x, None


def grant_of(g: Graph) -> Iterator[Binding]:
    for this, x in g.pairs_from(GRANT):
        yield this, x, None


def programme_of(g: Graph) -> Iterator[Binding]:
    for this, x in g.pairs_from(FUNDING):
        yield this, x, None
    for this, grant in g.pairs_from(GRANT):
        for x in g.objects(grant, PROGRAMME):
            yield this, x, None


def who_took_part(g: Graph) -> Iterator[Binding]:
    for a, this in g.pairs_to(IN):
        roles = [n for r in g.objects(a, ROLE) for n in g.english(r)]
        for x in g.objects(a, AGENT):
            for note in roles:
                yield this, x, note


def cities_taking_part(g: Graph) -> Iterator[Binding]:
    for a, this in g.pairs_to(IN):
        for x in g.objects(a, AGENT):
            if g.is_a(x, CITY):
                yield this, x, None


def cities_of_participants(g: Graph) -> Iterator[Binding]:
    for a, this in g.pairs_to(IN):
        for o in g.objects(a, AGENT):
            for x in g.objects(o, BASED):
                yield this, x, None


def documented_under_it(g: Graph) -> Iterator[Binding]:
    for x, this in g.pairs_to(RELATED_PROJECT):
        yield this, x, None


def programme_grants(g: Graph) -> Iterator[Binding]:
    for x, this in g.pairs_to(PROGRAMME):
        yield this, x, None


def programme_projects(g: Graph) -> Iterator[Binding]:
    for x, this in g.pairs_to(FUNDING):
        yield this, x, None
    for grant, this in g.pairs_to(PROGRAMME):
        for x in g.subjects(GRANT, grant):
            yield this, x, None


def programme_practices(g: Graph) -> Iterator[Binding]:
    for x, this in g.pairs_to(FUNDING):
        if g.is_a(x, PRACTICE):
            yield this, x, None
        for practice in g.subjects(RELATED_PROJECT, x):  # x a project it funds
            if g.is_a(practice, PRACTICE):
                yield this, practice, None
    for grant, this in g.pairs_to(PROGRAMME):
        for pj in g.subjects(GRANT, grant):
            for x in g.subjects(RELATED_PROJECT, pj):
                if g.is_a(x, PRACTICE):
                    yield this, x, None


def grant_projects(g: Graph) -> Iterator[Binding]:
    for x, this in g.pairs_to(GRANT):
        yield this, x, None


def grant_practices(g: Graph) -> Iterator[Binding]:
    for pj, this in g.pairs_to(GRANT):
        for x in g.subjects(RELATED_PROJECT, pj):
            yield this, x, None


def country_cities(g: Graph) -> Iterator[Binding]:
    for x, this in g.pairs_to(LOCATED):
        yield this, x, None


def country_practices(g: Graph) -> Iterator[Binding]:
    for x, this in g.pairs_to(COUNTRY):
        if g.is_a(x, PRACTICE):
            yield this, x, None


def topic_practices(g: Graph) -> Iterator[Binding]:
    for x, this in g.pairs_to(TOPIC):
        yield this, x, None


def practice_projects(g: Graph) -> Iterator[Binding]:
    for this, x in g.pairs_from(RELATED_PROJECT):
        yield this, x, None
