"""Where the project's own files are: the ontology and the shapes ship beside the package."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology" / "icc.ttl"
SHAPES = ROOT / "shapes" / "icc-shapes.ttl"
