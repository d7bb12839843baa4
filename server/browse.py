"""Browsing the practices: facets that combine (any value within a facet, every facet), a text
search, sorting and pages, all in stable URLs; the same list as HTML, JSON and CSV."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import quote_plus, urlencode

from flask import Blueprint, Response, render_template, request

from icc_graph.readmodel.catalogue import FACET_KINDS

from . import overview, twins
from .catalogue import (
    FACET_LABELS,
    FACETS,
    NOT_RECORDED,
    NOT_RECORDED_LABELS,
    SORTS,
    Catalogue,
    Practice,
    catalogue_of,
)
from .context import ctx
from .errors import Problem
from .frame import language

bp = Blueprint("browse", __name__)
__all__ = ["FACET_KINDS", "catalogue", "value_key"]


def catalogue() -> Catalogue:
    c = ctx()
    if c.read is None:
        raise Problem(503, f"the release at {c.release.path} has no read model: run "
                           "`icc-graph build` to write it again")
    return catalogue_of(c.read, c.memo)


def value_key(facet: str, iri: str) -> str:
    """The short form of a facet value in URLs: a slug, or the year."""
    return iri if facet == "year" else iri.rsplit("/", 1)[-1]


def chosen_filters(cat: Catalogue) -> dict[str, set[str]]:
    chosen: dict[str, set[str]] = {}
    for f in FACETS:
        keys = cat.facets[f].keys
        values = request.args.getlist(f)
        unknown = [v for v in values if v not in keys]
        if unknown:
            raise Problem(400, f"unknown {f} '{unknown[0]}': use a value listed under "
                               f"{FACET_LABELS[f]} on /practices")
        chosen[f] = {keys[v] for v in values}
    return chosen


def url_with(**changes: Any) -> str:
    """This page's URL with some parameters changed; parameters are kept in a stable order."""
    params: list[tuple[str, str]] = []
    keys = list(dict.fromkeys([*request.args.keys(), *changes.keys()]))
    for key in sorted(keys):
        if key in changes:
            value = changes[key]
            values = value if isinstance(value, list) else ([] if value is None else [value])
        else:
            values = request.args.getlist(key)
        params += [(key, str(v)) for v in sorted(values)]
    return request.path + ("?" + urlencode(params) if params else "")


class Toggles:
    """The URLs of this list with one facet value added or removed (and the page dropped):
    ``url_with`` for each value of each facet, made fast by encoding this request's other
    parameters once."""

    def __init__(self) -> None:
        self.raw = {k: request.args.getlist(k) for k in request.args if k != "page"}
        self.encoded = {k: [f"{quote_plus(k)}={quote_plus(v)}" for v in sorted(vs)]
                        for k, vs in self.raw.items()}
        self.around: dict[str, tuple[str, str]] = {}

    def _around(self, facet: str) -> tuple[str, str]:
        found = self.around.get(facet)
        if found is None:
            keys = sorted(self.encoded)
            found = self.around[facet] = (
                "&".join(e for k in keys if k < facet for e in self.encoded[k]),
                "&".join(e for k in keys if k > facet for e in self.encoded[k]))
        return found

    def url(self, facet: str, key: str) -> str:
        values = self.raw.get(facet, [])
        new = [v for v in values if v != key] if key in values else [*values, key]
        before, after = self._around(facet)
        name = quote_plus(facet)
        middle = "&".join(f"{name}={quote_plus(v)}" for v in sorted(new))
        query = "&".join(part for part in (before, middle, after) if part)
        return request.path + ("?" + query if query else "")


def toggle(facet: str, key: str) -> str:
    values = request.args.getlist(facet)
    new = [v for v in values if v != key] if key in values else [*values, key]
    return url_with(**{facet: new, "page": None})


def toggle_on(facet: str, key: str) -> str:
    """This list narrowed to one more value (unchanged when it is already chosen)."""
    values = request.args.getlist(facet)
    return url_with(**{facet: values if key in values else [*values, key], "page": None})


def _row(p: Practice, cat: Catalogue, lang: str) -> dict[str, Any]:
    title = p.title(lang)
    return {
        "iri": p.iri, "slug": p.slug, "title": title, "titles": p.titles,
        "title_lang": next((k for k, v in p.titles.items() if v == title), None),
        "url": f"/doc/practice/{p.slug}",
        "countries": sorted(cat.label(c, lang) for c in cat.values_of(p, "country")),
        "cities": sorted(cat.label(c, lang) for c in cat.values_of(p, "city")),
        "topics": sorted(cat.label(t, lang) for t in cat.values_of(p, "topic")),
        "start": p.start, "end": p.end, "ongoing": p.ongoing, "period": p.period,
    }


def _ongoing(row: dict[str, Any]) -> str:
    """The CSV's ongoing cell: empty when nothing is known of the period."""
    if row["ongoing"]:
        return "true"
    return "false" if row["start"] or row["end"] else ""


def facet_values(cat: Catalogue, chosen: dict[str, set[str]], masks: dict[str, Any],
                 lang: str) -> list[dict[str, Any]]:
    """Each facet with its values: count under the other filters, chosen or not, and the URL
    that toggles it."""
    toggles = Toggles()
    facets = []
    for f in FACETS:
        counts = cat.counts(f, cat.selection(masks, skip=f))
        for v in chosen[f]:  # a chosen value always shows, so it can be removed
            counts.setdefault(v, 0)
        values: list[dict[str, Any]] = []
        for v, n in counts.items():
            key = value_key(f, v)
            values.append({"key": key, "label": NOT_RECORDED_LABELS[f] if v == NOT_RECORDED
                           else v if f == "year" else cat.label(v, lang),
                           "count": n, "selected": v in chosen[f], "url": toggles.url(f, key)})
        if f == "year":
            values.sort(key=lambda x: (x["key"] == NOT_RECORDED, x["label"]))
        else:
            values.sort(key=lambda x: (x["key"] == NOT_RECORDED, -x["count"],
                                       x["label"].casefold()))
        facets.append({"name": f, "label": FACET_LABELS[f], "values": values})
    return facets


@bp.route("/practices")
@bp.route("/practices.<ext>")
def practices(ext: str | None = None) -> Response:
    kind = twins.chosen("/practices", ext)
    cat = catalogue()
    lang = language()
    chosen = chosen_filters(cat)
    q = request.args.get("q", "").strip()
    sort = request.args.get("sort", "title")
    if sort not in SORTS:
        raise Problem(400, f"sort must be one of: {', '.join(SORTS)}")
    paged = "page" in request.args or "per_page" in request.args or kind == "html"
    try:
        page = max(1, int(request.args.get("page", "1")))
        per_page = min(500, max(1, int(request.args.get("per_page", "20"))))
    except ValueError:
        raise Problem(400, "page and per_page are whole numbers") from None
    masks = cat.masks(chosen, q)
    selected = cat.selection(masks)
    matching = cat.ordered(selected, sort, lang)
    total = len(matching)
    shown = matching[(page - 1) * per_page: page * per_page] if paged else matching
    rows = [_row(cat.practices.rows[int(n)], cat, lang) for n in shown]

    def data() -> object:
        facets = facet_values(cat, chosen, masks, lang)
        return {"total": total, "page": page if paged else None,
                "per_page": per_page if paged else None, "practices": rows,
                "facets": {f["name"]: f["values"] for f in facets}}

    def table() -> list[list[object]]:
        return [[r["iri"], r["title"], "; ".join(r["countries"]), "; ".join(r["cities"]),
                 "; ".join(r["topics"]), r["start"] or "", r["end"] or "", _ongoing(r),
                 r["period"] or ""] for r in rows]

    def html() -> str:
        facets = facet_values(cat, chosen, masks, lang)
        pages = max(1, math.ceil(total / per_page))
        key = ("practices", tuple(sorted((f, tuple(sorted(v))) for f, v in chosen.items())), q)
        fig = overview.figures(cat, selected, lang,
                               lambda f, v: toggle_on(f, value_key(f, v)), key)
        return render_template(
            "practices.html", rows=rows, facets=facets, total=total, page=page, pages=pages,
            fig=fig, selected=[(f["label"], v) for f in facets
                               for v in f["values"] if v["selected"]],
            q=q, sort=sort, lang=lang, url_with=url_with,
            twins=[(name, url_with(page=None, per_page=None).replace(
                "/practices", f"/practices.{ext}", 1)) for name, ext in (("JSON", "json"),
                                                                          ("CSV", "csv"))])

    response = twins.respond(kind, html, data, ["iri", "title", "countries", "cities", "topics",
                                                "start", "end", "ongoing", "period"], table)
    response.vary.add("Accept-Language")
    return response
