"""The read model's ``places`` table: every thing with coordinates, for the locator maps of
the city and country pages."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable

from ..model import Lit, Quad
from ..namespaces import ICC_IRI

GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
NAME = f"{ICC_IRI}name"
_PLACE = {f"{GEO}lat": "lat", f"{GEO}long": "long", f"{ICC_IRI}locatedIn": "country"}


def write(con: sqlite3.Connection, quads: Iterable[Quad]) -> None:
    """The ``places`` table: every thing with coordinates, its country and its name (English,
    else any), for the locator maps of the city and country pages (``quads``: the model's)."""
    con.execute("DROP TABLE IF EXISTS places")
    con.execute("CREATE TABLE places (iri TEXT PRIMARY KEY, label TEXT NOT NULL, "
                "lat REAL NOT NULL, long REAL NOT NULL, country TEXT)")
    con.execute("CREATE INDEX places_country ON places (country)")
    found: dict[str, dict[str, str]] = defaultdict(dict)
    names: dict[str, dict[str, str]] = defaultdict(dict)
    for s, p, o, _ in quads:
        if p in _PLACE:
            found[s][_PLACE[p]] = o.value if isinstance(o, Lit) else o
        elif p == NAME and isinstance(o, Lit):
            names[s].setdefault(o.lang or "en", o.value)
    rows = []
    for iri, facts in sorted(found.items()):
        try:
            lat, long = float(facts["lat"]), float(facts["long"])
        except (KeyError, ValueError):
            continue  # a coordinate that is not a number is not drawn
        its = names.get(iri, {})
        label = its.get("en") or next(iter(sorted(its.items())), ("", iri.rsplit("/", 1)[-1]))[1]
        rows.append((iri, label, lat, long, facts.get("country")))
    con.executemany("INSERT INTO places VALUES (?, ?, ?, ?, ?)", rows)
