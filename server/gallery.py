"""The example queries of the query page: `.rq` files with `# title:` and `# description:`
lines, shipped in the release's `queries/` folder (from `data/queries/`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Example:
    name: str
    title: str
    description: str
    text: str


def read_examples(folder: Path) -> list[Example]:
    out = []
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        meta = {}
        for line in text.splitlines():
            if line.startswith("#") and ":" in line:
                key, _, value = line[1:].partition(":")
                meta[key.strip()] = value.strip()
        out.append(Example(path.stem, meta.get("title", path.stem),
                           meta.get("description", ""), text))
    return out
