"""The figures of a set of practices, shared by the home page and /practices: a map of their
cities and bar charts per year, topic and country, each value linking to the filtered list,
with table twins. Coordinates are read from the store once per release; figures are kept in the
cache per filter, so a page draws nothing twice."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from icc_graph.store import Query

from . import charts, i18n, maps
from .catalogue import NOT_RECORDED, NOT_RECORDED_LABELS, Catalogue, Practice
from .context import ctx

_lock = threading.Lock()
Located = dict[str, tuple[float, float, str | None]]


def coordinates() -> Located:
    """Every place with ``geo:lat``/``geo:long``: IRI -> (lat, long, country IRI)."""
    c = ctx()
    with _lock:
        cached = c.memo.get("coordinates")
        if isinstance(cached, dict):
            return cached
        rows = c.backend.query(Query(maps.COORDINATES, max_rows=1_000_000),
                               c.settings.query_timeout * 6).rows
        found: Located = {}
        for row in rows:
            place, lat, long, country = (list(t) if t else [None, None] for t in row)
            try:
                found[str(place[1])] = (float(str(lat[1])), float(str(long[1])),
                                        str(country[1]) if country[1] else None)
            except (TypeError, ValueError):
                continue  # a coordinate that is not a number is not drawn
        c.memo["coordinates"] = found
    return found


def points(cat: Catalogue, chosen: list[Practice], lang: str,
           href: Callable[[str], str]) -> tuple[list[maps.Point], list[str]]:
    """The cities of these practices with a count each, and the names of those without
    coordinates."""
    located = coordinates()
    counts: Counter[str] = Counter()
    for p in chosen:
        counts.update(p.facets["city"])
    found, missing = [], []
    for city, n in counts.items():
        label = cat.label(city, lang)
        if city in located:
            lat, long, _country = located[city]
            found.append(maps.Point(city, label, lat, long, n, href(city),
                                    f"{n} {i18n.translate('count', lang)}"))
        else:
            missing.append(label)
    return found, sorted(missing, key=str.casefold)


def figures(cat: Catalogue, chosen: list[Practice], lang: str,
            link: Callable[[str, str], str], key: object) -> dict[str, Any]:
    """Map, charts and their tables for these practices; ``link(facet, iri)`` is the URL of the
    list filtered on one more value."""
    return ctx().cache.get_or_make(("figures", key, lang),
                                   lambda: _figures(cat, chosen, lang, link), lambda _: 0)


def _figures(cat: Catalogue, chosen: list[Practice], lang: str,
             link: Callable[[str, str], str]) -> dict[str, Any]:
    def words(k: str) -> str:
        return i18n.translate(k, lang)

    from .frame import local

    found, unlocated = points(cat, chosen, lang, local)
    frames = []
    if found:
        frame = maps.frame_for(found)
        frames.append(maps.svg(found, frame, f"{words('map_title')} ({len(found)})",
                               element_id="map-cities"))
        outside = [p for p in found if not maps.FRAMES["europe"].inside(p.long, p.lat)]
        if frame == "world":  # Europe as well, where most cities are
            frames.insert(0, maps.svg([p for p in found if p not in outside], "europe",
                                      f"{words('map_title')}: Europe", element_id="map-europe"))
    out: dict[str, Any] = {
        "maps": frames, "unlocated": unlocated,
        "places": sorted(({"label": p.label, "href": p.href, "count": p.count,
                           "lat": p.lat, "long": p.long} for p in found),
                         key=lambda r: (-int(r["count"]), str(r["label"]))),
    }
    for facet in ("year", "topic", "country"):
        counts: Counter[str] = Counter()
        none = 0
        for p in chosen:
            counts.update(p.facets[facet])
            none += not p.facets[facet]
        bars = [charts.Bar(v if facet == "year" else cat.label(v, lang), n, link(facet, v))
                for v, n in counts.items()]
        if facet == "year":
            bars.sort(key=lambda b: b.label)
        else:
            bars.sort(key=lambda b: (-b.count, b.label.casefold()))
        if none:
            choice = link(facet, NOT_RECORDED) if facet in NOT_RECORDED_LABELS else None
            bars.append(charts.Bar(words("not_recorded"), none, choice, missing=True))
        title = words({"year": "per_year", "topic": "per_topic", "country": "per_country"}[facet])
        svg = (charts.years(bars, title, "chart-year", words("count")) if facet == "year"
               else charts.horizontal(bars, title, f"chart-{facet}", words("count")))
        out[facet] = {"svg": svg, "title": title, "bars": bars}
    return out
