"""City collaborations: cities linked by shared practices and projects, drawn as an SVG on the
server (each line links to what the two cities share), filterable by topic and country, and the
same edges as JSON and CSV."""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, render_template, request
from markupsafe import Markup, escape

from icc_graph.store import Query

from . import negotiation
from .browse import catalogue
from .context import ctx
from .errors import Problem
from .resources import language, local

bp = Blueprint("collaborations", __name__)
P = "PREFIX icc: <https://w3id.org/icc-graph/def/icc#> "
# (thing shared, city), by the collaboration rule of docs/model.md: a practice's cities and the
# cities that took part in it, and a project's participating cities. A practice documented under
# a project does not make its city a participant of that project.
SHARED = P + """SELECT DISTINCT ?thing ?city WHERE {
  { ?thing a icc:GoodPractice ; icc:place ?city }
  UNION { ?a icc:participationIn ?thing ; icc:agent ?city }
  ?city a icc:City }"""
TOPICS = P + "SELECT ?thing ?topic WHERE { { ?thing icc:topic ?topic } UNION " \
             "{ ?p icc:relatedProject ?thing ; icc:topic ?topic } }"


def edges(topic: str | None, country: str | None) -> list[dict[str, object]]:
    c = ctx()
    rows = c.cache.get_or_make(("collab", "shared"), lambda: c.backend.query(
        Query(SHARED, max_rows=10_000_000), c.settings.query_timeout * 6).rows, lambda _: 0)
    topics = c.cache.get_or_make(("collab", "topics"), lambda: c.backend.query(
        Query(TOPICS, max_rows=10_000_000), c.settings.query_timeout * 6).rows, lambda _: 0)
    by_topic: dict[str, set[str]] = defaultdict(set)
    for row in topics:
        by_topic[str(row[0][1])].add(str(row[1][1]).rsplit("/", 1)[-1])  # type: ignore[index]
    cities: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        shared, city = str(row[0][1]), str(row[1][1])  # type: ignore[index]
        if topic is None or topic in by_topic[shared]:
            cities[shared].add(city)
    cat = catalogue()
    country_of: dict[str, str] = {}
    for p in cat.practices.values():
        if len(p.facets["country"]) == 1:
            for city in p.facets["city"]:
                country_of.setdefault(city, next(iter(p.facets["country"])).rsplit("/", 1)[-1])
    pairs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for shared, members in cities.items():
        for a in members:
            for b in members:
                if a < b:
                    pairs[(a, b)].add(shared)
    out: list[dict[str, object]] = []
    for (a, b), things in sorted(pairs.items()):
        if country and country not in (country_of.get(a), country_of.get(b)):
            continue
        out.append({"a": a, "b": b, "shared": sorted(things)})
    return out


def svg(found: list[dict[str, object]], lang: str) -> Markup:
    cat = catalogue()
    nodes = sorted({str(e["a"]) for e in found} | {str(e["b"]) for e in found})
    size, radius = 720, 300
    pos = {n: (size / 2 + radius * math.cos(2 * math.pi * i / max(1, len(nodes))),
               size / 2 + radius * math.sin(2 * math.pi * i / max(1, len(nodes))))
           for i, n in enumerate(nodes)}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
             f'width="{size}" height="{size}" role="img" aria-label="City collaborations">']
    for e in found:
        (x1, y1), (x2, y2) = pos[str(e["a"])], pos[str(e["b"])]
        shared = [str(s) for s in e["shared"]]  # type: ignore[attr-defined]
        title = escape(f"{cat.label(str(e['a']), lang)} – {cat.label(str(e['b']), lang)}: "
                       + "; ".join(cat.label(s, lang) for s in shared))
        parts.append(f'<a href="{escape(local(shared[0]))}" class="edge"><title>{title}</title>'
                     f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                     f'stroke="#4a7" stroke-width="{1 + len(shared)}" stroke-opacity="0.6"/></a>')
    for n in nodes:
        x, y = pos[n]
        parts.append(f'<a href="{escape(local(n))}" class="node"><circle cx="{x:.1f}" '
                     f'cy="{y:.1f}" r="5" fill="#235"/><text x="{x + 7:.1f}" y="{y + 4:.1f}" '
                     f'font-size="11">{escape(cat.label(n, lang))}</text></a>')
    parts.append("</svg>")
    return Markup("".join(parts))


@bp.route("/collaborations")
@bp.route("/collaborations.<ext>")
def collaborations(ext: str | None = None) -> Response:
    if ext not in (None, "json", "csv"):
        raise Problem(404, "served as /collaborations, /collaborations.json or .csv")
    if ext is None:
        media = negotiation.best(["text/html", "application/json", "text/csv"])
        ext = {"text/html": None, "application/json": "json", "text/csv": "csv"}.get(
            media or "", "html") or None
    topic, country = request.args.get("topic") or None, request.args.get("country") or None
    lang = language()
    found = edges(topic, country)
    cat = catalogue()
    if ext == "json":
        response = jsonify({"edges": [{**e, "a_label": cat.label(str(e["a"]), lang),
                                       "b_label": cat.label(str(e["b"]), lang)} for e in found]})
    elif ext == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(["city_a", "city_a_label", "city_b", "city_b_label", "shared"])
        for e in found:
            w.writerow([e["a"], cat.label(str(e["a"]), lang), e["b"],
                        cat.label(str(e["b"]), lang), " ".join(e["shared"])])  # type: ignore[arg-type]
        response = Response(buf.getvalue(), mimetype="text/csv")
    else:
        topics = sorted({t for p in cat.practices.values() for t in p.facets["topic"]},
                        key=lambda t: cat.label(t, lang))
        countries = sorted({c for p in cat.practices.values() for c in p.facets["country"]},
                           key=lambda c: cat.label(c, lang))
        query = urlencode({k: v for k, v in (("topic", topic), ("country", country)) if v})
        response = Response(render_template(
            "collaborations.html", picture=svg(found, lang), edges=found, cat=cat, lang=lang,
            topics=[(t.rsplit("/", 1)[-1], cat.label(t, lang)) for t in topics],
            countries=[(c.rsplit("/", 1)[-1], cat.label(c, lang)) for c in countries],
            topic=topic, country=country, query=query, local=local), mimetype="text/html")
    response.vary.add("Accept")
    return response
