"""The shared record files as an importer rewrites them: new records added in slug order (only
those a practice uses), and imported records that nothing refers to any more removed, so a
re-import from scratch gives the same files. Reviewed records are always kept."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .. import yamlio
from ..coordinates import GEONAMES_FILE, read_geolinks
from ..links import LINKS_FILE, read_links
from ..loader import SHARED_FILES

HEADERS = {
    "places": "# Cities and other places (boroughs, islands, regions). See docs/records.md.\n",
    "organisations": "# Organisations that took part in practices and projects.\n",
    "projects": "# Projects under which practices were carried out or written up.\n",
    "programmes": "# Funding programmes. See docs/records.md.\n",
}
PRUNED = ("places", "organisations", "projects", "programmes")


def plain(value: Any) -> Any:
    """YAML as plain dicts and lists (no line bookkeeping), for comparing and dumping."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def references(practices: Iterable[Mapping[str, Any]],
               shared: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> dict[str, set[str]]:
    """The slugs of each kind that some record refers to."""
    used: dict[str, set[str]] = {k: set() for k in PRUNED}

    def participants(r: Mapping[str, Any]) -> None:
        for x in r.get("participants") or []:
            if "org" in x:
                used["organisations"].add(x["org"])
            if "place" in x:
                used["places"].add(x["place"])

    for p in practices:
        used["places"].update(p.get("places") or [])
        used["projects"].update(p.get("projects") or [])
        used["programmes"].update(p.get("programmes") or [])
        participants(p)
    for pj in shared.get("projects", {}).values():
        used["programmes"].update(pj.get("programmes") or [])
        participants(pj)
    for o in shared.get("organisations", {}).values():
        used["places"].update(x for x in (o.get("based_in"),) if x)
        used["organisations"].update(x for x in (o.get("part_of"),) if x)
    for kind in ("programmes", "grants"):
        for r in shared.get(kind, {}).values():
            used["organisations"].update(x for x in (r.get("funder"),) if x)
            used["programmes"].update(x for x in (r.get("programme"),) if x)
    return used


def linked_slugs(data_dir: Path) -> dict[str, set[str]]:
    """The places and organisations the reviewed link tables name."""
    out: dict[str, set[str]] = {"places": set(), "organisations": set()}
    out["places"] |= {lk.place for lk in read_geolinks(data_dir / GEONAMES_FILE)}
    for lk in read_links(data_dir / LINKS_FILE):
        kind, slug = lk.subject_id.rstrip("/").rsplit("/", 2)[-2:]
        if kind in ("city", "place"):
            out["places"].add(slug)
        elif kind == "org":
            out["organisations"].add(slug)
    return out


def rewrites(data_dir: Path, shared: dict[str, dict[str, dict[str, Any]]],
             new: dict[str, dict[str, dict[str, Any]]], practices: list[Mapping[str, Any]],
             force: bool) -> tuple[dict[Path, str], dict[str, int], list[str]]:
    """(file -> new text, how many records added per kind, removed records) for the shared
    files: ``practices`` are every practice the data folder will hold. A record the link
    tables (GeoNames, Wikidata) name is still referred to."""
    linked = linked_slugs(data_dir)
    merged = {kind: dict(items) for kind, items in shared.items()}
    added: dict[str, int] = {}
    wanted = references(practices, {})
    for kind, records in new.items():
        for slug, rec in records.items():
            if slug not in wanted.get(kind, set()):
                continue  # a name met only in a kept record creates nothing
            if slug not in merged[kind] or force and merged[kind][slug].get("status") != "reviewed":
                merged[kind][slug] = rec
                added[kind] = added.get(kind, 0) + 1
    removed: list[str] = []
    while True:  # an organisation removed may leave its place unused
        used = references(practices, merged)
        for kind, slugs in linked.items():
            used[kind] |= slugs
        gone = [(kind, slug) for kind in PRUNED for slug, rec in merged[kind].items()
                if rec.get("status") == "imported" and slug not in used[kind]]
        if not gone:
            break
        for kind, slug in gone:
            del merged[kind][slug]
            removed.append(f"{kind[:-1]} '{slug}': no record refers to it any more")
    writes = {}
    for kind in merged:
        if merged[kind] != shared[kind]:
            writes[data_dir / SHARED_FILES[kind]] = HEADERS.get(kind, "") + yamlio.dump(
                [plain(merged[kind][s]) for s in sorted(merged[kind])])
    return writes, added, removed
