"""Looking names up in a release's search index: candidates, scores, and when a match is certain.

A query is folded like the index (case, accents, punctuation) and also tried without the words
that make "City of X", "Ville de X" or "X Municipality" of a place name. Candidates come from
the word index, the trigram index (other spellings) and the identifiers; each is scored against
all of its names. A candidate is a certain ``match`` only when a name (or identifier) equals the
query exactly after folding, its type and the given properties do not contradict it, and no
other candidate is as exact.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from .search_index import ALT, CLASS_NAMES, INDEX_FILE, KINDS, NAME, fold

# words around a place's name in "City of X", "Ville de X", "Comune di X", "X Kommune" (not
# "X Council": a council is an organisation, not its city)
PLACE_WORDS = ("city", "town", "municipality", "borough", "county", "ville", "commune",
               "cite", "stadt", "gemeinde", "gemeente", "comune", "citta", "ciudad", "cidade",
               "municipio", "ayuntamiento", "ajuntament", "concello", "kommune", "kommun",
               "miasto", "grad", "mesto", "opstina")
_PLACE = "|".join(PLACE_WORDS)
_LEADING = re.compile(rf"^(?:the |la |le |de |die |het )?(?:{_PLACE})"
                      r"(?: (?:of|de|di|du|da|do|del|della|des|van|der|la|le|of the))? (.+)$")
_TRAILING = re.compile(rf"^(.+?) (?:{_PLACE})$")
WEIGHT = {NAME: 1.0, ALT: 0.99}
IDENTIFIER, EXACT, EXACT_STRIPPED, FUZZY = 3, 2, 1, 0
PLACE_KINDS = ("city", "place")
MIN_SIMILARITY = 0.3  # names less alike than this make no candidate
# which kind comes first among equally good candidates
KIND_ORDER = ("city", "place", "country", "org", "project", "programme", "topic", "practice")


@dataclass(frozen=True)
class Entity:
    row: int
    id: str
    iri: str
    kind: str
    types: list[dict[str, str]]
    name: str
    description: str
    props: dict[str, list[Any]]

    def has_type(self, classes: set[str]) -> bool:
        return any(t["id"] in classes for t in self.types)


@dataclass
class Candidate:
    entity: Entity
    score: float
    level: int
    matched_name: str
    features: dict[str, bool | float] = field(default_factory=dict)
    match: bool = False


def strip_place_words(folded: str) -> str:
    """ "city of geneva" -> "geneva"; the text itself when there is nothing to strip."""
    for pattern in (_LEADING, _TRAILING):
        m = pattern.match(folded)
        if m:
            return m.group(1)
    return folded


def class_of(name: str) -> str | None:
    """A type as a client writes it (IRI, icc:City, City, city) -> the class IRI, or None."""
    key = re.split(r"[#/:]", name.strip())[-1].casefold().replace(" ", "")
    for cls, label in CLASS_NAMES.items():
        kind = next(k for c, k in KINDS if c == cls)
        if key in (str(cls).rsplit("#", 1)[-1].casefold(), label.casefold().replace(" ", ""),
                   kind):
            return str(cls)
    return None


def _ratio(a: str, b: str, floor: float) -> float:
    """difflib's ratio, skipped (0) when its cheap upper bounds cannot beat ``floor``."""
    m = SequenceMatcher(None, a, b, autojunk=False)
    if m.real_quick_ratio() <= floor or m.quick_ratio() <= floor:
        return 0.0
    return m.ratio()


def similarity(query: str, name: str, floor: float = 0.0) -> float:
    """1.0 for equal folded texts; else the best of the character ratio, the ratio of the sorted
    words, and a share for a query whose every word is in the name (0 when not above floor)."""
    if query == name:
        return 1.0
    words, name_words = set(query.split()), set(name.split())
    best = 0.0
    if words and words <= name_words:  # every word of the query is in the name
        best = min(0.55 + 0.4 * len(query) / max(len(name), 1), 0.95)
    best = max(best, _ratio(query, name, max(best, floor)))
    ordered = (" ".join(sorted(words)), " ".join(sorted(name_words)))
    if ordered != (query, name):
        best = max(best, _ratio(*ordered, max(best, floor)))
    return best


class SearchIndex:
    """A read-only view of ``search.sqlite``; one connection per thread."""

    def __init__(self, path: Path):
        if not path.exists():
            raise FileNotFoundError(path)
        self.path = path
        self._local = threading.local()
        self.base = dict(self._db.execute("SELECT key, value FROM meta"))["base"]

    @classmethod
    def of_release(cls, release: Path) -> SearchIndex | None:
        path = release / INDEX_FILE
        return cls(path) if path.exists() else None

    @property
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._local.db = db
        return db

    # -- entities
    def _entities(self, where: str, args: tuple[Any, ...]) -> list[Entity]:
        rows = self._db.execute(
            "SELECT rowid, id, iri, kind, types, name, description, props FROM entity "
            f"WHERE {where}", args).fetchall()
        return [Entity(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], json.loads(r[7]))
                for r in rows]

    def entity(self, ident: str) -> Entity | None:
        """An entity by short id ("city/barcelona"), IRI, or another identifier key."""
        found = self._entities("id = ? OR iri = ?", (ident, ident))
        if not found:
            rows = self._keys(ident)
            found = self._entities("rowid = ?", (rows[0],)) if len(rows) == 1 else []
        return found[0] if found else None

    def names(self, row: int) -> list[tuple[str, str, str]]:
        """(text, language, source) of every name of an entity."""
        return self._db.execute("SELECT text, lang, source FROM name WHERE entity = ? "
                                "ORDER BY source DESC, lang, text", (row,)).fetchall()

    def _keys(self, text: str) -> list[int]:
        text = text.strip()
        if text.startswith(self.base + "id/"):
            text = text.removeprefix(self.base + "id/")
        keys = {text, text.casefold()}
        marks = ",".join("?" * len(keys))
        return sorted({r[0] for r in self._db.execute(
            f"SELECT entity FROM key WHERE key IN ({marks}) AND source != 'slug'", tuple(keys))})

    def _slugs(self, text: str) -> set[int]:
        return {r[0] for r in self._db.execute(
            "SELECT entity FROM key WHERE key = ? AND source = 'slug'", (text.strip().casefold(),))}

    # -- candidates
    def _fts(self, table: str, match: str, limit: int) -> set[int]:
        return {r[0] for r in self._db.execute(
            f"SELECT n.entity FROM {table} f JOIN name n ON n.rowid = f.rowid "
            f"WHERE {table} MATCH ? ORDER BY rank LIMIT ?", (match, limit))}

    def _retrieve(self, variants: list[str], limit: int = 60) -> set[int]:
        """Entities worth scoring: equal folded names and names with all the words; when no name
        is equal and those are few, names sharing the query's rarest trigrams (other
        spellings)."""
        marks = ",".join("?" * len(variants))
        rows = {r[0] for r in self._db.execute(
            f"SELECT entity FROM name WHERE folded IN ({marks})", tuple(variants))}
        exact = bool(rows)
        for v in variants:
            words = v.split()
            if words:
                rows |= self._fts("name_words", " ".join(f'"{w}"' for w in words) + "*", limit)
        if exact or len(rows) >= limit // 2:
            return rows
        for v in variants:
            grams = sorted({v[i:i + 3] for i in range(len(v) - 2)})
            if grams:
                marks = ",".join("?" * len(grams))
                rare = [r[0] for r in self._db.execute(
                    f"SELECT term FROM name_grams_vocab WHERE term IN ({marks}) "
                    "ORDER BY doc LIMIT 12", tuple(grams))]
                if rare:
                    rows |= self._fts("name_grams", " OR ".join(f'"{g}"' for g in rare), limit)
        return rows

    def candidates(self, query: str) -> list[Candidate]:
        """Every plausible candidate for ``query``, scored on names alone (0-100)."""
        folded = fold(query)
        stripped = strip_place_words(folded)
        variants = [folded] + ([stripped] if stripped != folded else [])
        if not folded:
            return []
        by_key = set(self._keys(query))
        by_slug = self._slugs(query)
        rows = self._retrieve(variants) | by_key | by_slug
        if not rows:
            return []
        marks = ",".join("?" * len(rows))
        names: dict[int, list[tuple[str, str, str]]] = {}
        for entity, text, folded_name, source in self._db.execute(
                f"SELECT entity, text, folded, source FROM name WHERE entity IN ({marks})",
                tuple(rows)):
            names.setdefault(entity, []).append((text, folded_name, source))
        out = []
        for e in self._entities(f"rowid IN ({marks})", tuple(rows)):
            best = Candidate(e, 0.0, FUZZY, e.name)
            if e.row in by_key:
                best = Candidate(e, 100.0, IDENTIFIER, e.name, {"identifier": True})
            elif e.row in by_slug:
                best = Candidate(e, 100.0, EXACT, e.name, {"identifier": True})
            for text, name, source in names.get(e.row, []):
                weight = WEIGHT.get(source, 0.97)
                pairs = [(folded, name, EXACT, 1.0, False)]
                bare = strip_place_words(name)
                if (stripped, bare) != (folded, name):
                    # "City of X" is a name of the place X; other stripped pairs are less sure
                    form = stripped != folded and bare == name and e.kind in PLACE_KINDS
                    pairs.append((stripped, bare, EXACT if form else EXACT_STRIPPED,
                                  1.0 if form else 0.98, True))
                for q, n, exact_level, penalty, ignored in pairs:
                    sim = similarity(q, n, max(best.score / 100, MIN_SIMILARITY))
                    score = 100 * sim * weight * penalty
                    level = exact_level if sim == 1.0 else FUZZY
                    if (level, score) > (best.level, best.score):
                        best = Candidate(e, score, level, text, {
                            "place_words_ignored": ignored,
                            # only the name had place words: "Auckland" -> "Auckland Council"
                            "name_place_words_only": ignored and stripped == folded})
            if best.score > 0:
                best.features.update({"name_similarity": round(best.score / 100, 4),
                                      "exact_name": best.level >= EXACT_STRIPPED})
                out.append(best)
        return out

    # -- suggest
    def suggest(self, prefix: str, classes: set[str] | None = None, cursor: int = 0,
                limit: int = 10) -> list[Entity]:
        words = fold(prefix).split()
        if not words:
            return []
        text = " ".join(f'"{w}"' for w in words) + "*"
        kinds = sorted(classes or ())
        only = (" AND EXISTS (SELECT 1 FROM json_each(e.types) t WHERE json_extract(t.value, "
                f"'$.id') IN ({','.join('?' * len(kinds))}))") if kinds else ""
        order = [r[0] for r in self._db.execute(
            "SELECT n.entity, min(rank) AS r FROM name_words w JOIN name n ON n.rowid = w.rowid "
            f"JOIN entity e ON e.rowid = n.entity WHERE name_words MATCH ?{only} "
            "GROUP BY n.entity ORDER BY r, n.entity LIMIT ? OFFSET ?",
            (text, *kinds, limit, cursor))]
        entities = {e.row: e for e in self._entities(
            f"rowid IN ({','.join('?' * len(order))})", tuple(order))} if order else {}
        return [entities[r] for r in order]
