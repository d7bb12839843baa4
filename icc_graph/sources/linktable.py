"""Importing a table of already verified Wikidata links: columns kind, label, country, qid and
either ``verified`` (yes/no) or ``confidence`` (verified, likely, candidate, low), optionally
``evidence_url`` and ``notes``.

Only verified rows become links, with status ``reviewed``; each is matched by name (the one name
index) to a country, place or organisation of the data folder. The other rows are listed for
review, rows that match nothing are reported.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from .. import yamlio
from ..errors import DataError, Problem, rel
from ..links import LINKS_FILE, Link, merge, read_links, write_links
from ..loader import read_records
from ..model import Iris
from .nameindex import NameIndex

_QID = re.compile(r"^Q[1-9][0-9]*$")


def import_links(file: Path, data_dir: Path, base: str) -> str:
    records = read_records(data_dir)
    iris = Iris(base)
    text = yamlio.read_text(file)
    rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
    needed = {"kind", "label", "country", "qid"}
    if not rows or not needed <= set(rows[0]) or not {"verified", "confidence"} & set(rows[0]):
        raise DataError([Problem(f"expected a tab-separated table with columns "
                                 f"{', '.join(sorted(needed))} and verified or confidence",
                                 rel(file), 1)])
    index = NameIndex.from_records(records)
    countries, places, orgs = index["countries"], index["places"], index["organisations"]
    to_review: list[str] = []

    new: list[Link] = []
    skipped: list[str] = []
    problems: list[Problem] = []
    for n, row in enumerate(rows, start=2):
        verified = (row.get("verified") or "").strip() == "yes" \
            or (row.get("confidence") or "").strip() == "verified"
        if not verified or not row["qid"].strip():
            if row["qid"].strip():
                to_review.append(f"{row['label'].strip()} wd:{row['qid'].strip()} "
                                 f"({(row.get('confidence') or 'not verified').strip()})")
            continue
        qid = row["qid"].strip()
        if not _QID.match(qid):
            problems.append(Problem(f"'{qid}' is not a Wikidata item id", rel(file), n, "qid"))
            continue
        label, kind = row["label"].strip(), row["kind"].strip()
        subject = None
        if kind == "country" and (slug := countries.find(label)):
            subject = iris.thing("country", slug)
        elif kind == "city" and (slug := places.find(label)):
            place = records.places[slug]
            country = countries.find(row["country"]) if row["country"] else None
            if country is None or country == place.country:
                subject = iris.place(place)
        elif kind == "org" and (slug := orgs.find(label)):
            subject = iris.thing("org", slug)
        if subject is None:
            skipped.append(label)
            continue
        note = "; ".join(x for x in ((row.get("notes") or "").strip(),
                                     (row.get("evidence_url") or "").strip()) if x)
        new.append(Link(
            subject_id=str(subject), subject_label=label, object_id=f"wd:{qid}",
            object_label=label, mapping_justification="semapv:ManualMappingCuration",
            confidence="0.95", status="reviewed",
            comment=f"verified in cross-checked public tables{': ' + note if note else ''}",
        ))
    if problems:
        raise DataError(problems)
    path = data_dir / LINKS_FILE
    existing = read_links(path)
    merged = merge(existing, new)
    before = {(lk.key(), lk.status) for lk in existing}
    after = {(lk.key(), lk.status) for lk in merged}
    if after != before or not path.exists():
        write_links(path, merged)
    added = len(after - before)
    lines = [f"{len(new)} verified links matched, {added} new or changed in {rel(path)}; "
             f"{len(skipped)} verified rows name nothing in the data: {', '.join(skipped)}"]
    lines += [f"to review (not verified, not linked): {r}" for r in to_review]
    return "\n".join(lines)
