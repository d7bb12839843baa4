"""The figures of a set of practices, shared by the home page and /practices: a map of their
cities and bar charts per year, topic and country, each value linking to the filtered list,
with table twins. Counts and coordinates come from the read model; figures are kept in the
cache per filter, so a page draws nothing twice."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

from . import charts, i18n, maps
from .catalogue import NOT_RECORDED, NOT_RECORDED_LABELS, Catalogue, Mask
from .context import ctx

_lock = threading.Lock()
Located = dict[str, tuple[float, float, str | None]]


def coordinates() -> Located:
    """Every place with ``geo:lat``/``geo:long``: IRI -> (lat, long, country IRI), from the
    read model."""
    from .browse import catalogue

    c = ctx()
    with _lock:
        cached = c.memo.get("coordinates")
        if isinstance(cached, dict):
            return cached
    catalogue()  # a release without a read model answers 503 here
    assert c.read is not None
    found: Located = {iri: (lat, long, country) for iri, lat, long, country in
                      c.read.execute("SELECT iri, lat, long, country FROM cat_place")}
    with _lock:
        c.memo["coordinates"] = found
    return found


def points(cat: Catalogue, chosen: Mask, lang: str,
           href: Callable[[str], str]) -> tuple[list[maps.Point], list[str]]:
    """The cities of these practices with a count each, and the names of those without
    coordinates."""
    located = coordinates()
    found, missing = [], []
    for city, n in cat.counts("city", chosen).items():
        label = cat.label(city, lang)
        if city in located:
            lat, long, _country = located[city]
            found.append(maps.Point(city, label, lat, long, n, href(city),
                                    f"{n} {i18n.translate('count', lang)}"))
        else:
            missing.append(label)
    return found, sorted(missing, key=str.casefold)


def figures(cat: Catalogue, chosen: Mask, lang: str,
            link: Callable[[str, str], str], key: object) -> dict[str, Any]:
    """Map, charts and their tables for these practices; ``link(facet, iri)`` is the URL of the
    list filtered on one more value."""
    return ctx().cache.get_or_make(("figures", key, lang),
                                   lambda: _figures(cat, chosen, lang, link), lambda _: 0)


def _figures(cat: Catalogue, chosen: Mask, lang: str,
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
    places = sorted(found, key=lambda p: (-p.count, p.label))
    out: dict[str, Any] = {
        "maps": frames, "unlocated": unlocated,
        "places": [{"label": p.label, "href": p.href, "count": p.count, "lat": p.lat,
                    "long": p.long} for p in places],
        # the map's table twin, written here rather than in the template (hundreds of rows)
        "place_rows": Markup("".join(
            f'<tr><td><a href="{escape(p.href)}">{escape(p.label)}</a></td><td class="num">'
            f'{p.count}</td><td class="num">{p.lat:.3f}</td><td class="num">{p.long:.3f}</td>'
            "</tr>" for p in places)),
    }
    for facet in ("year", "topic", "country"):
        counts = cat.counts(facet, chosen)
        none = counts.pop(NOT_RECORDED, 0) if facet in NOT_RECORDED_LABELS else int(
            (cat.facets[facet].none & chosen).sum())
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
