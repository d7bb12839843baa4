"""Data extension for reconciled entities: the properties a type offers (propose_properties),
their values for a batch of ids (``extend=``), and the facts a preview card shows. Entity values
carry ids of this service (or Wikidata QIDs), so a client can reconcile them in turn."""

from __future__ import annotations

from typing import Any

from icc_graph.lookup import Entity, SearchIndex
from icc_graph.namespaces import ICC_IRI

MAX_IDS = 200


def _cls(name: str) -> str:
    return f"{ICC_IRI}{name}"


# id, name, the type of its entity values (None: literal values), the classes it applies to
PROPERTIES: tuple[tuple[str, str, str | None, tuple[str, ...]], ...] = (
    ("country", "country", "Country",
     ("City", "Place", "Organisation", "GoodPractice", "Project")),
    ("locatedIn", "located in", "Place", ("City", "Place")),
    ("place", "place", "City", ("GoodPractice",)),
    ("basedIn", "based in", "City", ("Organisation",)),
    ("coordinates", "coordinates (latitude,longitude)", None, ("City", "Place")),
    ("latitude", "latitude (WGS84)", None, ("City", "Place")),
    ("longitude", "longitude (WGS84)", None, ("City", "Place")),
    ("sameAs", "Wikidata item", None,
     ("City", "Place", "Country", "Organisation", "Project", "FundingProgramme")),
    ("topic", "topics", "Topic", ("GoodPractice",)),
    ("years", "years (start-end)", None, ("GoodPractice", "Project")),
    ("startYear", "start year", None, ("GoodPractice", "Project")),
    ("endYear", "end year", None, ("GoodPractice", "Project")),
    ("partners", "partners", None, ("GoodPractice", "Project", "Organisation", "City")),
    ("relatedProject", "related projects", "Project", ("GoodPractice",)),
    ("fundingProgramme", "funding programme", "FundingProgramme", ("Project",)),
)
BY_ID = {p[0].casefold(): p for p in PROPERTIES}


class ExtensionError(ValueError):
    """A malformed extension request; the message says what to send instead."""


def proposals(cls: str | None) -> list[dict[str, str]]:
    """The properties offered for a class (every property when ``cls`` is None)."""
    return [{"id": pid, "name": name} for pid, name, _, classes in PROPERTIES
            if cls is None or cls in {_cls(c) for c in classes}]


def values(entity: Entity, pid: str) -> list[dict[str, Any]]:
    props = entity.props
    if pid == "coordinates":
        lat, long = props.get("latitude"), props.get("longitude")
        return [{"str": f"{lat[0]},{long[0]}"}] if lat and long else []
    if pid in ("latitude", "longitude"):
        return [{"float": float(v)} for v in props.get(pid, [])]
    if pid == "years":
        start, end = props.get("startYear") or props.get("endYear"), props.get("endYear")
        if not start:
            return []
        tail = "" if props.get("ongoing") else str(int((end or start)[0]))
        return [{"str": f"{int(start[0])}-{tail}" if tail != str(int(start[0])) else tail}]
    if pid in ("startYear", "endYear"):
        return [{"int": int(v)} for v in props.get(pid, [])]
    if pid == "sameAs":
        return [{"id": v["id"], "name": v["name"]} for v in props.get(pid, [])
                if v.get("wikidata")]
    return [{"id": v["id"], "name": v["name"]} for v in props.get(pid, []) if "id" in v]


def extend(index: SearchIndex, request: Any) -> dict[str, Any]:
    if not isinstance(request, dict) or not isinstance(request.get("ids"), list) \
            or not isinstance(request.get("properties"), list):
        raise ExtensionError('extend must be {"ids": [...], "properties": [{"id": ...}, ...]}')
    ids, asked = request["ids"], request["properties"]
    if len(ids) > MAX_IDS:
        raise ExtensionError(f"extend at most {MAX_IDS} ids at once, not {len(ids)}")
    meta, pids = [], []
    for i, p in enumerate(asked):
        pid = p.get("id") if isinstance(p, dict) else None
        known = BY_ID.get(str(pid).casefold()) if isinstance(pid, str) else None
        if known is None:
            raise ExtensionError(f"extend.properties[{i}]: unknown property {pid!r}; properties: "
                             + ", ".join(q[0] for q in PROPERTIES))
        pid, name, value_type, _ = known
        entry: dict[str, Any] = {"id": pid, "name": name}
        if value_type:
            entry["type"] = {"id": _cls(value_type), "name": value_type}
        meta.append(entry)
        pids.append(pid)
    rows: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for ident in ids:
        if not isinstance(ident, str):
            raise ExtensionError(f"extend.ids holds {ident!r}; ids are strings like city/barcelona")
        entity = index.entity(ident)
        rows[ident] = {pid: values(entity, pid) if entity else [] for pid in pids}
    return {"meta": meta, "rows": rows}


def facts(entity: Entity) -> list[tuple[str, str]]:
    """(label, text) pairs for the preview card."""
    out = []
    for pid, name, _, _ in PROPERTIES:
        found = values(entity, pid)
        if found and pid not in ("latitude", "longitude", "partners"):
            text = ", ".join(str(v.get("name", v.get("str", v.get("int", v.get("float", "")))))
                             for v in found[:4])
            out.append((name, text + (" …" if len(found) > 4 else "")))
    return out

