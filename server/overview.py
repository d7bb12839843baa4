"""The figures of a set of practices, shared by the home page and /practices: a map of their
cities and bar charts per year, topic and country, each value linking to the filtered list,
with table twins. Counts and coordinates come from the read model; figures are kept in the
cache per filter, so a page draws nothing twice."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from markupsafe import Markup, escape

from . import charts, i18n, maps
from .catalogue import NOT_RECORDED, NOT_RECORDED_LABELS, Catalogue, Mask
from .context import ctx

_lock = threading.Lock()
Located = dict[str, tuple[float, float, str | None]]


def coordinates() -> Located:
    """Every place with ``geo:lat``/``geo:long``: IRI -> (lat, long, country IRI), from the
    read model."""
    from .catalogue import catalogue

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


class Cities:
    """The catalogue's cities ready to draw in one language, by their number in the city facet:
    where they are (NaN for a city without coordinates), their label as text and escaped, their
    link, their rank by label, and each one's row of the map's table around its count."""

    def __init__(self, cat: Catalogue, lang: str):
        from .frame import local

        located = coordinates()
        values = cat.facets["city"].values
        where = [located.get(v, (math.nan, math.nan, None)) for v in values]
        self.lat = np.array([w[0] for w in where], dtype=np.float64)
        self.long = np.array([w[1] for w in where], dtype=np.float64)
        self.located = ~np.isnan(self.lat)
        self.labels = [cat.label(v, lang) for v in values]
        self.html = [str(escape(x)) for x in self.labels]
        self.hrefs = [str(escape(local(v))) for v in values]
        order = sorted(range(len(values)), key=self.labels.__getitem__)
        self.rank = np.empty(len(values), dtype=np.int64)
        self.rank[order] = np.arange(len(values))
        self.folded = cat.shown("city", lang)[2]  # the rank by casefolded label
        self.heads = [f'<tr><td><a href="{h}">{x}</a></td><td class="num">'
                      for h, x in zip(self.hrefs, self.html, strict=True)]
        self.tails = [f'</td><td class="num">{lat:.3f}</td><td class="num">{long:.3f}</td></tr>'
                      for lat, long in zip(self.lat.tolist(), self.long.tolist(), strict=True)]
        self.unit = str(escape(i18n.translate("count", lang)))
        self._frames: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def xy(self, frame: str) -> tuple[np.ndarray, np.ndarray]:
        """Where each city is in a frame (NaN for a city without coordinates)."""
        found = self._frames.get(frame)
        if found is None:
            at = [maps.xy(frame, lon, lat) if ok else (math.nan, math.nan) for lon, lat, ok in
                  zip(self.long.tolist(), self.lat.tolist(), self.located.tolist(), strict=True)]
            found = self._frames[frame] = (np.array([a[0] for a in at]),
                                           np.array([a[1] for a in at]))
        return found

    def marks(self, frame: str, which: np.ndarray, count: np.ndarray) -> maps.Marks:
        """The marks of some cities (by number) with their counts."""
        x, y = self.xy(frame)
        numbers, counts = which.tolist(), count[which].tolist()
        return maps.Marks(x[which].tolist(), y[which].tolist(), counts,
                          [f"{self.html[i]}: {n} {self.unit}" for i, n in
                           zip(numbers, counts, strict=True)],
                          [self.hrefs[i] for i in numbers], [self.labels[i] for i in numbers],
                          self.rank[which].tolist())


def cities(cat: Catalogue, lang: str) -> Cities:
    """The cities of the app's catalogue in a language (made once per process and language)."""
    memo = ctx().memo
    key = f"cities-{lang}"
    found = memo.get(key)
    if not isinstance(found, Cities) or memo.get("cities-of") is not cat:
        found = Cities(cat, lang)
        with _lock:
            memo[key], memo["cities-of"] = found, cat
    return found


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

    c = cities(cat, lang)
    n = cat.tally("city", chosen)[0]
    having = np.flatnonzero(n)
    found = having[c.located[having]]
    unlocated = [c.labels[i] for i in sorted(having[~c.located[having]].tolist(),
                                               key=c.folded.__getitem__)]
    frames = []
    if len(found):
        ex, ey = c.xy("europe")
        europe = maps.FRAMES["europe"]
        inside = (ex[found] >= 0) & (ex[found] <= europe.width) & (ey[found] >= 0) & (
            ey[found] <= europe.height)
        frame = "europe" if inside.all() else "world"
        frames.append(maps.draw(frame, f"{words('map_title')} ({len(found)})",
                                c.marks(frame, found, n), element_id="map-cities"))
        if frame == "world":  # Europe as well, where most cities are
            frames.insert(0, maps.draw("europe", f"{words('map_title')}: Europe",
                                       c.marks("europe", found[inside], n),
                                       element_id="map-europe"))
    places = found[np.lexsort((c.rank[found], -n[found]))]
    out: dict[str, Any] = {
        "maps": frames, "unlocated": unlocated,
        # the map's table twin, written here rather than in the template (hundreds of rows)
        "place_rows": Markup("".join(c.heads[i] + str(k) + c.tails[i] for i, k in
                                     zip(places.tolist(), n[places].tolist(), strict=True))),
    }
    for facet in ("year", "topic", "country"):
        counted, none = cat.tally(facet, chosen)
        values, labels = cat.facets[facet].values, cat.shown(facet, lang)[0]
        having = np.flatnonzero(counted)
        bars = [charts.Bar(labels[i], k, link(facet, values[i]))
                for i, k in zip(having.tolist(), counted[having].tolist(), strict=True)]
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
        out[facet] = {"svg": svg, "title": title, "bars": bars, "rows": charts.rows(bars)}
    return out
