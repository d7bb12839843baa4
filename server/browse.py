"""Browsing the practices: facets that combine (any value within a facet, every facet), a text
search, sorting and pages, all in stable URLs; the same list as HTML, JSON and CSV."""

from __future__ import annotations

import math
import threading
from bisect import bisect_left
from typing import Any
from urllib.parse import quote_plus, urlencode

import numpy as np
from flask import Blueprint, Flask, Response, render_template, request
from flask.blueprints import BlueprintSetupState
from markupsafe import Markup, escape

from icc_graph.readmodel.catalogue import FACET_KINDS

from . import i18n, maps, overview, twins
from .catalogue import (
    FACET_LABELS,
    FACETS,
    NOT_RECORDED,
    NOT_RECORDED_LABELS,
    SORTS,
    Catalogue,
    Practice,
    catalogue,
    catalogue_of,
)
from .dataset import dataset_script
from .errors import Problem
from .frame import language
from .search import typed

bp = Blueprint("browse", __name__)
__all__ = ["FACET_KINDS", "catalogue", "value_key"]
# values a facet lists on the HTML page before "all N values" (``?expand=FACET`` lists them
# all; the JSON twin always has every value): at 10 000 practices the city, organisation and
# project facets hold thousands of values, most of them counted once
SHOWN = 15
UNBOUNDED = {"year"}  # years are listed in their order, and there are few of them
WARM_TEMPLATES = ("base.html", "_frame.html", "_figures.html", "home.html", "practices.html",
                  "resource.html")


@bp.record_once
def _warm(state: BlueprintSetupState) -> None:
    """As soon as the app is made, in the background: read the catalogue, project the maps'
    outlines, sort each facet's values and ready the cities to draw in every language, compile
    the pages' templates and write the home page's Dataset block, so that the first request of
    a new process finds them ready."""
    app = state.app
    assert isinstance(app, Flask)
    context = app.extensions.get("icc")
    if context is None or context.read is None:
        return

    def work() -> None:  # what every page needs first, then what the lists need
        for name in WARM_TEMPLATES:
            app.jinja_env.get_template(name)
        for frame in maps.FRAMES:
            maps.outlines(frame)
        cat = catalogue_of(context.read, context.memo)
        with app.app_context():
            for lang in i18n.LANGUAGES:
                for f in FACETS:
                    cat.unchosen(f, lang)
                overview.cities(cat, lang)
            dataset_script()  # the home page's schema.org block, last

    threading.Thread(target=work, name="icc-catalogue-warm", daemon=True).start()


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
        self.path = request.path
        self.sorted: dict[str, list[str]] = {}
        self.parts: dict[tuple[str, int, bool], tuple[str, str]] = {}

    def _around(self, facet: str) -> tuple[str, str]:
        found = self.around.get(facet)
        if found is None:
            keys = sorted(self.encoded)
            found = self.around[facet] = (
                "&".join(e for k in keys if k < facet for e in self.encoded[k]),
                "&".join(e for k in keys if k > facet for e in self.encoded[k]))
        return found

    def url(self, facet: str, key: str, quoted: str | None = None) -> str:
        values = self.raw.get(facet, [])
        if key not in values:
            head, tail = self.adding(facet, key)
            return head + (quoted or quote_plus(key)) + tail
        new = [v for v in values if v != key]
        before, after = self._around(facet)
        name = quote_plus(facet)
        middle = "&".join(f"{name}={quote_plus(v)}" for v in sorted(new))
        query = "&".join(part for part in (before, middle, after) if part)
        return self.path + ("?" + query if query else "")

    def narrowed(self, facet: str, key: str, quoted: str | None = None) -> str:
        """This list narrowed to one more value (the same list, on its first page, when the
        value is already chosen)."""
        if key in self.raw.get(facet, []):
            query = "&".join(e for k in sorted(self.encoded) for e in self.encoded[k])
            return self.path + ("?" + query if query else "")
        head, tail = self.adding(facet, key)
        return head + (quoted or quote_plus(key)) + tail

    def adding(self, facet: str, key: str, html: bool = False) -> tuple[str, str]:
        """The URL with one more value of a facet, not chosen yet: (what comes before the
        value's quoted key, what comes after), HTML-escaped if asked."""
        chosen = self.sorted.setdefault(facet, sorted(self.raw.get(facet, [])))
        return self.adding_at(facet, bisect_left(chosen, key) if chosen else 0, html)

    def adding_at(self, facet: str, at: int, html: bool = False) -> tuple[str, str]:
        """``adding`` for a key that goes after the first ``at`` values chosen (sorted)."""
        found = self.parts.get((facet, at, html))
        if found is None:
            before, after = self._around(facet)
            mine = self.encoded.get(facet, [])
            left = [*([before] if before else []), *mine[:at], f"{quote_plus(facet)}="]
            right = [*mine[at:], *([after] if after else [])]
            found = (f"{self.path}?{'&'.join(left)}", "".join("&" + r for r in right))
            if html:
                found = (str(escape(found[0])), str(escape(found[1])))
            self.parts[(facet, at, html)] = found
        return found




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


def cards(rows: list[dict[str, Any]], lang: str) -> Markup:
    """The list's cards: each practice's title linked (in its language when that is not the
    page's), its cities, countries and period, its topics as tags."""
    out = []
    for r in rows:
        other = r["title_lang"]
        attr = f' lang="{escape(other)}"' if other and other != lang else ""
        period = f" · {escape(r['period'])}" if r["period"] else ""
        meta = (f"{escape(', '.join(r['cities']))}{' · ' if r['cities'] else ''}"
                f"{escape(', '.join(r['countries']))}{period}")
        tags = ('<p class="tags">' + "".join(f"<span>{escape(t)}</span> " for t in r["topics"])
                + "</p>") if r["topics"] else ""
        out.append(f'<li class="card"><h3><a href="{escape(r["url"])}" class="practice"{attr}>'
                   f'{escape(r["title"])}</a></h3>\n<p class="meta">{meta}</p>\n{tags}</li>\n')
    return Markup("".join(out))


def _ongoing(row: dict[str, Any]) -> str:
    """The CSV's ongoing cell: empty when nothing is known of the period."""
    if row["ongoing"]:
        return "true"
    return "false" if row["start"] or row["end"] else ""


class Facets:
    """Each facet's values under the other filters: their counts, which are chosen, and the
    URL that toggles each; as rows (for JSON) or as the HTML list items of the page, written
    here rather than in the template: at 10 000 practices a page lists thousands of values."""

    def __init__(self, cat: Catalogue, chosen: dict[str, set[str]], masks: dict[str, Any],
                 lang: str, expanded: frozenset[str] = frozenset()):
        self.cat, self.chosen, self.lang, self.expanded = cat, chosen, lang, expanded
        self.toggles = Toggles()
        self.tallies = {f: cat.tally(f, cat.selection(masks, skip=f)) for f in FACETS}
        self.totals: dict[str, int] = {}

    def entries(self, f: str, limit: int | None = None) -> list[tuple[int, int, bool]]:
        """(value number, or -1 for "not recorded"; count; chosen) of the values shown, in the
        facet's order: by count then label (years by year), "not recorded" last; with a
        ``limit``, only the first ``limit`` values that are not chosen (and every chosen one).
        Sets ``totals[f]``, how many values there are to show."""
        cat, facet = self.cat, self.cat.facets[f]
        n, none = self.tallies[f]
        picked = {facet.index[v] for v in self.chosen[f] if v in facet.index}
        recorded = f in NOT_RECORDED_LABELS and (none or NOT_RECORDED in self.chosen[f])
        if limit == 0:  # the chosen values alone
            rank = cat.shown(f, self.lang)[2]
            out = [(i, int(n[i]), True) for i in sorted(
                picked, key=(lambda i: i) if f == "year" else (lambda i: (-n[i], rank[i])))]
            return out + ([(-1, none, True)] if NOT_RECORDED in self.chosen[f] else [])
        shown = np.flatnonzero(n)
        if picked:
            shown = np.union1d(shown, np.fromiter(picked, dtype=np.int64))
        self.totals[f] = len(shown) + recorded
        if f != "year":
            # one key a value: the count, highest first, then the label's rank
            key = cat.shown(f, self.lang)[2][shown] - n[shown] * len(facet.values)
            if limit is not None and len(shown) > limit + len(picked):
                first = np.argpartition(key, limit + len(picked))[:limit + len(picked)]
                shown, key = shown[first], key[first]
            shown = shown[np.argsort(key, kind="stable")]
        out, free = [], len(shown) if limit is None else limit
        for i, c in zip(shown.tolist(), n[shown].tolist(), strict=True):
            if i in picked:
                out.append((i, c, True))
            elif free:
                out.append((i, c, False))
                free -= 1
        if limit is not None:  # chosen values past the first ones
            listed = {i for i, _, _ in out}
            rank = cat.shown(f, self.lang)[2]
            out += [(i, int(n[i]), True) for i in sorted(picked - listed,
                                                         key=lambda i: (-n[i], rank[i]))]
        if recorded:
            out.append((-1, none, NOT_RECORDED in self.chosen[f]))
        return out

    def _values(self, f: str, chosen: bool = False) -> list[tuple[str, str, int, bool, str]]:
        """(key, label, count, chosen, toggling URL) of the values shown (or only of the
        chosen ones)."""
        facet, labels = self.cat.facets[f], self.cat.shown(f, self.lang)[0]
        url = self.toggles.url
        return [(NOT_RECORDED, NOT_RECORDED_LABELS[f], c, on, url(f, NOT_RECORDED)) if i < 0
                else (facet.key_of[i], labels[i], c, on, url(f, facet.key_of[i], facet.quoted[i]))
                for i, c, on in self.entries(f, 0 if chosen else None) if on or not chosen]

    def json(self) -> str:
        """Every value shown of each facet, as the JSON object the list's JSON holds under
        "facets" (keys sorted, compact, as the app's JSON provider writes): for each value its
        count, key, label, whether it is chosen and the URL that toggles it. Written as text:
        a list at 10 000 practices holds a thousand values, and their dicts cost more than
        the page's items. A value's key and label are encoded once per process
        (``Catalogue.json_values``); the URL of a value not chosen is the parts around its
        quoted key (``Toggles.adding_at``: percent-encoded, so nothing in it needs escaping
        in JSON)."""
        url, dumps = self.toggles.url, twins.dumps
        out = []
        for f in sorted(FACETS):
            facet, labels = self.cat.facets[f], self.cat.shown(f, self.lang)[0]
            key_of, quoted = facet.key_of, facet.quoted
            middle = self.cat.json_values(f, self.lang)
            chosen = sorted(self.toggles.raw.get(f, []))
            parts = [self.toggles.adding_at(f, at) for at in range(len(chosen) + 1)]
            head, tail = parts[0]
            found = []
            for i, n, on in self.entries(f):
                if on or i < 0:
                    key = NOT_RECORDED if i < 0 else key_of[i]
                    found.append(dumps({
                        "key": key, "label": NOT_RECORDED_LABELS[f] if i < 0 else labels[i],
                        "count": n, "selected": on,
                        "url": url(f, key, None if i < 0 else quoted[i])}))
                    continue
                if chosen:
                    head, tail = parts[bisect_left(chosen, key_of[i])]
                found.append(f'{{"count":{n}{middle[i]}{head}{quoted[i]}{tail}"}}')
            out.append(f'{dumps(f)}:[{",".join(found)}]')
        return "{" + ",".join(out) + "}"

    def bounded(self, f: str) -> tuple[list[tuple[int, int, bool]], int]:
        """The entries the page lists for a facet (the first ``SHOWN`` values, every chosen
        one and "not recorded"; all of them when the facet is expanded) and how many it
        leaves out."""
        if f in UNBOUNDED or f in self.expanded:
            return self.entries(f), 0
        listed = self.entries(f, SHOWN)
        return listed, self.totals[f] - len(listed)

    def pages(self) -> list[dict[str, Any]]:
        """What the template shows of each facet: the list items, ready, what is chosen, and
        the link to its whole list (or back to its first values)."""
        out = []
        for f in FACETS:
            facet = self.cat.facets[f]
            labels, after = self.cat.shown(f, self.lang)[0], self.cat.unchosen(f, self.lang)
            # the URL adding a value: the parts around its quoted key (which needs no
            # escaping), one pair for each place the key can take among the values chosen
            chosen = sorted(self.toggles.raw.get(f, []))
            parts = [self.toggles.adding_at(f, at, html=True) for at in range(len(chosen) + 1)]
            head, tail = parts[0]
            key_of, quoted = facet.key_of, facet.quoted
            items = []
            listed, hidden = self.bounded(f)
            for i, n, on in listed:
                if on or i < 0:
                    key = NOT_RECORDED if i < 0 else key_of[i]
                    label = NOT_RECORDED_LABELS[f] if i < 0 else labels[i]
                    items.append(_item(self.toggles.url(f, key), key, label, n, on))
                    continue
                if chosen:
                    head, tail = parts[bisect_left(chosen, key_of[i])]
                items.append(f'<li><a href="{head}{quoted[i]}{tail}{after[i]}{n}</span></li>\n')
            more = None
            if hidden:
                more = {"url": url_with(expand=sorted(self.expanded | {f})),
                        "count": self.totals[f], "expand": True}
            elif f in self.expanded and self.totals[f] > SHOWN:
                more = {"url": url_with(expand=sorted(self.expanded - {f}) or None),
                        "count": SHOWN, "expand": False}
            out.append({"name": f, "label": FACET_LABELS[f], "html": Markup("".join(items)),
                        "more": more,
                        "chosen": [{"key": k, "label": label, "count": n, "url": u}
                                   for k, label, n, on, u in self._values(f, chosen=True)]})
        return out


def _item(url: str, key: str, label: str, count: int, on: bool) -> str:
    css, current, box = ("selected", ' aria-current="true"', "☑") if on else ("", "", "☐")
    return (f'<li><a href="{escape(url)}" class="{css}" data-value="{escape(key)}"{current}>'
            f'{box} {escape(label)}</a> <span class="count">{count}</span></li>\n')


@bp.route("/practices")
@bp.route("/practices.<ext>")
def practices(ext: str | None = None) -> Response:
    kind = twins.chosen("/practices", ext)
    cat = catalogue()
    lang = language()
    chosen = chosen_filters(cat)
    q = typed("q")
    sort = request.args.get("sort", "title")
    if sort not in SORTS:
        raise Problem(400, f"sort must be one of: {', '.join(SORTS)}")
    paged = "page" in request.args or "per_page" in request.args or kind == "html"
    try:
        page = max(1, int(request.args.get("page", "1")))
        per_page = min(500, max(1, int(request.args.get("per_page", "20"))))
    except ValueError:
        raise Problem(400, "page and per_page are whole numbers") from None
    expanded = frozenset(v for v in request.args.getlist("expand") if v)
    if expanded - set(FACETS):
        raise Problem(400, f"expand names a facet to list whole; one of: {', '.join(FACETS)} "
                           f"(not '{sorted(expanded - set(FACETS))[0]}')")
    masks = cat.masks(chosen, q)
    selected = cat.selection(masks)
    matching = cat.ordered(selected, sort, lang)
    total = len(matching)
    shown = matching[(page - 1) * per_page: page * per_page] if paged else matching
    rows = [_row(cat.practices.at(int(n)), cat, lang) for n in shown]

    def data() -> twins.JsonText:  # "facets" sorts first, then the rest as the app writes it
        rest = twins.dumps({"total": total, "page": page if paged else None,
                            "per_page": per_page if paged else None, "practices": rows})
        return twins.JsonText(f'{{"facets":{Facets(cat, chosen, masks, lang).json()},{rest[1:]}')

    def table() -> list[list[object]]:
        return [[r["iri"], r["title"], "; ".join(r["countries"]), "; ".join(r["cities"]),
                 "; ".join(r["topics"]), r["start"] or "", r["end"] or "", _ongoing(r),
                 r["period"] or ""] for r in rows]

    def html() -> str:
        facets = Facets(cat, chosen, masks, lang, expanded).pages()
        pages = max(1, math.ceil(total / per_page))
        key = ("practices", tuple(sorted((f, tuple(sorted(v))) for f, v in chosen.items())), q)
        toggles = Toggles()

        def link(f: str, iri: str) -> str:  # the list narrowed to a value of a chart
            facet = cat.facets[f]
            at = facet.index.get(iri)
            return toggles.narrowed(f, value_key(f, iri), None if at is None else facet.quoted[at])

        fig = overview.figures(cat, selected, lang, link, key)
        return render_template(
            "practices.html", cards=cards(rows, lang), facets=facets, total=total, page=page,
            pages=pages,
            fig=fig, selected=[(f["label"], v) for f in facets for v in f["chosen"]],
            q=q, sort=sort, lang=lang, url_with=url_with, expanded=sorted(expanded),
            twins=[(name, url_with(page=None, per_page=None).replace(
                "/practices", f"/practices.{ext}", 1)) for name, ext in (("JSON", "json"),
                                                                          ("CSV", "csv"))])

    response = twins.respond(kind, html, data, ["iri", "title", "countries", "cities", "topics",
                                                "start", "end", "ongoing", "period"], table)
    response.vary.add("Accept-Language")
    return response
