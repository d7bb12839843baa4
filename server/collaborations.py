"""City collaborations: cities linked by shared practices and projects, drawn as an SVG on the
server (each line links to what the two cities share), filterable by topic and country, and the
same edges as JSON and CSV."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, render_template, request

from icc_graph.store import Query

from . import negotiation
from .browse import catalogue
from .context import ctx
from .errors import Problem
from .frame import language, local

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


def name(iri: str, lang: str) -> str:
    """A practice's title, or a thing's name."""
    cat = catalogue()
    if iri in cat.practices:
        return cat.practices[iri].title(lang)
    return cat.label(iri, lang)


def anchor(a: str, b: str) -> str:
    return f"e-{a.rsplit('/', 1)[-1]}-{b.rsplit('/', 1)[-1]}"


def picture(found: list[dict[str, object]], lang: str, layout: str,
            key: tuple[str | None, str | None]) -> dict[str, object]:
    """The network (or map) of these links, its legend and the cities left off the map; drawn
    once per filter and kept in the cache."""
    return ctx().cache.get_or_make(("collab-picture", key, layout, lang),
                                   lambda: _picture(found, lang, layout), lambda _: 0)


def _picture(found: list[dict[str, object]], lang: str, layout: str) -> dict[str, object]:
    from . import i18n, maps, network, overview

    cat = catalogue()
    located = overview.coordinates()
    country_of: dict[str, str] = {}
    for p in cat.practices.values():
        if len(p.facets["country"]) == 1:
            for city in p.facets["city"]:
                country_of.setdefault(city, next(iter(p.facets["country"])))
    for iri, (_lat, _long, country) in located.items():
        if country:
            country_of[iri] = country
    iris = sorted({str(e["a"]) for e in found} | {str(e["b"]) for e in found})
    nodes = [network.Node(i, cat.label(i, lang), country_of.get(i), local(i)) for i in iris]
    edges = []
    for e in found:
        a, b = str(e["a"]), str(e["b"])
        shared = [str(s) for s in e["shared"]]  # type: ignore[attr-defined]
        edges.append(network.Edge(a, b, len(shared), "#" + anchor(a, b),
                                  f"{cat.label(a, lang)} – {cat.label(b, lang)}: "
                                  + "; ".join(name(s, lang) for s in shared)))
    palette = network.colours(nodes)
    title = f"{i18n.translate('collab_title', lang)}: {len(nodes)} " \
            f"{i18n.translate('cities', lang)}, {len(edges)} {i18n.translate('links', lang)}"
    unplaced: list[str] = []
    if layout == "map":
        points = [maps.Point(n.iri, n.label, located[n.iri][0], located[n.iri][1])
                  for n in nodes if n.iri in located]
        frame = maps.frame_for(points)
        pos = {p.iri: maps.FRAMES[frame].xy(p.long, p.lat) for p in points}
        unplaced = sorted((n.label for n in nodes if n.iri not in located), key=str.casefold)
        svg = network.svg(nodes, edges, pos, title, palette, frame)
    else:
        svg = network.svg(nodes, edges, network.spring(nodes, edges), title, palette)
    legend = [(cat.label(c, lang), network.swatch(colour)) for c, colour in palette.items() if c]
    if any(n.country not in palette for n in nodes):
        legend.append((i18n.translate("other", lang), network.swatch(network.OTHER)))
    return {"svg": svg, "legend": legend, "unplaced": unplaced}


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
    layout = request.args.get("layout", "network")
    if layout not in ("network", "map"):
        raise Problem(400, "layout is 'network' or 'map'")
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
            "collaborations.html", picture=picture(found, lang, layout, (topic, country)),
            edges=found, cat=cat, lang=lang, name=name, anchor=anchor, layout=layout,
            topics=[(t.rsplit("/", 1)[-1], cat.label(t, lang)) for t in topics],
            countries=[(c.rsplit("/", 1)[-1], cat.label(c, lang)) for c in countries],
            topic=topic, country=country, query=query, local=local), mimetype="text/html")
    response.vary.add("Accept")
    return response
