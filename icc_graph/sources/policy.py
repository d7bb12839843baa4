"""The write policy every importer follows: a reviewed record is never overwritten; an imported
record that differs from what the import now gives (edited by hand) is kept unless forced; an
unchanged record is not rewritten."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

IGNORED = ("updated",)


class Decision(enum.Enum):
    WRITE = "written"
    UNCHANGED = "unchanged"
    KEPT_REVIEWED = "kept: reviewed"
    KEPT_EDITED = "kept: edited by hand (use --force to replace)"


def same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Equal but for the fields an import sets itself (the date)."""
    return {k: v for k, v in a.items() if k not in IGNORED} == \
        {k: v for k, v in b.items() if k not in IGNORED}


def decide(existing: Mapping[str, Any] | None, new: Mapping[str, Any], force: bool = False
           ) -> Decision:
    if existing is None:
        return Decision.WRITE
    if existing.get("status") == "reviewed":
        return Decision.KEPT_REVIEWED
    if same(existing, new):
        return Decision.UNCHANGED
    return Decision.WRITE if force else Decision.KEPT_EDITED
