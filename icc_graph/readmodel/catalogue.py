"""The read model's catalogue tables: what the practices list, its facets and figures, the home
page and the collaborations page read. Computed once from the model's quads, in Python, by the
same rules the server's SPARQL queries stated (docs/read-model.md names them; the tests check
both give the same answers on the fixture release).

Tables (all prefixed ``cat_``):

- ``cat_practice``: one row per practice, numbered ``n`` from 0 in IRI order, with its titles
  (JSON, language -> title), period and its rank in each sort order of the list.
- ``cat_value``: every value each facet offers, numbered per facet, with its key in URLs (and
  quoted for a query string); the
  known things of a facet's kinds are values even with no practice (a valid, empty filter).
- ``cat_member``: (facet, value, practice) for every facet but the year, which the server
  derives from the period (an ongoing practice counts up to the year it is served in).
- ``cat_label``: the name of every named thing, per language.
- ``cat_place``: coordinates of places (and the country each is in), for maps.
- ``cat_count``: the home page's numbers.
- ``cat_share``, ``cat_thing_topic``, ``cat_city_country``: the collaboration edges (two cities
  and a thing they share), the topics of each shared thing, a city's country for the filter.
"""

from __future__ import annotations

import gc
import json
import sqlite3
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote_plus

from ..model import Lit, Quad
from ..namespaces import ICC_IRI
from . import Source

FACETS = ("topic", "country", "year", "city", "organisation", "project", "programme")
# the kinds of things each facet's values are (the year facet's values are years)
FACET_KINDS = {"topic": ("topic",), "country": ("country",), "city": ("city", "place"),
               "organisation": ("org",), "project": ("project",), "programme": ("programme",)}
# the home page's numbers: (class, key of its words)
COUNTED = (("GoodPractice", "good_practices"), ("City", "cities"), ("Country", "countries"),
           ("Organisation", "organisations"), ("Project", "projects"))
LANGUAGES = ("en", "fr")  # the interface's languages: the list is sorted by title in each
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
NS = ICC_IRI
# the collaboration rule of docs/model.md as SPARQL, (thing shared, city): a practice's cities
# and the cities that took part in it, and a project's participating cities. A practice
# documented under a project does not make its city a participant of that project. ``shares``
# computes the same in Python; a test holds the two together.
SHARED = f"""PREFIX icc: <{NS}> SELECT DISTINCT ?thing ?city WHERE {{
  {{ ?thing a icc:GoodPractice ; icc:place ?city }}
  UNION {{ ?a icc:participationIn ?thing ; icc:agent ?city }}
  ?city a icc:City }}"""

# the predicates read here (the others are not indexed)
USED = frozenset([TYPE, GEO + "lat", GEO + "long", *(NS + name for name in (
    "slug", "title", "ongoing", "periodText", "startYear", "endYear", "topic", "country", "place",
    "relatedProject", "fundingProgramme", "grant", "programme", "participationIn", "agent",
    "name", "locatedIn"))])

SCHEMA = """
CREATE TABLE cat_practice (n INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE, slug TEXT NOT NULL,
  titles TEXT NOT NULL, start INTEGER, "end" INTEGER, ongoing INTEGER NOT NULL, period TEXT,
  rank_year INTEGER NOT NULL, rank_year_desc INTEGER NOT NULL, rank_title_en INTEGER NOT NULL,
  rank_title_fr INTEGER NOT NULL);
CREATE TABLE cat_value (facet TEXT NOT NULL, n INTEGER NOT NULL, iri TEXT NOT NULL,
  key TEXT NOT NULL, quoted TEXT NOT NULL, PRIMARY KEY (facet, n)) WITHOUT ROWID;
CREATE TABLE cat_member (facet TEXT NOT NULL, value INTEGER NOT NULL, practice INTEGER NOT NULL,
  PRIMARY KEY (facet, value, practice)) WITHOUT ROWID;
CREATE TABLE cat_label (iri TEXT NOT NULL, lang TEXT NOT NULL, label TEXT NOT NULL,
  PRIMARY KEY (iri, lang)) WITHOUT ROWID;
CREATE TABLE cat_place (iri TEXT PRIMARY KEY, lat REAL NOT NULL, long REAL NOT NULL,
  country TEXT) WITHOUT ROWID;
CREATE TABLE cat_count (n INTEGER PRIMARY KEY, key TEXT NOT NULL, count INTEGER NOT NULL);
CREATE TABLE cat_share (a TEXT NOT NULL, b TEXT NOT NULL, thing TEXT NOT NULL,
  PRIMARY KEY (a, b, thing)) WITHOUT ROWID;
CREATE TABLE cat_thing_topic (thing TEXT NOT NULL, topic TEXT NOT NULL,
  PRIMARY KEY (thing, topic)) WITHOUT ROWID;
CREATE TABLE cat_city_country (city TEXT PRIMARY KEY, country TEXT NOT NULL) WITHOUT ROWID;
"""


class Graph:
    """The quads' triples (named graphs merged, as the store's union default graph), indexed
    by predicate. A triple stated in two graphs is listed twice (looking for repeats cost half
    the index's time): the readers that take objects as a set or the first of them see no
    difference, and those that keep the last of several take ``distinct`` objects, the order
    of their first statements, as the union default graph gives them."""

    def __init__(self, quads: Iterable[Quad]):
        self.by_p: dict[str, dict[str, list[str | Lit]]] = {p: defaultdict(list) for p in USED}
        by_p = self.by_p
        for s, p, o, _g in quads:
            found = by_p.get(p)
            if found is not None:
                found[s].append(o)
        self.types: dict[str, set[str]] = defaultdict(set)
        for s, objects in self.by_p[TYPE].items():
            for o in objects:
                self.types[str(o)].add(s)

    def objects(self, p: str, s: str) -> list[str | Lit]:
        found = self.by_p.get(p)
        return found.get(s, []) if found else []

    def pairs(self, p: str) -> Iterable[tuple[str, str | Lit]]:
        for s, objects in self.by_p.get(p, {}).items():
            for o in objects:
                yield s, o

    def a(self, cls: str) -> set[str]:
        return self.types.get(NS + cls, set())


def distinct(objects: Iterable[str | Lit]) -> list[str | Lit]:
    """The objects once each, in the order they were first stated."""
    return list(dict.fromkeys(objects))


def _text(o: str | Lit) -> str:
    return o.value if isinstance(o, Lit) else o


def _int(values: list[str | Lit]) -> int | None:
    for v in values:
        try:
            return int(_text(v))
        except ValueError:
            continue
    return None


def facet_values(g: Graph, practices: set[str]) -> dict[str, dict[str, set[str]]]:
    """facet -> practice -> the IRIs of its values (every facet but the year)."""
    countries = g.a("Country")
    organisations = g.a("Organisation")
    out: dict[str, dict[str, set[str]]] = {f: defaultdict(set) for f in FACETS if f != "year"}
    topic, country, place, related, funding, grant, programme, agent = (
        g.by_p[NS + name].get for name in ("topic", "country", "place", "relatedProject",
                                          "fundingProgramme", "grant", "programme", "agent"))
    none: list[str | Lit] = []
    topics, in_countries, cities, in_projects, in_programmes = (
        out[f] for f in ("topic", "country", "city", "project", "programme"))
    for p in practices:
        topics[p].update(map(str, topic(p, none)))
        in_countries[p].update(map(str, country(p, none)))
        cities[p].update(str(v) for v in place(p, none) if v not in countries)
        projects = [str(v) for v in related(p, none)]
        in_projects[p].update(projects)
        programmes = {str(v) for v in funding(p, none)}
        for project in projects:
            programmes.update(map(str, funding(project, none)))
            for each in grant(project, none):
                programmes.update(map(str, programme(str(each), none)))
        in_programmes[p].update(programmes)
    for x, target in g.pairs(NS + "participationIn"):
        if target in practices:
            out["organisation"][str(target)].update(
                str(v) for v in agent(x, none) if v in organisations)
    return out


def labels(g: Graph) -> dict[str, dict[str, str]]:
    """iri -> language -> name (a name without a language counts as English)."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for x, names in g.by_p.get(NS + "name", {}).items():
        for name in distinct(names):  # of two names in one language, the last stated wins
            if isinstance(name, Lit):
                out[x][name.lang or "en"] = name.value
    return out


def shares(g: Graph) -> set[tuple[str, str]]:
    """(thing shared, city) by the collaboration rule (see ``SHARED``)."""
    cities = g.a("City")
    out = {(p, str(c)) for p in g.a("GoodPractice") for c in g.objects(NS + "place", p)
           if c in cities}
    for x, thing in g.pairs(NS + "participationIn"):
        out.update((str(thing), str(c)) for c in g.objects(NS + "agent", x) if c in cities)
    return out


def _title(titles: dict[str, str], lang: str) -> str:
    return titles.get(lang) or titles.get("en") or next(iter(titles.values()))


def write(con: sqlite3.Connection, source: Source, graph: Graph | None = None) -> None:
    """Write the catalogue's tables. The cyclic garbage collector is paused meanwhile: the
    index holds half a million tuples at 10 000 practices, and each of its passes would walk
    them all (it took two thirds of the time), while nothing made here forms a cycle.
    ``graph``: the quads indexed (``Graph(source.quads)``) by a caller that made it before."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        _write(con, source, graph if graph is not None else Graph(source.quads))
    finally:
        if enabled:
            gc.enable()


def _write(con: sqlite3.Connection, source: Source, g: Graph) -> None:
    for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                "name LIKE 'cat^_%' ESCAPE '^'").fetchall():
        con.execute(f"DROP TABLE {table}")  # a rebuild's copy: written anew (small tables)
    con.executescript(SCHEMA)
    practices: dict[str, dict[str, object]] = {}
    for p in sorted(g.a("GoodPractice")):
        slug, titles = g.objects(NS + "slug", p), distinct(g.objects(NS + "title", p))
        if not slug or not titles:
            continue  # the list shows practices with a slug and a title
        ongoing = any(_text(v) == "true" for v in g.objects(NS + "ongoing", p))
        period = g.objects(NS + "periodText", p)
        practices[p] = {
            "slug": _text(slug[0]), "start": _int(g.objects(NS + "startYear", p)),
            "end": _int(g.objects(NS + "endYear", p)), "ongoing": ongoing,
            "period": _text(period[0]) if period else None,
            "titles": {(t.lang or "en") if isinstance(t, Lit) else "en": _text(t)
                       for t in titles}}
    order = list(practices)
    number = {p: n for n, p in enumerate(order)}

    def rank(key: Callable[[str], Any]) -> dict[str, int]:
        return {p: r for r, p in enumerate(sorted(order, key=key))}

    def start(p: str, missing: int) -> int:
        s = practices[p]["start"]
        return s if isinstance(s, int) else missing

    by_year = rank(lambda p: (start(p, 10_000), practices[p]["slug"]))
    by_year_desc = rank(lambda p: (-start(p, -1), practices[p]["slug"]))
    def titled(lang: str) -> dict[str, int]:
        return rank(lambda p: (_title(practices[p]["titles"], lang).casefold(),  # type: ignore[arg-type]
                               practices[p]["slug"]))

    by_title = {lang: titled(lang) for lang in LANGUAGES}
    con.executemany("INSERT INTO cat_practice VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", [
        (number[p], p, d["slug"], json.dumps(d["titles"], ensure_ascii=False, sort_keys=True),
         d["start"], d["end"], int(bool(d["ongoing"])), d["period"], by_year[p],
         by_year_desc[p], by_title["en"][p], by_title["fr"][p]) for p, d in practices.items()])

    names = labels(g)
    named = sorted(names)
    members = facet_values(g, set(practices))
    for facet, found in members.items():
        values = sorted({v for vs in found.values() for v in vs})
        keys = {v.rsplit("/", 1)[-1]: v for v in values}
        for kind in FACET_KINDS[facet]:  # a known value with no practice is a filter too
            prefix = f"{source.base}id/{kind}/"
            for iri in named[bisect_left(named, prefix):]:
                if not iri.startswith(prefix):
                    break  # sorted: the IRIs under the prefix are together
                if iri.rsplit("/", 1)[-1] not in keys:
                    keys[iri.rsplit("/", 1)[-1]] = iri
                    values.append(iri)
        index = {v: n for n, v in enumerate(values)}
        con.executemany("INSERT INTO cat_value VALUES (?,?,?,?,?)",
                        [(facet, n, v, v.rsplit("/", 1)[-1], quote_plus(v.rsplit("/", 1)[-1]))
                         for v, n in index.items()])
        con.executemany("INSERT INTO cat_member VALUES (?,?,?)",
                        sorted((facet, index[v], number[p]) for p, vs in found.items()
                               for v in vs))
    con.executemany("INSERT INTO cat_label VALUES (?,?,?)",
                    [(x, lang, text) for x, by_lang in names.items()
                     for lang, text in by_lang.items()])

    places = []
    for place, stated in g.by_p.get(GEO + "lat", {}).items():
        lats, longs = distinct(stated), distinct(g.objects(GEO + "long", place))
        country = distinct(g.objects(NS + "locatedIn", place))
        try:
            places.append((place, float(_text(lats[-1])), float(_text(longs[-1])),
                           str(country[-1]) if country else None))
        except (IndexError, ValueError):
            continue  # a coordinate that is not a number is not drawn
    con.executemany("INSERT INTO cat_place VALUES (?,?,?,?)", places)
    con.executemany("INSERT INTO cat_count VALUES (?,?,?)",
                    [(n, key, len(g.a(cls))) for n, (cls, key) in enumerate(COUNTED)])
    _collaborations(con, g, members)


def _collaborations(con: sqlite3.Connection, g: Graph,
                    members: dict[str, dict[str, set[str]]]) -> None:
    cities: dict[str, set[str]] = defaultdict(set)
    for thing, city in shares(g):
        cities[thing].add(city)
    con.executemany("INSERT INTO cat_share VALUES (?,?,?)",
                    [(a, b, thing) for thing, found in cities.items()
                     for a in found for b in found if a < b])
    topics = {(str(s), str(o).rsplit("/", 1)[-1]) for s, o in g.pairs(NS + "topic")}
    for p, projects in g.by_p.get(NS + "relatedProject", {}).items():
        for t in g.objects(NS + "topic", p):
            topics.update((str(project), str(t).rsplit("/", 1)[-1]) for project in projects)
    con.executemany("INSERT INTO cat_thing_topic VALUES (?,?)", sorted(topics))
    country_of: dict[str, str] = {}
    for p in sorted(members["country"]):  # a city's country: that of its single-country practices
        found = members["country"][p]
        if len(found) == 1:
            for city in sorted(members["city"].get(p, ())):
                country_of.setdefault(city, next(iter(found)))
    con.executemany("INSERT INTO cat_city_country VALUES (?,?)", sorted(country_of.items()))
