"""The collaboration network as SVG: cities laid out by networkx's force-directed layout (or
on the map), coloured by country, lines as wide as what two cities share, names placed where
they do not overlap, each city a link to its page and each line a link to what they share."""

from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup, escape

from . import maps

# colour-blind-safe colours (Okabe and Ito, then Tol's muted scheme), dark enough for white text
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#b8860b", "#56b4e9", "#882255",
           "#44aa99", "#999933", "#6f4e37")
OTHER = "#8a8a8a"
WIDTH, MARGIN = 960, 45


@dataclass(frozen=True)
class Node:
    iri: str
    label: str
    country: str | None
    href: str


@dataclass(frozen=True)
class Edge:
    a: str
    b: str
    count: int
    href: str
    title: str


def colours(nodes: list[Node]) -> dict[str | None, str]:
    """A colour for each of the countries with most cities; the rest share grey."""
    counts: dict[str | None, int] = {}
    for n in nodes:
        counts[n.country] = counts.get(n.country, 0) + 1
    ranked = sorted((c for c in counts if c), key=lambda c: (-counts[c], c))
    return {c: PALETTE[i] for i, c in enumerate(ranked[:len(PALETTE)])}


# cities the network picture draws at most: beyond a few hundred a force layout is a tangle
# that no one can read, and networkx needs SciPy to lay out a group of 500 or more
MOST = 150


def most_linked(nodes: list[Node], edges: list[Edge]) -> tuple[list[Node], list[Edge]]:
    """The ``MOST`` cities with the most partners (then by IRI) and the links between them."""
    partners: dict[str, set[str]] = {}
    for e in edges:
        partners.setdefault(e.a, set()).add(e.b)
        partners.setdefault(e.b, set()).add(e.a)
    kept = set(sorted(partners, key=lambda c: (-len(partners[c]), c))[:MOST])
    return ([n for n in nodes if n.iri in kept],
            [e for e in edges if e.a in kept and e.b in kept])


def spring(nodes: list[Node], edges: list[Edge]) -> dict[str, tuple[float, float]]:
    """Positions in SVG units: each group of connected cities laid out by networkx's
    Fruchterman-Reingold layout (seeded, so a release always draws the same picture) in a
    square as large as the group needs, the squares packed in rows, largest first."""
    import networkx as nx  # loaded when a network is first laid out, not at start

    graph = nx.Graph()
    graph.add_nodes_from(n.iri for n in nodes)
    for e in edges:
        graph.add_edge(e.a, e.b, weight=float(e.count))
    groups = sorted((sorted(c) for c in nx.connected_components(graph)),
                    key=lambda c: (-len(c), c[0]))
    pos: dict[str, tuple[float, float]] = {}
    x = y = 0.0
    row = 0.0
    for group in groups:
        side = 90 + 70 * math.sqrt(len(group))
        if x + side > WIDTH and x > 0:
            x, y, row = 0.0, y + row, 0.0
        # a new graph with nodes and edges in sorted order: a subgraph view iterates a set,
        # whose order changes from one process to the next, and so would the layout
        sub = nx.Graph()
        sub.add_nodes_from(group)
        sub.add_weighted_edges_from(sorted((*sorted((a, b)), w) for a, b, w in
                                           graph.subgraph(group).edges(data="weight")))
        raw = nx.spring_layout(sub, seed=7, weight="weight",
                               iterations=200) if len(group) > 1 else {group[0]: (0.0, 0.0)}
        xs, ys = [p[0] for p in raw.values()], [p[1] for p in raw.values()]
        span_x, span_y = (max(xs) - min(xs)) or 1, (max(ys) - min(ys)) or 1
        inner = side - 2 * MARGIN
        for n, p in raw.items():
            px = 0.5 if len(group) == 1 else (p[0] - min(xs)) / span_x
            py = 0.5 if len(group) == 1 else (p[1] - min(ys)) / span_y
            pos[n] = (x + MARGIN + px * inner, y + MARGIN + py * inner)
        x += side
        row = max(row, side)
    return pos


def svg(nodes: list[Node], edges: list[Edge], pos: dict[str, tuple[float, float]], title: str,
        palette: dict[str | None, str], frame: str | None = None) -> Markup:
    """The picture: over a map when ``frame`` names one, else on a blank canvas."""
    shown = [n for n in nodes if n.iri in pos]
    if frame:
        f = maps.FRAMES[frame]
        width, height = f.width, f.height
        base = str(maps.svg([], frame, title, element_id="network-svg"))
        head, _, _ = base.rpartition('<g class="cities">')
        parts = [head.replace('class="map ', 'class="network map ', 1)]
    else:
        width = WIDTH
        height = max([y for _x, y in pos.values()] + [0]) + MARGIN
        parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="network" viewBox="0 0 '
                 f'{width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
                 f'aria-labelledby="network-svg-title" id="network-svg">'
                 f'<title id="network-svg-title">{escape(title)}</title>']
    parts.append('<g class="edges" fill="none">')
    for e in sorted(edges, key=lambda e: e.count):
        if e.a not in pos or e.b not in pos:
            continue
        (x1, y1), (x2, y2) = pos[e.a], pos[e.b]
        name = escape(e.title)
        parts.append(f'<a href="{escape(e.href)}" class="edge" aria-label="{name}">'
                     f'<title>{name}</title>'
                     f'<line class="edge" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" '
                     f'y2="{y2:.1f}" stroke="#6b6f73" stroke-opacity="0.55" '
                     f'stroke-width="{1 + 1.6 * math.sqrt(e.count - 1):.1f}"/></a>')
    parts.append("</g><g class=\"nodes\">")
    degree: dict[str, int] = {}
    for e in edges:
        degree[e.a] = degree.get(e.a, 0) + e.count
        degree[e.b] = degree.get(e.b, 0) + e.count
    radius = {n.iri: 4 + 1.5 * math.sqrt(degree.get(n.iri, 0)) for n in shown}
    for n in shown:
        x, y = pos[n.iri]
        name = escape(n.label)
        parts.append(f'<a href="{escape(n.href)}" aria-label="{name}"><title>{name}</title>'
                     f'<circle class="node" cx="{x:.1f}" cy="{y:.1f}" r="{radius[n.iri]:.1f}" '
                     f'fill="{palette.get(n.country, OTHER)}" stroke="#ffffff" '
                     f'stroke-width="1.5"/></a>')
    parts.append('</g><g class="labels" aria-hidden="true" font-size="13" '
                 'font-family="sans-serif" fill="#1b1b1b">')
    placed = [(pos[n.iri][0] - radius[n.iri], pos[n.iri][1] - radius[n.iri],
               pos[n.iri][0] + radius[n.iri], pos[n.iri][1] + radius[n.iri]) for n in shown]
    for n in sorted(shown, key=lambda n: (-degree.get(n.iri, 0), n.label)):
        x, y = pos[n.iri]
        r = radius[n.iri]
        w, h = 7.0 * len(n.label) + 4, 15
        for bx, by, anchor in ((x + r + 2, y - h / 2, "start"), (x - r - 2 - w, y - h / 2, "end"),
                               (x - w / 2, y - r - h - 1, "middle"), (x - w / 2, y + r + 1,
                                                                      "middle")):
            box = (bx, by, bx + w, by + h)
            if box[0] < 0 or box[2] > width or box[1] < 0 or box[3] > height:
                continue
            if any(maps.overlaps(box, other) for other in placed):
                continue
            placed.append(box)
            tx = {"start": bx, "end": bx + w, "middle": bx + w / 2}[anchor]
            parts.append(f'<text x="{tx:.1f}" y="{by + 11.5:.1f}" text-anchor="{anchor}">'
                         f"{escape(n.label)}</text>")
            break
    parts.append("</g></svg>")
    return Markup("".join(parts))


def swatch(colour: str) -> Markup:
    """A small square of a legend's colour."""
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" width="14" height="14" '
                  f'aria-hidden="true"><rect width="14" height="14" rx="3" '
                  f'fill="{escape(colour)}"/></svg>')
