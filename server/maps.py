"""Maps drawn on the server as SVG: Natural Earth country outlines (``mapdata/``, world-atlas
TopoJSON) in an equal-area projection, Lambert azimuthal for Europe and Equal Earth for the
world, with cities as circles sized by their count, each a link. The outlines are projected once
per process; a city's coordinates are read from the store (``geo:lat`` / ``geo:long``)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup, escape

TOPOJSON = Path(__file__).parent / "mapdata" / "countries-50m.json"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
COORDINATES = (f"PREFIX geo: <{GEO}> PREFIX icc: <https://w3id.org/icc-graph/def/icc#> "
               "SELECT ?place ?lat ?long ?country WHERE { ?place geo:lat ?lat ; geo:long ?long . "
               "OPTIONAL { ?place icc:locatedIn ?country } }")
# ISO 3166-1 alpha-2 (our country slugs) to the numeric codes of the outlines
NUMERIC = {
    "ad": "020", "al": "008", "am": "051", "at": "040", "au": "036", "az": "031", "ba": "070",
    "be": "056", "bg": "100", "by": "112", "ca": "124", "ch": "756", "cy": "196", "cz": "203",
    "de": "276", "dk": "208", "ee": "233", "es": "724", "fi": "246", "fr": "250", "gb": "826",
    "ge": "268", "gr": "300", "hr": "191", "hu": "348", "ie": "372", "il": "376", "is": "352",
    "it": "380", "jp": "392", "kr": "410", "lt": "440", "lu": "442", "lv": "428", "ma": "504",
    "md": "498", "me": "499", "mk": "807", "mt": "470", "mx": "484", "nl": "528", "no": "578",
    "nz": "554", "pl": "616", "pt": "620", "ro": "642", "rs": "688", "ru": "643", "se": "752",
    "si": "705", "sk": "703", "tr": "792", "ua": "804", "us": "840",
}
Ring = list[tuple[float, float]]


@dataclass(frozen=True)
class Frame:
    """A projection and the part of the plane shown, in SVG units."""

    name: str
    project: Callable[[float, float], tuple[float, float]]
    x0: float
    y0: float
    width: float
    height: float
    scale: float  # SVG units per projected unit
    keep: Callable[[float, float, float, float], bool]  # lon/lat bounding box worth drawing
    detail: float = 1.0  # islands smaller than this (SVG units) are left out

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        x, y = self.project(lon, lat)
        return (x * self.scale - self.x0, -y * self.scale - self.y0)

    def inside(self, lon: float, lat: float, margin: float = 0) -> bool:
        x, y = self.xy(lon, lat)
        return -margin <= x <= self.width + margin and -margin <= y <= self.height + margin


def laea(lon: float, lat: float, lon0: float = 10.0, lat0: float = 52.0) -> tuple[float, float]:
    """Lambert azimuthal equal-area on the unit sphere."""
    lam, phi = math.radians(lon - lon0), math.radians(lat)
    phi0 = math.radians(lat0)
    k = math.sqrt(2 / max(1e-9, 1 + math.sin(phi0) * math.sin(phi)
                          + math.cos(phi0) * math.cos(phi) * math.cos(lam)))
    return (k * math.cos(phi) * math.sin(lam),
            k * (math.cos(phi0) * math.sin(phi) - math.sin(phi0) * math.cos(phi) * math.cos(lam)))


A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796


def equal_earth(lon: float, lat: float) -> tuple[float, float]:
    """Equal Earth (Šavrič, Patterson and Jenny 2018) on the unit sphere."""
    lam, phi = math.radians(lon), math.radians(lat)
    t = math.asin(math.sqrt(3) / 2 * math.sin(phi))
    t2 = t * t
    t6 = t2 * t2 * t2
    x = 2 * math.sqrt(3) * lam * math.cos(t) / (3 * (9 * A4 * t6 * t2 + 7 * A3 * t6
                                                    + 3 * A2 * t2 + A1))
    return x, t * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))


def _europe(name: str = "europe", scale: float = 820.0, detail: float = 1.0) -> Frame:
    # the corners worth showing: Iceland, the Canaries, North Cape, the Caucasus, the Levant
    corners = [laea(lon, lat) for lon, lat in ((-25, 66.5), (-18.5, 27.4), (-10, 36.5),
                                               (27, 71.5), (45, 58), (45, 41), (36, 31))]
    xs, ys = [x * scale for x, _ in corners], [-y * scale for _, y in corners]
    left, top = min(xs) - 10, min(ys) - 10
    return Frame(name, laea, left, top, max(xs) + 10 - left, max(ys) + 10 - top, scale,
                 lambda w, s, e, n: e > -40 and w < 70 and n > 20 and s < 85, detail)


def _world(name: str = "world", scale: float = 150.0, detail: float = 2.5) -> Frame:
    half_w = equal_earth(180, 0)[0] * scale
    top, bottom = -equal_earth(0, 84)[1] * scale, -equal_earth(0, -57)[1] * scale
    return Frame(name, equal_earth, -half_w, top, 2 * half_w, bottom - top, scale,
                 lambda w, s, e, n: n > -60, detail)


FRAMES = {"europe": _europe(), "world": _world(),
          # locators: smaller, with less detail
          "europe-small": _europe("europe-small", 380.0, 2.0),
          "world-small": _world("world-small", 90.0, 3.0)}


@lru_cache(maxsize=1)
def _countries() -> tuple[tuple[str, str, tuple[tuple[Ring, ...], ...]], ...]:
    """Every country as (numeric id, name, polygons of rings in lon/lat)."""
    topo = json.loads(TOPOJSON.read_text(encoding="utf-8"))
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs: list[Ring] = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)

    def ring(indices: list[int]) -> Ring:
        out: Ring = []
        for i in indices:
            points = arcs[i] if i >= 0 else arcs[~i][::-1]
            out.extend(points if not out else points[1:])
        return out

    countries = []
    for g in topo["objects"]["countries"]["geometries"]:
        if g.get("type") == "Polygon":
            polygons = [g["arcs"]]
        elif g.get("type") == "MultiPolygon":
            polygons = g["arcs"]
        else:
            continue
        countries.append((str(g.get("id", "")), str(g["properties"]["name"]),
                          tuple(tuple(ring(r) for r in p) for p in polygons)))
    return tuple(countries)


def _unwrap(r: Ring) -> Ring:
    """Longitudes made continuous across the antimeridian (the world frame clips the rest)."""
    out: Ring = []
    for lon, lat in r:
        if out:
            while lon - out[-1][0] > 180:
                lon -= 360
            while lon - out[-1][0] < -180:
                lon += 360
        out.append((lon, lat))
    return out


@lru_cache(maxsize=4)
def outlines(frame_name: str) -> tuple[tuple[str, str, str], ...]:
    """(numeric id, name, SVG path data) of every country worth drawing in a frame."""
    frame = FRAMES[frame_name]
    out = []
    for cid, name, polygons in _countries():
        parts = []
        for polygon in polygons:
            for r in polygon:
                if frame_name.startswith("world"):
                    r = _unwrap(r)
                lons, lats = [p[0] for p in r], [p[1] for p in r]
                if not frame.keep(min(lons), min(lats), max(lons), max(lats)):
                    continue
                points = [frame.xy(lon, lat) for lon, lat in r]
                xs, ys = [p[0] for p in points], [p[1] for p in points]
                if max(xs) < 0 or min(xs) > frame.width or max(ys) < 0 or min(ys) > frame.height:
                    continue
                if max(xs) - min(xs) < frame.detail and max(ys) - min(ys) < frame.detail:
                    continue
                parts.append(_path(points))
        if parts:
            out.append((cid, name, "".join(parts)))
    return tuple(out)


def _path(points: list[tuple[float, float]]) -> str:
    """Relative path data rounded to the pixel, dropping points that round onto the last."""
    first = (round(points[0][0]), round(points[0][1]))
    d, last = [f"M{first[0]},{first[1]}l"], first
    for x, y in points[1:]:
        p = (round(x), round(y))
        if p != last:
            d.append(f"{p[0] - last[0]},{p[1] - last[1]}")
            last = p
    return " ".join(d).replace("l ", "l", 1) + "z"


@dataclass(frozen=True)
class Point:
    """A city (or other place) on a map."""

    iri: str
    label: str
    lat: float
    long: float
    count: int = 0
    href: str = ""
    note: str = ""


def frame_for(points: Iterable[Point], small: bool = False) -> str:
    """Europe when every point fits in it, else the world."""
    europe = FRAMES["europe"]
    name = "europe" if all(europe.inside(p.long, p.lat) for p in points) else "world"
    return name + "-small" if small else name


def radius(count: int, largest: int) -> float:
    """Circle area proportional to the count, 3 to 16 units."""
    return 3 + 13 * math.sqrt(count / max(1, largest))


def svg(points: list[Point], frame_name: str, title: str, highlight: Iterable[str] = (),
        labels: int = 12, element_id: str = "map") -> Markup:
    """A map: country outlines (those in ``highlight``, alpha-2 codes, marked), and each point
    as a circle (area by count) linking to its page; the ``labels`` largest are named, where the
    names do not overlap."""
    frame = FRAMES[frame_name]
    marked = {NUMERIC.get(c, "") for c in highlight}
    w, h = frame.width, frame.height
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="map map-{frame_name}" '
             f'viewBox="0 0 {w:.0f} {h:.0f}" width="{w:.0f}" height="{h:.0f}" '
             f'aria-labelledby="{element_id}-title" id="{element_id}">'
             f'<title id="{element_id}-title">{escape(title)}</title>'
             f'<rect class="sea" width="{w:.0f}" height="{h:.0f}" fill="#dfeaf2"/>'
             f'<g class="land" fill="#f4f1ea" stroke="#9a9a9a" stroke-width="0.6" '
             f'aria-hidden="true">']
    for cid, _name, d in outlines(frame_name):
        css = ' class="marked" fill="#f2c879"' if cid in marked else ""
        parts.append(f'<path d="{d}"{css}/>')
    parts.append("</g>")
    largest = max((p.count for p in points), default=1)
    placed: list[tuple[float, float, float, float]] = []
    at = {p: _xy(frame_name, p.long, p.lat) for p in points}
    margin = 4
    shown = sorted((p for p in points if -margin <= at[p][0] <= w + margin
                    and -margin <= at[p][1] <= h + margin),
                   key=lambda p: (-p.count, p.label))
    circles, names = [], []
    for p in shown:
        x, y = at[p]
        r = radius(p.count, largest) if p.count else 5
        placed.append((x - r, y - r, x + r, y + r))
    for p in reversed(shown):  # small circles drawn last, on top
        x, y = at[p]
        r = radius(p.count, largest) if p.count else 5
        name = escape(p.label + (f": {p.note}" if p.note else ""))
        circle = (f'<circle class="city" cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="#1f5f8b" '
                  f'fill-opacity="0.75" stroke="#ffffff" stroke-width="1"/>')
        if p.href:
            circles.append(f'<a href="{escape(p.href)}" aria-label="{name}">'
                           f'<title>{name}</title>{circle}</a>')
        else:
            circles.append(f"<g><title>{name}</title>{circle}</g>")
    for p in shown[:labels]:
        x, y = at[p]
        r = radius(p.count, largest) if p.count else 5
        width, height = 7.2 * len(p.label) + 4, 16
        for bx, by, anchor in ((x + r + 2, y - height / 2, "start"),
                               (x - r - 2 - width, y - height / 2, "end"),
                               (x - width / 2, y - r - height, "middle"),
                               (x - width / 2, y + r, "middle")):
            box = (bx, by, bx + width, by + height)
            if box[0] < 0 or box[2] > w or box[1] < 0 or box[3] > h:
                continue
            if any(overlaps(box, other) for other in placed):
                continue
            placed.append(box)
            tx = {"start": bx, "end": bx + width, "middle": bx + width / 2}[anchor]
            names.append(f'<text x="{tx:.1f}" y="{by + 12:.1f}" text-anchor="{anchor}">'
                         f"{escape(p.label)}</text>")
            break
    parts.append('<g class="cities">' + "".join(circles) + "</g>")
    parts.append('<g class="labels" aria-hidden="true" font-size="13" fill="#1b1b1b" '
                 'font-family="sans-serif">' + "".join(names) + "</g></svg>")
    return Markup("".join(parts))


@lru_cache(maxsize=1 << 16)
def _xy(frame_name: str, lon: float, lat: float) -> tuple[float, float]:
    """A place's position in a frame (places are few and drawn again and again)."""
    return FRAMES[frame_name].xy(lon, lat)


def overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
