"""Maps drawn on the server as SVG: Natural Earth country outlines (``mapdata/``, world-atlas
TopoJSON) in an equal-area projection, Lambert azimuthal for Europe and Equal Earth for the
world, with cities as circles sized by their count, each a link. The outlines are projected once
per process, all points at once with numpy; a city's coordinates are read from the store
(``geo:lat`` / ``geo:long``)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
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


@dataclass(frozen=True)
class Outlines:
    """Every country's rings as one array of points: ``lon``/``lat`` of each point, ``starts``
    the first point of each ring (and one past the last), ``country`` each ring's country
    (an index into ``ids`` and ``names``)."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    lon: np.ndarray
    lat: np.ndarray
    starts: np.ndarray
    country: np.ndarray


@lru_cache(maxsize=1)
def _countries() -> Outlines:
    """The outlines of the world-atlas TopoJSON, its arcs decoded (delta-encoded, quantised)
    all at once."""
    topo = json.loads(TOPOJSON.read_text(encoding="utf-8"))
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    lengths = np.fromiter((len(a) for a in topo["arcs"]), dtype=np.int64)
    deltas = np.array([p for a in topo["arcs"] for p in a], dtype=np.float64).reshape(-1, 2)
    total = np.cumsum(deltas, axis=0)
    first = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    before = np.where(first[:, None] > 0, total[np.maximum(first - 1, 0)], 0.0)
    points = total - np.repeat(before, lengths, axis=0)  # each arc's own running sum
    points = points * (sx, sy) + (tx, ty)

    def ring(indices: list[int]) -> np.ndarray:
        parts: list[np.ndarray] = []
        for i in indices:
            a = np.arange(first[i], first[i] + lengths[i]) if i >= 0 else \
                np.arange(first[~i] + lengths[~i] - 1, first[~i] - 1, -1)
            parts.append(a if not parts else a[1:])
        return np.concatenate(parts)

    ids: list[str] = []
    names: list[str] = []
    rings: list[np.ndarray] = []
    country: list[int] = []
    for g in topo["objects"]["countries"]["geometries"]:
        if g.get("type") == "Polygon":
            polygons = [g["arcs"]]
        elif g.get("type") == "MultiPolygon":
            polygons = g["arcs"]
        else:
            continue
        for polygon in polygons:
            for r in polygon:
                rings.append(ring(r))
                country.append(len(ids))
        ids.append(str(g.get("id", "")))
        names.append(str(g["properties"]["name"]))
    index = np.concatenate(rings)
    starts = np.concatenate(([0], np.cumsum([len(r) for r in rings])))
    return Outlines(tuple(ids), tuple(names), points[index, 0], points[index, 1], starts,
                    np.array(country, dtype=np.int64))


def _unwrapped(lon: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Longitudes made continuous across the antimeridian within each ring (the world frame
    clips the rest): each point moved by whole turns to within 180° of the one before."""
    step = np.zeros_like(lon)
    d = np.diff(lon)
    step[1:] = np.where(d > 180, -np.ceil((d - 180) / 360),
                        np.where(d < -180, np.ceil((-d - 180) / 360), 0))
    step[starts[:-1]] = 0  # no turn carried from one ring to the next
    turns = np.cumsum(step)
    turns -= np.repeat(turns[starts[:-1]], np.diff(starts))
    return lon + 360 * turns


def _projected(frame: Frame, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``Frame.xy`` of many points at once."""
    lam, phi = np.radians(lon), np.radians(lat)
    if frame.project is laea:
        lam, phi0 = np.radians(lon - 10.0), math.radians(52.0)
        k = np.sqrt(2 / np.maximum(1e-9, 1 + math.sin(phi0) * np.sin(phi)
                                   + math.cos(phi0) * np.cos(phi) * np.cos(lam)))
        x = k * np.cos(phi) * np.sin(lam)
        y = k * (math.cos(phi0) * np.sin(phi) - math.sin(phi0) * np.cos(phi) * np.cos(lam))
    else:
        t = np.arcsin(math.sqrt(3) / 2 * np.sin(phi))
        t2 = t * t
        t6 = t2 * t2 * t2
        x = 2 * math.sqrt(3) * lam * np.cos(t) / (3 * (9 * A4 * t6 * t2 + 7 * A3 * t6
                                                      + 3 * A2 * t2 + A1))
        y = t * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    return x * frame.scale - frame.x0, -y * frame.scale - frame.y0


@lru_cache(maxsize=4)
def outlines(frame_name: str) -> tuple[tuple[str, str, str], ...]:
    """(numeric id, name, SVG path data) of every country worth drawing in a frame: the rings
    within the frame's lon/lat box and its view, larger than its detail, as relative path
    data rounded to the pixel (a point that rounds onto the one before is left out)."""
    frame, o = FRAMES[frame_name], _countries()
    starts, heads = o.starts, o.starts[:-1]
    lon = _unwrapped(o.lon, starts) if frame_name.startswith("world") else o.lon
    kept = np.array([frame.keep(w, s, e, n) for w, s, e, n in zip(
        np.minimum.reduceat(lon, heads).tolist(), np.minimum.reduceat(o.lat, heads).tolist(),
        np.maximum.reduceat(lon, heads).tolist(), np.maximum.reduceat(o.lat, heads).tolist(),
        strict=True)], dtype=np.bool_)
    x, y = _projected(frame, lon, o.lat)
    x0, x1 = np.minimum.reduceat(x, heads), np.maximum.reduceat(x, heads)
    y0, y1 = np.minimum.reduceat(y, heads), np.maximum.reduceat(y, heads)
    kept &= ~((x1 < 0) | (x0 > frame.width) | (y1 < 0) | (y0 > frame.height))
    kept &= ~((x1 - x0 < frame.detail) & (y1 - y0 < frame.detail))
    rx, ry = np.round(x).astype(np.int64), np.round(y).astype(np.int64)
    moved = np.ones(len(rx), dtype=np.bool_)
    moved[1:] = (rx[1:] != rx[:-1]) | (ry[1:] != ry[:-1])
    moved[heads] = True
    paths: dict[int, list[str]] = {}
    for r in np.flatnonzero(kept).tolist():
        a, b = int(starts[r]), int(starts[r + 1])
        at = np.flatnonzero(moved[a:b]) + a
        sx, sy = rx[at], ry[at]
        steps = " ".join(f"{u},{v}" for u, v in zip(np.diff(sx).tolist(), np.diff(sy).tolist(),
                                                    strict=True))
        paths.setdefault(int(o.country[r]), []).append(f"M{sx[0]},{sy[0]}l{steps}z")
    return tuple((o.ids[c], o.names[c], "".join(paths[c])) for c in sorted(paths))


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


def svg(points: list[Point], frame_name: str, title: str, highlight: Iterable[str] = (),
        labels: int = 12, element_id: str = "map") -> Markup:
    """A map: country outlines (those in ``highlight``, alpha-2 codes, marked), and each point
    as a circle (area by count) linking to its page; the ``labels`` largest are named, where the
    names do not overlap."""
    at = [_xy(frame_name, p.long, p.lat) for p in points]
    texts = [p.label for p in points]
    rank = [0] * len(texts)
    for r, i in enumerate(sorted(range(len(texts)), key=texts.__getitem__)):
        rank[i] = r
    return draw(frame_name, title, Marks(
        [a[0] for a in at], [a[1] for a in at], [p.count for p in points],
        [str(escape(p.label + (f": {p.note}" if p.note else ""))) for p in points],
        [str(escape(p.href)) for p in points], texts, rank), highlight, labels, element_id)


@dataclass(frozen=True)
class Marks:
    """Points to draw: their position in the frame, their count (0: a plain dot), their name
    for the circle's title (escaped), their link (escaped; "" for none), their label as text,
    and their rank in the order of the labels (which breaks ties of count)."""

    x: list[float]
    y: list[float]
    count: list[int]
    names: list[str]
    hrefs: list[str]
    labels: list[str]
    rank: list[int]


MANY = 64  # circles from which the names' overlap test runs on arrays


def draw(frame_name: str, title: str, marks: Marks, highlight: Iterable[str] = (),
         labels: int = 12, element_id: str = "map") -> Markup:
    """``svg`` of points given as lists: the outlines, a circle a point in the frame (largest
    first, so the small ones are drawn on top), and the names of the ``labels`` largest that fit
    beside their circle without covering another circle or name."""
    frame = FRAMES[frame_name]
    marked = {NUMERIC.get(c, "") for c in highlight}
    w, h = frame.width, frame.height
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="map map-{frame_name}" '
             f'viewBox="0 0 {w:.0f} {h:.0f}" width="{w:.0f}" height="{h:.0f}" '
             f'aria-labelledby="{element_id}-title" id="{element_id}">'
             f'<title id="{element_id}-title">{escape(title)}</title>'
             f'<rect class="sea" width="{w:.0f}" height="{h:.0f}" fill="#dfeaf2"/>'
             f'<g class="land" fill="#f4f1ea" stroke="#9a9a9a" stroke-width="0.6" '
             f'aria-hidden="true">', _land(frame_name, frozenset(marked)), "</g>"]
    x, y, count, rank = marks.x, marks.y, marks.count, marks.rank
    largest = max(1, max(count, default=1))
    margin = 4
    shown = sorted((i for i in range(len(x)) if -margin <= x[i] <= w + margin
                    and -margin <= y[i] <= h + margin), key=lambda i: (-count[i], rank[i]))
    radius = {i: 3 + 13 * math.sqrt(count[i] / largest) if count[i] else 5.0 for i in shown}
    boxes = [(x[i] - radius[i], y[i] - radius[i], x[i] + radius[i], y[i] + radius[i])
             for i in shown]
    circles = []
    for i in reversed(shown):
        name, href = marks.names[i], marks.hrefs[i]
        circle = (f'<circle class="city" cx="{x[i]:.1f}" cy="{y[i]:.1f}" r="{radius[i]:.1f}" '
                  'fill="#1f5f8b" fill-opacity="0.75" stroke="#ffffff" stroke-width="1"/>')
        if href:
            circles.append(f'<a href="{href}" aria-label="{name}"><title>{name}</title>{circle}'
                           "</a>")
        else:
            circles.append(f"<g><title>{name}</title>{circle}</g>")
    table = np.array(boxes) if len(boxes) >= MANY else None
    names: list[str] = []
    placed: list[tuple[float, float, float, float]] = []
    for i in shown[:labels]:
        text, cx, cy, r = marks.labels[i], x[i], y[i], radius[i]
        width, height = 7.2 * len(text) + 4, 16
        for bx, by, anchor in ((cx + r + 2, cy - height / 2, "start"),
                               (cx - r - 2 - width, cy - height / 2, "end"),
                               (cx - width / 2, cy - r - height, "middle"),
                               (cx - width / 2, cy + r, "middle")):
            box = (bx, by, bx + width, by + height)
            if box[0] < 0 or box[2] > w or box[1] < 0 or box[3] > h:
                continue
            if table is not None:
                if np.any((box[0] < table[:, 2]) & (table[:, 0] < box[2])
                          & (box[1] < table[:, 3]) & (table[:, 1] < box[3])):
                    continue
            elif any(overlaps(box, other) for other in boxes):
                continue
            if any(overlaps(box, other) for other in placed):
                continue
            placed.append(box)
            tx = {"start": bx, "end": bx + width, "middle": bx + width / 2}[anchor]
            names.append(f'<text x="{tx:.1f}" y="{by + 12:.1f}" text-anchor="{anchor}">'
                         f"{escape(text)}</text>")
            break
    parts.append('<g class="cities">' + "".join(circles) + "</g>")
    parts.append('<g class="labels" aria-hidden="true" font-size="13" fill="#1b1b1b" '
                 'font-family="sans-serif">' + "".join(names) + "</g></svg>")
    return Markup("".join(parts))


@lru_cache(maxsize=16)  # about 80 kB each
def _land(frame_name: str, marked: frozenset[str]) -> str:
    """The country outlines of a frame, those in ``marked`` (numeric codes) marked."""
    css = ' class="marked" fill="#f2c879"'
    return "".join(f'<path d="{d}"{css if cid in marked else ""}/>'
                   for cid, _name, d in outlines(frame_name))


def xy(frame_name: str, lon: float, lat: float) -> tuple[float, float]:
    """A place's position in a frame."""
    return _xy(frame_name, lon, lat)


@lru_cache(maxsize=1 << 14)
def _xy(frame_name: str, lon: float, lat: float) -> tuple[float, float]:
    """A place's position in a frame (places are few and drawn again and again)."""
    return FRAMES[frame_name].xy(lon, lat)


def overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
