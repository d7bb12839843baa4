"""Result views of the query page, as on Wikidata's query service: Table, BarChart, Map, Graph
and Timeline, chosen in the page (``view=``) or by a ``#defaultView:NAME`` comment in the query.
A view draws at most ``ROW_CAP`` rows (bars and timeline lines at most ``LINE_CAP``) and says
where it stopped, so drawing stays bounded work in the web process."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from . import charts, maps, network

VIEWS = ("Table", "BarChart", "Map", "Graph", "Timeline")
ROW_CAP = 2000  # rows a view reads
LINE_CAP = 200  # bars of a bar chart, lines of a timeline
DEFAULT_VIEW = re.compile(r"^\s*#\s*defaultView\s*:\s*(\w+)", re.IGNORECASE | re.MULTILINE)
NUMERIC = ("integer", "decimal", "double", "float", "int", "long", "short", "gYear")
WKT = re.compile(r"Point\s*\(\s*(-?[\d.]+)\s+(-?[\d.]+)\s*\)", re.IGNORECASE)
Term = Sequence[Any] | None


@dataclass
class Drawn:
    view: str
    svg: Markup | None = None
    note: str = ""
    cut: bool = False
    table: list[tuple[str, str | None, str]] = field(default_factory=list)  # label, href, value


def chosen_view(query: str, asked: str | None) -> str:
    """The view asked for in the page, else the query's ``#defaultView:``, else Table."""
    for name in (asked, *(m.group(1) for m in DEFAULT_VIEW.finditer(query or ""))):
        for view in VIEWS:
            if name and name.casefold() == view.casefold():
                return view
    return "Table"


def _number(t: Term) -> float | None:
    if t is None or t[0] != "literal":
        return None
    datatype = str(t[2] or "")
    if not datatype.endswith(NUMERIC):
        return None
    try:
        return float(str(t[1])[:4] if datatype.endswith("gYear") else t[1])
    except ValueError:
        return None


def _year(t: Term) -> int | None:
    if t is None or t[0] != "literal":
        return None
    match = re.match(r"^-?(\d{4})", str(t[1]))
    if match and str(t[2] or "").endswith(("integer", "gYear", "date", "dateTime", "int")):
        return int(match.group(1))
    return None


def _columns(rows: list[list[Term]], width: int, test: Callable[[Term], bool]) -> list[int]:
    return [i for i in range(width) if rows and all(test(r[i]) for r in rows if r[i] is not None)
            and any(r[i] is not None for r in rows)]


def draw(view: str, variables: Sequence[str], rows: list[list[Term]], label: Callable[[str], str],
         local: Callable[[str], str], coordinates: dict[str, tuple[float, float, str | None]],
         title: str) -> Drawn:
    """The view of these results, or a note saying what it needs when they do not fit it."""
    cut = len(rows) > ROW_CAP
    rows = rows[:ROW_CAP]
    width = len(variables)
    iris = _columns(rows, width, lambda t: t is not None and t[0] == "uri")
    numbers = _columns(rows, width, lambda t: _number(t) is not None)
    texts = [i for i in range(width) if i not in numbers]

    def name(t: Term) -> str:
        if t is None:
            return ""
        return label(str(t[1])) if t[0] == "uri" else str(t[1])

    def href(t: Term) -> str | None:
        return local(str(t[1])) if t is not None and t[0] == "uri" else None

    out = Drawn(view, cut=cut)
    if view == "BarChart":
        if not numbers or not texts:
            out.note = "A bar chart needs a label column and a number column."
            return out
        lab, num = texts[0], numbers[0]
        bars = [charts.Bar(name(r[lab]), int(_number(r[num]) or 0), href(r[lab]))
                for r in rows if r[num] is not None]
        out.cut = out.cut or len(bars) > LINE_CAP
        out.svg = charts.horizontal(bars, title, "view-chart", variables[num], limit=LINE_CAP)
        out.table = [(b.label, b.href, str(b.count)) for b in bars]
    elif view == "Map":
        points = _points(rows, variables, iris, texts, coordinates, name, href)
        if not points:
            out.note = ("A map needs ?lat and ?long columns, WKT points, or places that have "
                        "coordinates.")
            return out
        out.svg = maps.svg(points, maps.frame_for(points), title, element_id="view-map",
                           labels=20)
        out.table = [(p.label, p.href or None, f"{p.lat:.4f}, {p.long:.4f}") for p in points]
    elif view == "Graph":
        if len(iris) < 2:
            out.note = "A graph needs two columns of IRIs (each row a link)."
            return out
        a, b = iris[0], iris[1]
        nodes = {str(r[i][1]): network.Node(str(r[i][1]), name(r[i]), None,  # type: ignore[index]
                                            href(r[i]) or "")
                 for r in rows for i in (a, b) if r[i] is not None}
        counts: dict[tuple[str, str], int] = {}
        for r in rows:
            if r[a] is not None and r[b] is not None and r[a][1] != r[b][1]:  # type: ignore[index]
                x, y = sorted((str(r[a][1]), str(r[b][1])))  # type: ignore[index]
                counts[(x, y)] = counts.get((x, y), 0) + 1
        edges = [network.Edge(x, y, n, nodes[x].href, f"{nodes[x].label} – {nodes[y].label}")
                 for (x, y), n in sorted(counts.items())]
        ordered = sorted(nodes.values(), key=lambda n: n.iri)
        out.svg = network.svg(ordered, edges, network.spring(ordered, edges), title, {})
        out.table = [(f"{nodes[x].label} – {nodes[y].label}", nodes[x].href, str(n))
                     for (x, y), n in sorted(counts.items())]
    elif view == "Timeline":
        years = _columns(rows, width, lambda t: _year(t) is not None)
        if not years:
            out.note = "A timeline needs a column of years or dates."
            return out
        label_column = next((i for i in texts if i not in years), None)
        spans = []
        for r in rows:
            start = _year(r[years[0]])
            if start is None:
                continue
            end = _year(r[years[1]]) if len(years) > 1 else None
            t = r[label_column] if label_column is not None else None
            spans.append((name(t) if t is not None else str(start), href(t), start,
                          end or start))
        out.cut = out.cut or len(spans) > LINE_CAP
        out.svg = timeline(spans[:LINE_CAP], title)
        out.table = [(s[0], s[1], f"{s[2]}–{s[3]}" if s[3] != s[2] else str(s[2]))
                     for s in spans]
    return out


def _points(rows: list[list[Term]], variables: Sequence[str], iris: list[int], texts: list[int],
            coordinates: dict[str, tuple[float, float, str | None]],
            name: Callable[[Term], str], href: Callable[[Term], str | None]) -> list[maps.Point]:
    lower = [v.casefold() for v in variables]
    lat = next((i for i, v in enumerate(lower) if v in ("lat", "latitude")), None)
    long = next((i for i, v in enumerate(lower) if v in ("long", "lon", "lng", "longitude")),
                None)
    wkt = next((i for i in range(len(variables)) if rows and any(
        r[i] is not None and r[i][0] == "literal" and WKT.search(str(r[i][1]))  # type: ignore[index]
        for r in rows)), None)
    lab = next((i for i in iris + texts if i not in (lat, long, wkt)), None)
    size = next((i for i in range(len(variables)) if i not in (lat, long, wkt) and rows
                 and all(_number(r[i]) is not None for r in rows if r[i] is not None)), None)
    points = []
    for r in rows:
        where: tuple[float, float] | None = None
        if lat is not None and long is not None and r[lat] is not None and r[long] is not None:
            try:
                where = (float(r[lat][1]), float(r[long][1]))  # type: ignore[index]
            except ValueError:
                where = None
        elif wkt is not None and r[wkt] is not None:
            m = WKT.search(str(r[wkt][1]))  # type: ignore[index]
            where = (float(m.group(2)), float(m.group(1))) if m else None
        else:
            found = [str(t[1]) for t in (r[i] for i in iris) if t is not None]
            place = next((p for p in found if p in coordinates), None)
            if place:
                where = (coordinates[place][0], coordinates[place][1])
        if where is None:
            continue
        t: Term = r[lab] if lab is not None else None
        count = int(_number(r[size]) or 0) if size is not None else 0  # sized by a number
        points.append(maps.Point(str(t[1]) if t else "", name(t) or "·", where[0], where[1],
                                 count, href(t) or "", str(count) if size is not None else ""))
    return points


def timeline(spans: list[tuple[str, str | None, int, int]], title: str) -> Markup:
    """One line per row: its label, and a bar from its first to its last year."""
    from markupsafe import escape

    if not spans:
        return Markup("")
    first, last = min(s[2] for s in spans), max(s[3] for s in spans)
    left, right, row = 240, 40, 22
    plot = 600
    width, height = left + plot + right, 30 + row * len(spans)

    def x(year: float) -> float:
        return left + plot * (year - first) / max(1, last - first + 1)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart timeline" viewBox="0 0 '
             f'{width} {height}" width="{width}" height="{height}" font-size="12" '
             f'font-family="sans-serif" aria-labelledby="view-timeline-title" id="view-timeline">'
             f'<title id="view-timeline-title">{escape(title)}</title>'
             f'<g class="grid axis" aria-hidden="true" stroke="#c8c8c8" fill="#1b1b1b">']
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100) if (last - first + 1) / s <= 12)
    for year in range(first - first % step, last + 1, step):
        if year >= first:
            parts.append(f'<line x1="{x(year):.1f}" x2="{x(year):.1f}" y1="18" y2="{height}"/>'
                         f'<text x="{x(year):.1f}" y="13" text-anchor="middle" '
                         f'stroke="none">{year}</text>')
    parts.append("</g>")
    for i, (label, href, start, end) in enumerate(spans):
        y = 24 + i * row
        name = escape(f"{label}: {start}" + (f"–{end}" if end != start else ""))
        short = label if len(label) <= 34 else label[:33] + "…"
        bar = (f'<title>{name}</title><rect class="bar" x="{x(start):.1f}" y="{y + 4}" '
               f'width="{max(4.0, x(end + 1) - x(start)):.1f}" height="{row - 8}" '
               f'fill="#1f5f8b"/>')
        parts.append(f'<a href="{escape(href)}" aria-label="{name}">{bar}</a>' if href
                     else f'<g role="img" aria-label="{name}">{bar}</g>')
        parts.append(f'<text x="{left - 6}" y="{y + row / 2 + 4}" text-anchor="end" '
                     f'aria-hidden="true" fill="#1b1b1b">{escape(short)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
