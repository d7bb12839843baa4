"""Site search over the release's search index: GET /search?q= as an HTML page that needs no
JavaScript, and its JSON twin /search.json (also the suggestions of the header's search box)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, render_template, request

from icc_graph.lookup import SearchIndex, class_of
from icc_graph.reconciliation import Query, reconcile

from .context import ctx
from .errors import Problem

bp = Blueprint("search", __name__)
PAGE = 20
MAX_QUERY = 500


def search_index() -> SearchIndex:
    """The release's index, opened once per app; a 503 that says how to fix a release without."""
    memo = ctx().memo
    if "search_index" not in memo:
        memo["search_index"] = SearchIndex.of_release(ctx().release.path)
    index = memo["search_index"]
    if not isinstance(index, SearchIndex):
        raise Problem(503, f"the release in {ctx().release.path} has no search index "
                           "(search.sqlite): rebuild it with `icc-graph build`")
    return index


_CONTROLS = re.compile(r"[\x00-\x1f\x7f]+")


def typed(name: str) -> str:
    """A text parameter as typed in a search box: control characters (NUL, CR, LF, ...) as
    spaces, trimmed, so that no page writes them back into its title or its box."""
    return _CONTROLS.sub(" ", request.args.get(name, "")).strip()


def _results() -> tuple[str, str, list[dict[str, Any]], int]:
    q = typed("q")
    kind = request.args.get("type", "").strip()
    if len(q) > MAX_QUERY:
        raise Problem(400, f"the search text has {len(q)} characters; at most {MAX_QUERY}")
    classes: frozenset[str] = frozenset()
    if kind:
        cls = class_of(kind)
        if cls is None:
            raise Problem(400, f"unknown type '{kind}': use City, Place, Country, Organisation, "
                               "Project, FundingProgramme, Topic or GoodPractice")
        classes = frozenset({cls})
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        raise Problem(400, "page must be a whole number, 1 or more") from None
    if not q:
        return q, kind, [], page
    found = reconcile(search_index(), Query(q, classes, strict=True, limit=PAGE * page + 1))
    rows = [{"id": c.entity.id, "iri": c.entity.iri, "name": c.entity.name,
             "description": c.entity.description, "matched_name": c.matched_name,
             "types": [t["name"] for t in c.entity.types], "score": c.score,
             "url": "/" + c.entity.iri.removeprefix(search_index().base)}
            for c in found if c.score >= 40]
    return q, kind, rows, page


@bp.route("/search")
def search() -> str:
    q, kind, rows, page = _results()
    shown = rows[PAGE * (page - 1):PAGE * page]
    more = len(rows) > PAGE * page
    params = {k: v for k, v in (("q", q), ("type", kind)) if v}
    twin = "/search.json" + ("?" + urlencode(params) if params else "")
    body = render_template("search.html", q=q, kind=kind, rows=shown, page=page, more=more,
                           next_url="/search?" + urlencode({**params, "page": page + 1}),
                           twin=twin)
    response = Response(body, mimetype="text/html")
    response.headers["Link"] = f'<{twin}>; rel="alternate"; type="application/json"'
    return response  # type: ignore[return-value]


@bp.route("/search.json")
def search_json() -> Response:
    q, kind, rows, page = _results()
    return jsonify({"q": q, "type": kind or None, "page": page,
                    "results": rows[PAGE * (page - 1):PAGE * page],
                    "more": len(rows) > PAGE * page})
