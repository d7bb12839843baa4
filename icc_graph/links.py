"""The reviewed Wikidata links: an SSSOM table in ``data/links/wikidata.sssom.tsv``.

Rows with status ``reviewed`` or ``accepted`` become ``owl:sameAs`` in the graph; ``needs-review``
and ``rejected`` rows are kept so that a later linking run does not propose them again.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
from pathlib import Path

from . import yamlio
from .errors import DataError, Problem, rel
from .namespaces import DEFAULT_BASE_IRI

LINKS_FILE = Path("links") / "wikidata.sssom.tsv"
FACTS_FILE = Path("links") / "wikidata-facts.json"
STATUSES = ("accepted", "needs-review", "reviewed", "rejected")
PUBLISHED = ("accepted", "reviewed")
COLUMNS = (
    "subject_id", "subject_label", "predicate_id", "object_id", "object_label",
    "mapping_justification", "confidence", "status", "comment",
)
WIKIDATA_ENTITY = "http://www.wikidata.org/entity/"
_QID = re.compile(r"^wd:Q[1-9][0-9]*$")

HEADER = f"""# curie_map:
#   wd: {WIKIDATA_ENTITY}
#   skos: http://www.w3.org/2004/02/skos/core#
#   semapv: https://w3id.org/semapv/vocab/
# mapping_set_id: {DEFAULT_BASE_IRI}mappings/wikidata
# mapping_set_description: Links from the things of the ICC graph to Wikidata items.
# license: https://creativecommons.org/publicdomain/zero/1.0/
# extension_definitions:
#   - slot_name: status
#     property: {DEFAULT_BASE_IRI}def/icc#linkStatus
#     type_hint: http://www.w3.org/2001/XMLSchema#string
# status is one of: {", ".join(STATUSES)}; only accepted and reviewed rows become owl:sameAs.
"""


@dataclass(frozen=True)
class Link:
    subject_id: str
    subject_label: str
    object_id: str
    object_label: str
    mapping_justification: str
    confidence: str
    status: str
    comment: str = ""
    predicate_id: str = "skos:exactMatch"
    line: int = 0

    def key(self) -> tuple[str, str]:
        return (self.subject_id, self.object_id)


def read_links(path: Path) -> list[Link]:
    """Read the links file; every malformed row is reported with its line."""
    if not path.exists():
        return []
    text = yamlio.read_text(path)
    problems: list[Problem] = []
    lines = text.splitlines()
    body_start = next((i for i, ln in enumerate(lines) if not ln.startswith("#")), len(lines))
    reader = csv.DictReader(io.StringIO("\n".join(lines[body_start:])), delimiter="\t")
    missing = [c for c in COLUMNS[:8] if c not in (reader.fieldnames or [])]
    if missing:
        raise DataError([Problem(f"missing columns: {', '.join(missing)}", rel(path),
                                 body_start + 1, hint="keep the header row of the SSSOM table")])
    links = []
    for n, row in enumerate(reader, start=body_start + 2):
        where = (rel(path), n)
        if row.get("status") not in STATUSES:
            problems.append(Problem(f"status '{row.get('status')}' is not allowed", *where,
                                    "status", "use one of: " + ", ".join(STATUSES)))
            continue
        if not _QID.match(row.get("object_id") or ""):
            problems.append(Problem(f"'{row.get('object_id')}' is not a Wikidata item", *where,
                                    "object_id", "write the item as wd:Q followed by digits"))
            continue
        links.append(Link(
            subject_id=row["subject_id"], subject_label=row.get("subject_label") or "",
            predicate_id=row.get("predicate_id") or "skos:exactMatch",
            object_id=row["object_id"], object_label=row.get("object_label") or "",
            mapping_justification=row.get("mapping_justification") or "",
            confidence=row.get("confidence") or "", status=row["status"],
            comment=row.get("comment") or "", line=n,
        ))
    if problems:
        raise DataError(problems)
    return links


def write_links(path: Path, links: list[Link]) -> None:
    """Write the table sorted by subject and object, so that a re-run changes nothing."""
    out = io.StringIO()
    out.write(HEADER)
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(COLUMNS)
    for link in sorted(links, key=Link.key):
        writer.writerow([getattr(link, c) for c in COLUMNS])
    yamlio.write_atomic(path, out.getvalue())


def merge(existing: list[Link], new: list[Link]) -> list[Link]:
    """Add or update rows; a ``reviewed`` or ``rejected`` row is never changed."""
    by_key = {link.key(): link for link in existing}
    frozen_subjects = {lk.subject_id for lk in existing if lk.status in ("reviewed", "rejected")}
    for link in new:
        old = by_key.get(link.key())
        if old is not None and old.status in ("reviewed", "rejected"):
            continue
        if old is None and link.subject_id in frozen_subjects and link.status != "reviewed":
            continue
        by_key[link.key()] = replace(link, line=0)
    return list(by_key.values())


def set_status(path: Path, subject_id: str, object_id: str, status: str) -> list[Link]:
    """Accept (status ``reviewed``) or reject one row; accepting one candidate rejects the other
    candidates of the same subject that still await review."""
    links = read_links(path)
    target = [lk for lk in links if lk.subject_id == subject_id and lk.object_id == object_id]
    if not target:
        from .errors import UsageError

        raise UsageError(f"no row links {subject_id} to {object_id} in {path}; "
                         "`icc-graph link review` lists the rows awaiting review")
    out = []
    for lk in links:
        if lk.subject_id == subject_id and lk.object_id == object_id:
            lk = replace(lk, status=status)
        elif (status == "reviewed" and lk.subject_id == subject_id
              and lk.status == "needs-review"):
            lk = replace(lk, status="rejected")
        out.append(lk)
    write_links(path, out)
    return out
