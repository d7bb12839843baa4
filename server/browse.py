"""Browsing the practices: facets that combine (any value within a facet, every facet), a text
search, sorting and pages, all in stable URLs; the same list as HTML, JSON and CSV."""

from __future__ import annotations

import csv
import io
import math
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, render_template, request

from . import negotiation, overview
from .catalogue import (
    FACET_LABELS,
    FACETS,
    NOT_RECORDED,
    NOT_RECORDED_LABELS,
    Catalogue,
    Practice,
    catalogue_of,
)
from .context import ctx
from .errors import Problem
from .frame import language

bp = Blueprint("browse", __name__)
SORTS = ("title", "year", "-year")


def catalogue() -> Catalogue:
    c = ctx()
    return catalogue_of(c.backend, c.settings.query_timeout, c.memo)


def value_key(facet: str, iri: str) -> str:
    """The short form of a facet value in URLs: a slug, or the year."""
    return iri if facet == "year" else iri.rsplit("/", 1)[-1]


# the kinds of things each facet's values are (the year facet's values are years)
FACET_KINDS = {"topic": ("topic",), "country": ("country",), "city": ("city", "place"),
               "organisation": ("org",), "project": ("project",), "programme": ("programme",)}


def chosen_filters(cat: Catalogue) -> dict[str, set[str]]:
    by_key: dict[str, dict[str, str]] = {f: {} for f in FACETS}
    for p in cat.practices.values():
        for f in FACETS:
            for iri in p.facets[f]:
                by_key[f][value_key(f, iri)] = iri
    for f in NOT_RECORDED_LABELS:
        by_key[f][NOT_RECORDED] = NOT_RECORDED
    base = ctx().settings.base_iri
    for f, kinds in FACET_KINDS.items():  # a known value with no practice is a filter too
        for iri in cat.labels:
            if any(iri.startswith(f"{base}id/{kind}/") for kind in kinds):
                by_key[f].setdefault(value_key(f, iri), iri)
    chosen: dict[str, set[str]] = {}
    for f in FACETS:
        values = request.args.getlist(f)
        unknown = [v for v in values if v not in by_key[f]]
        if unknown:
            raise Problem(400, f"unknown {f} '{unknown[0]}': use a value listed under "
                               f"{FACET_LABELS[f]} on /practices")
        chosen[f] = {by_key[f][v] for v in values}
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


def toggle(facet: str, key: str) -> str:
    values = request.args.getlist(facet)
    new = [v for v in values if v != key] if key in values else [*values, key]
    return url_with(**{facet: new, "page": None})


def toggle_on(facet: str, key: str) -> str:
    """This list narrowed to one more value (unchanged when it is already chosen)."""
    values = request.args.getlist(facet)
    return url_with(**{facet: values if key in values else [*values, key], "page": None})


def _sorted(practices: list[Practice], sort: str, lang: str) -> list[Practice]:
    if sort == "title":
        return sorted(practices, key=lambda p: (p.title(lang).casefold(), p.slug))
    missing = -1 if sort == "-year" else 10_000
    return sorted(practices, key=lambda p: ((p.start if p.start is not None else missing)
                                            * (-1 if sort == "-year" else 1), p.slug))


def _row(p: Practice, cat: Catalogue, lang: str) -> dict[str, Any]:
    return {
        "iri": p.iri, "slug": p.slug, "title": p.title(lang), "titles": p.titles,
        "title_lang": next((k for k, v in p.titles.items() if v == p.title(lang)), None),
        "url": f"/doc/practice/{p.slug}",
        "countries": sorted(cat.label(c, lang) for c in p.facets["country"]),
        "cities": sorted(cat.label(c, lang) for c in p.facets["city"]),
        "topics": sorted(cat.label(t, lang) for t in p.facets["topic"]),
        "start": p.start, "end": p.end, "ongoing": p.ongoing, "period": p.period,
    }


def _ongoing(row: dict[str, Any]) -> str:
    """The CSV's ongoing cell: empty when nothing is known of the period."""
    if row["ongoing"]:
        return "true"
    return "false" if row["start"] or row["end"] else ""


@bp.route("/practices")
@bp.route("/practices.<ext>")
def practices(ext: str | None = None) -> Response:
    if ext not in (None, "json", "csv"):
        raise Problem(404, "the list is served as /practices, /practices.json or /practices.csv")
    if ext is None:
        media = negotiation.best(["text/html", "application/json", "text/csv"])
        if media is None:
            raise Problem(406, "the list is served as text/html, application/json or text/csv")
        ext = {"text/html": None, "application/json": "json", "text/csv": "csv"}[media]
    cat = catalogue()
    lang = language()
    chosen = chosen_filters(cat)
    q = request.args.get("q", "").strip()
    sort = request.args.get("sort", "title")
    if sort not in SORTS:
        raise Problem(400, f"sort must be one of: {', '.join(SORTS)}")
    paged = "page" in request.args or "per_page" in request.args or ext is None
    try:
        page = max(1, int(request.args.get("page", "1")))
        per_page = min(500, max(1, int(request.args.get("per_page", "20"))))
    except ValueError:
        raise Problem(400, "page and per_page are whole numbers") from None
    matching = _sorted(cat.select(chosen, q), sort, lang)
    total = len(matching)
    shown = matching[(page - 1) * per_page: page * per_page] if paged else matching
    facets = []
    for f in FACETS:
        counts = cat.counts(f, chosen, q)
        for v in chosen[f]:  # a chosen value always shows, so it can be removed
            counts.setdefault(v, 0)
        values = [{"key": value_key(f, v), "label": NOT_RECORDED_LABELS[f] if v == NOT_RECORDED
                   else v if f == "year" else cat.label(v, lang),
                   "count": n, "selected": v in chosen[f], "url": toggle(f, value_key(f, v))}
                  for v, n in counts.items()]
        if f == "year":
            values.sort(key=lambda x: (x["key"] == NOT_RECORDED, str(x["label"])))
        else:
            values.sort(key=lambda x: (x["key"] == NOT_RECORDED, -int(str(x["count"])),
                                       str(x["label"]).casefold()))
        facets.append({"name": f, "label": FACET_LABELS[f], "values": values})
    rows = [_row(p, cat, lang) for p in shown]
    if ext == "json":
        response = jsonify({"total": total, "page": page if paged else None,
                            "per_page": per_page if paged else None, "practices": rows,
                            "facets": {f["name"]: f["values"] for f in facets}})
    elif ext == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(["iri", "title", "countries", "cities", "topics", "start", "end",
                         "ongoing", "period"])
        for r in rows:
            writer.writerow([r["iri"], r["title"], "; ".join(r["countries"]),
                             "; ".join(r["cities"]), "; ".join(r["topics"]), r["start"] or "",
                             r["end"] or "", _ongoing(r),
                             r["period"] or ""])
        response = Response(buf.getvalue(), mimetype="text/csv")
    else:
        pages = max(1, math.ceil(total / per_page))
        key = ("practices", tuple(sorted((f, tuple(sorted(v))) for f, v in chosen.items())), q)
        fig = overview.figures(cat, matching, lang, lambda f, v: toggle_on(f, value_key(f, v)),
                               key)
        response = Response(render_template(
            "practices.html", rows=rows, facets=facets, total=total, page=page, pages=pages,
            fig=fig, selected=[(f["label"], v) for f in facets
                               for v in f["values"] if v["selected"]],  # type: ignore[index]
            q=q, sort=sort, lang=lang, url_with=url_with,
            twins=[(name, url_with(page=None, per_page=None).replace(
                "/practices", f"/practices.{ext}", 1)) for name, ext in (("JSON", "json"),
                                                                          ("CSV", "csv"))],
        ), mimetype="text/html")
    response.vary.add("Accept")
    response.vary.add("Accept-Language")
    return response
