"""One reconciliation query: candidates from the index, filtered or lowered by type, re-scored by
the properties given (country, locatedIn, basedIn, place, topic, a Wikidata QID, years,
partners), and ``match`` set only when the top candidate is certain."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .lookup import EXACT_STRIPPED, FUZZY, KIND_ORDER, Candidate, Entity, SearchIndex
from .search_index import fold

# what a client may call a property (folded: last part of an IRI or CURIE, lower case, letters
# and digits only) -> the property of the index
PROPERTIES = {
    "country": "country", "locatedin": "locatedIn", "basedin": "basedIn", "place": "place",
    "spatialcoverage": "place", "location": "basedIn", "topic": "topic", "about": "topic",
    "sameas": "sameAs", "wikidata": "sameAs", "qid": "sameAs", "wikidataid": "sameAs",
    "year": "years", "years": "years", "startyear": "years", "endyear": "years",
    "period": "years", "partners": "partners", "partner": "partners", "partof": "partOf",
}
DEFAULT_LIMIT, MAX_LIMIT = 10, 100
MIN_SCORE = 20  # candidates scored lower are not worth a person's look
WD = "http://www.wikidata.org/entity/"


def property_of(pid: str) -> str | None:
    key = re.sub(r"[^0-9a-z]", "", re.split(r"[#/:]", pid.strip())[-1].casefold())
    return PROPERTIES.get(key)


@dataclass(frozen=True)
class Query:
    text: str
    classes: frozenset[str] = frozenset()
    strict: bool = False  # type_strict "any"/"all": other types are dropped, not lowered
    all_types: bool = False  # type_strict "all": a candidate must have every type given
    limit: int = DEFAULT_LIMIT
    properties: tuple[tuple[str, tuple[Any, ...]], ...] = ()


@dataclass
class Terms:
    """Folded names and identifiers of property values, looked up once per batch."""

    index: SearchIndex
    memo: dict[str, set[str]] = field(default_factory=dict)

    def of(self, ident: str) -> set[str]:
        if ident not in self.memo:
            terms = {ident.casefold(), ident.rsplit("/", 1)[-1].casefold()}
            entity = self.index.entity(ident)
            if entity is not None:
                terms |= {fold(text) for text, _, _ in self.index.names(entity.row)}
                terms.add(entity.iri)
                for same in entity.props.get("sameAs", []):
                    terms.add(str(same.get("id", "")).casefold())
            self.memo[ident] = terms
        return self.memo[ident]


def _wanted(value: Any, base: str) -> set[str]:
    if isinstance(value, dict):
        out = {str(value.get("id", "")).strip()}
        if value.get("name"):
            out.add(str(value["name"]))
    else:
        out = {str(value).strip()}
    terms = set()
    for v in out - {""}:
        v = v.removeprefix(base + "id/").removeprefix(WD).removeprefix("wd:")
        terms |= {v.casefold(), fold(v)}
    return terms


def _years(values: Sequence[Any]) -> tuple[int, int] | None:
    found = [int(y) for v in values for y in re.findall(r"\d{4}", str(
        v.get("id", v.get("name", "")) if isinstance(v, dict) else v))]
    return (min(found), max(found)) if found else None


def _check(entity: Entity, prop: str, values: Sequence[Any], terms: Terms) -> bool | None:
    """True when the entity has one of ``values`` for ``prop``, False when it has others,
    None when it has none (nothing to compare)."""
    if prop == "years":
        asked = _years(values)
        start = entity.props.get("startYear") or entity.props.get("endYear")
        end = [9999] if entity.props.get("ongoing") else entity.props.get("endYear") or start
        if asked is None or not start or not end:
            return None
        return asked[0] <= int(end[0]) and int(start[0]) <= asked[1]
    have = entity.props.get(prop)
    if not have:
        return None
    wanted = set().union(*(_wanted(v, terms.index.base) for v in values))
    return any(wanted & terms.of(str(h.get("id", h.get("str", "")))) for h in have)


def reconcile(index: SearchIndex, query: Query, terms: Terms | None = None) -> list[Candidate]:
    terms = terms or Terms(index)
    out = []
    for c in index.candidates(query.text):
        if query.classes:
            ok = (all(c.entity.has_type({t}) for t in query.classes) if query.all_types
                  else c.entity.has_type(set(query.classes)))
            if not ok and query.strict:
                continue
            c.features["type_match"] = ok
            if not ok:
                c.score *= 0.5
        for pid, values in query.properties:
            prop = property_of(pid)
            if prop is None:
                continue
            verdict = _check(c.entity, prop, values, terms)
            if verdict is not None:
                c.features[f"property_{prop}"] = verdict
                c.score = c.score + (100 - c.score) * 0.25 if verdict else c.score * 0.6
        c.score = round(c.score, 2)
        if c.score >= MIN_SCORE:
            out.append(c)
    # among equals: confirmed by properties, more exact, the literal name over a "City of X"
    # form, then places before organisations and the rest
    out.sort(key=lambda c: (-c.score, -_confirmed(c), -c.level,
                            bool(c.features.get("place_words_ignored")),
                            KIND_ORDER.index(c.entity.kind), c.entity.id))
    if out:
        out[0].match = _certain(out[0], out[1:])
    return out[:query.limit]


def _confirmed(c: Candidate) -> int:
    return sum(v is True for k, v in c.features.items() if k.startswith("property_"))


def _eligible(c: Candidate) -> bool:
    return (c.features.get("type_match", True) is True
            and not any(v is False for k, v in c.features.items() if k.startswith("property_")))


def _certain(top: Candidate, others: list[Candidate]) -> bool:
    if not _eligible(top):
        return False
    if top.features.get("name_place_words_only"):
        return False
    if top.level >= EXACT_STRIPPED:
        return not any(_eligible(o) and o.level >= top.level and _confirmed(o) >= _confirmed(top)
                       for o in others)
    # another spelling: certain only when a property confirms it and nothing comes close
    close = [o for o in others if o.score > top.score - 15]
    return (top.level == FUZZY and _confirmed(top) > 0 and not close
            and float(top.features.get("name_similarity", 0)) >= 0.9)
