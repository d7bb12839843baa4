"""Importing the ICC catalogue (JSON Lines of listing and detail entries) into source records.

Entries of one practice (listing and detail copies, several languages) are merged; partners,
projects and funders become records of their own, matched by name to the ones already in the
data folder. The import is computed in full before anything is written, and it is re-runnable:
an unchanged record is not rewritten, a reviewed one is kept, an imported one that differs from
what the catalogue now gives (edited by hand) is kept unless --force.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import yamlio
from ..errors import DataError, Problem, rel
from ..loader import PRACTICES_DIR
from .addresses import canonical_url, detail_slug
from .assembler import Assembler
from .policy import Decision, decide
from .report import Report
from .sharedfiles import plain, rewrites

__all__ = ["Report", "canonical_url", "detail_slug", "import_catalogue", "read_entries"]
CURATION_FILE = Path("curation") / "catalogue.yaml"


def read_entries(file: Path) -> list[tuple[str, int, dict[str, Any]]]:
    rows = []
    text = yamlio.read_text(file)
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError([Problem(f"malformed JSON: {exc.msg} at column {exc.colno}",
                                     rel(file), n, hint="fix or remove that line")]) from None
        missing = [k for k in ("title", "country", "city", "source_url", "kind") if k not in row]
        if missing:
            raise DataError([Problem(f"missing fields: {', '.join(missing)}", rel(file), n,
                                     hint="each line needs title, country, city, source_url "
                                          "and kind")])
        rows.append((file.name, n, row))
    return rows


def import_catalogue(files: Path | list[Path], data_dir: Path, force: bool = False,
                     progress: Callable[[str], None] = lambda _: None,
                     today: str | None = None) -> Report:
    """Import one or several catalogue files (read as one catalogue: copies of a practice in
    two files are merged)."""
    today = today or dt.date.today().isoformat()
    files = [files] if isinstance(files, Path) else list(files)
    rows = [r for f in files for r in read_entries(f)]
    curation_path = data_dir / CURATION_FILE
    curation = yamlio.load(curation_path) if curation_path.exists() else {}
    imp = Assembler(rows, data_dir, plain(curation or {}), today)
    progress(f"{len(rows)} entries read from {', '.join(rel(f) for f in files)}")

    # compute everything first: nothing is written if a problem is found
    practice_dir = data_dir / PRACTICES_DIR
    writes: dict[Path, str] = {}
    used: set[str] = set()
    kept_practices: list[dict[str, Any]] = []
    records = []
    for group in imp.groups():
        record = imp.practice(group, used)
        if record is not None:
            records.append(record)
    imp.correct(records)
    for record in records:
        path = practice_dir / f"{record['slug']}.yaml"
        existing = plain(yamlio.load(path)) if path.exists() else None
        decision = decide(existing, record, force)
        if decision is Decision.KEPT_REVIEWED:
            imp.report.kept_reviewed.append(record["slug"])
            continue
        if decision is Decision.KEPT_EDITED:
            imp.report.kept_edited.append(record["slug"])
            continue
        if decision is Decision.UNCHANGED:
            imp.report.unchanged += 1
            kept_practices.append(existing or record)
            continue
        record["updated"] = today
        writes[path] = yamlio.dump(record)
        imp.report.written.append(record["slug"])
        kept_practices.append(record)

    # every practice the folder will hold: those written or unchanged, those kept, the others
    kept = {r["slug"] for r in kept_practices}
    others = [plain(yamlio.load(p)) for p in sorted(practice_dir.glob("*.yaml"))
              if p.stem not in kept] if practice_dir.exists() else []
    shared_writes, added, removed = rewrites(
        data_dir, imp.shared, imp.new, [*kept_practices, *others], force)
    writes.update(shared_writes)
    imp.report.new_shared = added
    imp.report.notes += [f"removed {x}" for x in removed]
    for path, content in sorted(writes.items()):
        yamlio.write_atomic(path, content)
    progress(f"{len(writes)} files written")
    return imp.report
