"""Source records: plain typed Python read from the YAML files under ``data/``.

No RDF here: ``model.py`` turns these records into triples. The record format is documented in
``docs/records.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

STATUSES = ("imported", "reviewed")
ROLES = (
    "lead-city", "partner-city", "coordinator", "partner", "funder",
    "implementing-organisation", "associate",
)
PLACE_TYPES = ("city", "borough", "island", "region", "canton", "district")
ORG_TYPES = (
    "municipality", "public-body", "ngo", "foundation", "police", "intergovernmental",
    "network", "company", "university", "school", "religious", "other",
)
LANGS = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
COUNTRY_CODE = re.compile(r"^[a-z]{2}$")


@dataclass(frozen=True)
class Where:
    """Where a record was read from, for error messages."""

    file: str
    line: int = 1
    # (field, slug named, line): where each slug a record refers to is written
    refs: tuple[tuple[str, str, int], ...] = ()

    def line_of(self, key: str, value: str) -> int:
        """The line where the record names ``value`` under ``key`` (else the record's)."""
        return next((line for k, v, line in self.refs if k == key and v == value), self.line)


@dataclass(frozen=True)
class Period:
    text: str | None = None
    start: int | None = None
    end: int | None = None
    ongoing: bool = False


@dataclass(frozen=True)
class Participant:
    """Who took part, and as what: ``kind`` is ``org`` or ``place``."""

    kind: str
    agent: str
    role: str


@dataclass(frozen=True)
class Topic:
    slug: str
    labels: dict[str, str]
    status: str
    where: Where
    updated: str | None = None


@dataclass(frozen=True)
class Country:
    slug: str
    labels: dict[str, str]
    status: str
    where: Where
    in_site_filter: bool = False
    updated: str | None = None


@dataclass(frozen=True)
class Place:
    slug: str
    type: str
    labels: dict[str, str]
    country: str
    status: str
    where: Where
    alt_labels: tuple[str, ...] = ()
    lat: float | None = None
    long: float | None = None
    updated: str | None = None


@dataclass(frozen=True)
class Organisation:
    slug: str
    labels: dict[str, str]
    status: str
    where: Where
    type: str | None = None
    acronym: str | None = None
    alt_labels: tuple[str, ...] = ()
    country: str | None = None
    based_in: str | None = None
    part_of: str | None = None
    source: str | None = None
    updated: str | None = None


@dataclass(frozen=True)
class Programme:
    slug: str
    labels: dict[str, str]
    status: str
    where: Where
    acronym: str | None = None
    alt_labels: tuple[str, ...] = ()
    funder: str | None = None
    source: str | None = None
    updated: str | None = None


@dataclass(frozen=True)
class Grant:
    slug: str
    number: str
    status: str
    where: Where
    programme: str | None = None
    funder: str | None = None
    source: str | None = None
    updated: str | None = None


@dataclass(frozen=True)
class Project:
    slug: str
    labels: dict[str, str]
    status: str
    where: Where
    acronym: str | None = None
    alt_labels: tuple[str, ...] = ()
    grants: tuple[str, ...] = ()
    programmes: tuple[str, ...] = ()
    participants: tuple[Participant, ...] = ()
    period: Period | None = None
    source: str | None = None
    updated: str | None = None


@dataclass(frozen=True)
class Practice:
    slug: str
    titles: dict[str, str]
    status: str
    where: Where
    source: str
    places: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    period: Period | None = None
    also_seen_at: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    programmes: tuple[str, ...] = ()
    participants: tuple[Participant, ...] = ()
    updated: str | None = None
    text: dict[str, Any] = field(default_factory=dict)


@dataclass
class Records:
    """Everything read from one data folder, each kind by slug."""

    topics: dict[str, Topic] = field(default_factory=dict)
    countries: dict[str, Country] = field(default_factory=dict)
    places: dict[str, Place] = field(default_factory=dict)
    organisations: dict[str, Organisation] = field(default_factory=dict)
    programmes: dict[str, Programme] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)
    practices: dict[str, Practice] = field(default_factory=dict)
