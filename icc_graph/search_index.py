"""The search and reconciliation index of a release: an SQLite file with FTS5 over every name.

It is built from the release's graph (whatever the data holds): every entity of the kinds people
look up (practices, cities and other places, countries, organisations, projects, programmes,
topics) with its names in every language, alternate names, acronyms and exonyms, folded for
accents and case, its identifiers (IRI, short id, slug, Wikidata QID, country code), and the
property values that reconciliation filters on and data extension returns. The server only
reads it (:mod:`icc_graph.lookup`).
"""

from __future__ import annotations

import hashlib
import json
import pickle
import sqlite3
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rdflib import OWL, RDF, RDFS, SKOS, URIRef
from rdflib.namespace import DCTERMS, FOAF

from .cache_files import keep
from .model import Lit, Term
from .namespaces import ICC, ICC_IRI, SCHEMA, WD

INDEX_FILE = "search.sqlite"
ROWS_FILE = "search-rows.pickle"  # in --out/.cache: see RowCache
RDF_TYPE, SAME_AS, LABEL, WD_IRI = str(RDF.type), str(OWL.sameAs), str(RDFS.label), str(WD)
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
GN = "http://www.geonames.org/ontology#"

# entity kinds, most specific class first; the short id of an entity is "{kind}/{slug}"
KINDS: tuple[tuple[URIRef, str], ...] = (
    (ICC.GoodPractice, "practice"), (ICC.City, "city"), (ICC.Country, "country"),
    (ICC.Organisation, "org"), (ICC.Project, "project"), (ICC.FundingProgramme, "programme"),
    (ICC.Topic, "topic"), (ICC.Place, "place"))
CLASS_NAMES = {ICC.GoodPractice: "Good practice", ICC.City: "City", ICC.Place: "Place",
               ICC.Country: "Country", ICC.Organisation: "Organisation", ICC.Project: "Project",
               ICC.FundingProgramme: "Funding programme", ICC.Topic: "Topic"}
NAME, ALT, ACRONYM = "name", "alt", "acronym"
NAME_PREDICATES = {
    ICC_IRI + "name": NAME, ICC_IRI + "title": NAME, LABEL: NAME, str(SKOS.prefLabel): NAME,
    str(SCHEMA.name): NAME, str(DCTERMS.title): NAME, str(FOAF.name): NAME, GN + "name": NAME,
    GN + "officialName": NAME, ICC_IRI + "altName": ALT, str(SKOS.altLabel): ALT,
    str(SKOS.hiddenLabel): ALT, str(SCHEMA.alternateName): ALT, GN + "alternateName": ALT,
    ICC_IRI + "acronym": ACRONYM, GN + "shortName": ACRONYM}
RANK = {NAME: 0, ALT: 1, ACRONYM: 2}
_KINDS = tuple((str(cls), kind) for cls, kind in KINDS)
# property id -> predicates whose object is another entity
LINKS = {pid: ICC_IRI + pid for pid in ("country", "locatedIn", "basedIn", "place", "topic",
                                        "partOf", "relatedProject", "fundingProgramme")}
NUMBERS = {"startYear": (ICC_IRI + "startYear",), "endYear": (ICC_IRI + "endYear",),
           "latitude": (GEO + "lat", str(SCHEMA.latitude)),
           "longitude": (GEO + "long", str(SCHEMA.longitude))}
# every predicate the index reads (the graph keeps only these)
USED = frozenset({RDF_TYPE, ICC_IRI + "slug", SAME_AS, ICC_IRI + "ongoing", ICC_IRI + "agent",
                  ICC_IRI + "participationIn", ICC_IRI + "countryCode", *NAME_PREDICATES,
                  *LINKS.values(), *(p for ps in NUMBERS.values() for p in ps)})
_SPECIAL = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "æ": "ae", "œ": "oe", "ı": "i",
                          "ð": "d", "þ": "th", "ħ": "h", "’": "'"})


def _text(o: Term) -> str:
    return o.value if isinstance(o, Lit) else o


def fold(text: str) -> str:
    """Case, accents and punctuation folded away: "Saint-Étienne" -> "saint etienne"."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("'", "")
    return " ".join("".join(c if c.isalnum() else " " for c in text).split())


class _Graph:
    """The triples of a release (the model's plain terms), by subject, with the kinds of the
    entities to index. ``reads``, when a set, collects every subject whose triples were read
    (an entity's row depends on those only: see ``RowCache``)."""

    def __init__(self, triples: Iterable[tuple[str, str, Term]]):
        # duplicates are harmless: names and values are made unique where they are used
        self.out: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        for s, p, o in triples:
            if p in USED:  # the others are never read
                self.out[s][p].append(o)
        self.kind: dict[str, str] = {}
        self.slug: dict[str, str] = {}
        self._labels: dict[str, str] = {}
        self._countries: dict[str, tuple[list[str], frozenset[str]]] = {}
        self.reads: set[str] | None = None
        type_p, slug_p = RDF_TYPE, ICC_IRI + "slug"
        for s, props in self.out.items():
            types = {_text(t) for t in props.get(type_p, ())}
            slug = next((_text(v) for v in props.get(slug_p, ())), None)
            for cls, kind in _KINDS:
                if cls in types and slug:
                    self.kind[s], self.slug[s] = kind, slug
                    break

    def read(self, s: str) -> dict[str, list[Term]]:
        """The triples of ``s`` by predicate (its kind and slug are read from them)."""
        if self.reads is not None:
            self.reads.add(s)
        return self.out.get(s, {})

    def is_entity(self, s: str) -> bool:
        self.read(s)
        return s in self.kind

    def kind_of(self, s: str) -> str | None:
        self.read(s)
        return self.kind.get(s)

    def objects(self, s: str, *predicates: str) -> list[Term]:
        out = self.read(s)
        return [o for p in predicates for o in out.get(p, ())]

    def label(self, s: str) -> str:
        self.read(s)
        if s not in self._labels:
            names = [o for o in self.objects(s, ICC_IRI + "name", ICC_IRI + "title", LABEL)
                     if isinstance(o, Lit)]
            english = sorted(o.value for o in names if o.lang == "en")
            self._labels[s] = (english or sorted(o.value for o in names)
                               or [self.slug.get(s, s)])[0]
        return self._labels[s]

    def short(self, s: str) -> str:
        self.read(s)
        return f"{self.kind[s]}/{self.slug[s]}"

    def country(self, s: str, depth: int = 0) -> list[str]:
        """The countries of an entity: its own, or those of its places and base."""
        if depth:
            return self._country(s, depth)
        if s not in self._countries:  # kept with the subjects it read, read again on reuse
            outer, self.reads = self.reads, set()
            try:
                self._countries[s] = (self._country(s, 0), frozenset(self.reads))
            finally:
                self.reads = outer
        found, reads = self._countries[s]
        if self.reads is not None:
            self.reads |= reads
        return found

    def _country(self, s: str, depth: int) -> list[str]:
        if self.kind_of(s) == "country":
            return [s]
        direct = sorted({o for o in self.objects(s, ICC_IRI + "country", ICC_IRI + "locatedIn")
                         if isinstance(o, str) and self.kind_of(o) == "country"})
        if direct or depth > 2:
            return direct
        via = [o for o in self.objects(s, ICC_IRI + "place", ICC_IRI + "basedIn",
                                       ICC_IRI + "locatedIn", ICC_IRI + "partOf")
               if isinstance(o, str)]
        return sorted({c for v in via for c in self.country(v, depth + 1)})


def _entity_value(g: _Graph, iri: str) -> dict[str, str]:
    if g.is_entity(iri):
        return {"id": g.short(iri), "name": g.label(iri)}
    if iri.startswith(WD_IRI):
        return {"id": iri.removeprefix(WD_IRI), "name": iri.removeprefix(WD_IRI),
                "wikidata": "1"}
    return {"str": iri}


def _properties(g: _Graph, s: str, partners: dict[str, set[str]]) -> dict[str, list[Any]]:
    props: dict[str, list[Any]] = {}
    for pid, predicate in LINKS.items():
        values = g.country(s) if pid == "country" else [
            o for o in g.objects(s, predicate) if isinstance(o, str)]
        if values:
            props[pid] = [_entity_value(g, v) for v in sorted(set(values))]
    same = sorted(o for o in g.objects(s, SAME_AS) if isinstance(o, str))
    if same:
        props["sameAs"] = [_entity_value(g, v) for v in same]
    for pid, number_preds in NUMBERS.items():
        numbers = sorted({float(o.value) for o in g.objects(s, *number_preds)
                          if isinstance(o, Lit) and _is_number(o.value)})
        if numbers:
            props[pid] = numbers
    if any(_text(o).lower() == "true" for o in g.objects(s, ICC_IRI + "ongoing")):
        props["ongoing"] = [True]
    if partners.get(s):
        props["partners"] = [_entity_value(g, v) for v in sorted(partners[s])]
    return props


def _is_number(text: str) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def _partners(g: _Graph) -> dict[str, set[str]]:
    """Who took part in a practice or project, and with whom each agent took part."""
    members: dict[str, set[str]] = defaultdict(set)
    for s in g.out:
        for target in g.objects(s, ICC_IRI + "participationIn"):
            for agent in g.objects(s, ICC_IRI + "agent"):
                if isinstance(agent, str) and isinstance(target, str) and agent in g.kind \
                        and target in g.kind:
                    members[target].add(agent)
    partners: dict[str, set[str]] = defaultdict(set)
    for target, agents in members.items():
        partners[target] |= agents
        for a in agents:
            partners[a] |= agents - {a}
    return partners


def _description(g: _Graph, s: str, props: dict[str, list[Any]]) -> str:
    kind = next(CLASS_NAMES[c] for c, k in KINDS if k == g.kind_of(s))
    where = [v["name"] for pid in ("place", "basedIn", "locatedIn", "country")
             for v in props.get(pid, []) if "name" in v and v["id"] != g.short(s)][:2]
    years = "–".join(dict.fromkeys(str(int(props[p][0])) for p in ("startYear", "endYear")
                                   if p in props)) + ("–" if "ongoing" in props else "")
    return ", ".join([kind, *dict.fromkeys(where), *([years] if years else [])])


SCHEMA_SQL = """
CREATE TABLE entity (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, iri TEXT NOT NULL,
    kind TEXT NOT NULL, types TEXT NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL,
    props TEXT NOT NULL);
CREATE TABLE name (rowid INTEGER PRIMARY KEY, entity INTEGER NOT NULL REFERENCES entity,
    text TEXT NOT NULL, folded TEXT NOT NULL, lang TEXT NOT NULL, source TEXT NOT NULL);
CREATE INDEX name_folded ON name (folded);
CREATE INDEX name_entity ON name (entity);
CREATE TABLE key (key TEXT NOT NULL, entity INTEGER NOT NULL REFERENCES entity, source TEXT);
CREATE INDEX key_key ON key (key);
CREATE VIRTUAL TABLE name_words USING fts5(folded, content='name', content_rowid='rowid',
    tokenize="unicode61 remove_diacritics 2");
CREATE VIRTUAL TABLE name_grams USING fts5(folded, content='name', content_rowid='rowid',
    tokenize='trigram');
CREATE VIRTUAL TABLE name_grams_vocab USING fts5vocab(name_grams, 'row');
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


Entry = tuple[str, str, str, str, str, str, str, list[tuple[str, str, str, str]],
              list[tuple[str, str]]]  # an entity's rows: entity (no rowid), names, keys


def _entry(g: _Graph, s: str, partners: dict[str, set[str]]) -> Entry:
    props = _properties(g, s, partners)
    has = {_text(t) for t in g.objects(s, RDF_TYPE)}
    types = [{"id": str(c), "name": CLASS_NAMES[c]} for c, _ in KINDS if str(c) in has]
    names: dict[tuple[str, str], str] = {}
    for p, values in g.read(s).items():
        source = NAME_PREDICATES.get(p, "")
        for o in values if source else ():
            if isinstance(o, Lit) and o.value.strip():
                key = (o.value.strip(), o.lang or "")
                if key not in names or RANK[source] < RANK[names[key]]:
                    names[key] = source
    name_rows = [(text, folded, lang, source) for (text, lang), source in sorted(names.items())
                 if (folded := fold(text))]
    keys = {(s, "iri"), (g.short(s), "id"), (g.slug[s].casefold(), "slug")}
    keys |= {(_text(o).removeprefix(WD_IRI).casefold(), "wikidata")
             for o in g.objects(s, SAME_AS) if _text(o).startswith(WD_IRI)}
    keys |= {(_text(o), "sameAs") for o in g.objects(s, SAME_AS)}
    keys |= {(_text(o).casefold(), "code") for o in g.objects(s, ICC_IRI + "countryCode")}
    return (g.short(s), s, g.kind[s], json.dumps(types), g.label(s),
            _description(g, s, props), json.dumps(props, ensure_ascii=False), name_rows,
            sorted(keys))


class RowCache:
    """Each entity's rows kept between builds (``ROWS_FILE`` in ``--out/.cache``), with the
    subjects whose triples they were made from: an entity is made again only when the triples
    of one of those subjects, or its partners, changed. The index is written whole from the
    rows either way, so it is the same file as one written from scratch. The cache is salted
    with this module's code and the base IRI; a broken or foreign one is ignored."""

    def __init__(self, path: Path | None, base: str):
        self.path = path
        self.salt = hashlib.sha256(Path(__file__).read_bytes() + base.encode()).hexdigest()
        self.old: dict[str, tuple[tuple[str, ...], str, Entry]] = {}
        self.new: dict[str, tuple[tuple[str, ...], str, Entry]] = {}
        if path is not None and path.is_file():
            try:
                with path.open("rb") as f:
                    salt, rows = pickle.load(f)  # noqa: S301 - our own file under --out
                if salt == self.salt:
                    self.old = rows
            except Exception:  # a broken cache only costs making every row
                self.old = {}

    def rows(self, g: _Graph, partners: dict[str, set[str]]) -> list[Entry]:
        digests: dict[str, bytes] = {}

        def digest(reads: Iterable[str], s: str) -> str:
            h = hashlib.sha256(repr(sorted(partners.get(s, ()))).encode())
            for x in reads:
                if x not in digests:
                    digests[x] = hashlib.sha256(f"{x}\n{g.out.get(x)!r}".encode(
                        "utf-8", "surrogatepass")).digest()
                h.update(digests[x])
            return h.hexdigest()

        out = []
        for s in sorted(g.kind, key=g.short):
            kept = self.old.get(s)
            if kept is not None and digest(kept[0], s) == kept[1]:
                self.new[s] = kept
                out.append(kept[2])
                continue
            g.reads = set()
            try:
                entry = _entry(g, s, partners)
                reads = tuple(sorted(g.reads))
            finally:
                g.reads = None
            self.new[s] = (reads, digest(reads, s), entry)
            out.append(entry)
        return out

    def save(self) -> None:
        """Keep this build's rows only (written atomically; errors are not fatal)."""
        if self.path is None:
            return
        keep(self.path, lambda f: pickle.dump((self.salt, self.new), f,
                                              protocol=pickle.HIGHEST_PROTOCOL))


def write_index(path: Path, triples: Iterable[tuple[str, str, Term]], base: str,
                version: str = "", cache: Path | None = None) -> int:
    """Write the index of ``triples`` (the model's plain terms: IRIs as ``str``, literals as
    ``Lit``) to ``path`` (replaced); returns the number of entities. ``cache``: the file of a
    ``RowCache``, read and written again."""
    g = _Graph(triples)
    kept = RowCache(cache, base)
    entries = kept.rows(g, _partners(g))
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA journal_mode = OFF")  # a new file, replaced whole on failure
        db.execute("PRAGMA synchronous = OFF")
        db.executescript(SCHEMA_SQL)
        db.executemany("INSERT INTO entity VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       ((row, *e[:7]) for row, e in enumerate(entries, start=1)))
        db.executemany("INSERT INTO name (entity, text, folded, lang, source) "
                       "VALUES (?, ?, ?, ?, ?)",
                       ((row, *n) for row, e in enumerate(entries, start=1) for n in e[7]))
        db.executemany("INSERT INTO key VALUES (?, ?, ?)",
                       ((k, row, src) for row, e in enumerate(entries, start=1)
                        for k, src in e[8]))
        db.execute("INSERT INTO name_words(name_words) VALUES ('rebuild')")
        db.execute("INSERT INTO name_grams(name_grams) VALUES ('rebuild')")
        db.executemany("INSERT INTO meta VALUES (?, ?)",
                       [("base", base), ("version", version)])
        db.commit()
        db.execute("VACUUM")
    finally:
        db.close()
    kept.save()
    return len(entries)
