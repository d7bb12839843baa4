"""City collaborations: cities linked by shared practices and projects, drawn as an SVG on the
server (each line links to what the two cities share), filterable by topic and country, and the
same edges as JSON and CSV."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request

from icc_graph.readmodel.catalogue import SHARED

from . import twins
from .catalogue import catalogue
from .context import ctx
from .errors import Problem
from .frame import language, local

bp = Blueprint("collaborations", __name__)
__all__ = ["SHARED", "bp", "edges"]


@dataclass(frozen=True)
class Shares:
    """The read model's collaboration edges: each pair of cities with the things they share,
    the topics (slugs) of each thing, and each city's country."""

    pairs: list[tuple[str, str, tuple[str, ...]]]  # sorted by pair; things sorted
    topics: dict[str, frozenset[str]]
    country: dict[str, str]  # city -> country IRI


def shares() -> Shares:
    c = ctx()
    cached = c.memo.get("shares")
    if isinstance(cached, Shares):
        return cached
    catalogue()  # a release without a read model answers 503 here
    assert c.read is not None
    by_pair: dict[tuple[str, str], list[str]] = defaultdict(list)
    for a, b, thing in c.read.execute("SELECT a, b, thing FROM cat_share ORDER BY a, b, thing"):
        by_pair[(a, b)].append(thing)
    topics: dict[str, set[str]] = defaultdict(set)
    for thing, topic in c.read.execute("SELECT thing, topic FROM cat_thing_topic"):
        topics[thing].add(topic)
    found = Shares([(a, b, tuple(things)) for (a, b), things in by_pair.items()],
                   {t: frozenset(v) for t, v in topics.items()},
                   dict(c.read.execute("SELECT city, country FROM cat_city_country").fetchall()))
    c.memo["shares"] = found
    return found


def edges(topic: str | None, country: str | None) -> list[dict[str, object]]:
    """The pairs of cities that collaborate (docs/model.md), with what they share: only the
    things of a topic (slug) if one is given, only the pairs with a city in a country (slug)."""
    s = shares()
    none: frozenset[str] = frozenset()
    out: list[dict[str, object]] = []
    for a, b, things in s.pairs:
        if country and country not in (s.country.get(a, "").rsplit("/", 1)[-1],
                                       s.country.get(b, "").rsplit("/", 1)[-1]):
            continue
        kept = [t for t in things if topic in s.topics.get(t, none)] if topic else list(things)
        if kept:
            out.append({"a": a, "b": b, "shared": kept})
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
    country_of = dict(shares().country)
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
    left_out = 0
    if layout == "network" and len(nodes) > network.MOST:
        nodes, edges = network.most_linked(nodes, edges)
        left_out = len(iris) - len(nodes)
        title = f"{i18n.translate('collab_title', lang)}: " + i18n.translate(
            "collab_most", lang).format(n=len(nodes), of=len(iris), links=len(edges))
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
    return {"svg": svg, "legend": legend, "unplaced": unplaced, "left_out": left_out,
            "shown": len(nodes), "cities": len(iris)}


@bp.route("/collaborations")
@bp.route("/collaborations.<ext>")
def collaborations(ext: str | None = None) -> Response:
    kind = twins.chosen("/collaborations", ext)
    topic, country = request.args.get("topic") or None, request.args.get("country") or None
    layout = request.args.get("layout", "network")
    if layout not in ("network", "map"):
        raise Problem(400, "layout is 'network' or 'map'")
    lang = language()
    found = edges(topic, country)
    cat = catalogue()

    def data() -> object:
        return {"edges": [{**e, "a_label": cat.label(str(e["a"]), lang),
                           "b_label": cat.label(str(e["b"]), lang)} for e in found]}

    def table() -> list[list[object]]:
        return [[e["a"], cat.label(str(e["a"]), lang), e["b"], cat.label(str(e["b"]), lang),
                 " ".join(e["shared"])] for e in found]  # type: ignore[arg-type]

    def html() -> str:
        topics = sorted(cat.used("topic"), key=lambda t: cat.label(t, lang))
        countries = sorted(cat.used("country"), key=lambda c: cat.label(c, lang))
        query = urlencode({k: v for k, v in (("topic", topic), ("country", country)) if v})
        return render_template(
            "collaborations.html", picture=picture(found, lang, layout, (topic, country)),
            edges=found, cat=cat, lang=lang, name=name, anchor=anchor, layout=layout,
            topics=[(t.rsplit("/", 1)[-1], cat.label(t, lang)) for t in topics],
            countries=[(c.rsplit("/", 1)[-1], cat.label(c, lang)) for c in countries],
            topic=topic, country=country, query=query, local=local)

    return twins.respond(kind, html, data,
                         ["city_a", "city_a_label", "city_b", "city_b_label", "shared"], table)
