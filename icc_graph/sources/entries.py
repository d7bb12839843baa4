"""Catalogue entries: which ones are news rather than practices, and which ones are copies of one
practice. Both decisions are made on evidence found in the entries themselves (the page's
address, the period slot, the title's grammar, the place, the page a copy points to), and every
decision carries that evidence, so the import report can show it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..names import guess_language, normalise, slugify

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|"
    "décembre|decembre"
)
# "9 May 2017": the day a page was published; "8-11 September 2016": an event's days
_ONE_DAY = re.compile(rf"^\s*\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\s+\d{{4}}\s*$", re.I)
_DAYS = re.compile(rf"^\s*\d{{1,2}}\s*[-–]\s*\d{{1,2}}\s+(?:{_MONTHS})\s+\d{{4}}\s*$", re.I)
# a headline in the perfect tense ("has just been signed", "has unveiled") reports an event
_PERFECT = re.compile(r"\b(?:has|have)\s+(?:just\s+|recently\s+)?(?:been\s+)?[a-z]+(?:ed|en|wn)\b",
                      re.I)
_ANNOUNCES = re.compile(r"\bannounce(?:s|d|ment)?\b", re.I)
# "Launch of the guide", "Signing of the memorandum": the title names an event, not an activity
_EVENT = re.compile(r"^(?:launch|signing|signature|inauguration|opening|presentation|"
                    r"celebration) of\b", re.I)
_NEWS_PATH = re.compile(r"/(?:newsroom|news|events?)(?:/|$)", re.I)


def news_evidence(row: dict[str, Any], note_words: list[str]) -> list[str]:
    """Why one copy reads as news, an announcement or an event report (empty: a practice)."""
    found = []
    years = (row.get("years") or "").strip()
    if _ONE_DAY.match(years):
        found.append(f"its date '{years}' is a publication date, not a period")
    elif _DAYS.match(years):
        found.append(f"its dates '{years}' are the days of an event")
    title = row.get("title") or ""
    if _PERFECT.search(title):
        found.append("its title reports an event in the perfect tense")
    elif _ANNOUNCES.search(title):
        found.append("its title is an announcement")
    elif _EVENT.search(title.strip(" “\"'")):
        found.append("its title names an event")
    if _NEWS_PATH.search(urlsplit(row.get("source_url") or "").path):
        found.append("published in the news section of the site")
    note = (row.get("note") or "").lower()
    found += [f"the catalogue note says '{w}'" for w in note_words if w in note]
    return found


@dataclass
class Entry:
    """One catalogue line with the places and countries its names were matched to."""

    file: str
    line: int
    row: dict[str, Any]
    places: frozenset[str]
    countries: frozenset[str]
    title_key: str
    aliases: tuple[str, ...] = ()
    page: str | None = None
    curated: bool = False  # the title key comes from the curation's same_practice list
    seen_pages: tuple[str, ...] = ()  # detail pages of its `also_seen_in`

    @property
    def label(self) -> str:
        return f"{self.file}:{self.line} '{self.row['title']}'"


@dataclass
class Groups:
    entries: list[Entry]
    parent: list[int] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.parent = list(range(len(self.entries)))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int, why: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        self.parent[rb] = ra
        ea, eb = self.entries[a], self.entries[b]
        self.evidence.append(f"{eb.label} is a copy of {ea.label}: {why}")

    def members(self, n: int) -> list[Entry]:
        root = self.find(n)
        return [e for m, e in enumerate(self.entries) if self.find(m) == root]

    def groups(self) -> list[list[Entry]]:
        out: dict[int, list[Entry]] = {}
        for n, e in enumerate(self.entries):
            out.setdefault(self.find(n), []).append(e)
        return list(out.values())


def _english(e: Entry) -> bool:
    return guess_language(e.row["title"], e.row.get("lang") or "en") == "en" \
        or bool(e.row.get("title_en_from_slug"))


def _where(e: Entry) -> list[str]:
    return [f"place:{p}" for p in sorted(e.places)] or [f"country:{c}" for c in sorted(e.countries)]


def group_entries(entries: list[Entry]) -> Groups:
    """Copies of one practice: the same detail page; the same title (in any language the
    curation or the page's address gives) in the same place; a copy that says whose duplicate it
    is; a copy whose only project is another copy's practice in the same place. A copy without a
    city joins the one practice of its title in its country."""
    g = Groups(entries)
    first: dict[str, int] = {}

    def key(n: int, k: str, why: str) -> None:
        if k in first:
            g.union(first[k], n, why)
        else:
            first[k] = n

    for n, e in enumerate(entries):
        if e.page:
            key(n, f"page:{e.page}", f"the same page (/-/{e.page})")
        for page in e.seen_pages:
            key(n, f"page:{page}", f"it was also seen on that copy's page (/-/{page})")
        for t in (e.title_key, *e.aliases):
            for w in _where(e):
                how = "one practice's titles by data/curation (same_practice)" if e.curated \
                    else "the same title"
                key(n, f"title:{t}@{w}", f"{how} in the same {w.split(':')[0]} "
                    f"({w.split(':')[1]})")
    for n, e in enumerate(entries):
        dup = e.row.get("probable_duplicate_of")
        if dup:
            target = next((m for m, o in enumerate(entries)
                           if m != n and dup in (o.page, slugify(o.row["title"]))
                           and (o.places & e.places or not e.places)), None)
            if target is not None:
                g.union(target, n, f"the catalogue marks it a probable duplicate of '{dup}', "
                        "and both are in the same place")
        projects = e.row.get("projects") or []
        if len(projects) == 1 and not any(_english(o) for o in g.members(n)):
            # a copy in another language, written up as its one project: "Une approche
            # interculturelle globale dans les écoles", project "Ongi etorri eskolara!"
            for w in _where(e):
                m = first.get(f"title:{normalise(projects[0])}@{w}")
                if m is not None and g.find(m) != g.find(n):
                    g.union(m, n, f"it has no English title and its one project "
                            f"'{projects[0]}' is that practice, in the same {w.split(':')[0]}")
    for n, e in enumerate(entries):
        if e.places:
            continue
        candidates = {g.find(m) for m, o in enumerate(entries)
                      if o.places and o.title_key == e.title_key and o.countries & e.countries}
        if len(candidates) == 1:
            g.union(candidates.pop(), n, "the same title in the same country, and this copy "
                    "names no city")
    return g
