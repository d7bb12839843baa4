"""The browsable catalogue: every practice with its facet values, read from the store once per
release (a handful of SPARQL queries) and filtered and counted in memory."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from dataclasses import dataclass, field

from icc_graph.store import Backend, Query

FACETS = ("topic", "country", "year", "city", "organisation", "project", "programme")
FACET_LABELS = {"topic": "Topic", "country": "Country", "year": "Year", "city": "City",
                "organisation": "Organisation", "project": "Project",
                "programme": "Funding programme"}
# the value a facet offers for the practices that record none ("no topic recorded"): a user
# filtering by topic sees what the filter cannot see
NOT_RECORDED = "none"
NOT_RECORDED_LABELS = {"topic": "no topic recorded", "year": "no year recorded"}
P = "PREFIX icc: <https://w3id.org/icc-graph/def/icc#> "
# one query per facet: (practice, value)
FACET_QUERIES = {
    "topic": "SELECT ?p ?v WHERE { ?p a icc:GoodPractice ; icc:topic ?v }",
    "country": "SELECT ?p ?v WHERE { ?p a icc:GoodPractice ; icc:country ?v }",
    "city": "SELECT ?p ?v WHERE { ?p a icc:GoodPractice ; icc:place ?v . "
            "FILTER NOT EXISTS { ?v a icc:Country } }",
    "organisation": "SELECT ?p ?v WHERE { ?p a icc:GoodPractice . ?x icc:participationIn ?p ; "
                    "icc:agent ?v . ?v a icc:Organisation }",
    "project": "SELECT ?p ?v WHERE { ?p a icc:GoodPractice ; icc:relatedProject ?v }",
    "programme": "SELECT ?p ?v WHERE { ?p a icc:GoodPractice . "
                 "{ ?p icc:fundingProgramme ?v } UNION "
                 "{ ?p icc:relatedProject/icc:fundingProgramme ?v } UNION "
                 "{ ?p icc:relatedProject/icc:grant/icc:programme ?v } }",
}
PRACTICES = ("SELECT ?p ?slug ?title ?start ?end ?ongoing ?period WHERE { ?p a icc:GoodPractice ; "
             "icc:slug ?slug ; icc:title ?title . OPTIONAL { ?p icc:startYear ?start } "
             "OPTIONAL { ?p icc:endYear ?end } OPTIONAL { ?p icc:ongoing ?ongoing } "
             "OPTIONAL { ?p icc:periodText ?period } }")
LABELS = "SELECT ?x ?label WHERE { ?x icc:name ?label }"


@dataclass
class Practice:
    iri: str
    slug: str
    titles: dict[str, str] = field(default_factory=dict)
    start: int | None = None
    end: int | None = None
    ongoing: bool = False
    period: str | None = None
    facets: dict[str, set[str]] = field(default_factory=dict)

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles.get("en") or next(iter(self.titles.values()))


def years(start: int | None, end: int | None, ongoing: bool, this_year: int) -> set[str]:
    """Every year of a period: an ongoing practice counts up to this year."""
    if start is None:
        return set()
    last = end if end is not None else (this_year if ongoing else start)
    return {str(y) for y in range(start, max(start, last) + 1)}


class Catalogue:
    def __init__(self, practices: dict[str, Practice], labels: dict[str, dict[str, str]]):
        self.practices = practices
        self.labels = labels

    @classmethod
    def load(cls, backend: Backend, timeout: float, this_year: int | None = None) -> Catalogue:
        this_year = this_year or dt.date.today().year

        def rows(q: str) -> list[tuple[object, ...]]:
            return list(backend.query(Query(P + q, max_rows=10_000_000), timeout * 6).rows)

        practices: dict[str, Practice] = {}
        for p, slug, title, start, end, ongoing, period in rows(PRACTICES):
            iri = p[1]  # type: ignore[index]
            item = practices.setdefault(iri, Practice(iri, slug[1]))  # type: ignore[index]
            item.titles[title[3] or "en"] = title[1]  # type: ignore[index]
            item.start = int(start[1]) if start else None  # type: ignore[index]
            item.end = int(end[1]) if end else None  # type: ignore[index]
            item.ongoing = bool(ongoing and ongoing[1] == "true")  # type: ignore[index]
            item.period = period[1] if period else None  # type: ignore[index]
        for item in practices.values():
            item.facets = {f: set() for f in FACETS}
            item.facets["year"] = years(item.start, item.end, item.ongoing, this_year)
        for facet, q in FACET_QUERIES.items():
            for p, v in rows(q):
                if p[1] in practices:  # type: ignore[index]
                    practices[p[1]].facets[facet].add(v[1])  # type: ignore[index]
        labels: dict[str, dict[str, str]] = {}
        for x, label in rows(LABELS):
            labels.setdefault(x[1], {})[label[3] or "en"] = label[1]  # type: ignore[index]
        return cls(practices, labels)

    def label(self, iri: str, lang: str) -> str:
        names = self.labels.get(iri)
        if not names:
            return iri.rsplit("/", 1)[-1]
        return names.get(lang) or names.get("en") or next(iter(names.values()))

    def select(self, chosen: dict[str, set[str]], q: str = "",
               skip: str | None = None) -> list[Practice]:
        """Practices matching every facet (any of the values chosen in one facet) and the text."""
        words = q.casefold().split()
        out = []
        for p in self.practices.values():
            if any(values and not (p.facets[f] & values)
                   and not (NOT_RECORDED in values and f in NOT_RECORDED_LABELS
                            and not p.facets[f])
                   for f, values in chosen.items() if f != skip):
                continue
            if words and not all(any(w in t.casefold() for t in p.titles.values())
                                 for w in words):
                continue
            out.append(p)
        return out

    def counts(self, facet: str, chosen: dict[str, set[str]], q: str = "") -> Counter[str]:
        """How many practices each value of a facet has under the other chosen filters."""
        c: Counter[str] = Counter()
        for p in self.select(chosen, q, skip=facet):
            c.update(p.facets[facet])
            if facet in NOT_RECORDED_LABELS and not p.facets[facet]:
                c[NOT_RECORDED] += 1
        return c


_lock = threading.Lock()


def catalogue_of(backend: Backend, timeout: float, memo: dict[str, object]) -> Catalogue:
    """The catalogue of the app's release, loaded on first use."""
    with _lock:
        cached = memo.get("catalogue")
        if not isinstance(cached, Catalogue):
            cached = memo["catalogue"] = Catalogue.load(backend, timeout)
    return cached
