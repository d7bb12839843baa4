"""Finding Wikidata items for the places, countries, organisations and projects of the data, on
evidence, and fetching the facts the build publishes beside them.

Plain SPARQL 1.1 only (no label service, no mwapi), so any endpoint holding Wikidata-shaped data
(rdfs:label, skos:altLabel, wdt:P31/P279/P17/P625/P1082/P856/P3400) can stand in for Wikidata.
Few queries: names go in VALUES blocks of up to BATCH things. The network is touched only here.
"""

from __future__ import annotations

import json
import math
import re
import time
import urllib.error
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from SPARQLWrapper import JSON, POST, SPARQLWrapper

from .. import __version__, yamlio
from ..coordinates import GEONAMES_FILE, GeoLink, read_geolinks
from ..coordinates import PUBLISHED as GEO_PUBLISHED
from ..errors import UsageError
from ..links import FACTS_FILE, LINKS_FILE, Link, merge, read_links, write_links
from ..loader import read_records
from ..model import Iris
from ..records import Records

WDQS = "https://query.wikidata.org/sparql"
USER_AGENT = (f"icc-graph/{__version__} (linked-data publisher of the Council of Europe "
              "Intercultural Cities good practices; https://w3id.org/icc-graph/)")
BATCH = 40
SETTLEMENT = "Q486972"  # human settlement: cities, towns, municipalities are subclasses
NEAR_KM = 50.0
# the language a place's own name is in, by country
LANGUAGES = {"pl": "pl", "ch": "fr", "it": "it", "es": "es", "pt": "pt", "fr": "fr", "de": "de",
             "gb": "en", "ie": "en", "no": "nb", "se": "sv", "dk": "da", "is": "is", "nl": "nl",
             "at": "de", "gr": "el", "cy": "el", "hr": "hr", "rs": "sr", "ro": "ro", "ua": "uk",
             "lu": "fr", "il": "he", "jp": "ja", "kr": "ko", "mx": "es", "ca": "en", "au": "en",
             "nz": "en", "be": "nl", "fi": "fi", "ma": "ar", "tr": "tr", "mt": "mt"}
PREFIXES = """PREFIX wd: <http://www.wikidata.org/entity/>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <http://schema.org/>
"""


class EndpointError(Exception):
    """The endpoint failed after the retries; nothing was written."""


@dataclass
class Thing:
    kind: str  # city | country | org | project
    iri: str
    label: str
    names: list[str]
    language: str
    country_qid: str | None = None
    lat: float | None = None
    long: float | None = None
    grant_numbers: list[str] = field(default_factory=list)
    geonames_id: str | None = None


@dataclass
class Candidate:
    qid: str
    label: str
    settlement: bool = False
    countries: set[str] = field(default_factory=set)
    point: tuple[float, float] | None = None  # (lat, long)
    cordis: set[str] = field(default_factory=set)
    geonames: set[str] = field(default_factory=set)
    description: str = ""


class Client:
    """SPARQLWrapper with a descriptive User-Agent, a timeout and retries on 429/503."""

    def __init__(self, endpoint: str, timeout: float = 60, retries: int = 4,
                 sleep: Callable[[float], None] = time.sleep):
        self.endpoint, self.timeout, self.retries, self.sleep = endpoint, timeout, retries, sleep
        self.requests = 0

    def select(self, query: str) -> list[dict[str, Any]]:
        delay = 1.0
        for attempt in range(self.retries + 1):
            w = SPARQLWrapper(self.endpoint, agent=USER_AGENT)
            w.setQuery(PREFIXES + query)
            w.setMethod(POST)
            w.setReturnFormat(JSON)
            w.setTimeout(int(self.timeout))
            self.requests += 1
            try:
                data: Any = w.queryAndConvert()
                bindings: list[dict[str, Any]] = data["results"]["bindings"]
                return bindings
            except urllib.error.HTTPError as exc:
                if exc.code not in (429, 503) or attempt == self.retries:
                    raise EndpointError(f"{self.endpoint} answered HTTP {exc.code}") from None
                wait = _retry_after(exc.headers.get("Retry-After"), delay)
            except (TimeoutError, urllib.error.URLError, OSError) as exc:
                if attempt == self.retries:
                    raise EndpointError(f"{self.endpoint} did not answer: {exc}") from None
                wait = delay
            except Exception as exc:  # SPARQLWrapper's own errors: bad query, 500 ...
                raise EndpointError(f"{self.endpoint} failed: {exc}") from None
            self.sleep(wait)
            delay = min(delay * 2, 60)
        raise EndpointError("unreachable")  # the loop always returns or raises


def _retry_after(value: str | None, default: float) -> float:
    if value and value.strip().isdigit():
        return min(float(value), 120)
    return default


def _qid(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def _point(wkt: str) -> tuple[float, float] | None:
    m = re.match(r"^\s*Point\(\s*(-?[\d.]+)\s+(-?[\d.]+)\s*\)", wkt)
    return (float(m.group(2)), float(m.group(1))) if m else None


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = (math.sin((la2 - la1) / 2) ** 2
         + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2)
    return 6371 * 2 * math.asin(math.sqrt(h))


def _literal(text: str, lang: str) -> str:
    return json.dumps(text, ensure_ascii=False) + f"@{lang}"


def things_to_link(records: Records, links: list[Link], base: str,
                   kinds: set[str], geolinks: Sequence[GeoLink] = ()) -> list[Thing]:
    iris = Iris(base)
    located = {g.place: g for g in geolinks if g.status in GEO_PUBLISHED}
    decided = {lk.subject_id for lk in links if lk.status in ("reviewed", "accepted")}
    country_qid = {}
    for lk in links:
        if lk.status in ("reviewed", "accepted") and "/id/country/" in lk.subject_id:
            country_qid[lk.subject_id.rsplit("/", 1)[-1]] = lk.object_id.removeprefix("wd:")
    out = []
    if "country" in kinds:
        for c in records.countries.values():
            out.append(Thing("country", str(iris.thing("country", c.slug)), c.labels["en"],
                             list(c.labels.values()), "en"))
    if "city" in kinds:
        for p in records.places.values():
            geo = located.get(p.slug)
            lat = p.lat if p.lat is not None or geo is None else float(geo.lat)
            long = p.long if p.long is not None or geo is None else float(geo.long)
            out.append(Thing("city", str(iris.place(p)), p.labels.get("en", p.slug),
                             [*p.labels.values(), *p.alt_labels],
                             LANGUAGES.get(p.country, "en"), country_qid.get(p.country),
                             lat, long, geonames_id=geo.geonames_id if geo else None))
    if "org" in kinds:
        for o in records.organisations.values():
            out.append(Thing("org", str(iris.thing("org", o.slug)),
                             o.labels.get("en") or next(iter(o.labels.values())),
                             [*o.labels.values(), *o.alt_labels, *([o.acronym] if o.acronym
                                                                   else [])],
                             LANGUAGES.get(o.country or "", "en"),
                             country_qid.get(o.country) if o.country else None))
    if "project" in kinds:
        for pj in records.projects.values():
            numbers = [records.grants[g].number for g in pj.grants if g in records.grants]
            out.append(Thing("project", str(iris.thing("project", pj.slug)),
                             pj.labels.get("en") or next(iter(pj.labels.values())),
                             [*pj.labels.values(), *pj.alt_labels,
                              *([pj.acronym] if pj.acronym else [])], "en",
                             grant_numbers=numbers))
    return [t for t in out if t.iri not in decided]


def candidates(client: Client, batch: list[Thing]) -> dict[str, dict[str, Candidate]]:
    """Items whose label or alias equals one of the names, in English or the place's language,
    with the evidence about each: settlement class, country, coordinates, CORDIS id."""
    values = set()
    for t in batch:
        for name in t.names:
            for lang in {"en", t.language}:
                values.add((t.iri, _literal(name, lang)))
    rows = client.select(
        "SELECT ?thing ?item ?label WHERE { VALUES (?thing ?label) { "
        + " ".join(f"(<{iri}> {lit})" for iri, lit in sorted(values))
        + " } { ?item rdfs:label ?label } UNION { ?item skos:altLabel ?label } }")
    found: dict[str, dict[str, Candidate]] = {}
    for r in rows:
        qid = _qid(r["item"]["value"])
        found.setdefault(r["thing"]["value"], {})[qid] = Candidate(qid, r["label"]["value"])
    qids = sorted({q for c in found.values() for q in c})
    for start in range(0, len(qids), BATCH * 4):
        chunk = " ".join(f"wd:{q}" for q in qids[start:start + BATCH * 4])
        evidence = client.select(
            "SELECT ?item ?settlement ?country ?coord ?cordis ?geonames ?description WHERE { "
            "VALUES ?item { "
            + chunk + " } "
            "OPTIONAL { ?item wdt:P31/wdt:P279* ?settlement . "
            f"FILTER(?settlement = wd:{SETTLEMENT}) }} "
            "OPTIONAL { ?item wdt:P17 ?country } OPTIONAL { ?item wdt:P625 ?coord } "
            "OPTIONAL { ?item wdt:P3400 ?cordis } OPTIONAL { ?item wdt:P1566 ?geonames } "
            "OPTIONAL { ?item schema:description ?description FILTER(lang(?description) = 'en') }"
            " }")
        by_qid: dict[str, list[dict[str, Any]]] = {}
        for r in evidence:
            by_qid.setdefault(_qid(r["item"]["value"]), []).append(r)
        for cands in found.values():
            for qid, cand in cands.items():
                for r in by_qid.get(qid, []):
                    cand.settlement |= "settlement" in r
                    if "country" in r:
                        cand.countries.add(_qid(r["country"]["value"]))
                    if "coord" in r and cand.point is None:
                        cand.point = _point(r["coord"]["value"])
                    if "cordis" in r:
                        cand.cordis.add(r["cordis"]["value"])
                    if "geonames" in r:
                        cand.geonames.add(r["geonames"]["value"])
                    if "description" in r:
                        cand.description = r["description"]["value"]
    return found


def judge(thing: Thing, cands: dict[str, Candidate]) -> tuple[list[Candidate], str]:
    """The candidates the evidence leaves, and why. Never on a name alone."""
    kept = list(cands.values())
    reasons = []
    if thing.kind == "project":
        kept = [c for c in kept if c.cordis & set(thing.grant_numbers)]
        return kept, "CORDIS project ID equals our grant number"
    if thing.kind == "city":
        same_place = [c for c in kept if thing.geonames_id and thing.geonames_id in c.geonames]
        if same_place:  # the reviewed GeoNames match and Wikidata's P1566 agree
            return same_place, f"GeoNames ID (P1566) equals our GeoNames match {thing.geonames_id}"
        kept = [c for c in kept if c.settlement]
        reasons.append("a human settlement")
    if thing.country_qid:
        kept = [c for c in kept if thing.country_qid in c.countries]
        reasons.append(f"in wd:{thing.country_qid}")
    elif thing.kind in ("city", "org"):
        return [], "no country to check"
    if thing.lat is not None and thing.long is not None:
        near = [c for c in kept if c.point and _km(c.point, (thing.lat, thing.long)) <= NEAR_KM]
        if near or all(c.point for c in kept):
            kept = near
            reasons.append(f"within {NEAR_KM:g} km of our coordinates")
    if thing.kind == "country":
        kept = [c for c in kept if c.label == thing.label]
        reasons.append("the country's name")
    return kept, ", ".join(reasons)


def _evidence(c: Candidate, thing: Thing) -> str:
    parts = [c.description] if c.description else []
    parts.append("settlement" if c.settlement else "not a settlement")
    if c.countries:
        parts.append("country " + "/".join(f"wd:{q}" for q in sorted(c.countries)))
    if c.point and thing.lat is not None and thing.long is not None:
        parts.append(f"{_km(c.point, (thing.lat, thing.long)):.0f} km away")
    return "; ".join(parts)


@dataclass
class LinkReport:
    accepted: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    requests: int = 0

    def summary(self) -> str:
        lines = [f"{len(self.accepted)} accepted by rule, {len(self.review)} need review, "
                 f"{len(self.unmatched)} without a candidate the evidence supports "
                 f"({self.requests} requests)"]
        lines += [f"  accepted: {x}" for x in self.accepted]
        lines += [f"  needs review: {x}" for x in self.review]
        return "\n".join(lines)


def link(data_dir: Path, base: str, client: Client, kinds: set[str], limit: int | None = None,
         progress: Callable[[str], None] = lambda _: None, today: str | None = None
         ) -> LinkReport:
    import datetime as dt

    today = today or dt.date.today().isoformat()
    records = read_records(data_dir, practices=False)
    path = data_dir / LINKS_FILE
    existing = read_links(path)
    geolinks = read_geolinks(data_dir / GEONAMES_FILE)
    todo = things_to_link(records, existing, base, kinds, geolinks)[:limit]
    report = LinkReport()
    new: list[Link] = []
    for start in range(0, len(todo), BATCH):
        batch = todo[start:start + BATCH]
        try:
            found = candidates(client, batch)
        except EndpointError as exc:
            raise UsageError(f"{exc}; stopped after {start} of {len(todo)} things; the links "
                             f"file was not changed") from None
        for thing in batch:
            kept, why = judge(thing, found.get(thing.iri, {}))
            if len(kept) == 1:
                c = kept[0]
                new.append(Link(thing.iri, thing.label, f"wd:{c.qid}", c.label,
                                "semapv:LexicalMatching", "0.9", "accepted",
                                f"name matches; {why}"))
                report.accepted.append(f"{thing.label} -> wd:{c.qid}")
            elif len(kept) > 1:
                for c in kept:
                    new.append(Link(thing.iri, thing.label, f"wd:{c.qid}", c.label,
                                    "semapv:LexicalMatching", "0.5", "needs-review",
                                    f"one of {len(kept)} candidates: {_evidence(c, thing)}"))
                report.review.append(f"{thing.label}: " + ", ".join(
                    f"wd:{c.qid} ({_evidence(c, thing)})" for c in kept))
            else:
                report.unmatched.append(thing.label)
        progress(f"{min(start + BATCH, len(todo))} of {len(todo)} things looked up")
    merged = merge(existing, new)
    try:
        facts = fetch_facts(client, merged)
    except EndpointError as exc:
        raise UsageError(f"{exc}; the links were found but their facts could not be fetched; "
                         "the links file was not changed") from None
    report.requests = client.requests
    write_links(path, merged)
    write_facts(data_dir / FACTS_FILE, facts, today)
    return report


def write_facts(path: Path, facts: dict[str, dict[str, Any]], today: str) -> None:
    """Keep the retrieval date unless the facts changed, so that a re-run changes nothing."""
    old = json.loads(yamlio.read_text(path)) if path.exists() else {}
    if old.get("items") == facts:
        return
    yamlio.write_atomic(path, json.dumps({"retrieved": today, "source": WDQS, "items": facts},
                                         indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def fetch_facts(client: Client, links: list[Link]) -> dict[str, dict[str, Any]]:
    """Coordinates, population (with its date when the endpoint has statements) and official
    website of every linked item, cached for the build."""
    qids = sorted({lk.object_id.removeprefix("wd:") for lk in links
                   if lk.status in ("accepted", "reviewed")})
    facts: dict[str, dict[str, Any]] = {}
    for start in range(0, len(qids), BATCH * 4):
        chunk = " ".join(f"wd:{q}" for q in qids[start:start + BATCH * 4])
        rows = client.select(
            "SELECT ?item ?coord ?population ?website WHERE { VALUES ?item { " + chunk + " } "
            "OPTIONAL { ?item wdt:P625 ?coord } OPTIONAL { ?item wdt:P1082 ?population } "
            "OPTIONAL { ?item wdt:P856 ?website } }")
        for r in rows:
            f = facts.setdefault(_qid(r["item"]["value"]), {})
            for key in ("coord", "population", "website"):
                if key in r and key not in f:
                    f[key] = r[key]["value"]
    return {q: f for q, f in facts.items() if f}
