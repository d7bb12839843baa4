"""What a catalogue import did, and the evidence of each decision, for the person who reviews it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Report:
    rows: int = 0
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    kept_reviewed: list[str] = field(default_factory=list)
    kept_edited: list[str] = field(default_factory=list)
    new_shared: dict[str, int] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)
    merges: list[str] = field(default_factory=list)
    corrections: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def review(self) -> str:
        """What a reviewer reads: the decisions and their evidence, without the run's counts
        (so the file is the same for every re-import of the same sources)."""
        lines = [f"merged: {x}" for x in self.merges]
        lines += [f"left out: {x}" for x in self.left_out]
        lines += [f"corrected: {x}" for x in self.corrections]
        lines += [f"note: {x}" for x in self.notes]
        return "\n".join(lines)

    def summary(self) -> str:
        lines = [
            f"{self.rows} catalogue entries read",
            f"{len(self.written)} practice records written, {self.unchanged} unchanged",
            f"{len(self.kept_reviewed)} reviewed records kept",
        ]
        if self.kept_edited:
            lines.append(f"{len(self.kept_edited)} imported records differ from the catalogue "
                         "and were kept (edited by hand? use --force to replace): "
                         + ", ".join(self.kept_edited))
        for kind, n in sorted(self.new_shared.items()):
            lines.append(f"{n} new {kind}")
        lines += [f"merged: {x}" for x in self.merges]
        lines += [f"left out: {x}" for x in self.left_out]
        lines += [f"corrected: {x}" for x in self.corrections]
        lines += [f"note: {x}" for x in self.notes]
        return "\n".join(lines)
