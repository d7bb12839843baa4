"""The W3C Reconciliation Service API 0.2 at /reconcile: the manifest, query batches (form POST
and GET), suggest (entity, type, property, with a cursor), the preview card and data extension
(:mod:`server.extension`). Every answer is JSON (JSONP with a checked ``callback`` for the GET
forms), open to other origins; every mistake is a 400 with a JSON message."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, render_template, request

from icc_graph.lookup import SearchIndex, class_of
from icc_graph.reconciliation import MAX_LIMIT, Query, Terms, reconcile
from icc_graph.search_index import CLASS_NAMES

from . import extension
from .search import search_index

bp = Blueprint("reconcile", __name__, url_prefix="/reconcile")
CALLBACK = re.compile(r"[A-Za-z_$][A-Za-z0-9_$.]*")
BATCH_SIZE = 10
MAX_BATCH = 100
PREVIEW_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; "
               "form-action 'none'; frame-ancestors *")


class BadRequest(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@bp.errorhandler(BadRequest)
@bp.errorhandler(extension.ExtensionError)
def _bad(exc: Exception) -> Response:
    return answer({"status": 400, "error": str(exc)}, 400, allow_jsonp=False)


@bp.after_request
def _open(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def answer(body: Any, status: int = 200, allow_jsonp: bool = True) -> Response:
    """JSON, or JSONP when the GET request names a valid callback."""
    text = json.dumps(body, ensure_ascii=False)
    callback = request.args.get("callback") if request.method == "GET" else None
    if callback is not None and allow_jsonp:
        if not CALLBACK.fullmatch(callback):
            raise BadRequest("callback must be a JavaScript name ([A-Za-z_$][A-Za-z0-9_$.]*), "
                             f"not {callback[:40]!r}")
        return Response(f"/**/{callback}({text});", status, mimetype="application/javascript")
    return Response(text, status, mimetype="application/json")


def param(name: str) -> str | None:
    """A parameter of the query string or of a form body (or, leniently, of a JSON body)."""
    value = request.values.get(name)
    if value is None and request.is_json:
        body = request.get_json(silent=True)
        found = body.get(name) if isinstance(body, dict) else None
        if found is not None:
            value = found if isinstance(found, str) else json.dumps(found)
    return value


def _root() -> str:
    return request.url_root.rstrip("/")


def manifest(index: SearchIndex) -> dict[str, Any]:
    root = _root()
    service = f"{root}/reconcile"
    return {
        "versions": ["0.2"],
        "name": "ICC good practices (Intercultural Cities)",
        "identifierSpace": f"{index.base}id/",
        "schemaSpace": "https://w3id.org/icc-graph/def/icc#",
        "defaultTypes": [{"id": str(c), "name": n} for c, n in CLASS_NAMES.items()],
        "view": {"url": f"{index.base}id/{{{{id}}}}"},  # the entity's IRI
        "preview": {"url": f"{service}/preview?id={{{{id}}}}", "width": 400, "height": 140},
        "suggest": {kind: {"service_url": service, "service_path": f"/suggest/{kind}"}
                    for kind in ("entity", "type", "property")},
        "extend": {"propose_properties": {"service_url": service,
                                          "service_path": "/propose_properties"},
                   "property_settings": []},
        "batchSize": BATCH_SIZE,
    }


@bp.route("", methods=["GET", "POST"])
@bp.route("/", methods=["GET", "POST"])
def service() -> Response:
    index = search_index()
    queries, extend = param("queries"), param("extend")
    if queries is not None:
        return answer(batch(index, _json(queries, "queries")))
    if extend is not None:
        return answer(extension.extend(index, _json(extend, "extend")))
    return answer(manifest(index))


def _json(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"{name} is not JSON: {exc.msg} at line {exc.lineno} column "
                         f"{exc.colno}") from None


def _query(key: str, q: Any) -> Query:
    where = f"queries[{key!r}]"
    if not isinstance(q, dict):
        raise BadRequest(f"{where} must be an object with a 'query' string")
    unknown = set(q) - {"query", "type", "type_strict", "limit", "properties"}
    if unknown:
        raise BadRequest(f"{where} has unknown fields {sorted(unknown)}; allowed: query, type, "
                         "type_strict, limit, properties")
    text = q.get("query", "")
    props = q.get("properties", [])
    if not isinstance(text, str) or not isinstance(props, list):
        raise BadRequest(f"{where}: 'query' must be a string and 'properties' a list")
    types = q.get("type") or []
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise BadRequest(f"{where}: 'type' must be a type id or a list of them")
    # a type this service does not have (another service's, say) is kept: nothing has it
    classes = {class_of(t) or t for t in types}
    strict = q.get("type_strict", "should")
    if strict not in ("any", "all", "should"):
        raise BadRequest(f"{where}: type_strict must be 'any', 'all' or 'should'")
    limit = q.get("limit", 10)
    if isinstance(limit, bool) or not isinstance(limit, int | float) or limit < 1:
        raise BadRequest(f"{where}: limit must be a number, 1 or more")
    pairs = []
    for i, p in enumerate(props):
        if not isinstance(p, dict) or not isinstance(p.get("pid"), str) or "v" not in p:
            raise BadRequest(f"{where}.properties[{i}] must be an object with 'pid' and 'v'")
        values = p["v"] if isinstance(p["v"], list) else [p["v"]]
        pairs.append((p["pid"], tuple(values)))
    if not text.strip():  # properties only: the first textual value stands for the name
        text = next((str(v) for _, vs in pairs for v in vs if isinstance(v, str)), "")
    return Query(text, frozenset(classes), strict in ("any", "all"), strict == "all",
                 min(int(limit), MAX_LIMIT), tuple(pairs))


def batch(index: SearchIndex, queries: Any) -> dict[str, Any]:
    if not isinstance(queries, dict) or not queries:
        raise BadRequest("queries must be a JSON object of queries keyed q0, q1, ...")
    if len(queries) > MAX_BATCH:
        raise BadRequest(f"a batch holds at most {MAX_BATCH} queries, not {len(queries)}")
    parsed = {key: _query(key, q) for key, q in queries.items()}
    terms = Terms(index)
    return {key: {"result": [candidate(c) for c in reconcile(index, q, terms)]}
            for key, q in parsed.items()}


def candidate(c: Any) -> dict[str, Any]:
    return {"id": c.entity.id, "name": c.entity.name, "description": c.entity.description,
            "type": c.entity.types, "score": c.score, "match": c.match,
            "features": [{"id": k, "value": v} for k, v in c.features.items()]}


def _classes(types: list[str]) -> set[str] | None:
    classes = {class_of(t) for t in types if t}
    if None in classes:
        raise BadRequest(f"unknown type {types}: use the ids of defaultTypes in the manifest")
    return {c for c in classes if c} or None


def _cursor() -> int:
    try:
        cursor = int(param("cursor") or 0)
    except ValueError:
        raise BadRequest("cursor must be a whole number (0 or more)") from None
    if cursor < 0:
        raise BadRequest("cursor must be a whole number (0 or more)")
    return cursor


def _prefix() -> str:
    prefix = param("prefix")
    if prefix is None:
        raise BadRequest("give the text typed so far as prefix=")
    return prefix


@bp.route("/suggest/entity", methods=["GET", "POST"])
def suggest_entity() -> Response:
    types = request.values.getlist("type")
    found = search_index().suggest(_prefix(), _classes(types), _cursor())
    return answer({"result": [{"id": e.id, "name": e.name, "description": e.description,
                               "notable": e.types} for e in found]})


@bp.route("/suggest/type", methods=["GET", "POST"])
def suggest_type() -> Response:
    prefix, cursor = _prefix().casefold(), _cursor()
    found = [{"id": str(c), "name": n} for c, n in CLASS_NAMES.items()
             if any(w.startswith(prefix) for w in [n.casefold(), *n.casefold().split(),
                                                   str(c).rsplit("#", 1)[-1].casefold()])]
    return answer({"result": found[cursor:cursor + 10]})


@bp.route("/suggest/property", methods=["GET", "POST"])
def suggest_property() -> Response:
    prefix, cursor = _prefix().casefold(), _cursor()
    found = [p for p in extension.proposals(None)
             if any(w.startswith(prefix) for w in [p["id"].casefold(), p["name"].casefold(),
                                                   *p["name"].casefold().split()])]
    return answer({"result": found[cursor:cursor + 10]})


@bp.route("/propose_properties", methods=["GET", "POST"])
def propose_properties() -> Response:
    kind = param("type")
    classes = _classes([kind]) if kind else None
    try:
        limit = int(param("limit") or 20)
    except ValueError:
        raise BadRequest("limit must be a whole number") from None
    proposals = extension.proposals(next(iter(classes)) if classes else None)[:max(limit, 0)]
    body: dict[str, Any] = {"properties": proposals, "limit": limit}
    if kind:
        body["type"] = kind
    return answer(body)


@bp.route("/preview")
def preview() -> Response:
    index = search_index()
    ident = param("id")
    if not ident:
        raise BadRequest("give the entity to preview as id= (e.g. id=city/barcelona)")
    entity = index.entity(ident)
    if entity is None:
        raise BadRequest(f"no entity has the id {ident!r}; ids are like city/barcelona")
    names = sorted({text for text, _, _ in index.names(entity.row)} - {entity.name})
    body = render_template("preview.html", e=entity, names=names[:6],
                           facts=extension.facts(entity), root=_root())
    response = Response(body, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    return response
